//! JUnit XML of a test invocation (quick-junit): one `testsuite` for the invocation, one
//! `testcase` per run, `failure` with the rationale for failed runs (every attempt's, after
//! retries), `skipped` for the rest that did not pass (cancelled, unknown statuses, and runs
//! still pending after a timeout); a flaky run (failed, then passed on a retry) is a passed
//! testcase with a `flakyFailure` per failed attempt (the Surefire convention). The agent
//! version, whether it ran against a draft, and the cost are properties when the API gives them.

use std::path::Path;
use std::time::Duration;

use elevenlabs_agent_tests::types::{GetTestSuiteInvocationResponseModel, TestRunStatus};
use quick_junit::{
    NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestRerun, TestSuite,
};

use crate::failure::Failure;
use crate::gate::{Attempts, Cost};

/// The agent of an invocation: its own field, else its first run's.
pub fn agent_of(invocation: &GetTestSuiteInvocationResponseModel) -> String {
    invocation
        .agent_id
        .clone()
        .or_else(|| invocation.test_runs.first().map(|r| r.agent_id.clone()))
        .unwrap_or_else(|| "unknown-agent".to_owned())
}

/// The report of one invocation, with the failed attempts of its runs and its cost.
pub fn report(
    invocation: &GetTestSuiteInvocationResponseModel,
    attempts: &Attempts,
    cost: Cost,
) -> Report {
    let agent = agent_of(invocation);
    let mut suite = TestSuite::new(format!("{agent}/{}", invocation.id));
    if let Some(ts) = invocation
        .created_at
        .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
    {
        suite.set_timestamp(ts.fixed_offset());
    }
    suite.add_property(Property::new("agent_id", agent.as_str()));
    suite.add_property(Property::new("invocation_id", invocation.id.as_str()));
    suite.add_property(Property::new(
        "repeat_count",
        invocation.repeat_count.to_string(),
    ));
    if let Some(version) = &invocation.version_id {
        suite.add_property(Property::new("version_id", version.as_str()));
    }
    // Always in the API's answer (a boolean, `false` by default).
    suite.add_property(Property::new(
        "ran_against_draft",
        invocation.ran_against_draft.to_string(),
    ));
    if let Some(credits) = cost.credits_used {
        suite.add_property(Property::new("credits_used", credits.to_string()));
    }
    if let Some(price) = cost.total_price {
        suite.add_property(Property::new("total_price", price.to_string()));
    }
    let mut total = Duration::ZERO;
    for run in &invocation.test_runs {
        let rationale = run
            .condition_result
            .as_ref()
            .and_then(|c| c.rationale.as_ref());
        let summary = rationale
            .map(|r| r.summary.clone())
            .filter(|s| !s.is_empty());
        let messages = rationale.map(|r| r.messages.join("\n")).unwrap_or_default();
        let failures = attempts.failures(&run.test_run_id);
        let status = match &run.status {
            TestRunStatus::Passed => {
                let mut s = TestCaseStatus::success();
                // Flaky: each failed attempt before the pass.
                s.add_reruns(failures.iter().map(|f| {
                    let mut rerun = TestRerun::new(NonSuccessKind::Failure);
                    rerun.set_type("failed");
                    rerun.set_message(f.summary());
                    if !f.messages.is_empty() {
                        rerun.set_description(f.messages.join("\n"));
                    }
                    rerun
                }));
                s
            }
            TestRunStatus::Failed => {
                let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                s.set_type("failed");
                s.set_message(summary.unwrap_or_else(|| "failed (no rationale given)".into()));
                if failures.len() > 1 {
                    // Failed every attempt: each attempt's rationale.
                    let every: Vec<String> = failures
                        .iter()
                        .enumerate()
                        .map(|(i, f)| {
                            let mut text = format!("attempt {}: {}", i + 1, f.summary());
                            for m in &f.messages {
                                text.push_str("\n    ");
                                text.push_str(m);
                            }
                            text
                        })
                        .collect();
                    s.set_description(every.join("\n"));
                } else if !messages.is_empty() {
                    s.set_description(messages);
                }
                s
            }
            other => {
                let mut s = TestCaseStatus::skipped();
                let why = if *other == TestRunStatus::Pending {
                    "still pending when the wait ended".to_owned()
                } else {
                    format!("status {other}")
                };
                s.set_message(match summary {
                    Some(summary) => format!("{why}: {summary}"),
                    None => why,
                });
                s
            }
        };
        let mut case = TestCase::new(run.test_name.as_str(), status);
        case.set_classname(run.agent_id.as_str());
        case.add_property(Property::new("test_id", run.test_id.as_str()));
        case.add_property(Property::new("test_run_id", run.test_run_id.as_str()));
        if let Some(version) = &run.version_id {
            case.add_property(Property::new("version_id", version.as_str()));
        }
        case.add_property(Property::new(
            "ran_against_draft",
            run.ran_against_draft.to_string(),
        ));
        if let Some(credits) = run.credits_used {
            case.add_property(Property::new("credits_used", credits.to_string()));
        }
        if failures.len() > 1 || (run.status == TestRunStatus::Passed && !failures.is_empty()) {
            case.add_property(Property::new(
                "attempts",
                (failures.len() + usize::from(run.status == TestRunStatus::Passed)).to_string(),
            ));
        }
        // The run's duration when both ends are known.
        if let (Some(start), Some(end)) = (invocation.created_at, run.last_updated_at_unix)
            && run.status != TestRunStatus::Pending
            && end >= start
        {
            let time = Duration::from_secs((end - start) as u64);
            total = total.max(time);
            case.set_time(time);
        }
        suite.add_test_case(case);
    }
    if !total.is_zero() {
        suite.set_time(total);
    }
    let mut report = Report::new("elevenlabs-tests");
    report.add_test_suite(suite);
    report
}

