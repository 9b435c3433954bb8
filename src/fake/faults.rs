//! Fault knobs: make the fake fail or slow down, to test retries and timeouts in your own code.

use std::time::Duration;

use super::FakeServer;

/// The fault settings of one server, behind its mutex.
#[derive(Debug, Default)]
pub(crate) struct Faults {
    /// Requests still to fail.
    remaining: u32,
    /// Status of the failures.
    status: u16,
    /// `Retry-After` seconds sent with the failures.
    retry_after: Option<u32>,
    /// Delay before every response.
    pub(crate) latency: Duration,
}

/// A failure to serve instead of the real answer.
#[derive(Debug, Clone, Copy)]
pub(crate) struct InjectedFailure {
    pub(crate) status: u16,
    pub(crate) retry_after: Option<u32>,
}

impl Faults {
    /// Takes one pending failure, if any.
    pub(crate) fn take(&mut self) -> Option<InjectedFailure> {
        if self.remaining == 0 {
            return None;
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
