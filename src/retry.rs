//! The retry policy, applied to every operation by the request hook (`src/hooks.rs`).

use std::time::Duration;

/// How failed attempts are retried.
///
/// Idempotent requests (GET) are retried on 408, 429, 500, 502, 503, 504, connection errors and
/// timeouts; other methods only with [`RetryPolicy::retry_non_idempotent`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1 disables retries).
    pub max_attempts: u32,
    /// Base of the exponential backoff (full jitter): attempt `n` waits up to `base * 2^(n-1)`.
    pub initial_backoff: Duration,
    /// Upper bound of one backoff wait.
    pub max_backoff: Duration,
    /// Longest `Retry-After` honoured by sleeping; a longer one is returned as an error.
    pub max_retry_after: Duration,
    /// Whether non-idempotent requests (POST, ...) are retried too.
    pub retry_non_idempotent: bool,
}

impl Default for RetryPolicy {
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
}
