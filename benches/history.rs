//! `report`'s per-test history: `cargo bench --features cli --bench history`.
//!
//! The release `elevenlabs-tests` program as a process, `report --json` of one agent with
//! 500 invocations on an embedded fake (started here) that delays every response by 20 ms:
//! the listing (5 pages of 100) and one `get_test_invocation` per invocation, 8 at a time
//! (the default `--concurrency`; goal ≤ 2 s), and once at `--concurrency 1` for comparison
//! (about 500 x 20 ms = 10 s). Wall time from spawn to exit; medians of 5 runs.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use elevenlabs_agent_tests::fake::FakeServer;

use common::median;

const PROGRAM: &str = env!("CARGO_BIN_EXE_elevenlabs-tests");
const INVOCATIONS: usize = 500;

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let server = rt
        .block_on(
            FakeServer::builder()
                .invocations(INVOCATIONS)
                .agents(1)
                .start(),
        )
        .expect("fake");
    server.set_latency(Duration::from_millis(20));
    let agent = server.agent_ids()[0].clone();

    for (concurrency, runs) in [("8", 5), ("1", 1)] {
        let mut times = Vec::new();
        for _ in 0..runs {
            let started = Instant::now();
            let out = Command::new(PROGRAM)
                .args([
                    "report",
                    "--agent",
                    &agent,
                    "--json",
                    "--concurrency",
                    concurrency,
                ])
                .env("ELEVENLABS_API_KEY", server.api_key())
                .env("ELEVENLABS_BASE_URL", server.url())
                .output()
                .expect("runs");
            times.push(started.elapsed());
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(out.status.success(), "{stderr}");
            assert!(
                stderr.contains(&format!("{INVOCATIONS} invocations of agent")),
                "{stderr}"
            );
            assert!(!stderr.contains("could not be read"), "{stderr}");
            assert!(!out.stdout.is_empty(), "test lines");
        }
        println!(
            "report --json, {INVOCATIONS} invocations, 20 ms a response, --concurrency {concurrency}: median {:.0} ms, min {:.0} ms ({runs} runs)",
            median(times.clone()).as_secs_f64() * 1e3,
            times.iter().min().unwrap().as_secs_f64() * 1e3
        );
    }
}
