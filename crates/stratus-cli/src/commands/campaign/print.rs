//! How campaigns, dry runs and progress read in a terminal.

use stratus_campaigns::campaign::{Campaign, CampaignState, Channel, QuietMode};
use stratus_campaigns::dry_run::DryRunReport;
use stratus_campaigns::gamify::LevelTable;
use stratus_campaigns::run::RunProgress;
use stratus_campaigns::sms::{SmsEncoding, SmsLength};

pub fn sms_length(l: &SmsLength) -> String {
    let encoding = match l.encoding {
        SmsEncoding::Gsm7 => "GSM-7",
        SmsEncoding::Ucs2 => "UCS-2",
    };
    format!("{encoding}, {} unit(s), {} part(s)", l.units, l.parts)
}

fn minute(m: u16) -> String {
    format!("{:02}:{:02}", m / 60, m % 60)
}

pub fn campaign(c: &Campaign) {
    let s = &c.spec;
    println!("{}  {}", c.id, s.name);
    println!("  state       {}", c.state);
    if let Some(error) = &c.error {
        println!("  error       {error}");
    }
    println!(
        "  channel     {} ({})",
        s.channel.as_str(),
        s.sms_type.as_str()
    );
    println!(
        "  segment     {}",
        if s.segment.is_empty() {
            "(everyone)"
        } else {
            &s.segment
        }
    );
    println!(
        "  template    {}",
        s.template.replace('\n', "\n              ")
    );
    println!(
        "  pace        {} msg/s, concurrency {}",
        s.rate_per_sec, s.concurrency
    );
    if let Some(sender) = &s.sender_id {
        println!("  sender id   {sender}");
    }
    if s.channel.has_notification() {
        let p = &s.push;
        if !p.title.is_empty() {
            println!("  title       {}", p.title);
        }
        if let Some(link) = &p.deep_link {
            println!("  deep link   {link}");
        }
        for (key, value) in &p.data {
            println!("  data        {key} = {value}");
        }
        if let Some(badge) = &p.badge {
            println!("  badge       {badge}");
        }
        if let Some(sound) = &p.sound {
            println!("  sound       {sound}");
        }
    }
    if let Some(q) = s.quiet_hours {
        println!(
            "  quiet hours {}–{} (recipient's time), then {}",
            minute(q.start_minute),
            minute(q.end_minute),
            match s.quiet_mode {
                QuietMode::Wait => "wait for the window's end",
                QuietMode::Skip => "skip",
            }
        );
    }
    if let Some(cap) = s.frequency_cap {
        println!(
            "  cap         at most {} message(s) per customer within {} day(s), all campaigns",
            cap.messages, cap.days
        );
    }
}

pub fn levels(table: &LevelTable) {
    for level in table.levels() {
        println!("{:<16} from {} points", level.name, level.min_points);
    }
}

/// One line: what the progress bar shows next to the bar.
pub fn progress_line(p: &RunProgress) -> String {
    let c = &p.summary.counts;
    let eta = p
        .summary
        .eta_seconds
        .map_or_else(String::new, |s| format!(" · ETA {}", duration(s)));
    // While paused for an outage, the reason is the news; while everyone
    // left waits for quiet hours, that is.
    let why = match (&p.error, p.state, &p.summary.waiting) {
        (Some(error), CampaignState::Paused, _) => format!(" · {error}"),
        (_, _, Some(waiting)) => format!(" · {}", waiting.describe()),
        _ => String::new(),
    };
    format!(
        "{} · sent {} · failed {} · skipped {} · unknown {} · pending {} · {:.1}/s{eta}{why}",
        p.state,
        c.sent,
        c.failed,
        c.skipped,
        c.unknown,
        c.pending + c.in_flight,
        p.summary.rate_last_minute
    )
}

