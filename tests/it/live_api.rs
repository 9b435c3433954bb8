//! What `spec/overlay.json` adds for the live API (see `/spec/overlay.json` and the README's
//! spec section): every live field decodes typed, pages without them still decode, the new
//! filters reach the wire on every page, and the two new operations are sent as the SDKs
//! send them.

use std::time::Duration;

use crate::support::{Recorded, Reply, ScriptServer};
use elevenlabs_agent_tests::prelude::*;
use elevenlabs_agent_tests::types::{
    self, GetTestInvocationsPageResponseModel, GetTestSuiteInvocationResponseModel, Llm,
    TestRunStatus, TriggeredGuardrailCommonModelGuardrailDetails,
};
use futures::TryStreamExt;
use serde_json::{Value, json};

const LIST: &str = "/v1/convai/test-invocations";
/// Upper bound for anything that could hang.
const LIMIT: Duration = Duration::from_secs(30);

fn seed_page() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/seed_page_example.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).expect("seed page")).expect("json")
}

/// An invocation summary carrying every live field.
fn live_summary(i: usize) -> Value {
    json!({
        "id": format!("inv_{i}"),
        "created_at_unix_secs": 1_700_000_000 + i as i64,
        "test_run_count": 4, "passed_count": 1, "failed_count": 1, "pending_count": 0,
        "title": "nightly", "name": "nightly",
        "cancelled_count": 2, "cancelled": true,
        "credits_used": 1234, "total_price": 0.25,
        "version_id": "ver_1", "ran_against_draft": false, "runs_diverged_from_version": true,
    })
}

#[test]
fn the_seed_example_still_decodes_without_the_live_fields() {
    let page = seed_page();
    assert!(page["results"][0].get("cancelled_count").is_none());
    let decoded: GetTestInvocationsPageResponseModel =
        serde_json::from_value(page).expect("the seed page decodes");
    let item = &decoded.results[0];
    assert_eq!(item.cancelled_count, None);
    assert_eq!(item.cancelled, None);
    assert_eq!(item.version_id, None);
    // Absent and null are both accepted.
    let mut page = seed_page();
    for field in [
        "cancelled_count",
        "cancelled",
        "credits_used",
        "total_price",
        "name",
    ] {
        page["results"][0][field] = Value::Null;
    }
    let decoded: GetTestInvocationsPageResponseModel =
        serde_json::from_value(page).expect("nulls decode");
    assert_eq!(decoded.results[0].cancelled_count, None);
}

#[test]
fn a_page_with_every_live_field_decodes_typed() {
    let page = json!({"results": [live_summary(0)], "has_more": false});
    let decoded: GetTestInvocationsPageResponseModel =
        serde_json::from_value(page).expect("the live page decodes");
    let item = &decoded.results[0];
    assert_eq!(item.cancelled_count, Some(2));
    assert_eq!(item.cancelled, Some(true));
    assert_eq!(item.credits_used, Some(1234));
    assert_eq!(item.total_price, Some(0.25));
    assert_eq!(item.name.as_deref(), Some("nightly"));
    assert_eq!(item.version_id.as_deref(), Some("ver_1"));
    assert_eq!(item.ran_against_draft, Some(false));
    assert_eq!(item.runs_diverged_from_version, Some(true));
}

fn live_invocation() -> Value {
    json!({
        "id": "inv_1", "name": "nightly", "version_id": "ver_1",
        "ran_against_draft": true, "cancelled": true, "created_at": 1_700_000_000,
        "test_runs": [{
            "test_run_id": "run_1", "test_invocation_id": "inv_1", "agent_id": "agent_1",
            "test_id": "test_1", "status": "cancelled",
            "version_id": "ver_1", "ran_against_draft": true, "credits_used": 17,
            "charging": {"llm_price": 0.01, "tier": "pro", "anything": {"else": [1]}},
            "triggered_guardrails": [
                {"guardrail_type": "moderation", "guardrail_name": "m",
                 "execution_mode": "blocking",
                 "guardrail_details": {"type": "classifier", "score": 0.9, "threshold": 0.5}},
                {"guardrail_type": "custom", "execution_mode": "streaming",
                 "guardrail_details": {"type": "llm", "rationale": "off topic"}},
                {"guardrail_type": "custom", "guardrail_details": null}
            ]
        }]
    })
}

#[test]
fn an_invocation_with_every_live_field_decodes_typed() {
    let inv: GetTestSuiteInvocationResponseModel =
        serde_json::from_value(live_invocation()).expect("the live invocation decodes");
    assert_eq!(inv.name.as_deref(), Some("nightly"));
    assert_eq!(inv.version_id.as_deref(), Some("ver_1"));
    assert_eq!(inv.ran_against_draft, Some(true));
    assert_eq!(inv.cancelled, Some(true));
    let run = &inv.test_runs[0];
    assert_eq!(run.status, TestRunStatus::Cancelled);
    assert_eq!(run.version_id.as_deref(), Some("ver_1"));
    assert_eq!(run.ran_against_draft, Some(true));
    assert_eq!(run.credits_used, Some(17));
    // `charging` is free-form JSON (an `opaque` rule): every key kept.
    let charging = run.charging.as_ref().expect("charging");
    assert_eq!(charging.get("tier"), Some(&json!("pro")));
    assert_eq!(charging.get("anything"), Some(&json!({"else": [1]})));
    let guardrails = run.triggered_guardrails.as_ref().expect("guardrails");
    assert_eq!(guardrails.len(), 3);
    match guardrails[0].guardrail_details.as_ref().expect("details") {
        TriggeredGuardrailCommonModelGuardrailDetails::Classifier(c) => {
            assert_eq!((c.score, c.threshold), (0.9, 0.5));
        }
        other => panic!("expected a classifier, got {other:?}"),
    }
    match guardrails[1].guardrail_details.as_ref().expect("details") {
        TriggeredGuardrailCommonModelGuardrailDetails::Llm(l) => {
            assert_eq!(l.rationale, "off topic");
        }
        other => panic!("expected an llm rationale, got {other:?}"),
    }
    assert!(guardrails[2].guardrail_details.is_none());
    assert_eq!(
        guardrails[0].execution_mode,
        Some(types::GuardrailExecutionMode::Blocking)
    );
    // And back: the same JSON, field for field.
    let again = serde_json::to_value(&inv).expect("serialise");
    assert_eq!(
        again["test_runs"][0]["triggered_guardrails"][0]["guardrail_details"],
        json!({"type": "classifier", "score": 0.9, "threshold": 0.5})
    );
    assert_eq!(again["test_runs"][0]["status"], "cancelled");
}

