//! `src/hooks.rs`: its own items, hidden or public.

use crate::support::{Fault, Reply, ScriptServer};
use elevenlabs_agent_tests::hooks::*;
use elevenlabs_agent_tests::retry::StopReason;
use elevenlabs_agent_tests::{Client, Error, RetryPolicy, call};
use progenitor_client::{ClientHooks, ClientInfo, OperationInfo};
use reqwest::Response;
use reqwest::StatusCode;
use std::time::{Duration, Instant};

fn fast(retry_non_idempotent: bool) -> RetryPolicy {
    RetryPolicy::default()
        .with_initial_backoff(Duration::from_millis(1))
        .with_max_backoff(Duration::from_millis(2))
        .with_retry_non_idempotent(retry_non_idempotent)
}

/// Sends one raw `method` request with a body through the client's own `exec` hook (the
/// path every generated operation takes; the generated client has no POST operation yet)
/// to a server always answering `reply`; the final response, the attempts made and why the
/// hook stopped (from the error it recorded).
async fn exec_raw(
    method: reqwest::Method,
    policy: RetryPolicy,
    reply: Reply,
) -> (Response, u32, Option<Error>) {
    let server = ScriptServer::start(move |_| reply.clone()).await;
    let url = format!("{}/thing", server.url);
    let client = Client::builder()
        .base_url(&server.url)
        .retry(policy)
        .build()
        .unwrap();
    let request = client
        .client()
        .request(method, &url)
        .body("x")
        .build()
        .unwrap();
    let info = OperationInfo {
        operation_id: "test",
    };
    let run = call::recording(ClientHooks::exec(&client, request, &info));
    let (response, recorded) = tokio::time::timeout(Duration::from_secs(10), run)
        .await
        .expect("the request hung");
    (response.unwrap(), server.count() as u32, recorded)
}

/// Why the hook stopped, from the error it recorded (`None` when it recorded none).
fn stopped(recorded: Option<Error>) -> Option<StopReason> {
    match recorded {
        Some(Error::Api { stopped, .. }) => Some(stopped),
        None => None,
        Some(other) => panic!("recorded {other:?}"),
    }
}

async fn attempts_for(method: reqwest::Method, policy: RetryPolicy) -> u32 {
    let max_attempts = policy.max_attempts();
    let (response, attempts, recorded) = exec_raw(method, policy, Reply::raw(503, "")).await;
    let stopped = stopped(recorded);
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    // The recorded error says why it was handed back.
    if attempts == 1 {
        assert_eq!(stopped, Some(StopReason::NotIdempotent));
    } else {
        assert_eq!(attempts, max_attempts);
        assert_eq!(stopped, Some(StopReason::AttemptsExhausted { attempts }));
    }
    attempts
}

#[tokio::test]
async fn non_idempotent_requests_are_retried_on_5xx_only_on_opt_in() {
    assert_eq!(attempts_for(reqwest::Method::POST, fast(false)).await, 1);
    assert_eq!(attempts_for(reqwest::Method::POST, fast(true)).await, 3);
    assert_eq!(attempts_for(reqwest::Method::PATCH, fast(false)).await, 1);
    assert_eq!(attempts_for(reqwest::Method::GET, fast(false)).await, 3);
    assert_eq!(attempts_for(reqwest::Method::PUT, fast(false)).await, 3);
}

#[tokio::test]
async fn a_post_is_retried_on_429_and_408_by_default() {
    // Not processed by the server: safe to send again, whatever the method.
    let too_many = || Reply::raw(429, "");
    for (method, status_line, reply) in [
        (
            reqwest::Method::POST,
            "429 Too Many Requests",
            too_many().header("retry-after", "0"),
        ),
        (reqwest::Method::POST, "429 Too Many Requests", too_many()),
        (
            reqwest::Method::PATCH,
            "429 Too Many Requests",
            too_many().header("retry-after", "0"),
        ),
        (
            reqwest::Method::POST,
            "408 Request Timeout",
            Reply::raw(408, ""),
        ),
    ] {
        let headers = reply.headers.clone();
        let (response, attempts, _) = exec_raw(method.clone(), fast(false), reply).await;
        assert_eq!(response.status().to_string(), status_line);
        assert_eq!(attempts, 3, "{method} {status_line} {headers:?}");
    }
}

