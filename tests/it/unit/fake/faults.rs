//! `src/fake/faults.rs`: its own items, hidden or public.

use elevenlabs_agent_tests::fake::faults::Faults;

#[test]
fn write_failures_skip_reads_and_the_first_writes() {
    let mut faults = Faults {
        writes_to_pass: 2,
        writes_to_fail: 2,
        write_status: 500,
        ..Faults::default()
    };
    let served: Vec<Option<u16>> = [false, true, false, true, true, false, true, true]
        .into_iter()
        .map(|is_write| faults.take(is_write).map(|f| f.status))
        .collect();
    assert_eq!(
        served,
        [None, None, None, None, Some(500), None, Some(500), None]
    );
    // fail_next's failures come first, for reads and writes alike.
    faults.remaining = 1;
    faults.status = 429;
    faults.writes_to_fail = 1;
    assert_eq!(faults.take(true).map(|f| f.status), Some(429));
    assert_eq!(faults.take(true).map(|f| f.status), Some(500));
    assert_eq!(faults.take(true).map(|f| f.status), None);
}
