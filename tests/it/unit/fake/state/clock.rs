//! `src/fake/state/clock.rs`: its own items, hidden or public.

use elevenlabs_agent_tests::fake::state::clock::*;

use elevenlabs_agent_tests::fake::state::Store;
use std::time::Duration;
use tokio::time::Instant;

use super::test_run;

#[tokio::test(start_paused = true)]
async fn timestamps_follow_the_clock_from_after_the_seeded_history() {
    let store = Store::new(1, Duration::from_secs(1));
    let start = store.now_unix();
    assert!(
        start >= elevenlabs_agent_tests::fake::NEWEST_CREATED_AT_UNIX_SECS + 3600,
        "{start}"
    );
    tokio::time::advance(Duration::from_secs(90)).await;
    assert_eq!(store.now_unix(), start + 90);
    let clock = store.clock;
    assert_eq!(
        clock.unix_at(clock.start + Duration::from_secs(5)),
        start + 5
    );
}

#[test]
fn markers_are_case_insensitive() {
    assert!(has_marker("Refund [FAIL]", FAIL_MARKER));
    assert!(has_marker("x [Slow] y", SLOW_MARKER));
    assert!(!has_marker("fail", FAIL_MARKER));
}

#[test]
fn durations_are_staggered_and_doubled_for_slow_tests() {
    let base = Duration::from_millis(800);
    let d: Vec<u64> = (0..5)
        .map(|k| duration_of(base, "t", k).as_millis() as u64)
        .collect();
    assert_eq!(d, [800, 900, 1000, 1100, 800]);
    assert_eq!(
        duration_of(base, "t [slow]", 3),
        Duration::from_millis(2200)
    );
    // The documented bound, `max_run_duration`.
    assert!(duration_of(base, "t [slow]", 3) <= base * 22 / 8);
}

#[tokio::test(start_paused = true)]
async fn a_timed_run_is_pending_at_submission_then_takes_the_rule() {
    let clock = Clock::new();
    let mut run = test_run("tr_1", ("t", "Broken [fail]"), Progress::Fixed(None), false);
    let now = Instant::now();
    schedule(clock, Duration::ZERO, &mut run, 0, true, now);
    assert_eq!(
        run.outcome(now),
        None,
        "pending at submission, even with no duration"
    );
    tokio::time::advance(Duration::from_millis(1)).await;
    assert_eq!(run.outcome(Instant::now()), Some(RunResult::Failed));
    run.test_name = "Fixed".into();
    schedule(
        clock,
        Duration::from_secs(1),
        &mut run,
        0,
        false,
        Instant::now(),
    );
    assert_eq!(run.outcome(Instant::now()), None);
    tokio::time::advance(Duration::from_secs(1)).await;
    assert_eq!(run.outcome(Instant::now()), Some(RunResult::Passed));
}
