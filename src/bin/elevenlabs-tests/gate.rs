//! What `run --wait` decides: the failures of each run over its attempts (a resubmit
//! overwrites the run, so the earlier rationales are kept here), flaky runs, the pass rate,
//! and whether the gate passes.

use std::collections::BTreeMap;

use elevenlabs_agent_tests::types::{
    GetTestSuiteInvocationResponseModel, TestRunStatus, UnitTestRunResponseModel,
};
use serde::Serialize;

/// One failed attempt of a run: its rationale as the API gave it then.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FailedAttempt {
    /// The rationale's summary, when there was one.
    pub rationale: Option<String>,
    /// The rationale's messages.
    pub messages: Vec<String>,
}

impl FailedAttempt {
    /// The rationale of a failed run.
    pub fn of(run: &UnitTestRunResponseModel) -> Self {
        let rationale = run
            .condition_result
            .as_ref()
            .and_then(|c| c.rationale.as_ref());
        Self {
            rationale: rationale
                .map(|r| r.summary.clone())
                .filter(|s| !s.is_empty()),
            messages: rationale.map(|r| r.messages.clone()).unwrap_or_default(),
        }
    }

    /// The summary, or a placeholder.
    pub fn summary(&self) -> &str {
        self.rationale.as_deref().unwrap_or("(no rationale given)")
    }
}

/// The failed attempts of each run, by run id, in order.
#[derive(Clone, Debug, Default)]
pub struct Attempts {
    failures: BTreeMap<String, Vec<FailedAttempt>>,
    /// How many times failed runs were resubmitted.
    pub retries: u32,
}

impl Attempts {
    /// Records the failed runs of a finished snapshot; returns their ids (to resubmit).
    pub fn record(&mut self, invocation: &GetTestSuiteInvocationResponseModel) -> Vec<String> {
        let mut ids = Vec::new();
        for run in &invocation.test_runs {
            if run.status == TestRunStatus::Failed {
                self.failures
                    .entry(run.test_run_id.clone())
                    .or_default()
                    .push(FailedAttempt::of(run));
                ids.push(run.test_run_id.clone());
            }
        }
        ids
    }

    /// The recorded failures of a run (its final one included when it failed last).
    pub fn failures(&self, run_id: &str) -> &[FailedAttempt] {
        self.failures.get(run_id).map_or(&[], Vec::as_slice)
    }

    /// Whether a run is flaky: it passed after failing.
    pub fn is_flaky(&self, run: &UnitTestRunResponseModel) -> bool {
        run.status == TestRunStatus::Passed && !self.failures(&run.test_run_id).is_empty()
    }
}

/// What passes the gate.
#[derive(Clone, Copy, Debug, Default)]
pub struct Rule {
    /// `--min-pass-rate`; `None`: every run must pass.
    pub min_pass_rate: Option<f64>,
    /// `--fail-on-flaky`.
    pub fail_on_flaky: bool,
}

/// The cost the API reported for the invocation (never made up).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Cost {
    /// `credits_used` of the invocation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credits_used: Option<i64>,
    /// `total_price` (USD) of the invocation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_price: Option<f64>,
}

/// The gate's counts and decision.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Verdict {
    /// Runs that passed (flaky ones included).
    pub passed: usize,
    /// Runs that failed (after every retry).
    pub failed: usize,
    /// Runs cancelled or in a status this version does not know.
    pub other: usize,
    /// Runs still pending.
    pub pending: usize,
    /// Runs that passed after failing.
    pub flaky: usize,
    /// passed / (passed + failed); `None` when no run passed or failed.
    pub pass_rate: Option<f64>,
    /// `--min-pass-rate`, when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_pass_rate: Option<f64>,
    /// How many times failed runs were resubmitted.
    pub retries: u32,
    /// Whether the gate passes.
    pub ok: bool,
    /// Why it does not, when it does not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Decides the gate for a finished invocation.
