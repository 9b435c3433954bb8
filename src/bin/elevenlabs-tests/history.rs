//! Per-test history over the runs of an agent's invocations: counters, pass rate, the date of
//! the last failure, the current streak, **flaky** and **regression** (the rules are in the
//! README, section "Per-test history", and tested on a table of cases below).
//!
//! [`History`] is fed one invocation at a time, **newest first** (the listing's order), and
//! keeps only per-test counters and, for the newest `grid_columns` invocations, one grid
//! [`Cell`] per test and invocation: never the responses themselves.
//!
//! - A run counts as *passed* or *failed* by its status; `cancelled` and statuses this version
//!   does not know are *other*; `pending` runs are counted apart and are no result.
//! - **Flaky**: the test both passed and failed on the same agent version: two runs with the
//!   same `version_id`, or two runs of the same invocation (repetitions, resubmits: they run
//!   on the invocation's version, and the API does not always give a `version_id`).
//! - **Regression**: the test passed in some invocation, and in every invocation after the
//!   newest such one each finished run of it failed (at least one did), none of those failed
//!   runs on a version on which it also passed. It is a regression *since* the oldest of those
//!   invocations, and is then not flaky.
//! - The **streak** is the status of its newest finished (passed or failed) run and how many
//!   runs in a row, newest first, ended the same way (other and pending runs are skipped).

use std::collections::{BTreeMap, HashMap};
use std::hash::{DefaultHasher, Hash, Hasher};

use elevenlabs_agent_tests::types::{TestRunStatus, UnitTestRunResponseModel};
use serde::Serialize;

use crate::output::rfc3339;

/// The longest rationale a grid cell keeps (in characters).
pub const RATIONALE_CHARS: usize = 300;

/// How a run ended, as the history counts it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunKind {
    /// `passed`.
    Passed,
    /// `failed`.
    Failed,
    /// `cancelled`.
    Cancelled,
    /// A status this version of the crate does not know.
    Unknown,
    /// `pending`: no result yet.
    Pending,
}

impl RunKind {
    /// The kind of a run's status.
    pub fn of(status: &TestRunStatus) -> Self {
        match status.as_str() {
            "passed" => Self::Passed,
            "failed" => Self::Failed,
            "pending" => Self::Pending,
            "cancelled" => Self::Cancelled,
            _ => Self::Unknown,
        }
    }
}

/// One run, as the history reads it (borrowed from the response, which is then dropped).
#[derive(Clone, Copy, Debug)]
pub struct RunFact<'a> {
    /// The test's id.
    pub test_id: &'a str,
    /// The test's name at the time of the run.
    pub test_name: &'a str,
    /// How it ended.
    pub kind: RunKind,
    /// The agent version it ran on, when the API says.
    pub version_id: Option<&'a str>,
    /// Why it did not pass, when the API says.
    pub rationale: Option<&'a str>,
}

impl<'a> RunFact<'a> {
    /// The facts of a run of the API.
    pub fn of(run: &'a UnitTestRunResponseModel) -> Self {
        Self {
            test_id: &run.test_id,
            test_name: &run.test_name,
            kind: RunKind::of(&run.status),
            version_id: run.version_id.as_deref(),
            rationale: run
                .condition_result
                .as_ref()
                .and_then(|c| c.rationale.as_ref())
                .map(|r| r.summary.as_str())
                .filter(|s| !s.is_empty()),
        }
    }
}

/// The runs of one test in one invocation: a cell of the grid.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Cell {
    /// Runs that passed.
    pub passed: u32,
    /// Runs that failed.
    pub failed: u32,
    /// Runs cancelled or in a status this version does not know.
    pub other: u32,
    /// Runs still pending.
    pub pending: u32,
    /// The rationale of its first failed run (at most [`RATIONALE_CHARS`] characters).
    pub rationale: Option<String>,
}