#[test]
fn the_new_llm_values_are_known() {
    for v in [
        "gpt-6.1-terra",
        "claude-opus-5",
        "nemotron-35-super-vl-nvfp4",
    ] {
        assert!(Llm::KNOWN.contains(&v), "{v} not in LLM");
    }
}

/// A listing of `n` live items, `size` a page, whose cursors are `c<offset>`.
fn listing(n: usize, size: usize) -> impl Fn(&Recorded) -> Reply + Send + Sync + 'static {
    move |req| {
        assert_eq!(req.path, LIST);
        let start: usize = req
            .param("cursor")
            .map_or(0, |c| c.trim_start_matches('c').parse().expect("cursor"));
        let end = (start + size).min(n);
        let results: Vec<Value> = (start..end).map(live_summary).collect();
        let mut page = json!({"results": results, "has_more": end < n});
        if end < n {
            page["next_cursor"] = json!(format!("c{end}"));
        }
        Reply::json(200, &page)
    }
}

#[tokio::test]
async fn new_filters_are_sent_on_every_page() {
    let server = ScriptServer::start(listing(7, 3)).await;
    let client = Client::new(&server.url);
    let items: Vec<_> = tokio::time::timeout(
        LIMIT,
        client
            .list_test_invocations()
            .search("x")
            .start_time(5)
            .end_time(9)
            .test_id("test_1")
            .stream()
            .try_collect::<Vec<_>>(),
    )
    .await
    .expect("listing hung")
    .expect("listing");
    assert_eq!(items.len(), 7);
    assert!(items.iter().all(|i| i.cancelled_count == Some(2)));
    let requests = server.requests();
    assert_eq!(requests.len(), 3, "three pages");
    for (k, req) in requests.iter().enumerate() {
        assert_eq!(req.param("search"), Some("x"), "page {k}: {:?}", req.query);
        assert_eq!(
            req.param("start_time"),
            Some("5"),
            "page {k}: {:?}",
            req.query
        );
        assert_eq!(
            req.param("end_time"),
            Some("9"),
            "page {k}: {:?}",
            req.query
        );
        assert_eq!(
            req.param("test_id"),
            Some("test_1"),
            "page {k}: {:?}",
            req.query
        );
        let cursor = (k > 0).then(|| format!("c{}", 3 * k));
        assert_eq!(req.param("cursor"), cursor.as_deref(), "page {k}");
    }
}

#[tokio::test]
async fn list_tests_sends_created_by_user_id() {
    let server =
        ScriptServer::start(|_| Reply::json(200, &json!({"tests": [], "has_more": false}))).await;
    let client = Client::new(&server.url);
    tokio::time::timeout(LIMIT, client.list_tests().created_by_user_id("@me").send())
        .await
        .expect("hung")
        .expect("sent");
    let req = &server.requests()[0];
    assert_eq!(req.path, "/v1/convai/agent-testing");
    assert_eq!(req.param("created_by_user_id"), Some("@me"));
}

#[tokio::test]
async fn cancel_and_rename_an_invocation() {
    let server = ScriptServer::start(|req| match req.method.as_str() {
        "POST" => Reply::json(200, &json!({})),
        _ => Reply::json(200, &live_invocation()),
    })
    .await;
    let client = Client::new(&server.url);
    tokio::time::timeout(
        LIMIT,
        client
            .cancel_test_invocation()
            .test_invocation_id("inv_1")
            .send(),
    )
    .await
    .expect("hung")
    .expect("cancelled");
    let renamed = tokio::time::timeout(
        LIMIT,
        client
            .update_test_invocation()
            .test_invocation_id("inv_1")
            .body(types::UpdateTestInvocationRequestModel {
                name: Some("nightly".into()),
            })
            .send(),
    )
    .await
    .expect("hung")
    .expect("renamed")
    .into_inner();
    assert_eq!(renamed.name.as_deref(), Some("nightly"));
    let reqs = server.requests();
    assert_eq!(
        (reqs[0].method.as_str(), reqs[0].path.as_str()),
        ("POST", "/v1/convai/test-invocations/inv_1/cancel")
    );
    assert_eq!(
        (reqs[1].method.as_str(), reqs[1].path.as_str()),
        ("PATCH", "/v1/convai/test-invocations/inv_1")
    );
    assert_eq!(
        reqs[1].headers.get("content-type").map(String::as_str),
        Some("application/json")
    );
}
