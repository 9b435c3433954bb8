//! Retries, timeouts and errors, against a scripted server that injects faults in the middle
//! of a 50-page listing. Every test ends with every item exactly once and in order, or with a
//! clear error; each one is bounded by a `tokio::time::timeout`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use crate::support::{Fault, Recorded, Reply, ScriptServer};
use elevenlabs_agent_tests::{Client, Error, RetryPolicy, retry::StopReason};
use serde_json::{Value, json};

const PAGES: usize = 50;
const PER_PAGE: usize = 3;
const GUARD: Duration = Duration::from_secs(60);

fn item(page: usize, i: usize) -> Value {
    json!({
        "id": format!("inv-{page:02}-{i}"),
        "title": format!("Invocation {page}/{i}"),
        "agent_id": "agent_1",
        "created_at_unix_secs": 1_700_000_000 + (page * PER_PAGE + i) as i64,
        "failed_count": 0,
        "passed_count": 1,
        "pending_count": 0,
        "test_run_count": 1,
    })
}

fn page_json(page: usize) -> Value {
    let results: Vec<Value> = (0..PER_PAGE).map(|i| item(page, i)).collect();
    let more = page < PAGES;
    json!({
        "results": results,
        "has_more": more,
        "next_cursor": if more { Some(format!("c{}", page + 1)) } else { None },
    })
}

fn expected_ids() -> Vec<String> {
    (1..=PAGES)
        .flat_map(|p| (0..PER_PAGE).map(move |i| format!("inv-{p:02}-{i}")))
        .collect()
}

fn page_of(r: &Recorded) -> Option<usize> {
    match r.param("cursor") {
        None => Some(1),
        Some(c) => c.strip_prefix('c')?.parse().ok(),
    }
}

/// A 50-page listing; `fault(page, attempt_for_that_page, normal_reply)` may replace the reply.
async fn listing_server(
    fault: impl Fn(usize, u32, Reply) -> Reply + Send + Sync + 'static,
) -> ScriptServer {
    let seen: Arc<Mutex<HashMap<usize, u32>>> = Arc::default();
    ScriptServer::start(move |r| {
        let Some(page) = page_of(r).filter(|p| (1..=PAGES).contains(p)) else {
            return Reply::json(400, &json!({"detail": "unknown cursor"}));
        };
        let attempt = {
            let mut seen = seen.lock().unwrap();
            let n = seen.entry(page).or_insert(0);
            *n += 1;
            *n
        };
        fault(page, attempt, Reply::json(200, &page_json(page)))
    })
    .await
}

fn fast_retries() -> RetryPolicy {
    RetryPolicy::default()
        .with_initial_backoff(Duration::from_millis(1))
        .with_max_backoff(Duration::from_millis(5))
}

fn client(url: &str) -> Client {
    Client::builder()
        .base_url(url)
        .api_key("sk_test_retry_key_0000000000000000")
        .retry(fast_retries())
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}

/// A plain cursor loop over `.send()`, independent of the crate's pagination helper.
async fn list_all(client: &Client) -> Result<Vec<String>, Error> {
    let mut cursor: Option<String> = None;
    let mut ids = Vec::new();
    for _ in 0..PAGES * 2 {
        let mut request = client.list_test_invocations();
        if let Some(c) = &cursor {
            request = request.cursor(c.clone());
        }
        let page = request.send().await?.into_inner();
        ids.extend(page.results.into_iter().map(|r| r.id));
        if !page.has_more {
            return Ok(ids);
        }
        cursor = Some(page.next_cursor.expect("has_more with a cursor"));
    }
    panic!("the listing did not end");
}

async fn run(client: &Client) -> Result<Vec<String>, Error> {
    tokio::time::timeout(GUARD, list_all(client))
        .await
        .expect("the listing hung")
}

/// Requests for `page`; all of them must be the very same request (same query).
fn requests_for(server: &ScriptServer, page: usize) -> Vec<Recorded> {
    let reqs: Vec<Recorded> = server
        .requests()
        .into_iter()
        .filter(|r| page_of(r) == Some(page))
        .collect();
    for r in &reqs {
        assert_eq!(
            r.raw_query, reqs[0].raw_query,
            "a retry changed the request"
        );
        assert_eq!(r.path, "/v1/convai/test-invocations");
    }
    reqs
}

#[tokio::test]
async fn clean_listing_reads_every_item_once() {
    let server = listing_server(|_, _, normal| normal).await;
    let ids = run(&client(&server.url)).await.unwrap();
    assert_eq!(ids, expected_ids());
    assert_eq!(server.count(), PAGES);
}

