//! Waiting for a test invocation, against the scripted in-process server: the finish rule
//! (every status and bucketing status, unknown values included), the poll interval, the
//! timeout with its last snapshot, `Retry-After`, errors, and dropping the wait.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crate::support::{Recorded, Reply, ScriptServer};
use elevenlabs_agent_tests::prelude::*;
use elevenlabs_agent_tests::types::GetTestSuiteInvocationResponseModel;
use serde_json::{Value, json};

/// Upper bound for anything that could hang.
const LIMIT: Duration = Duration::from_secs(30);
const ID: &str = "suite_1";

fn run(i: usize, status: &str) -> Value {
    json!({
        "test_run_id": format!("run_{i}"), "test_invocation_id": ID, "agent_id": "agent_1",
        "test_id": format!("test_{i}"), "test_name": format!("Test {i}"), "status": status,
    })
}

fn snapshot(statuses: &[&str], bucketing: Option<&str>) -> Value {
    let runs: Vec<Value> = statuses
        .iter()
        .enumerate()
        .map(|(i, s)| run(i, s))
        .collect();
    json!({"id": ID, "test_runs": runs, "bucketing_status": bucketing, "created_at": 1})
}

fn decode(v: Value) -> GetTestSuiteInvocationResponseModel {
    serde_json::from_value(v).unwrap()
}

/// Request k (0-based) gets `replies[k]`, the last one repeated after that.
fn script(replies: Vec<Reply>) -> impl Fn(&Recorded) -> Reply + Send + Sync + 'static {
    let next = AtomicUsize::new(0);
    move |req| {
        assert_eq!(req.path, format!("/v1/convai/test-invocations/{ID}"));
        let k = next.fetch_add(1, Ordering::SeqCst);
        replies[k.min(replies.len() - 1)].clone()
    }
}

fn ok(v: Value) -> Reply {
    Reply::json(200, &v)
}

#[test]
fn the_finish_rule() {
    // (run statuses, bucketing status, finished?)
    let cases: &[(&[&str], Option<&str>, bool)] = &[
        (&[], None, false),
        (&[], Some("completed"), false),
        (&["pending"], None, false),
        (&["passed", "pending"], None, false),
        (&["passed"], None, true),
        (&["failed"], None, true),
        (&["passed", "failed"], None, true),
        // Statuses the pinned spec does not know count as finished.
        (&["cancelled"], None, true),
        (&["passed", "some_future_status"], None, true),
        (&["cancelled", "pending"], None, false),
        // Bucketing (repeat_count > 1) must be done too.
        (&["passed", "passed"], Some("pending"), false),
        (&["passed", "passed"], Some("completed"), true),
        (&["passed", "failed"], Some("failed"), true),
        (&["passed"], Some("some_future_state"), true),
        (&["pending"], Some("completed"), false),
    ];
    for (statuses, bucketing, finished) in cases {
        let inv = decode(snapshot(statuses, *bucketing));
        assert_eq!(
            inv.is_finished(),
            *finished,
            "runs {statuses:?}, bucketing {bucketing:?}"
        );
    }
}

#[test]
fn the_outcome_counts_and_explains() {
    let mut v = snapshot(
        &["passed", "failed", "cancelled", "pending", "passed"],
        None,
    );
    v["test_runs"][1]["condition_result"] = json!({"result": "failure",
        "rationale": {"summary": "No refund was offered", "messages": ["refund: missing"]}});
    let o = decode(v).outcome();
    assert_eq!((o.passed, o.failed, o.pending, o.total()), (2, 1, 1, 5));
    assert_eq!(o.other.get("cancelled"), Some(&1));
    assert!(!o.all_passed());
    assert_eq!(o.not_passed.len(), 2);
    assert_eq!(o.not_passed[0].test_name, "Test 1");
    assert_eq!(
        o.not_passed[0].rationale.as_deref(),
        Some("No refund was offered")
    );
    assert_eq!(o.not_passed[0].messages, ["refund: missing"]);
    assert_eq!(o.not_passed[1].status.as_str(), "cancelled");
    assert_eq!(o.not_passed[1].rationale, None);
    let counts = o.counts();
    assert_eq!(counts["passed"], 2);
    assert_eq!(counts["cancelled"], 1);

    assert!(
        decode(snapshot(&["passed", "passed"], None))
            .outcome()
            .all_passed()
    );
    assert!(
        !decode(snapshot(&[], None)).outcome().all_passed(),
        "no runs is not a pass"
    );
}

#[tokio::test]
async fn the_wait_returns_the_finished_invocation_polling_at_the_interval() {
    let server = ScriptServer::start(script(vec![
        ok(snapshot(&["pending", "pending"], None)),
        ok(snapshot(&["passed", "pending"], None)),
        ok(snapshot(&["passed", "failed"], None)),
    ]))
    .await;
    let client = Client::new(&server.url);
    let interval = Duration::from_millis(150);
    let finished = tokio::time::timeout(
        LIMIT,
        client.wait_for_test_invocation(ID).poll_interval(interval),
    )
    .await
    .expect("no hang")
    .expect("finishes");
    assert!(finished.is_finished());
    assert_eq!(finished.outcome().failed, 1);
    let requests = server.requests();
    assert_eq!(
        requests.len(),
        3,
        "one GET per snapshot, none after the finished one"
    );
    // The wait schedules each poll an interval after the previous one *started*; arrival
    // times add each request's transit jitter (a loaded machine delays one GET more than the
    // next: 149.4 ms was seen for 150 ms), so the floor is two thirds of the interval. A wait
    // that did not wait polls again within a few milliseconds; `fake_runs` bounds
    // the poll count on the client's clock, and `cargo bench --bench wait` measures it.
    for pair in requests.windows(2) {
        let gap = pair[1].arrived - pair[0].arrived;
        assert!(
            gap >= interval * 2 / 3,
            "polled {gap:?} after the previous poll"
        );
    }
}

