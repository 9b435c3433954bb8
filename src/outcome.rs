//! What a test invocation came to: counts by status, whether everything passed, and why each
//! run that did not pass failed ([`GetTestSuiteInvocationResponseModel::outcome`]).

use std::collections::BTreeMap;

use crate::types::{
    BucketingStatus, GetTestSuiteInvocationResponseModel, TestRunStatus, UnitTestRunResponseModel,
};

/// The result of a test invocation, read from its detail.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Outcome {
    /// Runs that passed.
    pub passed: usize,
    /// Runs that failed.
    pub failed: usize,
    /// Runs still pending.
    pub pending: usize,
    /// Runs cancelled (`cancel_test_invocation` stops the pending ones).
    pub cancelled: usize,
    /// Runs in a status this version of the crate does not know (one the API added after
    /// its spec), by status as the API spells it.
    pub unknown: BTreeMap<String, usize>,
    /// Every finished run that did not pass (failed, cancelled, unknown), in run order.
    pub not_passed: Vec<RunReport>,
}

/// One run that did not pass: which test, its status, and why.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct RunReport {
    /// The run.
    pub test_run_id: String,
    /// The test it ran.
    pub test_id: String,
    /// The test's name.
    pub test_name: String,
    /// The run's status.
    pub status: TestRunStatus,
    /// The condition result's rationale summary (why it failed), when the API gave one.
    pub rationale: Option<String>,
    /// The rationale's individual messages (per evaluated parameter or criterion).
    pub messages: Vec<String>,
}

impl Outcome {
    /// Every run, whatever its status.
    pub fn total(&self) -> usize {
        self.passed
            + self.failed
            + self.pending
            + self.cancelled
            + self.unknown.values().sum::<usize>()
    }

    /// There is at least one run and every run passed.
    pub fn all_passed(&self) -> bool {
        self.total() > 0 && self.passed == self.total()
    }

    /// Runs by status as the API spells it (`"passed"`, ..., unknown ones too); statuses
    /// without runs are left out.
    pub fn counts(&self) -> BTreeMap<String, usize> {
        let mut out = self.unknown.clone();
        for (status, n) in [
            (TestRunStatus::Passed, self.passed),
            (TestRunStatus::Failed, self.failed),
            (TestRunStatus::Pending, self.pending),
            (TestRunStatus::Cancelled, self.cancelled),
        ] {
            if n > 0 {
                out.insert(status.to_string(), n);
            }
        }
        out
    }
}

impl RunReport {
    fn of(run: &UnitTestRunResponseModel) -> Self {
        let rationale = run
            .condition_result
            .as_ref()
            .and_then(|c| c.rationale.as_ref());
        Self {
            test_run_id: run.test_run_id.clone(),
            test_id: run.test_id.clone(),
            test_name: run.test_name.clone(),
            status: run.status.clone(),
            rationale: rationale
                .map(|r| r.summary.clone())
                .filter(|s| !s.is_empty()),
            messages: rationale.map(|r| r.messages.clone()).unwrap_or_default(),
        }
    }
}

impl GetTestSuiteInvocationResponseModel {
    /// Counts by status, and a report for each finished run that did not pass.
    ///
    /// ```
    /// # use elevenlabs_agent_tests::types::GetTestSuiteInvocationResponseModel;
    /// let invocation: GetTestSuiteInvocationResponseModel = serde_json::from_value(serde_json::json!({
    ///     "id": "inv_1",
    ///     "test_runs": [
    ///         {"test_run_id": "r1", "test_invocation_id": "inv_1", "agent_id": "a", "test_id": "t1",
    ///          "test_name": "Greets", "status": "passed"},
    ///         {"test_run_id": "r2", "test_invocation_id": "inv_1", "agent_id": "a", "test_id": "t2",
    ///          "test_name": "Refunds", "status": "failed",
    ///          "condition_result": {"result": "failure", "rationale": {"summary": "No refund offered"}}}
    ///     ]
    /// }))?;
    /// let outcome = invocation.outcome();
    /// assert_eq!((outcome.passed, outcome.failed), (1, 1));
    /// assert!(!outcome.all_passed());
    /// assert_eq!(outcome.not_passed[0].test_name, "Refunds");
    /// assert_eq!(outcome.not_passed[0].rationale.as_deref(), Some("No refund offered"));
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn outcome(&self) -> Outcome {
        let mut outcome = Outcome {
            passed: 0,
            failed: 0,
            pending: 0,
            cancelled: 0,
            unknown: BTreeMap::new(),
            not_passed: Vec::new(),
        };
        for run in &self.test_runs {
            match &run.status {
                TestRunStatus::Passed => outcome.passed += 1,
                TestRunStatus::Pending => outcome.pending += 1,
                TestRunStatus::Failed => {
                    outcome.failed += 1;
                    outcome.not_passed.push(RunReport::of(run));
                }
                TestRunStatus::Cancelled => {
                    outcome.cancelled += 1;
                    outcome.not_passed.push(RunReport::of(run));
                }
                TestRunStatus::Unknown(status) => {
                    *outcome.unknown.entry(status.to_string()).or_default() += 1;
                    outcome.not_passed.push(RunReport::of(run));
                }
            }
        }
        outcome
    }

