//! `src/call.rs`: its own items, hidden or public.

use elevenlabs_agent_tests::Error;
use elevenlabs_agent_tests::call::from_progenitor;
use progenitor_client::Error as Progenitor;

#[test]
fn what_the_hook_recorded_is_the_error() {
    let recorded = Error::Config {
        message: "recorded".into(),
    };
    let e = from_progenitor(Progenitor::InvalidRequest("carrier".into()), Some(recorded));
    assert!(matches!(e, Error::Config { message } if message == "recorded"));
}

#[test]
fn nothing_recorded_is_a_bug_said_as_one() {
    let e = from_progenitor(Progenitor::InvalidRequest("carrier".into()), None);
    assert!(matches!(e, Error::Unexpected { message } if message == "carrier"));
    let e = from_progenitor(Progenitor::Custom("boom".into()), None);
    assert!(matches!(e, Error::Unexpected { message } if message == "boom"));
}
