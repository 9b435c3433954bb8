//! The retry policy, applied to every operation by the request hook (`src/hooks.rs`).
//!
//! One mechanism retries every request the generated client sends: progenitor's
//! `ClientHooks::exec`. An attempt is retried when it failed with
//!
//! * status 408 or 429, whatever the method: the server did not process the request;
//! * status 500, 502, 503 or 504, a transport error after the request was sent (connection
//!   reset, also in the middle of the body) or a timeout, when the request is idempotent
//!   (`GET`, `HEAD`, `OPTIONS`, `PUT`, `DELETE`, `TRACE`) or
//!   [`RetryPolicy::with_retry_non_idempotent`] is set: a `POST` may have been processed;
//! * a connection that could not be established, whatever the method: the request never left
//!   the client.
//!
//! [`RETRYABLE_STATUSES`] is the one list of retried statuses.
//!
//! The wait before the next attempt is the server's `Retry-After` (seconds or an HTTP date)
//! when it sent one, up to [`RetryPolicy::max_retry_after`]; a longer `Retry-After` is not
//! slept: the response is returned, and becomes [`Error::Api`](crate::Error::Api) with
//! `retry_after` set. Without `Retry-After` the wait is exponential backoff with full jitter.

use std::time::{Duration, SystemTime};

use reqwest::{Method, StatusCode, header::HeaderValue};

/// How failed attempts are retried.
///
/// Every request is retried on 408, 429 and connection failures; idempotent ones (GET) also
/// on 500, 502, 503, 504, transport errors and timeouts, other methods only with
/// [`RetryPolicy::with_retry_non_idempotent`]. See the [module docs](crate::retry).
///
/// The policy is `#[non_exhaustive]`: build it from [`RetryPolicy::default`] (or
/// [`RetryPolicy::disabled`]) and the `with_*` setters, so that a setting added later breaks
/// no code; read it with the getters of the same names.
///
/// ```
/// use std::time::Duration;
/// use elevenlabs_agent_tests::{Client, RetryPolicy};
///
/// let policy = RetryPolicy::default()
///     .with_max_attempts(5)
///     .with_initial_backoff(Duration::from_millis(100));
/// let client = Client::builder().retry(policy).build().unwrap();
/// assert_eq!(client.state().retry().max_attempts(), 5);
/// assert_eq!(client.state().retry().max_backoff(), Duration::from_secs(10)); // the default
///
/// let once = Client::builder().retry(RetryPolicy::disabled()).build().unwrap();
/// assert_eq!(once.state().retry().max_attempts(), 1);
/// ```
///
/// A struct literal does not compile, even with `..Default::default()`:
///
/// ```compile_fail
/// # use elevenlabs_agent_tests::RetryPolicy;
/// let policy = RetryPolicy { max_attempts: 5, ..RetryPolicy::default() };
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    max_attempts: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    max_retry_after: Duration,
    retry_non_idempotent: bool,
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
        Self::default().with_max_attempts(1)
    }

    /// Attempts in all, the first included (default 3; 1 disables retries; 0 is refused by
    /// [`ClientBuilder::build`](crate::ClientBuilder::build)).
    pub fn with_max_attempts(mut self, max_attempts: u32) -> Self {
        self.max_attempts = max_attempts;
        self
    }

    /// Base of the exponential backoff (default 200 ms); see [`RetryPolicy::backoff`].
    pub fn with_initial_backoff(mut self, initial_backoff: Duration) -> Self {
        self.initial_backoff = initial_backoff;
        self
    }

    /// Upper bound of one backoff wait (default 10 s).
    pub fn with_max_backoff(mut self, max_backoff: Duration) -> Self {
        self.max_backoff = max_backoff;
        self
    }

    /// Longest `Retry-After` honoured by sleeping (default 60 s); a response asking for a
    /// longer wait is returned as an error at once.
    pub fn with_max_retry_after(mut self, max_retry_after: Duration) -> Self {
        self.max_retry_after = max_retry_after;
        self
    }

    /// Whether non-idempotent requests (POST, PATCH) are retried on 5xx and transport errors
    /// too (default `false`: they may have been processed already).
    pub fn with_retry_non_idempotent(mut self, retry_non_idempotent: bool) -> Self {
        self.retry_non_idempotent = retry_non_idempotent;
        self
    }

    /// Attempts in all, the first included.
    pub fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// Base of the exponential backoff.
    pub fn initial_backoff(&self) -> Duration {
        self.initial_backoff
    }

    /// Upper bound of one backoff wait.
    pub fn max_backoff(&self) -> Duration {
        self.max_backoff
    }

    /// Longest `Retry-After` honoured by sleeping.
    pub fn max_retry_after(&self) -> Duration {
        self.max_retry_after
    }

    /// Whether non-idempotent requests are retried on 5xx and transport errors too.
    pub fn retry_non_idempotent(&self) -> bool {
        self.retry_non_idempotent
    }

    /// Whether requests with `method` may be retried under this policy after the server may
    /// have processed them (on a 5xx, a transport error or a timeout).
    pub fn retries_method(&self, method: &Method) -> bool {
        self.retry_non_idempotent || is_idempotent(method)
    }

    /// Whether a `method` request answered with `status` is retried under this policy
    /// (attempts and the operation timeout permitting).
    ///
    /// ```
    /// use elevenlabs_agent_tests::RetryPolicy;
    /// use reqwest::{Method, StatusCode};
    ///
    /// let policy = RetryPolicy::default();
    /// // 429 and 408: the request was not processed, so any method is retried.
    /// assert!(policy.retries_status(&Method::POST, StatusCode::TOO_MANY_REQUESTS));
    /// assert!(policy.retries_status(&Method::PATCH, StatusCode::REQUEST_TIMEOUT));
    /// // 503: a POST may have been processed; retried only on opt-in.
    /// assert!(policy.retries_status(&Method::GET, StatusCode::SERVICE_UNAVAILABLE));
    /// assert!(!policy.retries_status(&Method::POST, StatusCode::SERVICE_UNAVAILABLE));
    /// let opt_in = policy.with_retry_non_idempotent(true);
    /// assert!(opt_in.retries_status(&Method::POST, StatusCode::SERVICE_UNAVAILABLE));
    /// assert!(!opt_in.retries_status(&Method::GET, StatusCode::NOT_FOUND));
    /// ```
    pub fn retries_status(&self, method: &Method, status: StatusCode) -> bool {
        match status_retry(status) {
            Some(StatusRetry::AnyMethod) => true,
            Some(StatusRetry::IdempotentOnly) => self.retries_method(method),
            None => false,
        }
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

/// Why the request hook handed a failed response back instead of trying again; carried by
/// [`Error::Api`](crate::Error::Api) as `stopped`, and shown in its message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StopReason {
    /// The status is not one that is retried (401, 404, 422, ...; see [`RETRYABLE_STATUSES`]).
    NotRetryable,
    /// Retries are disabled: [`RetryPolicy::max_attempts`] is 1.
    RetriesDisabled,
    /// The status (a 5xx) is retried only for idempotent requests, this one is not (a POST
    /// the server may have processed), and [`RetryPolicy::with_retry_non_idempotent`] is off.
    NotIdempotent,
    /// Every attempt allowed by [`RetryPolicy::max_attempts`] failed.
    AttemptsExhausted {
        /// Attempts made, the first included.
        attempts: u32,
    },
    /// The server's `Retry-After` is longer than [`RetryPolicy::max_retry_after`], so it was
    /// not slept.
    RetryAfterOverCap {
        /// The policy's cap.
        cap: Duration,
    },
    /// The request's body is a stream, which cannot be sent a second time.
    BodyNotReplayable,
    /// The wait before the next attempt would end after the call's operation timeout
    /// ([`ClientBuilder::operation_timeout`](crate::ClientBuilder::operation_timeout)).
    OperationTimeout {
        /// The operation timeout.
        timeout: Duration,
    },
}

