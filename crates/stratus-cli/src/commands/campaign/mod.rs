//! `stratus campaign`: create, check, launch and steer SMS/push campaigns.
//! Pause, resume, cancel and pace work on a campaign that another process
//! (the app, another terminal) is sending: they go through the database.

mod cloud;
mod launch;

mod print;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{anyhow, Context as _, Result};
use clap::{Args, Subcommand, ValueEnum};
use stratus_app::campaign_runs::notifier_for;
use stratus_campaigns::campaign::{
    self, Campaign, CampaignSpec, Channel, FrequencyCap, QuietHours, QuietMode, SmsType,
};
use stratus_campaigns::dry_run::{self, DryRunOptions, DEFAULT_PRICE_PER_PART};
use stratus_campaigns::gamify::{self, LevelTable};
use stratus_campaigns::prices;
use stratus_campaigns::push::PushContent;
use stratus_campaigns::recipients::{self, RecipientFilter, RecipientStatus};
use stratus_campaigns::run;
use stratus_campaigns::test_send;
use stratus_core::db::Db;

use crate::context::Context;

#[derive(Subcommand)]
pub enum CampaignCommand {
    /// All campaigns, most recently changed first.
    List,
    /// Create a draft; prints its id.
    Create(CreateArgs),
    /// Settings, state and progress of one campaign.
    Show { campaign: String },
    /// What launching would do: audience, skips by reason, samples, parts, cost, duration.
    DryRun {
        campaign: String,
        /// Sample messages to show.
        #[arg(long, default_value_t = 3)]
        samples: usize,
        /// Assumed price of one SMS part (USD); check SNS pricing for your destinations.
        #[arg(long, default_value_t = DEFAULT_PRICE_PER_PART)]
        price_per_part: f64,
        /// Price of a million push notifications (USD; SNS's list price by default).
        #[arg(long, default_value_t = prices::PUSH_PER_MILLION)]
        push_price_per_million: f64,
    },
    /// Send one test message to a phone number (or endpoint ARN for push).
    TestSend {
        campaign: String,
        /// +<country><number>, or a platform endpoint ARN.
        #[arg(long)]
        to: String,
        /// Render the template for this customer (default: the first in the segment).
        #[arg(long, conflicts_with = "text")]
        customer: Option<String>,
        /// Send this text instead of the template.
        #[arg(long)]
        text: Option<String>,
    },
    /// Launch (a draft) and send in the foreground; run it again to continue
    /// after a crash or Ctrl-C. A paused campaign is resumed.
    Launch {
        campaign: String,
        /// Hand it to the deployed cloud workers instead: it goes on with
        /// this computer closed (`stratus deploy` creates them).
        #[arg(long)]
        cloud: bool,
    },
    /// Stop new sends (in whichever process is sending) within a second.
    Pause { campaign: String },
    /// Continue a paused campaign.
    Resume { campaign: String },
    /// Cancel: nothing more is sent, every recipient gets a final state.
    Cancel { campaign: String },
    /// Change the rate and/or concurrency while it runs.
    Pace {
        campaign: String,
        /// Messages per second.
        #[arg(long)]
        rate: Option<f64>,
        #[arg(long)]
        concurrency: Option<u32>,
    },
    /// Re-queue failed recipients (and unknown ones with --include-unknown).
    Retry {
        campaign: String,
        /// Also resend `unknown` recipients: their send was interrupted or got no
        /// clear answer from the provider (they may have got it).
        #[arg(long)]
        include_unknown: bool,
    },
    /// Counters by status, rate, ETA, errors by code.
    Status { campaign: String },
    /// The profile's level table (levels by points, for templates and
    /// segments); `--set` replaces it.
    Levels {
        /// The whole table, e.g. "bronze=0,silver=500,gold=2000".
        #[arg(long)]
        set: Option<String>,
    },
    /// Write the recipients as CSV (all rows, or filtered).
    Export {
        campaign: String,
        /// Output file (default: stdout).
        #[arg(long, short)]
        output: Option<PathBuf>,
        #[arg(long, value_enum)]
        status: Option<StatusArg>,
        /// Provider error code or skip reason.
        #[arg(long)]
        code: Option<String>,
    },
}

