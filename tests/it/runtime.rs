//! What the client needs to run: a Tokio runtime. `src/pagination.rs` says listings fall back
//! to fetching pages inline "without a Tokio runtime (e.g. `futures::executor::block_on`)";
//! the prefetch does, but every request goes through reqwest (hyper on Tokio's reactor) and
//! the retry loop sleeps with `tokio::time::sleep`. These tests pin what really happens when
//! the real client is driven by `futures::executor::block_on` on a thread without a runtime,
//! against an in-process server on 127.0.0.1: it panics with Tokio's "no reactor" message at
//! the first request, and does not hang. Inside a runtime (a `Handle::enter` guard is enough)
//! the same `block_on` listing works.

use std::sync::mpsc;
use std::time::Duration;

use crate::support::{Reply, ScriptServer};
use elevenlabs_agent_tests::prelude::*;
use serde_json::json;

/// How a call driven by `block_on` on a fresh thread ended.
#[derive(Debug)]
enum Ended {
    /// It returned; how many invocations it listed, or the error's message.
    Returned(Result<usize, String>),
    /// It panicked with this message.
    Panicked(String),
}

/// A runtime on its own threads serving one page of 3 invocations at `url`; kept alive by
/// the returned guard.
fn server() -> (tokio::runtime::Runtime, ScriptServer) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let server = rt.block_on(ScriptServer::start(|_| {
        let item = |i: u32| {
            json!({"id": format!("inv-{i}"), "title": "t", "agent_id": "a",
                "created_at_unix_secs": 1_700_000_000, "failed_count": 0, "passed_count": 1,
                "pending_count": 0, "test_run_count": 1})
        };
        Reply::json(
            200,
            &json!({"results": [item(1), item(2), item(3)], "has_more": false}),
        )
    }));
    (rt, server)
}

/// Runs `call` on a new thread with no Tokio runtime, under `futures::executor::block_on`,
/// and waits at most 20 s for it (a hang fails the test instead of blocking it).
fn on_a_thread_without_runtime(
    call: impl FnOnce() -> Result<usize, String> + Send + 'static,
) -> Ended {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        assert!(tokio::runtime::Handle::try_current().is_err());
        let ended = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(call)) {
            Ok(result) => Ended::Returned(result),
            Err(panic) => Ended::Panicked(
                panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default(),
            ),
        };
        let _ = tx.send(ended);
    });
    rx.recv_timeout(Duration::from_secs(20))
        .expect("the call hung under block_on without a runtime")
}

fn client(url: &str) -> Client {
    Client::builder().base_url(url).build().unwrap()
}

fn assert_no_reactor_panic(ended: Ended) {
    match ended {
        Ended::Panicked(message) => assert!(
            message.contains("no reactor running") && message.contains("Tokio 1.x runtime"),
            "panicked, but not with Tokio's no-reactor message: {message}"
        ),
        Ended::Returned(r) => panic!("expected Tokio's no-reactor panic, got {r:?}"),
    }
}

#[test]
fn a_request_under_block_on_without_a_runtime_panics_with_no_reactor() {
    let (_rt, server) = server();
    let client = client(&server.url);
    let ended = on_a_thread_without_runtime(move || {
        futures::executor::block_on(client.list_test_invocations().send())
            .map(|page| page.into_inner().results.len())
            .map_err(|e| e.to_string())
    });
    assert_no_reactor_panic(ended);
    assert_eq!(server.count(), 0, "nothing reached the server");
}

#[test]
fn a_listing_under_block_on_without_a_runtime_panics_with_no_reactor() {
    let (_rt, server) = server();
    for prefetch in [true, false] {
        let client = client(&server.url);
        let ended = on_a_thread_without_runtime(move || {
            let listing = client
                .list_test_invocations()
                .stream()
                .prefetch(prefetch)
                .try_collect::<Vec<_>>();
            futures::executor::block_on(listing)
                .map(|all| all.len())
                .map_err(|e| e.to_string())
        });
        assert_no_reactor_panic(ended);
    }
    assert_eq!(server.count(), 0, "nothing reached the server");
}

/// `block_on` itself is fine when a runtime is entered on the thread: what the client needs
/// is Tokio's reactor and timer, not a Tokio executor.
#[test]
fn a_listing_under_block_on_works_inside_an_entered_runtime() {
    let (rt, server) = server();
    let client = client(&server.url);
    let handle = rt.handle().clone();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _guard = handle.enter();
        let listing = client
            .list_test_invocations()
            .stream()
            .try_collect::<Vec<_>>();
        let _ = tx.send(futures::executor::block_on(listing).map(|all| all.len()));
    });
    let listed = rx
        .recv_timeout(Duration::from_secs(20))
        .expect("the listing hung")
        .unwrap();
    assert_eq!(listed, 3);
    assert_eq!(server.count(), 1);
}