impl Cell {
    /// Its CSS class: `mixed` (passed and failed), `failed`, `cancelled` (other statuses),
    /// `pending`, `passed`.
    pub fn class(&self) -> &'static str {
        match self {
            Cell {
                failed: 1..,
                passed: 1..,
                ..
            } => "mixed",
            Cell { failed: 1.., .. } => "failed",
            Cell { other: 1.., .. } => "cancelled",
            Cell { pending: 1.., .. } => "pending",
            _ => "passed",
        }
    }
}

/// An invocation of the grid (a column).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Column {
    /// The invocation's id.
    pub id: String,
    /// When it was created (unix seconds).
    pub created_at: i64,
    /// Its title.
    pub title: String,
}

/// An invocation whose runs could not be read, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unreadable {
    /// The invocation's id.
    pub id: String,
    /// The error.
    pub reason: String,
}

/// What a test's history comes to: one line of `report --json`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TestStats {
    /// The test's id.
    pub test_id: String,
    /// Its name in the newest invocation that ran it.
    pub name: String,
    /// `regression`, `flaky`, `failing` (its newest finished run failed), `passing` or
    /// `no result`, the first that applies.
    pub status: &'static str,
    /// Invocations that ran it.
    pub invocations: u64,
    /// All its runs, pending ones included.
    pub runs: u64,
    /// Runs that passed.
    pub passed: u64,
    /// Runs that failed.
    pub failed: u64,
    /// Runs cancelled or in a status this version does not know.
    pub other: u64,
    /// Runs still pending.
    pub pending: u64,
    /// `passed / (passed + failed)`, from 0 to 1; `null` without such runs.
    pub pass_rate: Option<f64>,
    /// When the newest invocation with a failed run of it was created (RFC 3339).
    pub last_failure: Option<String>,
    /// `passed` or `failed`: how its newest finished run ended; `null` without one.
    pub streak_status: Option<&'static str>,
    /// How many runs in a row, newest first, ended as `streak_status`.
    pub streak_runs: u64,
    /// Its newest finished run failed.
    pub failing_now: bool,
    /// It passed and failed on the same agent version (and is not a regression).
    pub flaky: bool,
    /// It passed until some invocation and failed in every run since.
    pub regression: bool,
    /// When the regression's first failing invocation was created (RFC 3339).
    pub regression_since: Option<String>,
    /// The regression's first failing invocation.
    pub regression_since_invocation: Option<String>,
}

impl TestStats {
    /// The one-word verdict: a regression, else flaky, else failing now, else passing (a
    /// finished run and the newest passed), else no result.
    fn verdict(&self) -> &'static str {
        if self.regression {
            "regression"
        } else if self.flaky {
            "flaky"
        } else if self.failing_now {
            "failing"
        } else if self.streak_status.is_some() {
            "passing"
        } else {
            "no result"
        }
    }

    /// The ranking group: failing now first, then flaky, then the rest.
    pub fn group(&self) -> u8 {
        if self.failing_now {
            0
        } else if self.flaky {
            1
        } else {
            2
        }
    }

    /// `failed the last 3`, `passed the last run`, or `-`.
    pub fn streak_text(&self) -> String {
        match (self.streak_status, self.streak_runs) {
            (Some(s), 1) => format!("{s} the last run"),
            (Some(s), n) => format!("{s} the last {n}"),
            (None, _) => "-".to_owned(),
        }
    }

    /// The pass rate as `87.5%`, or `n/a`.
    pub fn pass_rate_text(&self) -> String {
        self.pass_rate
            .map(|r| format!("{:.1}%", r * 100.0))
            .unwrap_or_else(|| "n/a".to_owned())
    }
}

/// Flags of a version group: some run passed, some failed.
const PASSED: u8 = 1;
const FAILED: u8 = 2;

fn version_key(version: &str) -> u64 {
    let mut h = DefaultHasher::new();
    version.hash(&mut h);
    h.finish()
}