#[derive(Args)]
pub struct CreateArgs {
    #[arg(long)]
    name: String,
    /// Filter over customer fields; empty selects everyone.
    #[arg(long, default_value = "")]
    segment: String,
    /// Template text, e.g. "Hi {{ first_name }}, {{ points }} points!".
    #[arg(long, required_unless_present = "template_file")]
    template: Option<String>,
    #[arg(long, conflicts_with = "template")]
    template_file: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "sms")]
    channel: ChannelArg,
    /// Messages per second (SNS's default SMS quota is 20).
    #[arg(long, default_value_t = 20.0)]
    rate: f64,
    #[arg(long, default_value_t = 4)]
    concurrency: u32,
    #[arg(long, value_enum, default_value = "transactional")]
    sms_type: SmsTypeArg,
    #[arg(long)]
    sender_id: Option<String>,
    /// In the recipient's time zone, e.g. 21:00-08:00.
    #[arg(long, value_parser = parse_quiet_hours)]
    quiet_hours: Option<QuietHours>,
    /// A recipient in quiet hours waits for the window's end, or is skipped.
    #[arg(long, value_enum, default_value = "wait")]
    in_quiet_hours: QuietModeArg,
    /// At most N messages per customer within D days, counting every
    /// campaign's sends, e.g. 3/7d.
    #[arg(long, value_parser = parse_cap)]
    frequency_cap: Option<FrequencyCap>,
    /// Send at this time (RFC 3339, e.g. 2026-12-01T09:00:00Z) instead of at launch.
    #[arg(long, value_parser = parse_time)]
    at: Option<i64>,
    /// Push and in-app: the notification's title (a template).
    #[arg(long)]
    title: Option<String>,
    /// Push and in-app: the link the app opens (a template).
    #[arg(long)]
    deep_link: Option<String>,
    /// Push and in-app: custom data for the app, KEY=TEMPLATE (repeatable).
    #[arg(long = "data", value_name = "KEY=TEMPLATE", value_parser = parse_data)]
    data: Vec<(String, String)>,
    /// Push: the app icon's badge number (a template, e.g. "{{ new_badges | length }}").
    #[arg(long)]
    badge: Option<String>,
    /// Push: the sound to play (e.g. default).
    #[arg(long)]
    sound: Option<String>,
}

