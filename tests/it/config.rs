//! Client construction: environments, base URL, headers, timeouts and settings reaching the
//! request hook.

use std::time::Duration;

use crate::support::{Reply, ScriptServer};
use elevenlabs_agent_tests::{Client, Environment, Error, RetryPolicy};
use serde_json::json;

async fn empty_page_server() -> ScriptServer {
    ScriptServer::start(|_| Reply::json(200, &json!({"results": [], "has_more": false}))).await
}

#[test]
fn environments_have_the_official_base_urls() {
    let expected = [
        (Environment::Production, "https://api.elevenlabs.io"),
        (Environment::Us, "https://api.us.elevenlabs.io"),
        (Environment::Eu, "https://api.eu.residency.elevenlabs.io"),
        (Environment::India, "https://api.in.residency.elevenlabs.io"),
        (
            Environment::Singapore,
            "https://api.sg.residency.elevenlabs.io",
        ),
    ];
    // A slice: its type does not change when a region is added.
    let all: &'static [Environment] = Environment::ALL;
    assert_eq!(all.len(), expected.len());
    for (env, url) in expected {
        assert_eq!(env.base_url(), url);
        assert_eq!(env.name().parse::<Environment>().unwrap(), env);
        let client = Client::builder().environment(env).build().unwrap();
        assert_eq!(client.base_url(), url);
    }
    assert_eq!(
        Client::builder().build().unwrap().base_url(),
        "https://api.elevenlabs.io"
    );
    let err = "mars".parse::<Environment>().unwrap_err();
    assert!(err.to_string().contains("\"mars\""), "{err}");
    assert!(
        err.to_string().contains("production, us, eu, in, sg"),
        "{err}"
    );
}

/// The environment and the base URL are one setting: the last one set wins, either way.
#[test]
fn the_last_of_base_url_and_environment_wins() {
    let client = Client::builder()
        .environment(Environment::Us)
        .base_url("https://proxy.example.com/elevenlabs/")
        .build()
        .unwrap();
    assert_eq!(client.base_url(), "https://proxy.example.com/elevenlabs");
    let client = Client::builder()
        .base_url("https://proxy.example.com/elevenlabs/")
        .environment(Environment::Us)
        .build()
        .unwrap();
    assert_eq!(client.base_url(), "https://api.us.elevenlabs.io");
}

#[test]
fn bad_settings_are_refused_with_a_reason() {
    let err = Client::builder().base_url("not a url").build().unwrap_err();
    assert!(matches!(err, Error::Config { .. }));
    assert!(err.to_string().contains("not a valid URL"), "{err}");

    let err = Client::builder()
        .base_url("ftp://example.com")
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("expected http or https"), "{err}");

    let err = Client::builder()
        .retry(RetryPolicy::default().with_max_attempts(0))
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("max_attempts"), "{err}");
}

#[tokio::test]
async fn headers_of_a_configured_client() {
    let server = empty_page_server().await;
    let client = Client::builder()
        .base_url(&server.url)
        .api_key("sk_header_test_key_1234567890")
        .build()
        .unwrap();
    client.list_test_invocations().send().await.unwrap();
    let custom = Client::builder()
        .base_url(&server.url)
        .user_agent("my-app/2.0")
        .build()
        .unwrap();
    custom.list_test_invocations().send().await.unwrap();

    let reqs = server.requests();
    assert_eq!(
        reqs[0].headers.get("xi-api-key").map(String::as_str),
        Some("sk_header_test_key_1234567890")
    );
    assert_eq!(
        reqs[0].headers.get("user-agent").map(String::as_str),
        Some(concat!(
            "elevenlabs-agent-tests/",
            env!("CARGO_PKG_VERSION")
        ))
    );
    assert_eq!(reqs[1].headers.get("xi-api-key"), None);
    assert_eq!(
        reqs[1].headers.get("user-agent").map(String::as_str),
        Some("my-app/2.0")
    );
}

#[tokio::test]
async fn client_new_keeps_working_without_a_key() {
    let server = empty_page_server().await;
    let client = Client::new(&format!("{}/", server.url));
    assert_eq!(client.base_url(), server.url);
    assert!(client.state().api_key().is_none());
    assert_eq!(client.state().retry(), &RetryPolicy::default());
    let page = client
        .list_test_invocations()
        .send()
        .await
        .unwrap()
        .into_inner();
    assert!(!page.has_more);
    let reqs = server.requests();
    assert_eq!(reqs[0].headers.get("xi-api-key"), None);
    assert_eq!(
        reqs[0].headers.get("user-agent").map(String::as_str),
        Some(concat!(
            "elevenlabs-agent-tests/",
            env!("CARGO_PKG_VERSION")
        ))
    );
}

#[tokio::test]
async fn the_retry_policy_of_each_client_reaches_the_hook() {
    let server = ScriptServer::start(|_| Reply::raw(500, "")).await;
    let fast = RetryPolicy::default()
        .with_initial_backoff(Duration::from_millis(1))
        .with_max_backoff(Duration::from_millis(2));
    for attempts in [1u32, 2, 4] {
        let before = server.count();
        let client = Client::builder()
            .base_url(&server.url)
            .retry(fast.clone().with_max_attempts(attempts))
            .build()
            .unwrap();
        assert_eq!(client.state().retry().max_attempts(), attempts);
        let run = client.list_test_invocations().send();
        tokio::time::timeout(Duration::from_secs(30), run)
            .await
            .unwrap()
            .unwrap_err();
        assert_eq!(server.count() - before, attempts as usize);
    }
}

