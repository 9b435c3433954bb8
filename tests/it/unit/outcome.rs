//! `src/outcome.rs`: its own items, hidden or public.

use elevenlabs_agent_tests::types::{GetTestSuiteInvocationResponseModel, TestRunStatus};
use serde_json::json;
use std::collections::BTreeMap;

/// An invocation whose runs have `statuses` (run k: test `t{k}`, "Test k"), with a
/// rationale on every run, and `bucketing` as its bucketing status.
fn invocation(statuses: &[&str], bucketing: Option<&str>) -> GetTestSuiteInvocationResponseModel {
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