/// Writes the report of `invocation` to `path`.
pub fn write(
    path: &Path,
    invocation: &GetTestSuiteInvocationResponseModel,
    attempts: &Attempts,
    cost: Cost,
) -> Result<(), Failure> {
    let xml = report(invocation, attempts, cost)
        .to_string()
        .map_err(|e| Failure::Io(format!("cannot serialise the JUnit report: {e}")))?;
    std::fs::write(path, xml)
        .map_err(|e| Failure::Io(format!("cannot write {}: {e}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invocation(runs: serde_json::Value) -> GetTestSuiteInvocationResponseModel {
        serde_json::from_value(serde_json::json!({
            "id": "inv_<1>", "agent_id": "agent_&", "created_at": 1_752_000_000, "test_runs": runs
        }))
        .unwrap()
    }

    #[test]
    fn names_and_rationales_are_escaped_and_counted() {
        let inv = invocation(serde_json::json!([
            {"test_run_id": "r1", "test_invocation_id": "inv_<1>", "agent_id": "agent_&", "test_id": "t1",
             "test_name": "Says \"hi\" & <waves>", "status": "failed", "last_updated_at_unix": 1_752_000_003,
             "condition_result": {"result": "failure", "rationale": {"summary": "a < b & c", "messages": ["x]]>y"]}}},
            {"test_run_id": "r2", "test_invocation_id": "inv_<1>", "agent_id": "agent_&", "test_id": "t2",
             "test_name": "Unknown", "status": "exploded"},
            {"test_run_id": "r3", "test_invocation_id": "inv_<1>", "agent_id": "agent_&", "test_id": "t3",
             "test_name": "Fine", "status": "passed"}
        ]));
        let xml = report(&inv, &Attempts::default(), Cost::default())
            .to_string()
            .unwrap();
        let doc = roxmltree::Document::parse(&xml).expect("well-formed");
        let suite = doc
            .descendants()
            .find(|n| n.has_tag_name("testsuite"))
            .unwrap();
        assert_eq!(suite.attribute("name"), Some("agent_&/inv_<1>"));
        assert_eq!(suite.attribute("tests"), Some("3"));
        assert_eq!(suite.attribute("failures"), Some("1"));
        assert_eq!(suite.attribute("skipped"), Some("1"));
        // The suite lasted as long as its longest run.
        assert_eq!(suite.attribute("time"), Some("3.000"));
        let cases: Vec<_> = doc
            .descendants()
            .filter(|n| n.has_tag_name("testcase"))
            .collect();
        assert_eq!(cases[0].attribute("name"), Some("Says \"hi\" & <waves>"));
        assert_eq!(cases[0].attribute("time"), Some("3.000"));
        let failure = cases[0]
            .children()
            .find(|n| n.has_tag_name("failure"))
            .unwrap();
        assert_eq!(failure.attribute("message"), Some("a < b & c"));
        assert_eq!(failure.text(), Some("x]]>y"));
        let skipped = cases[1]
            .children()
            .find(|n| n.has_tag_name("skipped"))
            .unwrap();
        assert_eq!(skipped.attribute("message"), Some("status exploded"));
        assert_eq!(cases[2].attribute("time"), None, "no end time known");
    }

    #[test]
    fn a_flaky_run_has_flaky_failures_and_a_failing_one_every_attempt() {
        let run = |id: &str, status: &str, why: &str| {
            serde_json::json!({"test_run_id": id, "test_invocation_id": "inv_<1>",
                "agent_id": "agent_&", "test_id": id, "test_name": id, "status": status,
                "version_id": "agtvrsn_1", "ran_against_draft": true, "credits_used": 25,
                "condition_result": {"result": "failure",
                    "rationale": {"summary": why, "messages": [format!("{why}!")]}}})
        };
        let mut attempts = Attempts::default();
        attempts.record(&invocation(serde_json::json!([
            run("flaky", "failed", "first"),
            run("bad", "failed", "no 1"),
        ])));
        let last = invocation(serde_json::json!([
            run("flaky", "passed", "fine"),
            run("bad", "failed", "no 2"),
        ]));
        attempts.record(&last);
        let cost = Cost {
            credits_used: Some(50),
            total_price: Some(0.25),
        };
        let xml = report(&last, &attempts, cost).to_string().unwrap();
        let doc = roxmltree::Document::parse(&xml).unwrap();
        let cases: Vec<_> = doc
            .descendants()
            .filter(|n| n.has_tag_name("testcase"))
            .collect();
        let flaky: Vec<_> = cases[0]
            .children()
            .filter(|n| n.is_element() && n.tag_name().name() != "properties")
            .collect();
        assert_eq!(flaky.len(), 1, "{xml}");
        assert_eq!(flaky[0].tag_name().name(), "flakyFailure");
        assert_eq!(flaky[0].attribute("message"), Some("first"));
        let failure = cases[1]
            .children()
            .find(|n| n.has_tag_name("failure"))
            .unwrap();
        assert_eq!(failure.attribute("message"), Some("no 2"));
        assert_eq!(
            failure.text(),
            Some("attempt 1: no 1\n    no 1!\nattempt 2: no 2\n    no 2!")
        );
        let props = |node: roxmltree::Node| -> Vec<(String, String)> {
            node.children()
                .filter(|n| n.has_tag_name("properties"))
                .flat_map(|p| p.children().filter(|n| n.has_tag_name("property")))
                .map(|p| {
                    (
                        p.attribute("name").unwrap().to_owned(),
                        p.attribute("value").unwrap().to_owned(),
                    )
                })
                .collect()
        };
        let case = props(cases[1]);
        for (name, value) in [
            ("version_id", "agtvrsn_1"),
            ("ran_against_draft", "true"),
            ("credits_used", "25"),
            ("attempts", "2"),
        ] {
            assert!(
                case.contains(&(name.to_owned(), value.to_owned())),
                "{name}: {case:?}"
            );
        }
        assert!(props(cases[0]).contains(&("attempts".to_owned(), "2".to_owned())));
        let suite = doc
            .descendants()
            .find(|n| n.has_tag_name("testsuite"))
            .unwrap();
        let suite = props(suite);
        for (name, value) in [("credits_used", "50"), ("total_price", "0.25")] {
            assert!(
                suite.contains(&(name.to_owned(), value.to_owned())),
                "{name}: {suite:?}"
            );
        }
        assert!(
            !suite.iter().any(|(n, _)| n == "version_id"),
            "the invocation has none"
        );
    }
}
