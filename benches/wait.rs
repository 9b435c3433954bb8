//! Wait benchmark: `cargo bench --bench wait`.
//!
//! How promptly `client.wait_for_test_invocation(id)` notices that an invocation finished,
//! and how many polls it costs. An in-process loopback server answers every
//! `GET /v1/convai/test-invocations/{id}` with the runs `pending` until a set moment, then
//! finished. For each (run duration, poll interval) pair, repeated with the finishing moment
//! at different phases of the poll cycle:
//!
//! - latency: from the moment the runs finished on the server to the wait returning
//!   (goal: at most one poll interval + 10 %);
//! - polls: GETs the server saw per wait (goal: at most duration / interval + 1).
//!
//! Prints the median and maximum latency (as a fraction of the interval) and the polls.

mod common;
#[path = "../tests/it/support.rs"]
mod support;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::median;
use elevenlabs_agent_tests::prelude::*;
use serde_json::json;
use support::{Reply, ScriptServer};

fn snapshot(status: &str) -> serde_json::Value {
    let runs: Vec<_> = (0..3)
        .map(|i| {
            json!({"test_run_id": format!("run_{i}"), "test_invocation_id": "inv", "agent_id": "a",
                   "test_id": format!("t{i}"), "test_name": format!("Test {i}"), "status": status})
        })
        .collect();
    json!({"id": "inv", "test_runs": runs, "created_at": 1})
}

/// One wait against a server whose runs finish `duration` after `start`: (latency, polls).
async fn one_wait(duration: Duration, interval: Duration, phase: Duration) -> (Duration, usize) {
    let finish_at: Arc<Mutex<Option<Instant>>> = Arc::new(Mutex::new(None));
    let server = ScriptServer::start({
        let finish_at = finish_at.clone();
        move |_| {
            let done = finish_at
                .lock()
                .unwrap()
                .is_some_and(|at| Instant::now() >= at);
            Reply::json(200, &snapshot(if done { "passed" } else { "pending" }))
        }
    })
    .await;
    let client = Client::new(&server.url);
    // The runs "start" now and finish `duration + phase` later.
    let finishes = Instant::now() + duration + phase;
    *finish_at.lock().unwrap() = Some(finishes);
    let finished = client
        .wait_for_test_invocation("inv")
        .poll_interval(interval)
        .timeout(duration * 4 + Duration::from_secs(5))
        .await
        .expect("the wait finishes");
    let returned = Instant::now();
    assert!(finished.is_finished());
    (returned.saturating_duration_since(finishes), server.count())
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    println!("wait benchmark: runs finish on the server, the wait notices");
    println!(
        "{:>9} {:>9} {:>5} | {:>12} {:>12} {:>10} | {:>9} {:>9}",
        "duration",
        "interval",
        "waits",
        "latency med",
        "latency max",
        "max/intvl",
        "polls max",
        "goal"
    );
    for (duration_ms, interval_ms) in [(2000u64, 200u64), (1000, 100), (2000, 500), (600, 50)] {
        let duration = Duration::from_millis(duration_ms);
        let interval = Duration::from_millis(interval_ms);
        let reps = 8;
        let mut latencies = Vec::new();
        let mut polls = Vec::new();
        for k in 0..reps {
            // Finish at k/reps of a poll cycle, so every phase is seen.
            let phase = interval * k / reps;
            let (latency, n) = rt.block_on(one_wait(duration, interval, phase));
            latencies.push(latency);
            polls.push(n);
        }
        let max = *latencies.iter().max().unwrap();
        let goal_polls = (duration_ms + interval_ms) / interval_ms + 1;
        println!(
            "{:>7}ms {:>7}ms {:>5} | {:>10.1}ms {:>10.1}ms {:>10.3} | {:>9} {:>9}",
            duration_ms,
            interval_ms,
            reps,
            median(latencies).as_secs_f64() * 1e3,
            max.as_secs_f64() * 1e3,
            max.as_secs_f64() / interval.as_secs_f64(),
            polls.iter().max().unwrap(),
            format!("<= {goal_polls}"),
        );
    }
}
