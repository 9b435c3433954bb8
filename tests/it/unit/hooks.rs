//! `src/hooks.rs`: its own items, hidden or public.

use elevenlabs_agent_tests::hooks::*;
use elevenlabs_agent_tests::retry::StopReason;
use elevenlabs_agent_tests::{Client, Error, RetryPolicy, call};
use progenitor_client::{ClientHooks, ClientInfo, OperationInfo};
use reqwest::Response;
use reqwest::StatusCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const UNAVAILABLE: &str = "503 Service Unavailable";

/// A server answering every request with `status_line` (and `extra` header lines),
/// counting requests.
async fn always(status_line: &'static str, extra: &'static str) -> (String, Arc<AtomicU32>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/thing", listener.local_addr().unwrap());
    let count = Arc::new(AtomicU32::new(0));
    let seen = count.clone();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            let seen = seen.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 8192];
                let mut have = Vec::new();
                // One request per connection: head plus a small body.
                while !have.windows(4).any(|w| w == b"\r\n\r\n") {
                    match s.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => have.extend_from_slice(&buf[..n]),
                    }
                }
                seen.fetch_add(1, Ordering::SeqCst);
                let reply = format!(
                    "HTTP/1.1 {status_line}\r\n{extra}content-length: 0\r\nconnection: close\r\n\r\n"
                );
                let _ = s.write_all(reply.as_bytes()).await;
            });
        }
    });
    (url, count)
}

fn fast(retry_non_idempotent: bool) -> RetryPolicy {
    RetryPolicy::default()
        .with_initial_backoff(Duration::from_millis(1))
        .with_max_backoff(Duration::from_millis(2))
        .with_retry_non_idempotent(retry_non_idempotent)
}

/// Sends one raw `method` request with a body through the client's own `exec` hook (the
/// path every generated operation takes; the generated client has no POST operation yet)
/// to a server always answering `status_line`; the final response, the attempts made and
/// why the hook stopped (from the error it recorded).
async fn exec_raw(
    method: reqwest::Method,
    policy: RetryPolicy,
    status_line: &'static str,
    extra: &'static str,
) -> (Response, u32, Option<Error>) {
    let (url, count) = always(status_line, extra).await;
    let client = Client::builder()
        .base_url(url.trim_end_matches("/thing"))
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
    (response.unwrap(), count.load(Ordering::SeqCst), recorded)
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
    let (response, attempts, recorded) = exec_raw(method, policy, UNAVAILABLE, "").await;
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
    for (method, status_line, extra) in [
        (
            reqwest::Method::POST,
            "429 Too Many Requests",
            "retry-after: 0\r\n",
        ),
        (reqwest::Method::POST, "429 Too Many Requests", ""),
        (
            reqwest::Method::PATCH,
            "429 Too Many Requests",
            "retry-after: 0\r\n",
        ),
        (reqwest::Method::POST, "408 Request Timeout", ""),
    ] {
        let (response, attempts, _) =
            exec_raw(method.clone(), fast(false), status_line, extra).await;
        assert_eq!(response.status().to_string(), status_line);
        assert_eq!(attempts, 3, "{method} {status_line} {extra:?}");
    }
}

#[tokio::test]
async fn the_last_failed_response_is_recorded_as_the_error_with_its_body() {
    let (response, _, recorded) = exec_raw(
        reqwest::Method::GET,
        fast(false),
        UNAVAILABLE,
        "x-request-id: r1\r\n",
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
        "429 Too Many Requests",
        "retry-after: 0\r\n",
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
        "429 Too Many Requests",
        "retry-after: 1\r\n",
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

/// A server on 127.0.0.1 whose every connection gets `reply` and is then held open
/// (`hold`) or closed.
async fn raw(reply: &'static str, hold: bool) -> (String, Arc<AtomicU32>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/thing", listener.local_addr().unwrap());
    let count = Arc::new(AtomicU32::new(0));
    let seen = count.clone();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            seen.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let mut buf = vec![0u8; 8192];
                let _ = s.read(&mut buf).await;
                let _ = s.write_all(reply.as_bytes()).await;
                if hold {
                    tokio::time::sleep(Duration::from_secs(60)).await;
                }
            });
        }
    });
    (url, count)
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

    let (silent, _) = raw("", true).await;
    let slow = transport_error(&silent, Duration::from_millis(50)).await;
    assert_eq!(decision(&slow).as_deref(), Some("timed out"));

    let (short, _) = raw(
        "HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n{\"a\"",
        false,
    )
    .await;
    let cut = transport_error(&short, Duration::from_secs(10)).await;
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
        let (url, count) = raw(
            "HTTP/1.1 302 Found\r\nlocation: /thing\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
            false,
        )
        .await;
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
        count.load(Ordering::SeqCst)
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
