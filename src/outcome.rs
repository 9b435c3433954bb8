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