    /// Whether the invocation has finished: it has runs, none is `pending`, and its
    /// bucketing (set when `repeat_count` > 1) is not `pending`. Any other status (`cancelled`,
    /// or one this version of the crate does not know) counts as finished, so a wait never
    /// hangs on a value added later.
    pub fn is_finished(&self) -> bool {
        !self.test_runs.is_empty()
            && self
                .test_runs
                .iter()
                .all(|r| r.status != TestRunStatus::Pending)
            && self.bucketing_status != Some(BucketingStatus::Pending)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// An invocation whose runs have `statuses` (run k: test `t{k}`, "Test k"), with a
    /// rationale on every run, and `bucketing` as its bucketing status.
    fn invocation(
        statuses: &[&str],
        bucketing: Option<&str>,
    ) -> GetTestSuiteInvocationResponseModel {
        let runs: Vec<_> = statuses
            .iter()
            .enumerate()
            .map(|(k, status)| {
                json!({
                    "test_run_id": format!("r{k}"), "test_invocation_id": "inv_1",
                    "agent_id": "a", "test_id": format!("t{k}"), "test_name": format!("Test {k}"),
                    "status": status,
                    "condition_result": {"result": "failure",
                        "rationale": {"summary": format!("why {k}"), "messages": [format!("m{k}")]}},
                })
            })
            .collect();
        let mut value = json!({"id": "inv_1", "test_runs": runs});
        if let Some(b) = bucketing {
            value["bucketing_status"] = json!(b);
        }
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn counts_every_status_and_reports_each_run_that_did_not_pass() {
        let outcome = invocation(
            &[
                "passed",
                "failed",
                "pending",
                "passed",
                "cancelled",
                "failed",
                "passed",
            ],
            None,
        )
        .outcome();
        assert_eq!(
            (
                outcome.passed,
                outcome.failed,
                outcome.pending,
                outcome.cancelled
            ),
            (3, 2, 1, 1)
        );
        assert!(outcome.unknown.is_empty(), "cancelled is a known status");
        assert_eq!(outcome.total(), 7);
        assert!(!outcome.all_passed());
        assert_eq!(
            outcome.counts(),
            BTreeMap::from([
                ("cancelled".to_owned(), 1),
                ("failed".to_owned(), 2),
                ("passed".to_owned(), 3),
                ("pending".to_owned(), 1),
            ])
        );
        // The failed and the cancelled runs, in order; not the pending one.
        let reported: Vec<_> = outcome
            .not_passed
            .iter()
            .map(|r| r.test_id.as_str())
            .collect();
        assert_eq!(reported, ["t1", "t4", "t5"]);
        let first = &outcome.not_passed[0];
        assert_eq!(
            (first.test_run_id.as_str(), first.test_name.as_str()),
            ("r1", "Test 1")
        );
        assert_eq!(first.status, TestRunStatus::Failed);
        assert_eq!(first.rationale.as_deref(), Some("why 1"));
        assert_eq!(first.messages, ["m1"]);
    }

    #[test]
    fn an_unknown_status_is_counted_apart_by_its_spelling_and_reported() {
        let outcome = invocation(&["paused", "passed", "paused", "skipped"], None).outcome();
        assert_eq!(
            outcome.unknown,
            BTreeMap::from([("paused".to_owned(), 2), ("skipped".to_owned(), 1)])
        );
        assert_eq!((outcome.passed, outcome.cancelled), (1, 0));
        assert_eq!(outcome.total(), 4);
        assert_eq!(outcome.counts()["paused"], 2);
        let reported: Vec<_> = outcome
            .not_passed
            .iter()
            .map(|r| r.status.as_str())
            .collect();
        assert_eq!(reported, ["paused", "paused", "skipped"]);
        assert!(invocation(&["paused"], None).is_finished());
    }

    #[test]
    fn all_passed_needs_at_least_one_run_and_every_run_passed() {
        assert!(invocation(&["passed"], None).outcome().all_passed());
        assert!(
            invocation(&["passed", "passed", "passed"], None)
                .outcome()
                .all_passed()
        );
        assert!(!invocation(&[], None).outcome().all_passed());
        assert!(
            !invocation(&["passed", "pending"], None)
                .outcome()
                .all_passed()
        );
        assert!(
            !invocation(&["passed", "cancelled"], None)
                .outcome()
                .all_passed()
        );
        // Statuses without runs are left out of the counts.
        let outcome = invocation(&["passed", "passed"], None).outcome();
        assert_eq!(outcome.total(), 2);
        assert_eq!(outcome.counts(), BTreeMap::from([("passed".to_owned(), 2)]));
        assert!(invocation(&[], None).outcome().counts().is_empty());
    }

    #[test]
    fn total_adds_every_kind_of_status() {
        for (statuses, total) in [
            (&["pending", "pending"][..], 2),
            (&["failed", "failed", "failed"][..], 3),
            (&["cancelled", "cancelled"][..], 2),
            (&["passed", "failed", "pending", "cancelled"][..], 4),
            (&["paused", "passed"][..], 2),
        ] {
            assert_eq!(
                invocation(statuses, None).outcome().total(),
                total,
                "{statuses:?}"
            );
        }
    }

    #[test]
    fn an_empty_rationale_is_no_rationale() {
        let mut inv = invocation(&["failed"], None);
        let rationale = inv.test_runs[0]
            .condition_result
            .as_mut()
            .and_then(|c| c.rationale.as_mut())
            .unwrap();
        rationale.summary = String::new();
        assert_eq!(inv.outcome().not_passed[0].rationale, None);
    }

    #[test]
    fn finished_when_it_has_runs_none_pending_and_bucketing_not_pending() {
        let finished = |statuses: &[&str], bucketing| invocation(statuses, bucketing).is_finished();
        assert!(finished(&["passed", "failed"], None));
        assert!(finished(&["cancelled"], None));
        assert!(finished(&["passed"], Some("completed")));
        assert!(!finished(&[], None), "no runs yet");
        assert!(!finished(&["passed", "pending"], None));
        assert!(!finished(&["pending"], Some("completed")));
        assert!(!finished(&["passed"], Some("pending")));
        assert!(!finished(&[], Some("completed")));
    }
}