#[tokio::test]
async fn retry_after_seconds_is_honoured() {
    let server = listing_server(|page, attempt, normal| {
        if page == 20 && attempt == 1 {
            Reply::json(
                429,
                &json!({"detail": {"status": "rate_limited", "message": "slow down"}}),
            )
            .header("retry-after", "1")
        } else {
            normal
        }
    })
    .await;
    let ids = run(&client(&server.url)).await.unwrap();
    assert_eq!(ids, expected_ids());
    let tries = requests_for(&server, 20);
    assert_eq!(tries.len(), 2);
    // The backoff alone would wait at most 5 ms: only Retry-After explains a 1 s gap.
    let gap = tries[1].arrived - tries[0].arrived;
    assert!(gap >= Duration::from_secs(1), "waited only {gap:?}");
}

#[tokio::test]
async fn retry_after_http_date_is_honoured() {
    let server = listing_server(|page, attempt, normal| {
        if page == 33 && attempt == 1 {
            // Whole seconds only: the date lies between 2 and 3 s from now.
            let date = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(3));
            Reply::json(
                429,
                &json!({"detail": {"status": "rate_limited", "message": "x"}}),
            )
            .header("retry-after", &date)
        } else {
            normal
        }
    })
    .await;
    let ids = run(&client(&server.url)).await.unwrap();
    assert_eq!(ids, expected_ids());
    let tries = requests_for(&server, 33);
    assert_eq!(tries.len(), 2);
    let gap = tries[1].arrived - tries[0].arrived;
    assert!(gap >= Duration::from_millis(1500), "waited only {gap:?}");
}

#[tokio::test]
async fn retry_after_beyond_the_cap_is_returned_not_slept() {
    let server = listing_server(|page, _, normal| {
        if page == 7 {
            Reply::json(
                429,
                &json!({"detail": {"status": "too_many_concurrent_requests", "message": "Too many requests"}}),
            )
            .header("retry-after", "120")
        } else {
            normal
        }
    })
    .await;
    // The guard (60 s) is shorter than the 120 s the server asks for: sleeping would fail.
    let err = run(&client(&server.url)).await.unwrap_err();
    match &err {
        Error::Api {
            status,
            code,
            retry_after,
            stopped,
            ..
        } => {
            assert_eq!(status.as_u16(), 429);
            assert_eq!(code.as_deref(), Some("too_many_concurrent_requests"));
            assert_eq!(*retry_after, Some(Duration::from_secs(120)));
            assert_eq!(
                *stopped,
                StopReason::RetryAfterOverCap {
                    cap: Duration::from_secs(60)
                }
            );
        }
        other => panic!("expected Error::Api, got {other:?}"),
    }
    let text = err.to_string();
    assert!(
        text.contains("120 s") && text.contains("longer than RetryPolicy::max_retry_after (60 s)"),
        "{text}"
    );
    assert_eq!(requests_for(&server, 7).len(), 1);
}

