//! The API key never shows: not in `Debug`/`Display` of the client, its builder and settings,
//! not in any error, not in tracing output, while it is really sent as `xi-api-key`.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::support::{Fault, Reply, ScriptServer};
use elevenlabs_agent_tests::{Client, Error, RetryPolicy};
use serde_json::json;
use tracing_subscriber::fmt::format::FmtSpan;

const KEY: &str = "sk_9f8e7d6c5b4a39281706f5e4d3c2b1a0feedbeef";

/// Fails if `text` holds the key or any 8-character piece of it beyond the redacted last 4.
fn assert_no_key(what: &str, text: &str) {
    assert!(!text.contains(KEY), "{what} shows the key: {text}");
    let chars: Vec<char> = KEY.chars().collect();
    for w in chars[..chars.len() - 4].windows(8) {
        let piece: String = w.iter().collect();
        assert!(
            !text.contains(&piece),
            "{what} shows part of the key ({piece}): {text}"
        );
    }
}

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn debug_of_client_builder_and_settings_hides_the_key() {
    let builder = Client::builder()
        .api_key(KEY)
        .base_url("https://api.elevenlabs.io");
    assert_no_key("ClientBuilder Debug", &format!("{builder:?}"));
    assert_no_key("ClientBuilder Debug (alternate)", &format!("{builder:#?}"));
    let client = builder.build().unwrap();
    let debug = format!("{client:?}");
    assert_no_key("Client Debug", &debug);
    assert_no_key("Client Debug (alternate)", &format!("{client:#?}"));
    // The Debug output does show the key's header value, marked sensitive, and the key redacted.
    assert!(debug.contains("Sensitive"), "{debug}");
    assert!(debug.contains("sk_…beef"), "{debug}");
    let state = client.state();
    assert_no_key("ClientState Debug", &format!("{state:?}"));
    let key = state.api_key().unwrap();
    assert_no_key("ApiKey Debug", &format!("{key:?}"));
    assert_no_key("ApiKey Display", &format!("{key}"));
    assert_eq!(key.expose(), KEY);
}

#[test]
fn plain_http_to_a_remote_host_is_refused_with_the_reason() {
    for url in [
        "http://api.elevenlabs.io",
        "http://10.0.0.1:8080",
        "http://[2001:db8::1]",
    ] {
        let err = Client::builder()
            .api_key(KEY)
            .base_url(url)
            .build()
            .unwrap_err();
        assert!(matches!(err, Error::Config { .. }), "{err:?}");
        let text = err.to_string();
        assert!(
            text.contains("refusing to send the API key over plain http://")
                && text.contains("use https://"),
            "{text}"
        );
        assert_no_key("Config error", &text);
        assert_no_key("Config error Debug", &format!("{err:?}"));
    }
    // Loopback hosts may use plain http, and a remote host may when there is no key.
    for url in [
        "http://127.0.0.1:1",
        "http://localhost:8080",
        "http://[::1]:9",
    ] {
        Client::builder()
            .api_key(KEY)
            .base_url(url)
            .build()
            .unwrap();
    }
    Client::builder()
        .base_url("http://api.elevenlabs.io")
        .build()
        .unwrap();
}

#[test]
fn a_key_with_forbidden_characters_is_refused_without_echoing_it() {
    let bad = format!("{KEY}\n");
    let err = Client::builder().api_key(bad).build().unwrap_err();
    assert!(err.to_string().contains("not allowed in an HTTP header"));
    assert_no_key("Config error", &err.to_string());
}

/// Runs [`key_capture_in_its_own_process`] alone in a child process of this test binary:
/// tracing caches each callsite's interest per process, and tests running beside a scoped
/// subscriber can leave that cache stale, so the capture would miss events.
#[test]
fn no_output_of_a_configured_client_shows_the_key() {
    let mut cmd = std::process::Command::new(std::env::current_exe().unwrap());
    cmd.args([
        "--exact",
        "secrets::key_capture_in_its_own_process",
        "--ignored",
        "--test-threads=1",
    ]);
    let out = crate::process::run_with_limit(cmd, Duration::from_secs(60));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("1 passed"), "the capture ran: {stdout}");
}

