//! `src/retry.rs`: its own items, hidden or public.

use elevenlabs_agent_tests::retry::*;
use reqwest::header::HeaderValue;
use reqwest::{Method, StatusCode};
use std::time::{Duration, SystemTime};

#[test]
fn retry_after_is_seconds_or_an_http_date() {
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let seven = HeaderValue::from_static("7");
    assert_eq!(parse_retry_after(&seven, now), Some(Duration::from_secs(7)));
    let date =
        HeaderValue::from_str(&httpdate::fmt_http_date(now + Duration::from_secs(30))).unwrap();
    assert_eq!(parse_retry_after(&date, now), Some(Duration::from_secs(30)));
    let soon = HeaderValue::from_static("soon");
    assert_eq!(parse_retry_after(&soon, now), None);
}

#[test]
fn backoff_stays_under_the_exponential_ceiling() {
    let p = RetryPolicy::default()
        .with_initial_backoff(Duration::from_millis(100))
        .with_max_backoff(Duration::from_millis(350));
    for _ in 0..200 {
        assert!(p.backoff(1) <= Duration::from_millis(100));
        assert!(p.backoff(2) <= Duration::from_millis(200));
        assert!(p.backoff(3) <= Duration::from_millis(350));
        assert!(p.backoff(40) <= Duration::from_millis(350));
    }
    // Full jitter: not a constant.
    let distinct: std::collections::BTreeSet<_> = (0..50).map(|_| p.backoff(3)).collect();
    assert!(distinct.len() > 1);
}

#[test]
fn retry_after_forms() {
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let v = |s: &str| HeaderValue::from_str(s).unwrap();
    assert_eq!(parse_retry_after(&v("0"), now), Some(Duration::ZERO));
    assert_eq!(
        parse_retry_after(&v(" 120 "), now),
        Some(Duration::from_secs(120))
    );
    let past = httpdate::fmt_http_date(now - Duration::from_secs(5));
    assert_eq!(parse_retry_after(&v(&past), now), Some(Duration::ZERO));
    assert_eq!(parse_retry_after(&v("-1"), now), None);
    assert_eq!(parse_retry_after(&v("1.5"), now), None);
    assert!(
        parse_retry_after(&v("99999999999999999999999"), now).unwrap()
            > Duration::from_secs(1 << 40)
    );
}

#[test]
fn every_setter_sets_its_own_setting_only() {
    let d = RetryPolicy::default();
    assert_eq!(d.max_attempts(), 3);
    assert_eq!(d.initial_backoff(), Duration::from_millis(200));
    assert_eq!(d.max_backoff(), Duration::from_secs(10));
    assert_eq!(d.max_retry_after(), Duration::from_secs(60));
    assert!(!d.retry_non_idempotent());
    let p = d
        .clone()
        .with_max_attempts(7)
        .with_initial_backoff(Duration::from_millis(5))
        .with_max_backoff(Duration::from_millis(50))
        .with_max_retry_after(Duration::from_secs(3))
        .with_retry_non_idempotent(true);
    assert_eq!(p.max_attempts(), 7);
    assert_eq!(p.initial_backoff(), Duration::from_millis(5));
    assert_eq!(p.max_backoff(), Duration::from_millis(50));
    assert_eq!(p.max_retry_after(), Duration::from_secs(3));
    assert!(p.retry_non_idempotent());
    assert_eq!(d.clone().with_max_attempts(1), RetryPolicy::disabled());
    assert_eq!(d.clone().with_max_backoff(d.max_backoff()), d);
}

#[test]
fn methods_and_statuses() {
    let p = RetryPolicy::default();
    assert!(p.retries_method(&Method::GET));
    assert!(!p.retries_method(&Method::POST));
    let opt_in = p.clone().with_retry_non_idempotent(true);
    assert!(opt_in.retries_method(&Method::POST));
    for s in [408, 429, 500, 502, 503, 504] {
        assert!(is_retryable_status(StatusCode::from_u16(s).unwrap()));
    }
    for s in [200, 400, 401, 403, 404, 422, 501] {
        let status = StatusCode::from_u16(s).unwrap();
        assert!(!is_retryable_status(status));
        assert!(!opt_in.retries_status(&Method::GET, status));
    }
    // 408 and 429 for every method; 5xx for POST only on opt-in.
    for method in [Method::GET, Method::POST, Method::PATCH, Method::DELETE] {
        for s in [408, 429] {
            let status = StatusCode::from_u16(s).unwrap();
            assert!(p.retries_status(&method, status), "{method} {s}");
        }
        for s in [500, 502, 503, 504] {
            let status = StatusCode::from_u16(s).unwrap();
            let idempotent = method != Method::POST && method != Method::PATCH;
            assert_eq!(
                p.retries_status(&method, status),
                idempotent,
                "{method} {s}"
            );
            assert!(opt_in.retries_status(&method, status), "{method} {s}");
        }
    }
}
