//! Start-up of `elevenlabs-tests fake`: `cargo bench --features cli --bench fake_start`.
//!
//! The release program as a process, `fake --port 0`: wall time from spawn to its first line
//! on stdout (`listening on ...`, the moment a script can use it), then SIGTERM and the
//! exit (exit 0 checked). With the default data (137 invocations over 4 agents) and with
//! 5,000 invocations. Goal: a median under 50 ms, so a test suite in any language can start
//! one per test file. Medians of 21 runs each.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::median;

const PROGRAM: &str = env!("CARGO_BIN_EXE_elevenlabs-tests");
const RUNS: usize = 21;

/// Spawn to first line, then stops it: the time to the first line.
fn start_once(extra: &[&str]) -> Duration {
    let started = Instant::now();
    let mut child = Command::new(PROGRAM)
        .args(["fake", "--port", "0"])
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawning the program");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .expect("reading the first line");
    let elapsed = started.elapsed();
    assert!(
        line.starts_with("listening on http://127.0.0.1:"),
        "{line:?}"
    );
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    let status = child.wait().expect("waiting for the program");
    assert_eq!(status.code(), Some(0));
    elapsed
}

fn main() {
    for (label, extra) in [
        ("default data (137 invocations)", &[][..]),
        ("5,000 invocations", &["--invocations", "5000"][..]),
    ] {
        // One warm-up, so the binary is in the page cache.
        start_once(extra);
        let times: Vec<Duration> = (0..RUNS).map(|_| start_once(extra)).collect();
        println!(
            "fake --port 0, {label}: spawn to first line median {:.1} ms, min {:.1} ms, max {:.1} ms ({RUNS} runs; goal < 50 ms)",
            median(times.clone()).as_secs_f64() * 1e3,
            times.iter().min().unwrap().as_secs_f64() * 1e3,
            times.iter().max().unwrap().as_secs_f64() * 1e3,
        );
    }
}
