//! `src/config.rs`: its own items, hidden or public.

use elevenlabs_agent_tests::Error;
use elevenlabs_agent_tests::config::*;
use std::collections::HashMap;
use std::env::VarError;

fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Result<String, VarError> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    move |name| map.get(name).cloned().ok_or(VarError::NotPresent)
}

const KEY: &str = "sk_0123456789abcdef0123456789abcdef";

#[test]
fn from_env_reads_the_key_and_defaults_to_production() {
    let client = builder_from_vars(vars(&[(API_KEY_ENV, KEY)]))
        .unwrap()
        .build()
        .unwrap();
    assert_eq!(client.base_url(), "https://api.elevenlabs.io");
    assert_eq!(client.state().api_key().unwrap().expose(), KEY);
}

#[test]
fn from_env_reads_the_base_url() {
    let client = builder_from_vars(vars(&[
        (API_KEY_ENV, &format!("  {KEY}\n")),
        (BASE_URL_ENV, "https://api.eu.residency.elevenlabs.io/"),
    ]))
    .unwrap()
    .build()
    .unwrap();
    assert_eq!(client.base_url(), "https://api.eu.residency.elevenlabs.io");
    assert_eq!(client.state().api_key().unwrap().expose(), KEY);
    // An empty base URL variable means "not set".
    let client = builder_from_vars(vars(&[(API_KEY_ENV, KEY), (BASE_URL_ENV, " ")]))
        .unwrap()
        .build()
        .unwrap();
    assert_eq!(client.base_url(), "https://api.elevenlabs.io");
}

#[test]
fn from_env_without_a_key_says_which_variable() {
    for v in [vars(&[]), vars(&[(API_KEY_ENV, "   ")])] {
        let err = builder_from_vars(v).unwrap_err();
        assert!(matches!(err, Error::Config { .. }));
        assert!(err.to_string().contains(API_KEY_ENV), "{err}");
    }
}

#[test]
fn from_env_refuses_a_remote_plain_http_url() {
    let err = builder_from_vars(vars(&[
        (API_KEY_ENV, KEY),
        (BASE_URL_ENV, "http://proxy.example.com"),
    ]))
    .unwrap()
    .build()
    .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("plain http://") && text.contains("https://"),
        "{text}"
    );
    assert!(!text.contains(KEY));
}

#[test]
fn redaction() {
    // The real prefix of an ElevenLabs key and its last 4, nothing in between.
    assert_eq!(ApiKey::new(KEY).redacted(), "sk_…cdef");
    assert_eq!(ApiKey::new("short").redacted(), "…");
    assert_eq!(format!("{:?}", ApiKey::new(KEY)), "ApiKey(sk_…cdef)");
    assert_eq!(ApiKey::new(KEY).to_string(), "sk_…cdef");
    // Another prefix is shown as it is, so that the user recognises their key.
    assert_eq!(
        ApiKey::new("xk_abcdefghijklmnopqrstuvwxyz").redacted(),
        "xk_…wxyz"
    );
    // Multi-byte characters are cut at character boundaries.
    assert_eq!(ApiKey::new("ééé".repeat(7)).redacted(), "ééé…éééé");
}