fn parse_data(text: &str) -> Result<(String, String), String> {
    text.split_once('=')
        .map(|(k, v)| (k.trim().to_string(), v.to_string()))
        .filter(|(k, _)| !k.is_empty())
        .ok_or_else(|| format!("`{text}` is not KEY=TEMPLATE"))
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ChannelArg {
    Sms,
    /// Mobile push to every enabled device of each customer.
    Push,
    /// Stored in the customer's in-app inbox.
    InApp,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum QuietModeArg {
    Wait,
    Skip,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum SmsTypeArg {
    Transactional,
    Promotional,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum StatusArg {
    Pending,
    InFlight,
    Sent,
    Failed,
    Skipped,
    Unknown,
}

impl From<StatusArg> for RecipientStatus {
    fn from(s: StatusArg) -> Self {
        match s {
            StatusArg::Pending => RecipientStatus::Pending,
            StatusArg::InFlight => RecipientStatus::InFlight,
            StatusArg::Sent => RecipientStatus::Sent,
            StatusArg::Failed => RecipientStatus::Failed,
            StatusArg::Skipped => RecipientStatus::Skipped,
            StatusArg::Unknown => RecipientStatus::Unknown,
        }
    }
}

fn parse_quiet_hours(s: &str) -> Result<QuietHours, String> {
    let minute = |t: &str| -> Result<u16, String> {
        let (h, m) = t
            .trim()
            .split_once(':')
            .ok_or_else(|| format!("`{t}` is not HH:MM"))?;
        let (h, m): (u16, u16) = (
            h.parse().map_err(|_| format!("`{t}` is not HH:MM"))?,
            m.parse().map_err(|_| format!("`{t}` is not HH:MM"))?,
        );
        if h > 23 || m > 59 {
            return Err(format!("`{t}` is not a time of day"));
        }
        Ok(h * 60 + m)
    };
    let (start, end) = s
        .split_once('-')
        .ok_or_else(|| "write quiet hours as HH:MM-HH:MM, e.g. 21:00-08:00".to_string())?;
    Ok(QuietHours {
        start_minute: minute(start)?,
        end_minute: minute(end)?,
    })
}

/// `N/Dd`: N messages within D days.
fn parse_cap(s: &str) -> Result<FrequencyCap, String> {
    let wrong = || format!("`{s}` is not N/Dd, e.g. 3/7d (3 messages per 7 days)");
    let (messages, days) = s.split_once('/').ok_or_else(wrong)?;
    let days = days.trim().trim_end_matches('d');
    Ok(FrequencyCap {
        messages: messages.trim().parse().map_err(|_| wrong())?,
        days: days.parse().map_err(|_| wrong())?,
    })
}

fn parse_time(s: &str) -> Result<i64, String> {
    chrono::DateTime::parse_from_rfc3339(s)
        .map(|t| t.timestamp_millis())
        .map_err(|e| format!("`{s}` is not an RFC 3339 time ({e})"))
}

/// A campaign by id, unique id prefix or exact name.
async fn resolve(db: &Db, reference: &str) -> Result<Campaign> {
    let all = campaign::list(db).await?;
    if let Some(c) = all.iter().find(|c| c.id == reference) {
        return Ok(c.clone());
    }
    let matches: Vec<&Campaign> = all
        .iter()
        .filter(|c| {
            c.spec.name == reference || (reference.len() >= 4 && c.id.starts_with(reference))
        })
        .collect();
    match matches.as_slice() {
        [one] => Ok((*one).clone()),
        [] => Err(stratus_campaigns::Error::CampaignNotFound(reference.to_string()).into()),
        many => Err(anyhow!(
            "`{reference}` matches {} campaigns ({}); use the full id",
            many.len(),
            many.iter()
                .map(|c| c.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

pub async fn run(ctx: &Context, cmd: CampaignCommand) -> Result<ExitCode> {
    let stack = ctx.stack().await?;
    let db = &stack.db;
    match cmd {
        CampaignCommand::List => {
            for c in campaign::list(db).await? {
                let counts = run::progress_summary(db, &c.id).await?.counts;
                // The app's rule: active in the database, but nobody sends it.
                // A cloud run's workers count as its runner.
                let attached = run::has_runner(db, &c)? || cloud::in_cloud(&stack, &c.id).await?;
                let state = if run::is_interrupted(c.state, attached) {
                    "interrupted"
                } else {
                    c.state.as_str()
                };
                println!(
                    "{}  {:<11}  {:<4}  {:>7}/{:<7}  {}",
                    c.id,
                    state,
                    c.spec.channel.as_str(),
                    counts.done(),
                    counts.total(),
                    c.spec.name
                );
            }
        }
        CampaignCommand::Create(args) => {
            let spec = spec_from(args)?;
            let draft = campaign::create_draft(db, spec).await?;
            println!("{}", draft.id);
        }
        CampaignCommand::Show { campaign } => {
            let c = resolve(db, &campaign).await?;
            print::campaign(&c);
            let progress = run::status(db, &c.id).await?;
            print::status(&progress);
        }
        CampaignCommand::DryRun {
            campaign,
            samples,
            price_per_part,
            push_price_per_million,
        } => {
            let c = resolve(db, &campaign).await?;
            let notifier = notifier_for(&stack)?;
            let options = DryRunOptions {
                samples,
                price_per_part,
                push_price_per_million,
                ..Default::default()
            };
            let report = dry_run::dry_run(db, &c.id, Some(notifier.as_ref()), options).await?;
            print::dry_run(&report);
        }
        CampaignCommand::TestSend {
            campaign,
            to,
            customer,
            text,
        } => {
            let c = resolve(db, &campaign).await?;
            let notifier = notifier_for(&stack)?;
            let report = match text {
                Some(text) => {
                    let request = test_send::TestSend {
                        channel: c.spec.channel,
                        to,
                        content: test_send::TestContent::Text(text),
                        sms_type: c.spec.sms_type,
                        sender_id: c.spec.sender_id.clone(),
                    };
                    test_send::test_send(db, notifier.as_ref(), request).await?
                }
                None => {
                    let customer = match customer {
                        Some(id) => id,
                        None => first_in_segment(db, &c).await?,
                    };
                    test_send::test_send_campaign(db, notifier.as_ref(), &c.id, &customer, &to)
                        .await?
                }
            };
            println!(
                "sent to {} (message id {}): {} [{}]",
                report.to,
                report.message_id,
                report.text,
                print::sms_length(&report.sms)
            );
        }
        CampaignCommand::Launch { campaign, cloud } => {
            let c = resolve(db, &campaign).await?;
            if cloud {
                cloud::launch(ctx, &stack, &c.id).await?;
                return Ok(ExitCode::SUCCESS);
            }
            let notifier = notifier_for(&stack)?;
            return launch::run(db, &c, notifier).await;
        }
        CampaignCommand::Pause { campaign } => {
            let c = resolve(db, &campaign).await?;
            if cloud::in_cloud(&stack, &c.id).await? {
                cloud::pause(&stack, &c.id).await?;
                return Ok(ExitCode::SUCCESS);
            }
            run::pause(db, &c.id).await?;
            println!("paused {}", c.id);
            if !run::is_attached(db, &c.id)? {
                eprintln!(
                    "no process is sending it now; `stratus campaign launch {}` continues it",
                    c.id
                );
            }
        }
        CampaignCommand::Resume { campaign } => {
            let c = resolve(db, &campaign).await?;
            if cloud::in_cloud(&stack, &c.id).await? {
                cloud::resume(&stack, &c.id).await?;
                return Ok(ExitCode::SUCCESS);
            }
            run::resume(db, &c.id).await?;
            println!("resumed {}", c.id);
            if !run::is_attached(db, &c.id)? {
                eprintln!(
                    "no process is sending it now: run `stratus campaign launch {}` to send the rest",
                    c.id
                );
            }
        }
        CampaignCommand::Cancel { campaign } => {
            let c = resolve(db, &campaign).await?;
            if cloud::in_cloud(&stack, &c.id).await? {
                cloud::cancel(&stack, &c.id).await?;
                return Ok(ExitCode::SUCCESS);
            }
            let counts = run::cancel(db, &c.id).await?;
            println!(
                "cancelled {}: {} sent, {} failed, {} skipped, {} unknown",
                c.id, counts.sent, counts.failed, counts.skipped, counts.unknown
            );
        }
        CampaignCommand::Pace {
            campaign,
            rate,
            concurrency,
        } => {
            if rate.is_none() && concurrency.is_none() {
                return Err(anyhow!("give --rate and/or --concurrency"));
            }
            let c = resolve(db, &campaign).await?;
            if cloud::in_cloud(&stack, &c.id).await? {
                let (Some(rate), None) = (rate, concurrency) else {
                    return Err(anyhow!(
                        "a cloud run takes --rate only: its concurrency is the deploy's worker count"
                    ));
                };
                cloud::pace(&stack, &c.id, rate).await?;
                return Ok(ExitCode::SUCCESS);
            }
            let c = run::set_pace(db, &c.id, rate, concurrency).await?;
            println!(
                "{}: {} msg/s, concurrency {}",
                c.id, c.spec.rate_per_sec, c.spec.concurrency
            );
        }
        CampaignCommand::Retry {
            campaign,
            include_unknown,
        } => {
            let c = resolve(db, &campaign).await?;
            let n = run::retry_failed(db, &c.id, include_unknown).await?;
            if n == 0 {
                let unknown = run::progress_summary(db, &c.id).await?.counts.unknown;
                println!("nothing to retry: {} stays {}", c.id, c.state);
                if !include_unknown && unknown > 0 {
                    eprintln!(
                        "{unknown} recipient(s) are unknown (maybe sent); `--include-unknown` resends them"
                    );
                }
            } else {
                println!("{n} recipient(s) queued again");
                if !run::is_attached(db, &c.id)? {
                    eprintln!("run `stratus campaign launch {}` to send them", c.id);
                }
            }
        }
        CampaignCommand::Status { campaign } => {
            let c = resolve(db, &campaign).await?;
            if cloud::in_cloud(&stack, &c.id).await? {
                cloud::status(&stack, &c.id).await?;
            } else {
                print::status(&run::status(db, &c.id).await?);
            }
            for group in recipients::error_groups(db, &c.id).await? {
                println!(
                    "  error {} × {}: {} (e.g. customer {})",
                    group.code, group.count, group.sample_message, group.sample_customer_id
                );
            }
        }
        CampaignCommand::Levels { set } => {
            let table = match set {
                Some(text) => gamify::set_levels(db, LevelTable::parse(&text)?).await?,
                None => gamify::levels(db).await?,
            };
            print::levels(&table);
        }
        CampaignCommand::Export {
            campaign,
            output,
            status,
            code,
        } => {
            let c = resolve(db, &campaign).await?;
            let filter = RecipientFilter {
                status: status.map(Into::into),
                error_code: code,
            };
            match output {
                Some(path) => {
                    let n = recipients::export_csv(db, &c.id, filter, &path).await?;
                    eprintln!("{n} recipient(s) written to {}", path.display());
                }
                None => {
                    let id = c.id.clone();
                    let db = db.clone();
                    tokio::task::spawn_blocking(move || -> Result<u64> {
                        let conn = db.open_reader()?;
                        let stdout = std::io::stdout().lock();
                        Ok(recipients::export_csv_blocking(
                            &conn, &id, &filter, stdout,
                        )?)
                    })
                    .await
                    .context("the export stopped")??;
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn spec_from(args: CreateArgs) -> Result<CampaignSpec> {
    let template = match (args.template, args.template_file) {
        (Some(t), _) => t,
        (None, Some(path)) => std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?,
        (None, None) => return Err(anyhow!("give --template or --template-file")),
    };
    let channel = match args.channel {
        ChannelArg::Sms => Channel::Sms,
        ChannelArg::Push => Channel::Push,
        ChannelArg::InApp => Channel::InApp,
    };
    let mut spec = CampaignSpec::new(&args.name, channel, &args.segment, &template);
    spec.rate_per_sec = args.rate;
    spec.concurrency = args.concurrency;
    spec.sms_type = match args.sms_type {
        SmsTypeArg::Transactional => SmsType::Transactional,
        SmsTypeArg::Promotional => SmsType::Promotional,
    };
    spec.sender_id = args.sender_id;
    spec.quiet_hours = args.quiet_hours;
    spec.quiet_mode = match args.in_quiet_hours {
        QuietModeArg::Wait => QuietMode::Wait,
        QuietModeArg::Skip => QuietMode::Skip,
    };
    spec.frequency_cap = args.frequency_cap;
    spec.scheduled_at = args.at;
    spec.push = PushContent {
        title: args.title.unwrap_or_default(),
        deep_link: args.deep_link,
        data: args.data.into_iter().collect(),
        badge: args.badge,
        sound: args.sound,
    };
    Ok(spec)
}

/// The customer a template test renders for when none is named.
async fn first_in_segment(db: &Db, c: &Campaign) -> Result<String> {
    let options = DryRunOptions {
        samples: 1,
        ..Default::default()
    };
    let report = dry_run::dry_run(db, &c.id, None, options).await?;
    report
        .samples
        .first()
        .map(|s| s.customer_id.clone())
        .ok_or_else(|| anyhow!("nobody in the segment can receive it; pass --customer <id>"))
}