/// What is kept of one test while the invocations are read.
#[derive(Debug, Default)]
struct Acc {
    name: String,
    invocations: u64,
    passed: u64,
    failed: u64,
    other: u64,
    pending: u64,
    last_failure: Option<i64>,
    streak: Option<(RunKind, u64)>,
    streak_closed: bool,
    /// Per version (hashed): [`PASSED`] | [`FAILED`].
    versions: HashMap<u64, u8>,
    /// Some invocation has a passed and a failed run of it.
    mixed_invocation: bool,
    /// An invocation with a passed run of it has been read.
    seen_pass: bool,
    /// The oldest invocation newer than every pass with a failed run: (created, id).
    failing_since: Option<(i64, String)>,
    /// The versions of the failed runs newer than every pass.
    failing_versions: Vec<u64>,
    /// Grid cells by column.
    cells: BTreeMap<usize, Cell>,
}

impl Acc {
    /// Adds the runs of this test in one invocation (in run order); invocations newest first.
    fn add(&mut self, id: &str, created_at: i64, runs: &[RunFact<'_>], column: Option<usize>) {
        self.invocations += 1;
        let mut cell = Cell::default();
        for run in runs {
            let flag = match run.kind {
                RunKind::Passed => {
                    cell.passed += 1;
                    PASSED
                }
                RunKind::Failed => {
                    cell.failed += 1;
                    if cell.rationale.is_none() {
                        cell.rationale = run
                            .rationale
                            .map(|r| r.chars().take(RATIONALE_CHARS).collect());
                    }
                    FAILED
                }
                RunKind::Cancelled | RunKind::Unknown => {
                    cell.other += 1;
                    0
                }
                RunKind::Pending => {
                    cell.pending += 1;
                    0
                }
            };
            if flag != 0
                && let Some(v) = run.version_id
            {
                *self.versions.entry(version_key(v)).or_default() |= flag;
            }
        }
        self.passed += u64::from(cell.passed);
        self.failed += u64::from(cell.failed);
        self.other += u64::from(cell.other);
        self.pending += u64::from(cell.pending);
        if cell.passed > 0 && cell.failed > 0 {
            self.mixed_invocation = true;
        }
        if cell.failed > 0 && self.last_failure.is_none() {
            self.last_failure = Some(created_at);
        }
        for run in runs.iter().rev() {
            if self.streak_closed {
                break;
            }
            if !matches!(run.kind, RunKind::Passed | RunKind::Failed) {
                continue;
            }
            match &mut self.streak {
                None => self.streak = Some((run.kind, 1)),
                Some((kind, n)) if *kind == run.kind => *n += 1,
                Some(_) => self.streak_closed = true,
            }
        }
        if !self.seen_pass {
            if cell.passed > 0 {
                self.seen_pass = true;
            } else if cell.failed > 0 {
                self.failing_since = Some((created_at, id.to_owned()));
                self.failing_versions.extend(
                    runs.iter()
                        .filter(|r| r.kind == RunKind::Failed)
                        .filter_map(|r| r.version_id.map(version_key)),
                );
            }
        }
        if let Some(c) = column {
            self.cells.insert(c, cell);
        }
    }

    fn stats(&self, test_id: &str) -> TestStats {
        let regression = self.seen_pass
            && self.failing_since.is_some()
            && !self
                .failing_versions
                .iter()
                .any(|v| self.versions.get(v).is_some_and(|f| f & PASSED != 0));
        let same_version =
            self.mixed_invocation || self.versions.values().any(|f| *f == PASSED | FAILED);
        let finished = self.passed + self.failed;
        let since = self.failing_since.as_ref().filter(|_| regression);
        let mut stats = TestStats {
            test_id: test_id.to_owned(),
            name: self.name.clone(),
            status: "",
            invocations: self.invocations,
            runs: finished + self.other + self.pending,
            passed: self.passed,
            failed: self.failed,
            other: self.other,
            pending: self.pending,
            pass_rate: (finished > 0).then(|| self.passed as f64 / finished as f64),
            last_failure: self.last_failure.map(rfc3339),
            streak_status: self.streak.map(|(k, _)| match k {
                RunKind::Failed => "failed",
                _ => "passed",
            }),
            streak_runs: self.streak.map_or(0, |(_, n)| n),
            failing_now: matches!(self.streak, Some((RunKind::Failed, _))),
            flaky: same_version && !regression,
            regression,
            regression_since: since.map(|(t, _)| rfc3339(*t)),
            regression_since_invocation: since.map(|(_, id)| id.clone()),
        };
        stats.status = stats.verdict();
        stats
    }
}

/// The history of every test seen, read invocation by invocation (newest first).
#[derive(Debug)]
pub struct History {
    grid_columns: usize,
    columns: Vec<Column>,
    tests: HashMap<String, Acc>,
    read: usize,
    unreadable: Vec<Unreadable>,
}

impl History {
    /// An empty history whose grid keeps the newest `grid_columns` invocations.
    pub fn new(grid_columns: usize) -> Self {
        Self {
            grid_columns,
            columns: Vec::new(),
            tests: HashMap::new(),
            read: 0,
            unreadable: Vec::new(),
        }
    }

