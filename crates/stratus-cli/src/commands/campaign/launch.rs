//! `stratus campaign launch`: send in the foreground with a progress bar
//! (plain lines when stderr is not a terminal). Ctrl-C stops this process
//! after the sends under way; running the command again continues.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Result;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use stratus_campaigns::campaign::{Campaign, CampaignState};
use stratus_campaigns::notifier::Notifier;
use stratus_campaigns::recipients;
use stratus_campaigns::run::{self, RunProgress, RunRequest};
use stratus_core::db::Db;
use stratus_core::jobs::CancellationToken;

use super::print;

/// Exit code after Ctrl-C, as shells report a SIGINT death.
const INTERRUPTED: u8 = 130;
/// Exit code of a run that ended with `failed` or `unknown` recipients:
/// finished, but not everyone certainly got the message.
const INCOMPLETE: u8 = 3;
/// Without a terminal, a line at most this often.
const LINE_EVERY: Duration = Duration::from_secs(1);

/// Where progress goes.
enum Display {
    Bar(ProgressBar),
    Lines(Mutex<Option<(Instant, String)>>),
}

impl Display {
    fn new() -> Self {
        if !std::io::stderr().is_terminal() {
            return Display::Lines(Mutex::new(None));
        }
        let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{bar:30.cyan/blue} {pos}/{len} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        Display::Bar(bar)
    }

    fn show(&self, p: &RunProgress) {
        let c = &p.summary.counts;
        let line = print::progress_line(p);
        match self {
            Display::Bar(bar) => {
                bar.set_length(c.total());
                bar.set_position(c.done());
                bar.set_message(line);
            }
            Display::Lines(last) => {
                let mut last = last.lock().unwrap_or_else(|e| e.into_inner());
                let due = last
                    .as_ref()
                    .is_none_or(|(at, prev)| at.elapsed() >= LINE_EVERY && *prev != line);
                if due {
                    eprintln!("{}/{} {line}", c.done(), c.total());
                    *last = Some((Instant::now(), line));
                }
            }
        }
    }

    fn finish(&self) {
        if let Display::Bar(bar) = self {
            bar.finish_and_clear();
        }
    }
}

pub async fn run(db: &Db, c: &Campaign, notifier: Arc<dyn Notifier>) -> Result<ExitCode> {
    // Checked before resuming, so a busy campaign is left exactly as it was.
    if run::is_attached(db, &c.id)? {
        return Err(stratus_campaigns::Error::RunnerBusy(c.id.clone()).into());
    }
    if c.state == CampaignState::Paused {
        eprintln!("{} was paused; resuming it", c.id);
    }
    let stop = CancellationToken::new();
    let on_ctrl_c = stop.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("stopping after the sends under way… (Ctrl-C again to quit at once)");
            on_ctrl_c.cancel();
            if tokio::signal::ctrl_c().await.is_ok() {
                std::process::exit(i32::from(INTERRUPTED));
            }
        }
    });
    let display = Arc::new(Display::new());
    let shown = Arc::clone(&display);
    let request = RunRequest::new(db, &c.id, notifier);
    let outcome = run::resume_and_run(&request, move |p| shown.show(p), &stop).await;
    display.finish();
    let outcome = outcome?;
    let counts = &outcome.counts;
    if outcome.recovered_unknown > 0 {
        eprintln!(
            "{} recipient(s) were being sent when the last run stopped: marked unknown, not resent \
             (`stratus campaign retry {} --include-unknown` resends them)",
            outcome.recovered_unknown, c.id
        );
    }
    println!(
        "{}: {} sent, {} failed, {} skipped, {} unknown, {} pending",
        outcome.state,
        counts.sent,
        counts.failed,
        counts.skipped,
        counts.unknown,
        counts.pending + counts.in_flight
    );
    for group in recipients::error_groups(db, &c.id).await? {
        println!(
            "  error {} × {}: {}",
            group.code, group.count, group.sample_message
        );
    }
    let unanswered = counts.failed + counts.unknown;
    if outcome.state == CampaignState::Completed && unanswered > 0 {
        eprintln!(
            "NOT EVERYONE GOT IT: {} failed and {} unknown (maybe sent: no clear answer from the \
             provider, or the run stopped mid-send). `stratus campaign export {id} --status failed` \
             lists them; `stratus campaign retry {id}` resends the failed ones, \
             `--include-unknown` also the unknown (who may then get it twice).",
            counts.failed,
            counts.unknown,
            id = c.id
        );
    }
    Ok(match outcome.state {
        CampaignState::Completed if unanswered == 0 => ExitCode::SUCCESS,
        CampaignState::Completed => ExitCode::from(INCOMPLETE),
        CampaignState::Running | CampaignState::Paused | CampaignState::Scheduled
            if stop.is_cancelled() =>
        {
            eprintln!(
                "stopped; run `stratus campaign launch {}` to continue",
                c.id
            );
            ExitCode::from(INTERRUPTED)
        }
        _ => ExitCode::FAILURE,
    })
}
