//! The retry policy, applied to every operation by the request hook (`src/hooks.rs`).
//!
//! One mechanism retries every request the generated client sends: progenitor's
//! `ClientHooks::exec`. An attempt is retried when
//!
//! * the request is idempotent (`GET`, `HEAD`, `OPTIONS`, `PUT`, `DELETE`, `TRACE`), or
//!   [`RetryPolicy::retry_non_idempotent`] is set, and
//! * it failed with status 408, 429, 500, 502, 503 or 504, with a transport error (connection
//!   refused or reset, also in the middle of the body), or it timed out.
//!
//! A connection that could not be established is retried whatever the method: the request
//! never left the client.
//!
//! The wait before the next attempt is the server's `Retry-After` (seconds or an HTTP date)
//! when it sent one, up to [`RetryPolicy::max_retry_after`]; a longer `Retry-After` is not
//! slept: the response is returned, and becomes [`Error::Api`](crate::Error::Api) with
//! `retry_after` set. Without `Retry-After` the wait is exponential backoff with full jitter.

use std::time::{Duration, SystemTime};

use reqwest::{Method, StatusCode, header::HeaderValue};

/// How failed attempts are retried.
///
/// Idempotent requests (GET) are retried on 408, 429, 500, 502, 503, 504, connection errors and
/// timeouts; other methods only with [`RetryPolicy::retry_non_idempotent`].
///
/// ```
/// use std::time::Duration;
/// use elevenlabs_agent_tests::{Client, RetryPolicy};
///
/// let policy = RetryPolicy {
///     max_attempts: 5,
///     initial_backoff: Duration::from_millis(100),
///     ..RetryPolicy::default()
/// };
/// let client = Client::builder().retry(policy).build().unwrap();
/// assert_eq!(client.state().retry().max_attempts, 5);
///
/// let once = Client::builder().retry(RetryPolicy::disabled()).build().unwrap();
/// assert_eq!(once.state().retry().max_attempts, 1);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1 disables retries; 0 is refused by the builder).
    pub max_attempts: u32,
    /// Base of the exponential backoff (full jitter): retry `n` waits a random time in
    /// `0..=min(max_backoff, initial_backoff * 2^(n-1))`.
    pub initial_backoff: Duration,
    /// Upper bound of one backoff wait.
    pub max_backoff: Duration,
    /// Longest `Retry-After` honoured by sleeping; a longer one is returned as an error.
    pub max_retry_after: Duration,
    /// Whether non-idempotent requests (POST, PATCH) are retried too.
    pub retry_non_idempotent: bool,
}

impl Default for RetryPolicy {
    /// 3 attempts in all, backoff from 200 ms up to 10 s, `Retry-After` honoured up to 60 s,
    /// idempotent requests only.
    fn default() -> Self {
        Self {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(10),
            max_retry_after: Duration::from_secs(60),
            retry_non_idempotent: false,
        }
    }
}

impl RetryPolicy {
    /// No retries: every request is attempted once.
    pub fn disabled() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// Whether requests with `method` may be retried under this policy (on a status or error
    /// that is itself retryable).
    pub fn retries_method(&self, method: &Method) -> bool {
        self.retry_non_idempotent || is_idempotent(method)
    }

    /// The full-jitter backoff before retry number `retry` (1 = the wait after the first
    /// attempt): a uniformly random duration in `0..=min(max_backoff, initial_backoff * 2^(retry-1))`.
    pub fn backoff(&self, retry: u32) -> Duration {
        let exp = retry.saturating_sub(1).min(31);
        let ceiling = self
            .initial_backoff
            .saturating_mul(1u32 << exp)
            .min(self.max_backoff);
        let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
        Duration::from_nanos(fastrand::u64(0..=nanos))
    }
}

/// HTTP methods that RFC 9110 defines as idempotent.
pub fn is_idempotent(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::PUT | Method::DELETE | Method::TRACE
    )
}

/// Statuses worth another attempt: 408, 429, 500, 502, 503, 504.
pub fn is_retryable_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 408 | 429 | 500 | 502 | 503 | 504)
}

/// Parses a `Retry-After` value: delay-seconds, or an HTTP date taken relative to `now`
/// (a date in the past means "now": zero). `None` when the value is neither.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use elevenlabs_agent_tests::retry::parse_retry_after;
/// use reqwest::header::HeaderValue;
///
/// let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
/// assert_eq!(parse_retry_after(&HeaderValue::from_static("7"), now), Some(Duration::from_secs(7)));
/// let date = HeaderValue::from_str(&httpdate::fmt_http_date(now + Duration::from_secs(30))).unwrap();
/// assert_eq!(parse_retry_after(&date, now), Some(Duration::from_secs(30)));
/// assert_eq!(parse_retry_after(&HeaderValue::from_static("soon"), now), None);
/// ```
pub fn parse_retry_after(value: &HeaderValue, now: SystemTime) -> Option<Duration> {
    let text = value.to_str().ok()?.trim();
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        // Absurdly long digit strings saturate; they are over any cap anyway.
        return Some(Duration::from_secs(text.parse().unwrap_or(u64::MAX)));
    }
    let when = httpdate::parse_http_date(text).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_stays_under_the_exponential_ceiling() {
        let p = RetryPolicy {
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(350),
            ..RetryPolicy::default()
        };
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
    fn methods_and_statuses() {
        let p = RetryPolicy::default();
        assert!(p.retries_method(&Method::GET));
        assert!(!p.retries_method(&Method::POST));
        let opt_in = RetryPolicy {
            retry_non_idempotent: true,
            ..p
        };
        assert!(opt_in.retries_method(&Method::POST));
        for s in [408, 429, 500, 502, 503, 504] {
            assert!(is_retryable_status(StatusCode::from_u16(s).unwrap()));
        }
        for s in [200, 400, 401, 403, 404, 422, 501] {
            assert!(!is_retryable_status(StatusCode::from_u16(s).unwrap()));
        }
    }
}