pub fn verdict(
    rule: Rule,
    invocation: &GetTestSuiteInvocationResponseModel,
    attempts: &Attempts,
) -> Verdict {
    let (mut passed, mut failed, mut other, mut pending, mut flaky) = (0, 0, 0, 0, 0);
    for run in &invocation.test_runs {
        match run.status {
            TestRunStatus::Passed => {
                passed += 1;
                if attempts.is_flaky(run) {
                    flaky += 1;
                }
            }
            TestRunStatus::Failed => failed += 1,
            TestRunStatus::Pending => pending += 1,
            _ => other += 1,
        }
    }
    let finished = passed + failed;
    let pass_rate = (finished > 0).then(|| passed as f64 / finished as f64);
    let rate_reason = match rule.min_pass_rate {
        // In whole runs, so that 7 of 10 meets 0.7 whatever the rounding of 0.7 * 10.
        Some(min) if finished == 0 || (passed as f64) + 1e-9 < min * finished as f64 => {
            Some(format!(
                "pass rate {} is below --min-pass-rate {}",
                percent(pass_rate),
                percent(Some(min))
            ))
        }
        Some(_) => None,
        None => (failed > 0).then(|| format!("{failed} run{} failed", plural(failed))),
    };
    let reason = if invocation.test_runs.is_empty() {
        Some("the invocation has no runs".to_owned())
    } else if pending > 0 {
        Some(format!("{pending} run{} still pending", plural(pending)))
    } else {
        rate_reason.or_else(|| {
            (other > 0).then(|| {
                format!(
                    "{other} run{} cancelled or in a status this version does not know",
                    plural(other)
                )
            })
        })
    };
    let reason = reason.or_else(|| {
        (rule.fail_on_flaky && flaky > 0).then(|| {
            format!(
                "{flaky} flaky run{} (failed, then passed) and --fail-on-flaky",
                plural(flaky)
            )
        })
    });
    Verdict {
        passed,
        failed,
        other,
        pending,
        flaky,
        pass_rate,
        min_pass_rate: rule.min_pass_rate,
        retries: attempts.retries,
        ok: reason.is_none(),
        reason,
    }
}

