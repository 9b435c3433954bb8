//! The live line while waiting: an indicatif spinner on a terminal, otherwise one plain line
//! on stderr each time the counts change.

use std::io::IsTerminal;
use std::time::Duration;

use elevenlabs_agent_tests::outcome::Outcome;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::output::counts_line;

pub struct WaitProgress {
    bar: Option<ProgressBar>,
    last: Option<String>,
    id: String,
}

impl WaitProgress {
    pub fn new(invocation_id: &str) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template("{spinner} {elapsed:>4} {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            bar.enable_steady_tick(Duration::from_millis(120));
            bar.set_message(format!("waiting for {invocation_id}"));
            bar
        });
        Self {
            bar,
            last: None,
            id: invocation_id.to_owned(),
        }
    }

    /// Shows the counts of a new snapshot.
    pub fn update(&mut self, outcome: &Outcome) {
        let line = counts_line(outcome);
        if self.last.as_deref() == Some(line.as_str()) {
            return;
        }
        match &self.bar {
            Some(bar) => bar.set_message(format!("{}: {line}", self.id)),
            None => eprintln!("{}: {line}", self.id),
        }
        self.last = Some(line);
    }
}

impl Drop for WaitProgress {
    fn drop(&mut self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// The bar while `report` reads the invocations' runs: an indicatif bar on a terminal,
/// nothing otherwise.
pub struct ReadProgress {
    bar: Option<ProgressBar>,
}

impl ReadProgress {
    pub fn new(total: u64) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template("{bar:40} {pos}/{len} invocations read {elapsed:>4}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar
        });
        Self { bar }
    }

    /// One more invocation read.
    pub fn inc(&self) {
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
    }
}

impl Drop for ReadProgress {
    fn drop(&mut self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
