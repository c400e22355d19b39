//! A terminal progress bar for core functions that report `Progress`; silent
//! when stderr is not a terminal (scripts, tests).

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use stratus_core::jobs::Progress;

pub struct TerminalProgress {
    bar: ProgressBar,
}

impl TerminalProgress {
    pub fn new() -> Self {
        let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{bar:30.cyan/blue} {pos}/{len} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        TerminalProgress { bar }
    }

    pub fn update(&self, p: Progress) {
        if let Some(total) = p.total {
            self.bar.set_length(total);
        }
        self.bar.set_position(p.done);
        self.bar.set_message(p.message);
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
