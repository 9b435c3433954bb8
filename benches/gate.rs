//! CI gate benchmark: `cargo bench --features cli --bench gate`.
//!
//! The release `elevenlabs-tests` program as a process: `run --wait --retries 1` on its own
//! embedded fake (no key) with 2 s simulated runs (`--fake-run-duration 2s`) at the default
//! poll interval on the fake (500 ms). The demo suite has a `[fail]` test, so one retry
//! happens (and fails again: exit 1). Goal: the slowest run (2.75 x 2 s, a `[slow]` test) for
//! the first attempt and the retry's runs at most that again, plus one poll interval for each
//! wait to notice, plus 10 %: (2 x 5.5 s + 2 x 500 ms) x 1.1 = 13.2 s.
//!
//! Median of 3 runs.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::median;

const PROGRAM: &str = env!("CARGO_BIN_EXE_elevenlabs-tests");

fn main() {
    let slowest = Duration::from_secs(2).mul_f64(2.75);
    let interval = Duration::from_millis(500); // the program's default on the fake
    let goal = (slowest * 2 + interval * 2).mul_f64(1.1);
    let mut times = Vec::new();
    for _ in 0..3 {
        let started = Instant::now();
        let out = Command::new(PROGRAM)
            .args([
                "run",
                "--wait",
                "--retries",
                "1",
                "--fake-run-duration",
                "2s",
            ])
            .env_remove("ELEVENLABS_API_KEY")
            .env_remove("ELEVENLABS_BASE_URL")
            .env_remove("GITHUB_STEP_SUMMARY")
            .output()
            .expect("runs");
        times.push(started.elapsed());
        let stderr = String::from_utf8_lossy(&out.stderr);
        // The demo suite's [fail] test fails its retry too.
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(stderr.contains("retrying 1 failed run"), "{stderr}");
    }
    let median = median(times.clone());
    println!(
        "run --wait --retries 1 on the fake, 2 s simulated runs (the slowest finishes by 5.5 s), poll 500 ms: median {:.2} s, max {:.2} s (goal: slowest run x 2 + 2 intervals + 10 % = {:.2} s){}",
        median.as_secs_f64(),
        times.iter().max().unwrap().as_secs_f64(),
        goal.as_secs_f64(),
        if median <= goal {
            ""
        } else {
            "  OVER THE GOAL"
        }
    );
}
