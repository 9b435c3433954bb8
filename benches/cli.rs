//! CLI benchmark: `cargo bench --features cli --bench cli`.
//!
//! The release `elevenlabs-tests` program as a process:
//!
//! 1. `invocations list --limit 1000 --json` against an embedded fake (started here) holding
//!    5,000 invocations: wall time from spawn to exit, and lines printed;
//! 2. `run --wait` on the program's own embedded fake (no key) with 2 s simulated runs
//!    (`--fake-run-duration 2s`) at the default poll interval on the fake: wall time, against
//!    the wait's own goal (the last run finishes at most 2.75 x 2 s after the start; the wait
//!    notices within one poll interval + 10 %).
//!
//! Medians of 5 runs each.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use elevenlabs_agent_tests::fake::FakeServer;

use common::median;

const PROGRAM: &str = env!("CARGO_BIN_EXE_elevenlabs-tests");

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let server = rt
        .block_on(FakeServer::builder().invocations(5_000).start())
        .expect("fake");

    let mut times = Vec::new();
    for _ in 0..5 {
        let started = Instant::now();
        let out = Command::new(PROGRAM)
            .args([
                "invocations",
                "list",
                "--limit",
                "1000",
                "--page-size",
                "100",
                "--json",
            ])
            .env("ELEVENLABS_API_KEY", server.api_key())
            .env("ELEVENLABS_BASE_URL", server.url())
            .output()
            .expect("runs");
        times.push(started.elapsed());
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let lines = out
            .stdout
            .split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
            .count();
        assert_eq!(lines, 1000);
    }
    println!(
        "invocations list --limit 1000 --json (5,000 on the fake, pages of 100): median {:.1} ms, min {:.1} ms",
        median(times.clone()).as_secs_f64() * 1e3,
        times.iter().min().unwrap().as_secs_f64() * 1e3
    );

    let run = Duration::from_secs(2);
    let interval = Duration::from_millis(500); // the program's default on the fake
    let mut times = Vec::new();
    for _ in 0..5 {
        let started = Instant::now();
        let out = Command::new(PROGRAM)
            .args(["run", "--wait", "--fake-run-duration", "2s"])
            .env_remove("ELEVENLABS_API_KEY")
            .env_remove("ELEVENLABS_BASE_URL")
            .output()
            .expect("runs");
        times.push(started.elapsed());
        // The demo suite fails on purpose.
        assert_eq!(
            out.status.code(),
            Some(1),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let goal = run.mul_f64(2.75) + interval.mul_f64(1.1);
    println!(
        "run --wait on the fake, 2 s simulated runs (the slowest finishes by 5.5 s), poll 500 ms: median {:.2} s, max {:.2} s (goal: the slowest run + one interval + 10 % = {:.2} s, plus process start)",
        median(times.clone()).as_secs_f64(),
        times.iter().max().unwrap().as_secs_f64(),
        goal.as_secs_f64()
    );
}