/// `state: n of m done`, then the counters. A run no process is sending
/// any more says `interrupted` (and how to go on), never an ETA.
pub fn status(p: &RunProgress) {
    let c = &p.summary.counts;
    let state = if p.is_interrupted() {
        "interrupted".to_string()
    } else {
        p.state.to_string()
    };
    println!(
        "{state}: {} of {} done{}",
        c.done(),
        c.total(),
        if p.attached { " (being sent now)" } else { "" }
    );
    println!(
        "  sent {}  failed {}  skipped {}  unknown {}  in_flight {}  pending {}",
        c.sent, c.failed, c.skipped, c.unknown, c.in_flight, c.pending
    );
    println!(
        "  rate {:.1}/s over the last minute (configured {}/s){}",
        p.summary.rate_last_minute,
        p.rate_configured,
        p.summary
            .eta_seconds
            .map_or_else(String::new, |s| format!(", ETA {}", duration(s)))
    );
    for (reason, n) in &p.summary.reasons {
        println!("  {reason}: {n}");
    }
    if let Some(waiting) = &p.summary.waiting {
        println!("  {}", waiting.describe());
    }
    if let Some(error) = &p.error {
        println!("  {error}");
    }
    if p.is_interrupted() {
        println!(
            "  no process is sending it (the one that was stopped or died); \
             `stratus campaign launch {}` continues it",
            p.campaign_id
        );
    }
}

pub fn dry_run(r: &DryRunReport) {
    println!("audience    {} customer(s) match the segment", r.audience);
    if let Some(cache) = &r.events_cache {
        println!("  ({})", cache.note(stratus_core::clock::now_millis()));
    }
    println!("eligible    {} would get a message", r.eligible);
    for (reason, n) in &r.skipped {
        println!("  skipped {reason}: {n}");
    }
    if !r.opt_outs_checked {
        println!("  (opt-outs not checked here; they are checked before each send)");
    }
    if r.render_errors > 0 {
        println!("render errors: {}", r.render_errors);
        if let Some(first) = &r.first_render_error {
            println!("  e.g. customer {}: {}", first.customer_id, first.message);
        }
    }
    for s in &r.samples {
        match (&s.notification, r.channel) {
            (Some(n), Channel::Push) => println!(
                "sample to {} ({} device(s)): [{}] {}",
                s.name, s.devices, n.title, n.body
            ),
            (Some(n), _) => println!("sample to {} (inbox): [{}] {}", s.name, n.title, n.body),
            (None, _) => println!(
                "sample to {} ({}, {}): {}",
                s.name,
                s.address,
                sms_length(&s.sms),
                s.text
            ),
        }
    }
    match r.channel {
        Channel::Sms => println!(
            "parts       {} (estimated cost {:.2} {} at {} per part)",
            r.total_parts, r.estimated_cost, r.currency, r.price_per_part
        ),
        Channel::Push => println!(
            "devices     {} push notification(s) (estimated cost {:.7} {} at {:.2} per million)",
            r.devices,
            r.estimated_cost,
            r.currency,
            r.price_per_part * 1e6
        ),
        Channel::InApp => println!(
            "messages    {} in-app (estimated cost {:.7} {} at {:.2} per million)",
            r.eligible,
            r.estimated_cost,
            r.currency,
            r.price_per_part * 1e6
        ),
    }
    println!(
        "duration    about {} at {} msg/s",
        duration(r.estimated_seconds),
        r.rate_per_sec
    );
    if r.waiting > 0 {
        println!(
            "waiting     {} in quiet hours now would wait for their window's end",
            r.waiting
        );
    }
    if let Some(finish) = chrono::DateTime::from_timestamp_millis(r.estimated_finish_at) {
        println!("finish      about {}", finish.format("%Y-%m-%d %H:%M UTC"));
    }
}

pub fn duration(seconds: u64) -> String {
    match seconds {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m{:02}s", s / 60, s % 60),
        s => format!("{}h{:02}m", s / 3600, s % 3600 / 60),
    }
}
