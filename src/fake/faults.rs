//! Fault knobs: make the fake fail or slow down, to test retries and timeouts in your own code.

use std::time::Duration;

use super::FakeServer;

/// The fault settings of one server, behind its mutex.
#[derive(Debug, Default)]
pub struct Faults {
    /// Requests still to fail.
    pub remaining: u32,
    /// Status of the failures.
    pub status: u16,
    /// `Retry-After` seconds sent with the failures.
    pub retry_after: Option<u32>,
    /// Delay before every response.
    pub latency: Duration,
    /// Write requests (any method but `GET`) still to serve normally before failing some.
    pub writes_to_pass: u32,
    /// Write requests to fail once `writes_to_pass` is spent.
    pub writes_to_fail: u32,
    /// Status of the failed writes.
    pub write_status: u16,
}

/// A failure to serve instead of the real answer.
#[derive(Debug, Clone, Copy)]
pub struct InjectedFailure {
    pub status: u16,
    pub(crate) retry_after: Option<u32>,
}

impl Faults {
    /// Takes one pending failure for a request, if any: those of [`FakeServer::fail_next`]
    /// first, then, for a write (`is_write`: any method but `GET`), those of
    /// [`FakeServer::fail_writes`].
    pub fn take(&mut self, is_write: bool) -> Option<InjectedFailure> {
        if self.remaining == 0 {
            if !is_write || self.writes_to_fail == 0 {
                return None;
            }
            if self.writes_to_pass > 0 {
                self.writes_to_pass -= 1;
                return None;
            }
            self.writes_to_fail -= 1;
            return Some(InjectedFailure {
                status: self.write_status,
                retry_after: None,
            });
        }
        self.remaining -= 1;
        Some(InjectedFailure {
            status: self.status,
            retry_after: self.retry_after,
        })
    }
}

/// ElevenLabs' `detail.status` code and message for an injected failure.
pub(crate) fn failure_detail(status: u16) -> (&'static str, &'static str) {
    match status {
        429 => (
            "too_many_concurrent_requests",
            "Too many concurrent requests; please retry later.",
        ),
        408 => ("request_timeout", "The request timed out."),
        500 => (
            "internal_server_error",
            "An internal server error occurred.",
        ),
        502 => ("bad_gateway", "Bad gateway."),
        503 => (
            "system_busy",
            "The system is experiencing heavy traffic; please try again later.",
        ),
        504 => ("gateway_timeout", "Gateway timeout."),
        401 => ("invalid_api_key", "Invalid API key"),
        403 => ("forbidden", "You do not have access to this resource."),
        _ => ("injected_failure", "Failure injected by the fake server."),
    }
}

impl FakeServer {
    /// Fails the next `k` requests (to any path, before any other check) with `status` and a
    /// JSON body shaped like ElevenLabs' errors (`{"detail":{"status":..,"message":..}}`),
    /// plus a `Retry-After: <seconds>` header when `retry_after` is given. Replaces any
    /// failures still pending; `k = 0` cancels them.
    ///
    /// `status` should be a 4xx or 5xx code; anything outside `100..=999` is served as 500.
    ///
    /// ```
    /// # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use elevenlabs_agent_tests::{RetryPolicy, fake::FakeServer};
    ///
    /// let server = FakeServer::start().await?;
    /// server.fail_next(1, 503, Some(0));
    /// let client = server.client_builder().retry(RetryPolicy::disabled()).build()?;
    /// assert!(client.list_test_invocations().send().await.is_err()); // the injected 503
    /// assert!(client.list_test_invocations().send().await.is_ok()); // served normally
    /// assert_eq!(server.requests()[0].status, 503);
    /// # Ok(()) }
    /// ```
    pub fn fail_next(&self, k: u32, status: u16, retry_after: Option<u32>) {
        let mut faults = self.shared.faults.lock().unwrap_or_else(|p| p.into_inner());
        faults.remaining = k;
        faults.status = if (100..=999).contains(&status) {
            status
        } else {
            500
        };
        faults.retry_after = retry_after;
    }

    /// Serves the next `after` write requests (any method but `GET`: creates, updates,
    /// deletes, runs) normally, then fails the `k` writes after them with `status` (same body
    /// as [`FakeServer::fail_next`], no `Retry-After`); reads are never failed by this knob.
    /// `fail_writes(2, 1, 500)` fails the third write. Replaces the write failures still
    /// pending; `k = 0` cancels them. [`FakeServer::fail_next`] failures are served first.
    ///
    /// ```
    /// # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use elevenlabs_agent_tests::{RetryPolicy, fake::FakeServer};
    ///
    /// let server = FakeServer::start().await?;
    /// server.fail_writes(1, 1, 500);
    /// let client = server.client_builder().retry(RetryPolicy::disabled()).build()?;
    /// let id = server.tests()[0].id.clone();
    /// assert!(client.delete_test().test_id(&id).send().await.is_ok()); // the first write
    /// assert!(client.list_tests().send().await.is_ok()); // a read: never failed
    /// let other = server.tests()[0].id.clone();
    /// assert!(client.delete_test().test_id(&other).send().await.is_err()); // the second
    /// assert!(client.delete_test().test_id(&other).send().await.is_ok());
    /// # Ok(()) }
    /// ```
    pub fn fail_writes(&self, after: u32, k: u32, status: u16) {
        let mut faults = self.shared.faults.lock().unwrap_or_else(|p| p.into_inner());
        faults.writes_to_pass = after;
        faults.writes_to_fail = k;
        faults.write_status = if (100..=999).contains(&status) {
            status
        } else {
            500
        };
    }

    /// How many injected failures are still to be served.
    pub fn pending_failures(&self) -> u32 {
        self.shared
            .faults
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remaining
    }

    /// Delays every response by `latency` (`Duration::ZERO` turns it off). The delay is a
    /// `tokio::time::sleep`, so it follows a paused test clock.
    pub fn set_latency(&self, latency: Duration) {
        self.shared
            .faults
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .latency = latency;
    }

    /// Cancels pending failures and latency.
    pub fn clear_faults(&self) {
        *self.shared.faults.lock().unwrap_or_else(|p| p.into_inner()) = Faults::default();
    }
}