#[tokio::test]
async fn updates_yield_every_snapshot_and_end_with_the_finished_one() {
    let server = ScriptServer::start(script(vec![
        ok(snapshot(&["pending"], None)),
        ok(snapshot(&["pending"], None)),
        ok(snapshot(&["passed"], Some("pending"))),
        ok(snapshot(&["passed"], Some("completed"))),
    ]))
    .await;
    let client = Client::new(&server.url);
    let snapshots: Vec<_> = tokio::time::timeout(
        LIMIT,
        client
            .wait_for_test_invocation(ID)
            .poll_interval(Duration::from_millis(20))
            .updates()
            .try_collect::<Vec<_>>(),
    )
    .await
    .expect("no hang")
    .expect("finishes");
    let finished: Vec<bool> = snapshots.iter().map(|s| s.is_finished()).collect();
    assert_eq!(finished, [false, false, false, true]);
    assert_eq!(server.count(), 4);
}

#[tokio::test]
async fn a_timeout_is_an_error_with_the_last_snapshot() {
    let server =
        ScriptServer::start(script(vec![ok(snapshot(&["passed", "pending"], None))])).await;
    let client = Client::new(&server.url);
    let started = std::time::Instant::now();
    let err = tokio::time::timeout(
        LIMIT,
        client
            .wait_for_test_invocation(ID)
            .poll_interval(Duration::from_millis(100))
            .timeout(Duration::from_millis(450)),
    )
    .await
    .expect("no hang")
    .expect_err("times out");
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(450),
        "gave up after {waited:?}"
    );
    assert!(waited < Duration::from_secs(5), "gave up after {waited:?}");
    let Error::WaitTimedOut {
        invocation_id,
        polls,
        last,
        ..
    } = &err
    else {
        panic!("expected WaitTimedOut, got {err:?}")
    };
    assert_eq!(invocation_id, ID);
    assert_eq!(*polls as usize, server.count());
    assert!((4..=6).contains(polls), "{polls} polls in 450 ms at 100 ms");
    let last = last.as_ref().expect("the last snapshot is kept");
    assert_eq!(last.outcome().passed, 1);
    let text = err.to_string();
    assert!(
        text.contains("1 passed") && text.contains("1 pending"),
        "{text}"
    );
}

#[tokio::test]
async fn a_429_is_retried_after_its_retry_after_and_the_wait_goes_on() {
    let server = ScriptServer::start(script(vec![
        ok(snapshot(&["pending"], None)),
        Reply::json(
            429,
            &json!({"detail": {"status": "rate_limited", "message": "slow down"}}),
        )
        .header("retry-after", "1"),
        ok(snapshot(&["passed"], None)),
    ]))
    .await;
    let client = Client::new(&server.url);
    let finished = tokio::time::timeout(
        LIMIT,
        client
            .wait_for_test_invocation(ID)
            .poll_interval(Duration::from_millis(50)),
    )
    .await
    .expect("no hang")
    .expect("finishes after the retry");
    assert!(finished.outcome().all_passed());
    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    let gap = requests[2].arrived - requests[1].arrived;
    assert!(
        gap >= Duration::from_secs(1),
        "retried {gap:?} after a Retry-After of 1 s"
    );
}

#[tokio::test]
async fn an_error_that_remains_ends_the_wait_with_it() {
    let server = ScriptServer::start(script(vec![
        ok(snapshot(&["pending"], None)),
        Reply::json(404, &json!({"detail": "Not Found"})),
    ]))
    .await;
    let client = Client::new(&server.url);
    let err = tokio::time::timeout(
        LIMIT,
        client
            .wait_for_test_invocation(ID)
            .poll_interval(Duration::from_millis(20)),
    )
    .await
    .expect("no hang")
    .expect_err("404");
    assert!(
        matches!(&err, Error::Api { status, .. } if status.as_u16() == 404),
        "{err:?}"
    );
    assert_eq!(server.count(), 2, "no poll after the error");
}

#[tokio::test]
async fn dropping_the_wait_stops_polling() {
    let server = ScriptServer::start(script(vec![ok(snapshot(&["pending"], None))])).await;
    let client = Client::new(&server.url);
    let wait = client
        .wait_for_test_invocation(ID)
        .poll_interval(Duration::from_millis(30));
    let task = tokio::spawn(wait.into_future());
    tokio::time::sleep(Duration::from_millis(200)).await;
    task.abort();
    let _ = task.await;
    let seen = server.count();
    assert!(seen >= 2, "it polled before the drop ({seen})");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(server.count(), seen, "polled after the drop");

    // The stream too.
    let mut updates = client
        .wait_for_test_invocation(ID)
        .poll_interval(Duration::from_millis(30))
        .updates();
    let first = tokio::time::timeout(LIMIT, updates.next()).await.unwrap();
    assert!(first.unwrap().is_ok());
    drop(updates);
    let seen = server.count();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(server.count(), seen, "polled after the stream was dropped");
}

#[tokio::test]
async fn nothing_is_sent_before_the_wait_is_awaited() {
    let server = ScriptServer::start(script(vec![ok(snapshot(&["passed"], None))])).await;
    let client = Client::new(&server.url);
    let wait = client.wait_for_test_invocation(ID);
    let updates = client.wait_for_test_invocation(ID).updates();
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(server.count(), 0);
    drop((wait, updates));
}