/// `80.0 %`, or `-` when there is no rate.
pub fn percent(rate: Option<f64>) -> String {
    rate.map_or_else(|| "-".to_owned(), |r| format!("{:.1} %", r * 100.0))
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invocation(statuses: &[(&str, &str)]) -> GetTestSuiteInvocationResponseModel {
        let runs: Vec<_> = statuses
            .iter()
            .map(|(id, status)| {
                serde_json::json!({
                    "test_run_id": id, "test_invocation_id": "inv", "agent_id": "a",
                    "test_id": format!("t_{id}"), "test_name": id, "status": status,
                    "condition_result": {"result": "failure",
                        "rationale": {"summary": format!("{id} was {status}"), "messages": ["m"]}}
                })
            })
            .collect();
        serde_json::from_value(serde_json::json!({"id": "inv", "test_runs": runs})).unwrap()
    }

    #[test]
    fn failures_are_kept_per_run_and_a_pass_after_one_is_flaky() {
        let mut attempts = Attempts::default();
        let first = invocation(&[("r1", "failed"), ("r2", "failed"), ("r3", "passed")]);
        assert_eq!(attempts.record(&first), ["r1", "r2"]);
        let second = invocation(&[("r1", "passed"), ("r2", "failed"), ("r3", "passed")]);
        assert_eq!(attempts.record(&second), ["r2"]);
        assert_eq!(attempts.failures("r1").len(), 1);
        assert_eq!(attempts.failures("r1")[0].summary(), "r1 was failed");
        assert_eq!(attempts.failures("r2").len(), 2);
        assert!(attempts.failures("r3").is_empty());
        let flaky: Vec<_> = second
            .test_runs
            .iter()
            .filter(|r| attempts.is_flaky(r))
            .map(|r| r.test_run_id.as_str())
            .collect();
        assert_eq!(flaky, ["r1"]);
    }

    #[test]
    fn the_rate_counts_passed_over_passed_and_failed() {
        let mut runs = vec![("p1", "passed"); 7];
        runs.extend([("f1", "failed"), ("f2", "failed"), ("f3", "failed")]);
        let inv = invocation(&runs);
        let rule = |min| Rule {
            min_pass_rate: min,
            fail_on_flaky: false,
        };
        let v = verdict(rule(Some(0.7)), &inv, &Attempts::default());
        assert_eq!((v.passed, v.failed, v.pass_rate), (7, 3, Some(0.7)));
        assert!(v.ok, "7 of 10 meets 0.7: {v:?}");
        let v = verdict(rule(Some(0.71)), &inv, &Attempts::default());
        assert!(!v.ok);
        assert_eq!(
            v.reason.as_deref(),
            Some("pass rate 70.0 % is below --min-pass-rate 71.0 %")
        );
        let v = verdict(rule(None), &inv, &Attempts::default());
        assert_eq!(v.reason.as_deref(), Some("3 runs failed"));
        let all = invocation(&[("p", "passed")]);
        assert!(verdict(rule(None), &all, &Attempts::default()).ok);
    }

    #[test]
    fn cancelled_pending_and_empty_never_pass() {
        let rule = Rule {
            min_pass_rate: Some(0.5),
            fail_on_flaky: false,
        };
        let v = verdict(
            rule,
            &invocation(&[("p", "passed"), ("c", "cancelled")]),
            &Attempts::default(),
        );
        assert_eq!((v.other, v.pass_rate, v.ok), (1, Some(1.0), false));
        let v = verdict(
            rule,
            &invocation(&[("c", "exploded")]),
            &Attempts::default(),
        );
        assert_eq!((v.pass_rate, v.ok), (None, false));
        let v = verdict(rule, &invocation(&[("p", "pending")]), &Attempts::default());
        assert_eq!((v.pending, v.ok), (1, false));
        // A pending run fails the gate even when every finished run passed.
        let v = verdict(
            Rule::default(),
            &invocation(&[("p", "passed"), ("q", "pending")]),
            &Attempts::default(),
        );
        assert_eq!((v.pending, v.ok), (1, false));
        assert_eq!(v.reason.as_deref(), Some("1 run still pending"));
        let v = verdict(rule, &invocation(&[]), &Attempts::default());
        assert!(!v.ok, "no finished run: no rate");
        let v = verdict(Rule::default(), &invocation(&[]), &Attempts::default());
        assert_eq!(v.reason.as_deref(), Some("the invocation has no runs"));
    }

    #[test]
    fn flaky_runs_pass_unless_fail_on_flaky() {
        let mut attempts = Attempts::default();
        attempts.record(&invocation(&[("r1", "failed")]));
        attempts.retries = 1;
        let now = invocation(&[("r1", "passed")]);
        let v = verdict(Rule::default(), &now, &attempts);
        assert_eq!((v.flaky, v.ok, v.retries), (1, true, 1));
        let strict = Rule {
            min_pass_rate: None,
            fail_on_flaky: true,
        };
        let v = verdict(strict, &now, &attempts);
        assert!(!v.ok);
        assert_eq!(
            v.reason.as_deref(),
            Some("1 flaky run (failed, then passed) and --fail-on-flaky")
        );
        // Nothing flaky: --fail-on-flaky does not fail the gate.
        let steady = invocation(&[("r2", "passed")]);
        assert!(verdict(strict, &steady, &attempts).ok);
    }

    #[test]
    fn rates_are_percent() {
        assert_eq!(percent(Some(0.8)), "80.0 %");
        assert_eq!(percent(Some(2.0 / 3.0)), "66.7 %");
        assert_eq!(percent(None), "-");
    }
}