    /// Adds the runs of one invocation; each call must be for an invocation older than the
    /// previous one (the listing's order).
    pub fn add_invocation<'a>(
        &mut self,
        column: Column,
        runs: impl IntoIterator<Item = RunFact<'a>>,
    ) {
        self.read += 1;
        let index = (self.columns.len() < self.grid_columns).then_some(self.columns.len());
        // The runs of each test, in run order; tests in order of first run.
        let mut order: Vec<&str> = Vec::new();
        let mut by_test: HashMap<&str, Vec<RunFact<'a>>> = HashMap::new();
        for run in runs {
            by_test
                .entry(run.test_id)
                .or_insert_with(|| {
                    order.push(run.test_id);
                    Vec::new()
                })
                .push(run);
        }
        for test_id in order {
            let runs = &by_test[test_id];
            let acc = self.tests.entry(test_id.to_owned()).or_insert_with(|| Acc {
                // The newest invocation comes first: its name is the latest.
                name: runs[0].test_name.to_owned(),
                ..Acc::default()
            });
            acc.add(&column.id, column.created_at, runs, index);
        }
        if index.is_some() {
            self.columns.push(column);
        }
    }

    /// Records an invocation whose runs could not be read.
    pub fn add_unreadable(&mut self, id: &str, reason: String) {
        self.unreadable.push(Unreadable {
            id: id.to_owned(),
            reason,
        });
    }

    /// Invocations read.
    pub fn read(&self) -> usize {
        self.read
    }

    /// Invocations that could not be read.
    pub fn unreadable(&self) -> &[Unreadable] {
        &self.unreadable
    }

    /// The grid's invocations, oldest first (newest on the right).
    pub fn columns(&self) -> impl Iterator<Item = &Column> {
        self.columns.iter().rev()
    }

    /// A test's cells, one per column of [`History::columns`] (oldest first); `None`: not run.
    pub fn cells(&self, test_id: &str) -> Vec<Option<&Cell>> {
        let cells = self.tests.get(test_id).map(|a| &a.cells);
        (0..self.columns.len())
            .rev()
            .map(|c| cells.and_then(|m| m.get(&c)))
            .collect()
    }