impl std::fmt::Display for StopReason {
    /// Why it was not retried, as a clause: `not retried: retries are disabled (...)`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NotRetryable => f.write_str("not retried: this status is not retryable"),
            Self::RetriesDisabled => {
                f.write_str("not retried: retries are disabled (RetryPolicy::max_attempts is 1)")
            }
            Self::NotIdempotent => f.write_str(
                "not retried: the request is not idempotent and may have been processed \
                 (RetryPolicy::with_retry_non_idempotent allows it)",
            ),
            Self::AttemptsExhausted { attempts } => {
                write!(
                    f,
                    "gave up after {attempts} attempts (RetryPolicy::max_attempts)"
                )
            }
            Self::RetryAfterOverCap { cap } => write!(
                f,
                "not retried: the wait is longer than RetryPolicy::max_retry_after ({} s), \
                 so it was not slept",
                cap.as_secs_f64()
            ),
            Self::BodyNotReplayable => {
                f.write_str("not retried: the request body is a stream and cannot be sent again")
            }
            Self::OperationTimeout { timeout } => write!(
                f,
                "not retried: the next attempt would start after the operation timeout \
                 ({} s, ClientBuilder::operation_timeout)",
                timeout.as_secs_f64()
            ),
        }
    }
}

/// HTTP methods that RFC 9110 defines as idempotent.
pub(crate) fn is_idempotent(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::PUT | Method::DELETE | Method::TRACE
    )
}

/// For which requests a retryable status is retried.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StatusRetry {
    /// The server did not process the request (408, 429): retried whatever the method.
    AnyMethod,
    /// The server may have processed the request (5xx): retried for idempotent methods, for
    /// others only with [`RetryPolicy::with_retry_non_idempotent`].
    IdempotentOnly,
}

/// The statuses worth another attempt, and for which requests: the one list the request hook,
/// its status check and [`RetryPolicy::retries_status`] read.
pub const RETRYABLE_STATUSES: &[(u16, StatusRetry)] = &[
    (408, StatusRetry::AnyMethod),
    (429, StatusRetry::AnyMethod),
    (500, StatusRetry::IdempotentOnly),
    (502, StatusRetry::IdempotentOnly),
    (503, StatusRetry::IdempotentOnly),
    (504, StatusRetry::IdempotentOnly),
];

/// How `status` is retried, from [`RETRYABLE_STATUSES`]; `None` when it is not.
pub(crate) fn status_retry(status: StatusCode) -> Option<StatusRetry> {
    RETRYABLE_STATUSES
        .iter()
        .find(|(code, _)| *code == status.as_u16())
        .map(|(_, how)| *how)
}

/// Statuses worth another attempt (for some requests at least): those of
/// [`RETRYABLE_STATUSES`], 408, 429, 500, 502, 503, 504.
#[doc(hidden)]
pub fn is_retryable_status(status: StatusCode) -> bool {
    status_retry(status).is_some()
}

/// Parses a `Retry-After` value: delay-seconds, or an HTTP date taken relative to `now`
/// (a date in the past means "now": zero). `None` when the value is neither.
#[doc(hidden)]
pub fn parse_retry_after(value: &HeaderValue, now: SystemTime) -> Option<Duration> {
    let text = value.to_str().ok()?.trim();
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        // Absurdly long digit strings saturate; they are over any cap anyway.
        return Some(Duration::from_secs(text.parse().unwrap_or(u64::MAX)));
    }
    let when = httpdate::parse_http_date(text).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}