/// Drives a configured client through success, retries and every error kind with a
/// TRACE-level subscriber capturing everything, then searches all of it for the key.
#[tokio::test]
#[ignore = "run alone in its own process by no_output_of_a_configured_client_shows_the_key"]
async fn key_capture_in_its_own_process() {
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(FmtSpan::NEW | FmtSpan::CLOSE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = ScriptServer::start(|r| {
        let page = json!({"results": [], "has_more": false});
        match r.param("cursor") {
            Some("retry") => Reply::json(
                503,
                &json!({"detail": {"status": "busy", "message": "later"}}),
            ),
            Some("unauthorized") => Reply::json(
                401,
                &json!({"detail": {"status": "invalid_api_key", "message": "Invalid API key"}}),
            ),
            Some("limited") => {
                Reply::json(429, &json!({"detail": "slow down"})).header("retry-after", "3600")
            }
            Some("reset") => Reply::json(200, &page).fault(Fault::ResetMidBody),
            Some("stall") => Reply::json(200, &page).fault(Fault::Stall),
            Some("garbage") => Reply::raw(200, "{\"results\": 7}"),
            Some("invalid") => Reply::json(
                422,
                &json!({"detail": [{"loc": ["query", "cursor"], "msg": "bad", "type": "x"}]}),
            ),
            _ => Reply::json(200, &page),
        }
    })
    .await;
    let client = Client::builder()
        .api_key(KEY)
        .base_url(&server.url)
        .timeout(Duration::from_millis(300))
        .retry(
            RetryPolicy::default()
                .with_initial_backoff(Duration::from_millis(1))
                .with_max_backoff(Duration::from_millis(2)),
        )
        .build()
        .unwrap();

    let mut outputs = vec![format!("{client:?}"), format!("{client:#?}")];
    let ok = client.list_test_invocations().send().await.unwrap();
    outputs.push(format!("{ok:?}"));
    for cursor in [
        "retry",
        "unauthorized",
        "limited",
        "reset",
        "stall",
        "garbage",
        "invalid",
    ] {
        let run = client.list_test_invocations().cursor(cursor).send();
        let raw = tokio::time::timeout(Duration::from_secs(30), run)
            .await
            .expect("request hung")
            .unwrap_err();
        outputs.push(format!("{raw}"));
        outputs.push(format!("{raw:?}"));
        let err = raw;
        outputs.push(format!("{err}"));
        outputs.push(format!("{err:?}"));
        let mut source = std::error::Error::source(&err);
        while let Some(s) = source {
            outputs.push(format!("{s} / {s:?}"));
            source = s.source();
        }
    }
    let invalid: Error = client
        .list_test_invocations()
        .page_size(101u64)
        .send()
        .await
        .unwrap_err();
    outputs.push(format!("{invalid} {invalid:?}"));

    drop(_guard);
    let traced = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    // The capture did record the requests, retries included...
    assert!(traced.contains("elevenlabs.request"), "{traced}");
    assert!(traced.contains("attempt=3"), "{traced}");
    assert!(traced.contains("status=503"), "{traced}");
    assert!(traced.contains("latency_ms="), "{traced}");
    assert!(
        traced.contains("path=/v1/convai/test-invocations"),
        "{traced}"
    );
    // ...and the key was really sent, on every request.
    let requests = server.requests();
    // 1 + 3 (503 retried) + 1 + 1 + 3 (reset) + 3 (stall) + 1 + 1; 101 is never sent.
    assert_eq!(requests.len(), 14);
    for r in &requests {
        assert_eq!(r.headers.get("xi-api-key").map(String::as_str), Some(KEY));
    }
    // Yet it shows nowhere.
    assert_no_key("tracing output", &traced);
    for (i, text) in outputs.iter().enumerate() {
        assert_no_key(&format!("output #{i}"), text);
    }
}