    /// Every test's statistics, ranked: failing now, then flaky, then the rest; in each
    /// group the lowest pass rate first (none last), then by name and id.
    pub fn ranked(&self) -> Vec<TestStats> {
        let mut all: Vec<TestStats> = self.tests.iter().map(|(id, a)| a.stats(id)).collect();
        all.sort_by(|a, b| {
            a.group()
                .cmp(&b.group())
                .then_with(|| {
                    let rate = |s: &TestStats| s.pass_rate.unwrap_or(f64::INFINITY);
                    rate(a).total_cmp(&rate(b))
                })
                .then_with(|| a.name.cmp(&b.name))
                .then_with(|| a.test_id.cmp(&b.test_id))
        });
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use RunKind::{Cancelled as C, Failed as F, Passed as P, Pending as W, Unknown as U};

    /// One invocation of a case: the test's runs, each with its version (`""`: none).
    type Inv = &'static [(RunKind, &'static str)];

    /// The history of one test `t` over `invocations`, **oldest first**, created a day apart
    /// (invocation k: `inv_k`, day k).
    fn history_of(invocations: &[Inv]) -> History {
        let mut h = History::new(100);
        for (k, runs) in invocations.iter().enumerate().rev() {
            let name = format!("name {k}");
            h.add_invocation(
                Column {
                    id: format!("inv_{k}"),
                    created_at: k as i64 * 86_400,
                    title: format!("title {k}"),
                },
                runs.iter().map(|(kind, version)| RunFact {
                    test_id: "t",
                    test_name: &name,
                    kind: *kind,
                    version_id: (!version.is_empty()).then_some(*version),
                    rationale: Some("why"),
                }),
            );
        }
        h
    }

    fn stats_of(invocations: &[Inv]) -> TestStats {
        let mut all = history_of(invocations).ranked();
        assert_eq!(all.len(), 1);
        all.remove(0)
    }

    fn day(k: i64) -> Option<String> {
        Some(rfc3339(k * 86_400))
    }

    /// The rules on a table of cases: (what, invocations oldest first, flaky, regression
    /// since invocation, streak, failing now, status).
    #[test]
    fn flaky_regression_and_streak_on_a_table_of_cases() {
        #[allow(clippy::type_complexity)]
        let cases: &[(&str, &[Inv], bool, Option<usize>, Option<(&str, u64)>, &str)] = &[
            (
                "always passes",
                &[&[(P, "")], &[(P, "")], &[(P, "")]],
                false,
                None,
                Some(("passed", 3)),
                "passing",
            ),
            (
                "never ran to a result",
                &[&[(W, "")], &[(C, "")]],
                false,
                None,
                None,
                "no result",
            ),
            (
                "always failed: no pass, no regression",
                &[&[(F, "")], &[(F, "")]],
                false,
                None,
                Some(("failed", 2)),
                "failing",
            ),
            (
                "fails since invocation 2",
                &[&[(P, "")], &[(P, "")], &[(F, "")], &[(F, "")]],
                false,
                Some(2),
                Some(("failed", 2)),
                "regression",
            ),
            (
                "fails since 1, a cancelled run since does not matter",
                &[&[(P, "")], &[(F, "")], &[(C, "")], &[(F, "")]],
                false,
                Some(1),
                Some(("failed", 2)),
                "regression",
            ),
            (
                "only cancelled since the last pass: no regression",
                &[&[(P, "")], &[(C, "")]],
                false,
                None,
                Some(("passed", 1)),
                "passing",
            ),
            (
                "fixed again: no regression",
                &[&[(P, "")], &[(F, "")], &[(P, "")]],
                false,
                None,
                Some(("passed", 1)),
                "passing",
            ),
            (
                "passed and failed in one invocation (repeat 2)",
                &[&[(F, ""), (P, "")], &[(F, ""), (P, "")]],
                true,
                None,
                Some(("passed", 1)),
                "flaky",
            ),
            (
                "alternates on one version",
                &[&[(P, "v1")], &[(F, "v1")], &[(P, "v1")], &[(F, "v1")]],
                true,
                None,
                Some(("failed", 1)),
                "flaky",
            ),
            (
                "alternates across versions: not flaky",
                &[&[(P, "v1")], &[(F, "v2")], &[(P, "v3")]],
                false,
                None,
                Some(("passed", 1)),
                "passing",
            ),
            (
                "fails on a version it also passed on: flaky, not a regression",
                &[&[(P, "v1")], &[(F, "v1")], &[(F, "v1")]],
                true,
                None,
                Some(("failed", 2)),
                "flaky",
            ),
            (
                "flaky before, fails on a new version since: regression",
                &[&[(F, "v1"), (P, "v1")], &[(F, "v2")], &[(F, "v2")]],
                false,
                Some(1),
                Some(("failed", 2)),
                "regression",
            ),
            (
                "fails after passing in the same invocation: regression since the next",
                &[&[(P, ""), (F, "")], &[(F, "")]],
                false,
                Some(1),
                Some(("failed", 2)),
                "regression",
            ),
            (
                "pending runs do not break a streak",
                &[&[(F, "")], &[(P, "")], &[(P, ""), (W, "")], &[(U, "")]],
                false,
                None,
                Some(("passed", 2)),
                "passing",
            ),
            (
                "the streak counts runs, not invocations",
                &[&[(P, "")], &[(P, "")], &[(F, ""), (F, "")], &[(F, "")]],
                false,
                Some(2),
                Some(("failed", 3)),
                "regression",
            ),
        ];
        for (what, invocations, flaky, since, streak, status) in cases {
            let s = stats_of(invocations);
            assert_eq!(s.flaky, *flaky, "{what}: flaky");
            assert_eq!(s.regression, since.is_some(), "{what}: regression");
            assert_eq!(
                s.regression_since,
                since.and_then(|k| day(k as i64)),
                "{what}: since"
            );
            assert_eq!(
                s.regression_since_invocation,
                since.map(|k| format!("inv_{k}")),
                "{what}: since invocation"
            );
            assert_eq!(
                s.streak_status.zip(Some(s.streak_runs)),
                *streak,
                "{what}: streak"
            );
            assert_eq!(
                s.failing_now,
                streak.is_some_and(|(k, _)| k == "failed"),
                "{what}: failing now"
            );
            assert_eq!(s.status, *status, "{what}: status");
        }
    }

    #[test]
    fn counters_rate_last_failure_and_latest_name() {
        let s = stats_of(&[
            &[(P, ""), (F, "")],
            &[(F, ""), (C, ""), (U, "")],
            &[(P, ""), (W, "")],
            &[(P, "")],
        ]);
        assert_eq!(
            (
                s.runs,
                s.passed,
                s.failed,
                s.other,
                s.pending,
                s.invocations
            ),
            (8, 3, 2, 2, 1, 4)
        );
        assert_eq!(s.pass_rate, Some(0.6));
        assert_eq!(s.pass_rate_text(), "60.0%");
        assert_eq!(s.last_failure, day(1));
        assert_eq!(s.name, "name 3", "the newest invocation's name");
        assert_eq!(s.streak_text(), "passed the last 2");
        let none = stats_of(&[&[(W, "")]]);
        assert_eq!((none.pass_rate, none.last_failure.as_deref()), (None, None));
        assert_eq!(
            (none.pass_rate_text(), none.streak_text()),
            ("n/a".to_owned(), "-".to_owned())
        );
        assert_eq!(stats_of(&[&[(F, "")]]).streak_text(), "failed the last run");
    }

    #[test]
    fn cells_follow_the_runs_and_keep_the_first_rationale() {
        let cell = |runs: &[RunKind]| {
            let mut h = History::new(1);
            let rationales = ["first", "second"];
            h.add_invocation(
                Column {
                    id: "i".into(),
                    created_at: 0,
                    title: String::new(),
                },
                runs.iter().enumerate().map(|(k, kind)| RunFact {
                    test_id: "t",
                    test_name: "n",
                    kind: *kind,
                    version_id: None,
                    rationale: rationales.get(k).copied(),
                }),
            );
            h.cells("t")[0].cloned().unwrap()
        };
        assert_eq!(cell(&[P, P]).class(), "passed");
        assert_eq!(cell(&[F, P]).class(), "mixed");
        assert_eq!(cell(&[P, F]).class(), "mixed");
        assert_eq!(cell(&[F, C]).class(), "failed");
        assert_eq!(cell(&[C, P]).class(), "cancelled");
        assert_eq!(cell(&[U]).class(), "cancelled");
        assert_eq!(cell(&[W, P]).class(), "pending");
        assert_eq!(cell(&[P, F]).rationale.as_deref(), Some("second"));
        assert_eq!(cell(&[F, F]).rationale.as_deref(), Some("first"));
        assert_eq!(cell(&[P, P]).rationale, None);
        let c = cell(&[F, C, U, W, P]);
        assert_eq!((c.passed, c.failed, c.other, c.pending), (1, 1, 2, 1));
    }

    #[test]
    fn a_long_rationale_is_cut() {
        let long = "é".repeat(RATIONALE_CHARS + 5);
        let mut h = History::new(1);
        h.add_invocation(
            Column {
                id: "i".into(),
                created_at: 0,
                title: String::new(),
            },
            [RunFact {
                test_id: "t",
                test_name: "n",
                kind: F,
                version_id: None,
                rationale: Some(&long),
            }],
        );
        let kept = h.cells("t")[0].unwrap().rationale.clone().unwrap();
        assert_eq!(kept.chars().count(), RATIONALE_CHARS);
    }

    #[test]
    fn the_grid_keeps_the_newest_invocations_oldest_on_the_left() {
        let mut h = History::new(2);
        // Newest first: inv_3 (t and u), inv_2 (t), inv_1 (u), inv_0 (t).
        for (k, tests) in [(3, &["t", "u"][..]), (2, &["t"]), (1, &["u"]), (0, &["t"])] {
            h.add_invocation(
                Column {
                    id: format!("inv_{k}"),
                    created_at: k,
                    title: String::new(),
                },
                tests.iter().map(|t| RunFact {
                    test_id: t,
                    test_name: t,
                    kind: P,
                    version_id: None,
                    rationale: None,
                }),
            );
        }
        assert_eq!(h.read(), 4);
        let ids: Vec<&str> = h.columns().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["inv_2", "inv_3"]);
        assert_eq!(
            h.cells("t").iter().map(Option::is_some).collect::<Vec<_>>(),
            [true, true]
        );
        assert_eq!(
            h.cells("u").iter().map(Option::is_some).collect::<Vec<_>>(),
            [false, true]
        );
        assert_eq!(h.cells("nobody"), [None, None]);
        // The counters still cover every invocation read.
        let ranked = h.ranked();
        assert_eq!(
            ranked.iter().map(|s| s.invocations).collect::<Vec<_>>(),
            [3, 2]
        );
    }

    #[test]
    fn ranking_puts_failing_now_then_flaky_then_the_rest() {
        let mut h = History::new(10);
        // Newest first. Per test: (id, name, runs in the newer invocation, in the older one).
        let tests: &[(&str, &str, &[RunKind], &[RunKind])] = &[
            ("ok_b", "b passes", &[P], &[P]),
            ("ok_a", "a passes", &[P], &[P]),
            ("half", "z half", &[P], &[F]),
            ("flaky", "y flaky", &[F, P], &[P]),
            ("broken", "x broken", &[F], &[P]),
            ("dead", "w always fails", &[F], &[F]),
            ("idle", "v pending", &[W], &[]),
        ];
        for (k, created) in [(0, 2), (1, 1)] {
            let runs: Vec<RunFact<'_>> = tests
                .iter()
                .flat_map(|(id, name, newer, older)| {
                    let runs = if k == 0 { *newer } else { *older };
                    runs.iter().map(move |kind| RunFact {
                        test_id: id,
                        test_name: name,
                        kind: *kind,
                        version_id: None,
                        rationale: None,
                    })
                })
                .collect();
            h.add_invocation(
                Column {
                    id: format!("inv_{k}"),
                    created_at: created,
                    title: String::new(),
                },
                runs,
            );
        }
        let ranked = h.ranked();
        let got: Vec<(&str, &str)> = ranked
            .iter()
            .map(|s| (s.test_id.as_str(), s.status))
            .collect();
        assert_eq!(
            got,
            [
                ("dead", "failing"),
                ("broken", "regression"),
                ("flaky", "flaky"),
                ("half", "passing"),
                ("ok_a", "passing"),
                ("ok_b", "passing"),
                ("idle", "no result"),
            ]
        );
    }

    #[test]
    fn unreadable_invocations_are_kept_by_name() {
        let mut h = History::new(1);
        h.add_unreadable("inv_x", "404".to_owned());
        assert_eq!(
            h.unreadable(),
            [Unreadable {
                id: "inv_x".into(),
                reason: "404".into()
            }]
        );
        assert_eq!(h.read(), 0);
    }

    #[test]
    fn run_kinds_of_statuses() {
        for (status, kind) in [
            ("passed", P),
            ("failed", F),
            ("pending", W),
            ("cancelled", C),
            ("exploded", U),
        ] {
            assert_eq!(RunKind::of(&TestRunStatus::from(status)), kind, "{status}");
        }
    }
}
