//! The run clock: what a run of a test comes to and when. The name markers and
//! [`outcome_for`] decide the outcome, [`duration_of`] and [`schedule`] when it is reached,
//! and [`Clock`] is the fake's time (tokio's instant for progress, so a paused test clock
//! drives it; unix seconds for timestamps).

use super::*;

/// The marker that makes a test fail in the fake (ASCII case-insensitive).
pub const FAIL_MARKER: &str = "[fail]";

/// The marker that doubles a test's simulated duration (ASCII case-insensitive).
pub const SLOW_MARKER: &str = "[slow]";

/// The marker that makes a test flaky in the fake (ASCII case-insensitive): its first run in
/// an invocation fails, its other runs there (repetitions and resubmits alike) pass.
pub const FLAKY_MARKER: &str = "[flaky]";

/// The outcome the fake gives a run of `test_name`: `first` is whether it is the test's first
/// run in its invocation (not a repetition, not a resubmit).
pub(crate) fn outcome_for(test_name: &str, first: bool) -> RunResult {
    if has_marker(test_name, FAIL_MARKER) || (first && has_marker(test_name, FLAKY_MARKER)) {
        RunResult::Failed
    } else {
        RunResult::Passed
    }
}

/// Whether `name` contains `marker`, ignoring ASCII case.
pub fn has_marker(name: &str, marker: &str) -> bool {
    name.to_ascii_lowercase().contains(marker)
}

/// A run's outcome once finished.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunResult {
    Passed,
    Failed,
    /// Cancelled while pending (`POST .../cancel`).
    Cancelled,
}

/// How a run's status evolves.
#[derive(Clone, Debug)]
pub enum Progress {
    /// Seeded history: never changes (a `None` stays pending).
    Fixed(Option<RunResult>),
    /// Pending at `since` (its submission) and until `finish_at`, then `outcome`.
    Timed {
        since: Instant,
        finish_at: Instant,
        finish_unix: i64,
        outcome: RunResult,
    },
}

impl Run {
    /// `None` while pending.
    pub fn outcome(&self, now: Instant) -> Option<RunResult> {
        match &self.progress {
            Progress::Fixed(o) => *o,
            Progress::Timed {
                since,
                finish_at,
                outcome,
                ..
            } => (now >= *finish_at && now > *since).then_some(*outcome),
        }
    }
}

/// The fake's clock: `tokio::time::Instant` for run progress (so a paused test clock drives
/// it) and unix seconds derived from it for timestamps.
#[derive(Clone, Copy, Debug)]
pub struct Clock {
    pub start: Instant,
    start_unix: i64,
}

impl Clock {
    #[expect(clippy::new_without_default, reason = "a clock starts when it is made")]
    pub fn new() -> Clock {
        let start_unix = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(crate::fake::NEWEST_CREATED_AT_UNIX_SECS)
            .max(crate::fake::NEWEST_CREATED_AT_UNIX_SECS + 3600);
        Clock {
            start: Instant::now(),
            start_unix,
        }
    }

    pub fn unix_at(&self, at: Instant) -> i64 {
        self.start_unix + at.saturating_duration_since(self.start).as_secs() as i64
    }
}

/// The simulated duration of the `k`-th run of a submission: `base` × (1 + (k mod 4)/8),
/// doubled for a `[slow]` test.
pub fn duration_of(base: Duration, test_name: &str, k: usize) -> Duration {
    let slow = if has_marker(test_name, SLOW_MARKER) {
        2
    } else {
        1
    };
    scale(base, (8 + (k % 4) as u32) * slow, 8)
}

/// `d × num / den`, saturating (a huge `run_duration` must not overflow).
pub(crate) fn scale(d: Duration, num: u32, den: u32) -> Duration {
    d.checked_mul(num).map_or(Duration::MAX, |d| d / den)
}

/// (Re)starts `run` at `now`: pending, finishing after its duration with the rule's outcome
/// ([`outcome_for`]; `first`: the test's first run in its invocation).
pub fn schedule(clock: Clock, base: Duration, run: &mut Run, k: usize, first: bool, now: Instant) {
    // Saturating: a run that would finish past what `Instant` holds finishes in 30 years.
    let finish_at = now
        .checked_add(duration_of(base, &run.test_name, k))
        .unwrap_or_else(|| now + Duration::from_secs(30 * 365 * 86_400));
    run.submitted_unix = clock.unix_at(now);
    run.progress = Progress::Timed {
        since: now,
        finish_at,
        finish_unix: clock.unix_at(finish_at),
        outcome: outcome_for(&run.test_name, first),
    };
}