/// A 429 with a `Retry-After` under the cap on every attempt: the client slept each wait and
/// gave up after its attempts; the message says so, not that the wait was too long.
#[tokio::test]
async fn a_429_with_a_short_retry_after_every_time_says_the_attempts_ran_out() {
    let server = ScriptServer::start(|_| {
        Reply::json(
            429,
            &json!({"detail": {"status": "rate_limited", "message": "slow down"}}),
        )
        .header("retry-after", "0")
    })
    .await;
    let err = run(&client(&server.url)).await.unwrap_err();
    assert!(
        matches!(
            &err,
            Error::Api { status, retry_after: Some(wait), stopped: StopReason::AttemptsExhausted { attempts: 3 }, .. }
                if status.as_u16() == 429 && wait.is_zero()
        ),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(text.contains("gave up after 3 attempts"), "{text}");
    assert!(!text.contains("max_retry_after"), "{text}");
    assert_eq!(server.count(), 3);
}

/// Retries disabled: a 429 with a short `Retry-After` is handed back at once, and the message
/// says retries are disabled.
#[tokio::test]
async fn a_429_with_retries_disabled_says_retries_are_disabled() {
    let server = ScriptServer::start(|_| {
        Reply::json(
            429,
            &json!({"detail": {"status": "rate_limited", "message": "slow down"}}),
        )
        .header("retry-after", "1")
    })
    .await;
    let once = Client::builder()
        .base_url(&server.url)
        .retry(RetryPolicy::disabled())
        .build()
        .unwrap();
    let err = run(&once).await.unwrap_err();
    assert!(
        matches!(
            &err,
            Error::Api { retry_after: Some(wait), stopped: StopReason::RetriesDisabled, .. }
                if *wait == Duration::from_secs(1)
        ),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(text.contains("retries are disabled"), "{text}");
    assert!(!text.contains("max_retry_after"), "{text}");
    assert_eq!(server.count(), 1);
}

#[tokio::test]
async fn service_unavailable_twice_then_ok() {
    let server = listing_server(|page, attempt, normal| {
        if page == 30 && attempt <= 2 {
            Reply::json(
                503,
                &json!({"detail": {"status": "busy", "message": "try later"}}),
            )
        } else {
            normal
        }
    })
    .await;
    let ids = run(&client(&server.url)).await.unwrap();
    assert_eq!(ids, expected_ids());
    assert_eq!(requests_for(&server, 30).len(), 3);
    assert_eq!(server.count(), PAGES + 2);
}

#[tokio::test]
async fn every_retryable_status_is_retried() {
    for status in [408u16, 429, 500, 502, 503, 504] {
        let server = listing_server(move |page, attempt, normal| {
            if page == 2 && attempt == 1 {
                Reply::raw(status, "")
            } else {
                normal
            }
        })
        .await;
        let ids = run(&client(&server.url)).await.unwrap();
        assert_eq!(ids, expected_ids(), "status {status}");
        assert_eq!(requests_for(&server, 2).len(), 2, "status {status}");
    }
}

#[tokio::test]
async fn persistent_503_gives_up_after_three_attempts() {
    let server = listing_server(|page, _, normal| {
        if page == 4 {
            Reply::raw(503, "upstream overloaded")
        } else {
            normal
        }
    })
    .await;
    let err = run(&client(&server.url)).await.unwrap_err();
    match &err {
        Error::Api {
            status, message, ..
        } => {
            assert_eq!(status.as_u16(), 503);
            assert_eq!(message, "upstream overloaded");
        }
        other => panic!("expected Error::Api, got {other:?}"),
    }
    assert!(err.to_string().contains("retry later"), "{err}");
    assert_eq!(requests_for(&server, 4).len(), 3);
}

#[tokio::test]
async fn connection_reset_mid_body_is_retried() {
    let server = listing_server(|page, attempt, normal| {
        if page == 10 && attempt == 1 {
            normal.fault(Fault::ResetMidBody)
        } else {
            normal
        }
    })
    .await;
    let ids = run(&client(&server.url)).await.unwrap();
    assert_eq!(ids, expected_ids());
    assert_eq!(requests_for(&server, 10).len(), 2);
}

#[tokio::test]
async fn truncated_transfer_is_retried() {
    let server = listing_server(|page, attempt, normal| {
        if (page == 1 || page == 50) && attempt == 1 {
            normal.fault(Fault::Truncated)
        } else {
            normal
        }
    })
    .await;
    let ids = run(&client(&server.url)).await.unwrap();
    assert_eq!(ids, expected_ids());
    assert_eq!(requests_for(&server, 1).len(), 2);
    assert_eq!(requests_for(&server, 50).len(), 2);
}

#[tokio::test]
async fn truncation_on_every_attempt_is_a_transport_error() {
    let server = listing_server(|page, _, normal| {
        if page == 3 {
            normal.fault(Fault::ResetMidBody)
        } else {
            normal
        }
    })
    .await;
    let err = run(&client(&server.url)).await.unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert!(err.to_string().contains("check the network"), "{err}");
    // The reqwest error is the source, for error reporters that walk the chain.
    let source = std::error::Error::source(&err).expect("a source");
    assert!(
        source.downcast_ref::<reqwest::Error>().is_some(),
        "{source:?}"
    );
    assert_eq!(requests_for(&server, 3).len(), 3);
}

#[tokio::test]
async fn short_json_body_is_a_decode_error() {
    // A complete HTTP message whose JSON is cut short.
    let server = listing_server(|page, _, _| {
        if page == 12 {
            let full = serde_json::to_vec(&page_json(page)).unwrap();
            Reply::raw(200, full[..full.len() - 40].to_vec())
        } else {
            Reply::json(200, &page_json(page))
        }
    })
    .await;
    let err = run(&client(&server.url)).await.unwrap_err();
    match &err {
        Error::Decode {
            path,
            message,
            excerpt,
        } => {
            assert!(path.starts_with("results[2]"), "path {path}");
            assert!(message.contains("EOF"), "{message}");
            assert!(excerpt.chars().count() <= 202, "{excerpt}");
        }
        other => panic!("expected Error::Decode, got {other:?}"),
    }
    // Not retried: the body arrived whole, it is just wrong.
    assert_eq!(requests_for(&server, 12).len(), 1);
}

#[tokio::test]
async fn malformed_field_names_its_json_path() {
    let server = listing_server(|page, _, normal| {
        if page == 25 {
            let mut body = page_json(page);
            body["results"][1]["created_at_unix_secs"] = json!("yesterday");
            // Make the body long, to check that only an excerpt is quoted.
            body["results"][2]["title"] = json!("t".repeat(5000));
            Reply::json(200, &body)
        } else {
            normal
        }
    })
    .await;
    let err = run(&client(&server.url)).await.unwrap_err();
    let Error::Decode {
        path,
        message,
        excerpt,
    } = &err
    else {
        panic!("expected Error::Decode, got {err:?}");
    };
    assert_eq!(path, "results[1].created_at_unix_secs");
    assert!(message.contains("invalid type"), "{message}");
    assert!(
        excerpt.contains("yesterday"),
        "the excerpt shows the failure: {excerpt}"
    );
    assert!(excerpt.chars().count() <= 202, "{}", excerpt.len());
    let text = err.to_string();
    assert!(text.contains("results[1].created_at_unix_secs"), "{text}");
    assert!(
        text.len() < 600,
        "the message quotes too much: {} bytes",
        text.len()
    );
    assert_eq!(requests_for(&server, 25).len(), 1);
}

#[tokio::test]
async fn not_json_at_all_is_a_decode_error() {
    let server = listing_server(|page, _, normal| {
        if page == 2 {
            Reply::raw(200, "<html>gateway error</html>")
        } else {
            normal
        }
    })
    .await;
    let err = run(&client(&server.url)).await.unwrap_err();
    let Error::Decode { path, excerpt, .. } = &err else {
        panic!("expected Error::Decode, got {err:?}");
    };
    assert_eq!(path, "(top level)");
    assert!(excerpt.contains("<html>"), "{excerpt}");
}

#[tokio::test]
async fn slow_attempt_times_out_and_is_retried() {
    let server = listing_server(|page, attempt, normal| {
        if page == 5 && attempt == 1 {
            normal.delay(Duration::from_secs(5))
        } else if page == 6 && attempt == 1 {
            normal.fault(Fault::StallMidBody)
        } else {
            normal
        }
    })
    .await;
    let client = Client::builder()
        .base_url(&server.url)
        .retry(fast_retries())
        .timeout(Duration::from_millis(400))
        .build()
        .unwrap();
    let ids = run(&client).await.unwrap();
    assert_eq!(ids, expected_ids());
    assert_eq!(requests_for(&server, 5).len(), 2);
    assert_eq!(requests_for(&server, 6).len(), 2);
}

#[tokio::test]
async fn server_slower_than_the_timeout_every_time_is_a_timeout_error() {
    let server = listing_server(|page, _, normal| {
        if page == 9 {
            normal.fault(Fault::Stall)
        } else {
            normal
        }
    })
    .await;
    let client = Client::builder()
        .base_url(&server.url)
        .retry(fast_retries())
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let err = run(&client).await.unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    assert!(err.to_string().contains("ClientBuilder::timeout"), "{err}");
    assert_eq!(requests_for(&server, 9).len(), 3);
}

#[tokio::test]
async fn unauthorized_reports_the_upstream_message() {
    let server = listing_server(|page, _, normal| {
        if page == 15 {
            Reply::json(
                401,
                &json!({"detail": {"status": "invalid_api_key", "message": "Invalid API key"}}),
            )
        } else {
            normal
        }
    })
    .await;
    let err = run(&client(&server.url)).await.unwrap_err();
    match &err {
        Error::Api {
            status,
            code,
            message,
            retry_after,
            stopped,
            ..
        } => {
            assert_eq!(status.as_u16(), 401);
            assert_eq!(code.as_deref(), Some("invalid_api_key"));
            assert_eq!(message, "Invalid API key");
            assert_eq!(*retry_after, None);
            assert_eq!(*stopped, StopReason::NotRetryable);
        }
        other => panic!("expected Error::Api, got {other:?}"),
    }
    let text = err.to_string();
    assert!(text.contains("ELEVENLABS_API_KEY"), "{text}");
    assert!(text.contains("Invalid API key"), "{text}");
    // Not retried.
    assert_eq!(requests_for(&server, 15).len(), 1);
}

#[tokio::test]
async fn long_non_json_error_body_is_truncated() {
    let server = ScriptServer::start(|_| Reply::raw(404, "x".repeat(10_000))).await;
    let err = client(&server.url)
        .list_test_invocations()
        .send()
        .await
        .unwrap_err();
    let Error::Api {
        status, message, ..
    } = &err
    else {
        panic!("expected Error::Api, got {err:?}");
    };
    assert_eq!(status.as_u16(), 404);
    assert!(message.chars().count() <= 202, "{}", message.len());
    assert!(err.to_string().len() < 400);
}

#[tokio::test]
async fn validation_error_lists_each_location() {
    let server = ScriptServer::start(|_| {
        Reply::json(
            422,
            &json!({"detail": [
                {"loc": ["query", "page_size"], "msg": "must be at most 100", "type": "less_than_equal"},
                {"loc": ["query", "cursor"], "msg": "bad cursor", "type": "value_error"}
            ]}),
        )
    })
    .await;
    let err: Error = client(&server.url)
        .list_test_invocations()
        .cursor("zzz")
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Validation { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "the API refused the request (422): query.page_size: must be at most 100; query.cursor: bad cursor"
    );
    assert_eq!(server.count(), 1);
}

#[tokio::test]
async fn page_size_out_of_range_is_refused_before_sending() {
    let server = listing_server(|_, _, normal| normal).await;
    let c = client(&server.url);
    for bad in [101u64, 1000, u64::MAX] {
        let err: Error = c
            .list_test_invocations()
            .page_size(bad)
            .send()
            .await
            .unwrap_err();
        match &err {
            Error::InvalidParameter { name, message } => {
                assert_eq!(*name, "page_size");
                assert!(message.contains("1..=100"), "{message}");
                assert!(message.contains(&bad.to_string()), "{message}");
            }
            other => panic!("expected InvalidParameter, got {other:?}"),
        }
        assert!(err.to_string().contains("page_size"));
    }
    let err: Error = c
        .list_test_invocations()
        .page_size(0u64)
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::InvalidParameter { name: "page_size", message } if message.contains("1..=100")),
        "{err:?}"
    );
    assert_eq!(server.count(), 0, "a request was sent");

    // The bounds themselves are accepted.
    for ok in [1u64, 100] {
        c.list_test_invocations()
            .page_size(ok)
            .send()
            .await
            .unwrap();
    }
    let sent: Vec<String> = server
        .requests()
        .iter()
        .map(|r| r.param("page_size").unwrap().to_owned())
        .collect();
    assert_eq!(sent, ["1", "100"]);
}

