//! `examples/list_test_invocations.rs` run without an API key, as a newcomer runs it: it lists
//! the embedded fake's demo data.
//!
//! The example's file is compiled into this test as a module and its `run` called with no
//! key, printing into a buffer: no process and no `cargo run --example` (cargo hands tests no
//! path to a built example, and builds examples only for an unfiltered `cargo test`). That
//! `run` is all the example's `main` does besides reading the key and the agent id, and cargo
//! compiles the example itself with every `cargo test`, `cargo clippy --all-targets` and
//! `cargo build --examples`.

#[allow(dead_code)]
#[path = "../../examples/list_test_invocations.rs"]
mod program;

use std::time::Duration;

use elevenlabs_agent_tests::fake::{DEFAULT_INVOCATIONS, FakeServer};

/// The example's output, without a key, for `agent_id`.
async fn listed(agent_id: Option<&str>) -> Vec<String> {
    let mut out = Vec::new();
    tokio::time::timeout(
        Duration::from_secs(60),
        program::run(None, agent_id.map(str::to_owned), &mut out),
    )
    .await
    .expect("the example finishes")
    .expect("the example lists");
    String::from_utf8(out)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn without_a_key_it_prints_every_invocation_of_the_demo_data_newest_first() {
    // The data it lists: the default fake's, started here too.
    let data = FakeServer::start().await.unwrap().invocations().to_vec();
    assert_eq!(data.len(), DEFAULT_INVOCATIONS);
    let lines = listed(None).await;
    assert_eq!(
        lines.len(),
        data.len(),
        "one line per invocation, every page"
    );
    for (line, inv) in lines.iter().zip(&data) {
        let expected = format!(
            "{}  {}  {}  passed {}, failed {}, pending {}",
            inv.id,
            inv.created_at_unix_secs,
            inv.title,
            inv.passed_count,
            inv.failed_count,
            inv.pending_count
        );
        assert_eq!(line, &expected);
    }

    // With an agent id, that agent's invocations only.
    let agent = data[0].agent_id.clone().unwrap();
    let ids: Vec<String> = listed(Some(&agent))
        .await
        .iter()
        .map(|l| l.split_whitespace().next().unwrap().to_owned())
        .collect();
    let expected: Vec<&str> = data
        .iter()
        .filter(|i| i.agent_id.as_deref() == Some(&agent))
        .map(|i| i.id.as_str())
        .collect();
    assert!(expected.len() > 1 && expected.len() < data.len());
    assert_eq!(ids, expected);
}