#[tokio::test]
async fn the_timeout_of_each_client_is_its_own() {
    let server = ScriptServer::start(|_| {
        Reply::json(200, &json!({"results": [], "has_more": false}))
            .delay(Duration::from_millis(600))
    })
    .await;
    let impatient = Client::builder()
        .base_url(&server.url)
        .timeout(Duration::from_millis(100))
        .retry(RetryPolicy::disabled())
        .build()
        .unwrap();
    let patient = Client::builder()
        .base_url(&server.url)
        .timeout(Duration::from_secs(20))
        .connect_timeout(Duration::from_secs(5))
        .retry(RetryPolicy::disabled())
        .build()
        .unwrap();
    assert_eq!(
        impatient.state().attempt_timeout(),
        Duration::from_millis(100)
    );
    assert_eq!(patient.state().attempt_timeout(), Duration::from_secs(20));
    let guard = Duration::from_secs(30);
    let err: Error = tokio::time::timeout(guard, impatient.list_test_invocations().send())
        .await
        .unwrap()
        .unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    let source = std::error::Error::source(&err).expect("a source");
    assert!(
        source
            .downcast_ref::<reqwest::Error>()
            .is_some_and(reqwest::Error::is_timeout),
        "{source:?}"
    );
    tokio::time::timeout(guard, patient.list_test_invocations().send())
        .await
        .unwrap()
        .unwrap();
}

/// A `reqwest::Client` brought by the caller: its own settings (user agent) apply, and the
/// crate still sends the key, retries, and applies the per-attempt timeout.
#[tokio::test]
async fn a_caller_provided_reqwest_client_gets_the_key_retries_and_timeout() {
    // Building a client of the crate first installs the rustls provider reqwest needs.
    Client::builder().build().unwrap();
    let http = reqwest::Client::builder()
        .user_agent("shared-pool/1.0")
        .build()
        .unwrap();
    let server = ScriptServer::start({
        let calls = std::sync::atomic::AtomicU32::new(0);
        move |r| {
            let n = calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            if r.param("cursor") == Some("stall") {
                Reply::json(200, &json!({"results": [], "has_more": false}))
                    .delay(Duration::from_secs(30))
            } else if n == 0 {
                Reply::raw(503, "busy")
            } else {
                Reply::json(200, &json!({"results": [], "has_more": false}))
            }
        }
    })
    .await;
    let client = Client::builder()
        .base_url(&server.url)
        .api_key("sk_own_pool_key_1234567890abcd")
        .http_client(http)
        .timeout(Duration::from_millis(300))
        .retry(
            RetryPolicy::default()
                .with_initial_backoff(Duration::from_millis(1))
                .with_max_backoff(Duration::from_millis(2)),
        )
        .build()
        .unwrap();
    let guard = Duration::from_secs(20);
    tokio::time::timeout(guard, client.list_test_invocations().send())
        .await
        .unwrap()
        .unwrap();
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2, "the 503 was retried by the hook");
    for r in &reqs {
        assert_eq!(
            r.headers.get("xi-api-key").map(String::as_str),
            Some("sk_own_pool_key_1234567890abcd")
        );
        assert_eq!(
            r.headers.get("user-agent").map(String::as_str),
            Some("shared-pool/1.0")
        );
    }
    // The per-attempt timeout applies although the reqwest client has none.
    let err: Error =
        tokio::time::timeout(guard, client.list_test_invocations().cursor("stall").send())
            .await
            .expect("the per-attempt timeout did not apply")
            .unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    // The key does not show in the client's Debug output.
    assert!(!format!("{client:?}").contains("sk_own_pool_key_1234567890abcd"));
}

#[test]
fn settings_of_the_http_client_are_refused_with_a_caller_provided_one() {
    Client::builder().build().unwrap();
    for builder in [
        Client::builder().user_agent("x/1"),
        Client::builder().connect_timeout(Duration::from_secs(1)),
    ] {
        let err = builder
            .http_client(reqwest::Client::new())
            .build()
            .unwrap_err();
        assert!(matches!(err, Error::Config { .. }), "{err:?}");
        assert!(
            err.to_string().contains("ClientBuilder::http_client"),
            "{err}"
        );
    }
    // The plain-http check still holds.
    let err = Client::builder()
        .api_key("sk_0123456789abcdef0123456789abcdef")
        .base_url("http://api.example.com")
        .http_client(reqwest::Client::new())
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("plain http://"), "{err}");
}

/// `Client::new` cannot refuse a bad base URL (it returns a `Client`): the request fails with
/// a clear error instead of a panic; the builder refuses it up front.
#[tokio::test]
async fn client_new_does_not_check_the_base_url_the_builder_does() {
    for bad in ["not a url", "ftp://example.com", ""] {
        let err = Client::builder().base_url(bad).build().unwrap_err();
        assert!(matches!(err, Error::Config { .. }), "{bad:?}: {err:?}");
        assert!(
            err.to_string().contains("not a valid URL")
                || err.to_string().contains("expected http or https"),
            "{bad:?}: {err}"
        );
    }
    let client = Client::builder()
        .base_url("https://api.elevenlabs.io/")
        .build()
        .unwrap();
    assert_eq!(client.base_url(), "https://api.elevenlabs.io");

    let unchecked = Client::new("not a url");
    let run = unchecked.list_test_invocations().send();
    let err: Error = tokio::time::timeout(Duration::from_secs(10), run)
        .await
        .expect("the request hung")
        .unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert!(err.to_string().contains("request failed"), "{err}");
}