#[tokio::test]
async fn the_last_failed_response_is_recorded_as_the_error_with_its_body() {
    let (response, _, recorded) = exec_raw(
        reqwest::Method::GET,
        fast(false),
        Reply::raw(503, "").header("x-request-id", "r1"),
    )
    .await;
    assert!(response.url().as_str().ends_with("/thing"));
    match recorded {
        Some(Error::Api {
            status, response, ..
        }) => {
            assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
            assert_eq!(response.status(), status);
            assert_eq!(response.headers()["x-request-id"], "r1");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn pre_adds_the_sensitive_key_and_the_attempt_timeout_to_each_request() {
    let http = elevenlabs_agent_tests::config::http_client_builder()
        .build()
        .unwrap();
    let client = Client::builder()
        .api_key("sk_pre_hook_key_0123456789abcdef")
        .http_client(http)
        .timeout(Duration::from_secs(7))
        .build()
        .unwrap();
    let mut request = client
        .client()
        .get("https://api.elevenlabs.io/v1/convai/test-invocations")
        .build()
        .unwrap();
    let info = OperationInfo {
        operation_id: "list_test_invocations",
    };
    ClientHooks::pre::<()>(&client, &mut request, &info)
        .await
        .unwrap();
    let key = request
        .headers()
        .get(elevenlabs_agent_tests::config::API_KEY_HEADER)
        .unwrap();
    assert_eq!(key, "sk_pre_hook_key_0123456789abcdef");
    assert!(key.is_sensitive());
    assert_eq!(request.timeout(), Some(&Duration::from_secs(7)));
    // A request's own timeout is kept.
    let mut request = client
        .client()
        .get("https://api.elevenlabs.io/v1/convai/test-invocations")
        .timeout(Duration::from_secs(1))
        .build()
        .unwrap();
    ClientHooks::pre::<()>(&client, &mut request, &info)
        .await
        .unwrap();
    assert_eq!(request.timeout(), Some(&Duration::from_secs(1)));
}

#[tokio::test]
async fn a_retry_after_equal_to_the_cap_is_slept_one_over_it_is_not() {
    // `Retry-After: 0` with a cap of 0: at the cap, so slept (0 s) and retried.
    let at_cap = fast(false).with_max_retry_after(Duration::ZERO);
    let (_, attempts, recorded) = exec_raw(
        reqwest::Method::GET,
        at_cap.clone(),
        Reply::raw(429, "").header("retry-after", "0"),
    )
    .await;
    assert_eq!(attempts, 3);
    assert_eq!(
        stopped(recorded),
        Some(StopReason::AttemptsExhausted { attempts: 3 })
    );
    // `Retry-After: 1` is over that cap: handed back at once.
    let (_, attempts, recorded) = exec_raw(
        reqwest::Method::GET,
        at_cap,
        Reply::raw(429, "").header("retry-after", "1"),
    )
    .await;
    assert_eq!(attempts, 1);
    assert_eq!(
        stopped(recorded),
        Some(StopReason::RetryAfterOverCap {
            cap: Duration::ZERO
        })
    );
}

/// The transport error of one GET of `url` with `timeout`, as the retry loop sees it.
async fn transport_error(url: &str, timeout: Duration) -> reqwest::Error {
    let http = elevenlabs_agent_tests::config::http_client_builder()
        .build()
        .unwrap();
    let request = http.get(url).timeout(timeout).build().unwrap();
    tokio::time::timeout(Duration::from_secs(30), attempt_once(&http, request))
        .await
        .expect("the request hung")
        .expect_err("a transport error")
}

/// What the retry loop decides after a transport error on attempt 1 of a GET under the
/// default policy: the reason it logs, or `None` for no retry.
fn decision(error: &reqwest::Error) -> Option<String> {
    decide_on_error(&RetryPolicy::default(), &reqwest::Method::GET, error, 1)
        .map(|(_, reason)| reason)
}

#[tokio::test]
async fn transport_errors_are_retried_with_the_reason_logged() {
    // Nothing listens on the port any more.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let closed = format!("http://{}/thing", listener.local_addr().unwrap());
    drop(listener);
    let refused = transport_error(&closed, Duration::from_secs(10)).await;
    assert_eq!(decision(&refused).as_deref(), Some("connection failed"));

    let silent = ScriptServer::start(|_| Reply::raw(200, "").fault(Fault::Stall)).await;
    let slow = transport_error(&silent.url, Duration::from_millis(50)).await;
    assert_eq!(decision(&slow).as_deref(), Some("timed out"));

    // The whole `content-length` declared, half of the body sent, then the connection closed.
    let short = ScriptServer::start(|_| Reply::raw(200, [b' '; 100]).fault(Fault::Truncated)).await;
    let cut = transport_error(&short.url, Duration::from_secs(10)).await;
    assert_eq!(
        decision(&cut).as_deref(),
        Some("response body interrupted"),
        "{cut:?}"
    );

    // On the last attempt, nothing is retried.
    assert!(decide_on_error(&RetryPolicy::default(), &reqwest::Method::GET, &refused, 3).is_none());
    // A POST is retried after a refused connection (nothing was sent), not after a cut body.
    let post = reqwest::Method::POST;
    assert!(decide_on_error(&RetryPolicy::default(), &post, &refused, 1).is_some());
    assert!(decide_on_error(&RetryPolicy::default(), &post, &cut, 1).is_none());
}

#[tokio::test]
async fn a_request_that_cannot_be_sent_fails_at_once_without_retries() {
    // Client::new does not check the base URL: the request cannot be built for this scheme.
    let client = Client::builder()
        .base_url("http://127.0.0.1:9")
        .retry(
            RetryPolicy::default()
                .with_initial_backoff(Duration::from_secs(20))
                .with_max_backoff(Duration::from_secs(20)),
        )
        .build()
        .unwrap();
    let request = client
        .client()
        .get("ftp://127.0.0.1:9/thing")
        .build()
        .unwrap();
    let info = OperationInfo {
        operation_id: "test",
    };
    let began = Instant::now();
    let run = ClientHooks::exec(&client, request, &info);
    let err = tokio::time::timeout(Duration::from_secs(15), run)
        .await
        .expect("a request that cannot be built was retried (slept)")
        .expect_err("ftp is not sent");
    assert!(err.is_builder(), "{err:?}");
    assert!(began.elapsed() < Duration::from_secs(5));
    assert_eq!(decision(&err), None);
}

#[tokio::test]
async fn a_redirect_loop_is_not_retried() {
    let run = |policy: RetryPolicy| async move {
        let server =
            ScriptServer::start(|_| Reply::raw(302, "").header("location", "/thing")).await;
        let url = format!("{}/thing", server.url);
        let http = elevenlabs_agent_tests::config::http_client_builder()
            .build()
            .unwrap();
        let request = http.get(&url).build().unwrap();
        let outcome = tokio::time::timeout(
            Duration::from_secs(30),
            execute(&http, &policy, Duration::from_secs(60), request, "test"),
        )
        .await
        .expect("the redirect loop hung");
        let err = outcome.expect_err("too many redirects");
        assert!(err.is_redirect(), "{err:?}");
        assert_eq!(decision(&err), None);
        server.count()
    };
    // As many requests as with retries disabled: the one attempt's redirects.
    let once = run(RetryPolicy::disabled()).await;
    assert!(once > 1, "{once}");
    assert_eq!(run(fast(false)).await, once);
}

#[test]
fn bounds_are_checked_per_operation() {
    let http = elevenlabs_agent_tests::config::http_client_builder()
        .build()
        .unwrap();
    let req = |q: &str| http.get(format!("http://127.0.0.1/x?{q}")).build().unwrap();
    let op = "list_test_invocations";
    assert!(check_query_bounds(&req("page_size=1"), op).is_ok());
    assert!(check_query_bounds(&req("page_size=100&cursor=abc"), op).is_ok());
    assert_eq!(
        check_query_bounds(&req("page_size=101"), op)
            .unwrap_err()
            .to_string(),
        "invalid parameter `page_size`: must be within 1..=100, got 101 (the API's limit); \
         pass a value in that range"
    );
    assert!(check_query_bounds(&req("page_size=0"), op).is_err());
    assert!(check_query_bounds(&req("page_size=-5"), op).is_err());
    assert!(check_query_bounds(&req("page_size=abc"), op).is_err());
    assert!(check_query_bounds(&req("page_size=99999999999999999999999"), op).is_err());
    // Another operation has no bound on this name.
    assert!(check_query_bounds(&req("page_size=101"), "other_operation").is_ok());
}