#[tokio::test]
async fn retries_can_be_disabled_or_extended() {
    let server = listing_server(|page, _, normal| {
        if page == 1 {
            Reply::raw(502, "")
        } else {
            normal
        }
    })
    .await;
    let once = Client::builder()
        .base_url(&server.url)
        .retry(RetryPolicy::disabled())
        .build()
        .unwrap();
    let err = run(&once).await.unwrap_err();
    assert!(matches!(&err, Error::Api { status, .. } if status.as_u16() == 502));
    assert_eq!(server.count(), 1);

    let five = Client::builder()
        .base_url(&server.url)
        .retry(fast_retries().with_max_attempts(5))
        .build()
        .unwrap();
    run(&five).await.unwrap_err();
    assert_eq!(server.count(), 1 + 5);
}

#[tokio::test]
async fn connection_refused_is_a_transport_error_after_retries() {
    // A port nobody listens on any more.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let err = run(&client(&url)).await.unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("check the network"), "{text}");
    assert!(text.contains("onnect"), "the cause is shown: {text}");
}

/// A parameter the builder could not take (never set, or a value its type cannot hold) is
/// refused by `send` before anything is sent, naming it.
#[tokio::test]
async fn a_parameter_the_builder_could_not_take_is_refused_before_sending() {
    let server = ScriptServer::start(|_| Reply::raw(200, "{}")).await;
    let err = client(&server.url)
        .get_test_invocation()
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(
            &err,
            Error::InvalidParameter {
                name: "test_invocation_id",
                ..
            }
        ),
        "{err:?}"
    );
    // A value its type cannot hold, for a parameter without a range in the spec: the
    // builder's own reason, not another parameter's range.
    let err = client(&server.url)
        .list_test_invocations()
        .end_time(u64::MAX)
        .send()
        .await
        .unwrap_err();
    match &err {
        Error::InvalidParameter { name, message } => {
            assert_eq!(*name, "end_time");
            assert!(!message.contains("1..=100"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(server.count(), 0, "a request was sent");
}

/// A failed response comes back whole in `Error::Api`: status, headers and body as received.
#[tokio::test]
async fn a_failed_response_is_kept_whole_in_the_error() {
    let body = r#"{"detail": {"status": "not_found", "message": "No such invocation"}}"#;
    let server =
        ScriptServer::start(move |_| Reply::raw(404, body).header("x-request-id", "r-42")).await;
    let err = client(&server.url)
        .get_test_invocation()
        .test_invocation_id("nope")
        .send()
        .await
        .unwrap_err();
    let Error::Api {
        code,
        message,
        response,
        ..
    } = &err
    else {
        panic!("{err:?}");
    };
    assert_eq!(
        (code.as_deref(), message.as_str()),
        (Some("not_found"), "No such invocation")
    );
    assert_eq!(err.status().map(|s| s.as_u16()), Some(404));
    assert_eq!(response.status().as_u16(), 404);
    assert_eq!(response.headers()["x-request-id"], "r-42");
    assert_eq!(response.body().as_ref(), body.as_bytes());
}

/// The operation timeout bounds the whole call: a server that stalls every attempt ends the
/// call after the operation timeout, not after 3 attempt timeouts.
#[tokio::test]
async fn the_operation_timeout_ends_a_call_whose_attempts_stall() {
    let server = ScriptServer::start(|_| Reply::raw(200, "{}").fault(Fault::Stall)).await;
    let client = Client::builder()
        .base_url(&server.url)
        .retry(fast_retries())
        .timeout(Duration::from_millis(600)) // each attempt: 3 of them would take 1.8 s
        .operation_timeout(Duration::from_millis(1000))
        .build()
        .unwrap();
    let started = std::time::Instant::now();
    let err = run(&client).await.unwrap_err();
    let elapsed = started.elapsed();
    assert!(
        matches!(
            &err,
            Error::OperationTimeout { timeout, attempts: 2, .. } if *timeout == Duration::from_millis(1000)
        ),
        "{err:?}"
    );
    assert!(elapsed >= Duration::from_millis(950), "{elapsed:?}");
    assert!(elapsed < Duration::from_millis(1700), "{elapsed:?}");
    assert_eq!(server.count(), 2);
    let text = err.to_string();
    assert!(
        text.contains("operation timeout of 1 s")
            && text.contains("ClientBuilder::operation_timeout"),
        "{text}"
    );
}

/// A `Retry-After` under the retry cap but ending after the operation timeout is not slept:
/// the 503 comes back at once, saying why.
#[tokio::test]
async fn a_wait_beyond_the_operation_timeout_is_not_slept() {
    let server = ScriptServer::start(|_| Reply::raw(503, "busy").header("retry-after", "5")).await;
    let client = Client::builder()
        .base_url(&server.url)
        .retry(fast_retries())
        .operation_timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    let started = std::time::Instant::now();
    let err = run(&client).await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(2), "it waited");
    assert!(
        matches!(
            &err,
            Error::Api { status, stopped: StopReason::OperationTimeout { timeout }, .. }
                if status.as_u16() == 503 && *timeout == Duration::from_secs(2)
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("operation timeout (2 s"), "{err}");
    assert_eq!(server.count(), 1);
}

#[test]
fn the_operation_timeout_has_a_documented_default_and_refuses_zero() {
    use elevenlabs_agent_tests::config::DEFAULT_OPERATION_TIMEOUT;
    assert_eq!(DEFAULT_OPERATION_TIMEOUT, Duration::from_secs(120));
    let client = Client::builder().build().unwrap();
    assert_eq!(
        client.state().operation_timeout(),
        DEFAULT_OPERATION_TIMEOUT
    );
    assert_eq!(
        Client::new("https://api.elevenlabs.io")
            .state()
            .operation_timeout(),
        DEFAULT_OPERATION_TIMEOUT
    );
    let err = Client::builder()
        .operation_timeout(Duration::ZERO)
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::Config { .. }), "{err:?}");
    assert!(err.to_string().contains("operation_timeout"), "{err}");
}
