//! Request hooks: the one place every generated operation passes through.
//!
//! * `pre` refuses integer query parameters outside the spec's bounds (`page_size` 1..=100)
//!   before anything is sent, and adds the API key (sensitive `xi-api-key` header) and the
//!   per-attempt timeout to every request, so that both apply to a `reqwest::Client` brought
//!   with `ClientBuilder::http_client` too;
//! * `exec` runs the attempts: it buffers the body inside the attempt (so a connection reset in
//!   the middle of a body is retried like any transport error), sleeps between attempts as the
//!   [`RetryPolicy`] says, within the operation timeout, and records one `elevenlabs.request`
//!   tracing span per attempt.
//!
//! Where a hook knows why the call fails (a parameter out of range, a failed response handed
//! back, the operation timeout), it builds the crate's [`Error`] there and records it for the
//! call ([`call::record`]); `send` hands that back.

use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use progenitor_client::{ClientHooks, ClientInfo, OperationInfo};
use reqwest::{Request, Response, ResponseBuilderExt, header::RETRY_AFTER};
use tracing::Instrument;

use crate::{
    Client, Error, call,
    config::ClientState,
    retry::{RetryPolicy, StopReason, is_retryable_status, parse_retry_after},
};

/// Checks one query parameter's value against the spec's bounds for `operation_id`:
/// [`Error::InvalidParameter`] when it is out of range (or not an integer where bounds apply).
///
/// The one bounds check of the crate: the `pre` hook runs it on every request, a listing's
/// first page included.
pub(crate) fn check_param(operation_id: &str, name: &str, value: &str) -> Result<(), Error> {
    let Some(parameter) = crate::spec::Tables::current().parameter_entry(operation_id, name) else {
        return Ok(());
    };
    let Some((min, max)) = parameter.facts.int_range() else {
        return Ok(());
    };
    let bound = crate::spec::Bound::Int { min, max };
    let in_range = value
        .parse::<i128>()
        .is_ok_and(|v| bound.side_of(v).is_none());
    if !in_range {
        return Err(Error::out_of_range(&parameter.name, min, max, value));
    }
    Ok(())
}

/// Checks the integer query parameters of `request` against the spec's bounds.
pub fn check_query_bounds(request: &Request, operation_id: &str) -> Result<(), Error> {
    request
        .url()
        .query_pairs()
        .try_for_each(|(name, value)| check_param(operation_id, &name, &value))
}

impl ClientHooks<ClientState> for Client {
    async fn pre<E>(
        &self,
        request: &mut Request,
        info: &OperationInfo,
    ) -> Result<(), progenitor_client::Error<E>> {
        if let Err(refusal) = check_query_bounds(request, info.operation_id) {
            let message = refusal.to_string();
            call::record(refusal);
            return Err(progenitor_client::Error::InvalidRequest(message));
        }
        let state = self.inner();
        // On every request, not only as the client's default header: a `reqwest::Client`
        // brought with `ClientBuilder::http_client` has none.
        if let Some(key) = &state.key_header {
            request
                .headers_mut()
                .entry(crate::config::API_KEY_HEADER)
                .or_insert_with(|| key.clone());
        }
        request.timeout_mut().get_or_insert(state.attempt_timeout);
        Ok(())
    }

    async fn exec(&self, request: Request, info: &OperationInfo) -> reqwest::Result<Response> {
        let state = self.inner();
        execute(
            self.client(),
            &state.retry,
            state.operation_timeout,
            request,
            info.operation_id,
        )
        .await
    }
}

/// What `exec` hands progenitor for a call that ran out of its operation timeout, after
/// recording [`Error::OperationTimeout`]: a `504 Gateway Timeout` built here, never sent by a
/// server, which only carries the call to `send`'s end (progenitor's `exec` must return a
/// response or a `reqwest::Error`, and reqwest lets no one build the latter).
fn operation_timeout_placeholder() -> Response {
    let mut response = http::Response::new(Bytes::new());
    *response.status_mut() = reqwest::StatusCode::GATEWAY_TIMEOUT;
    Response::from(response)
}

/// Runs `request` with retries under `policy`, within `operation_timeout` in all. For a failed
/// response handed back and for the operation timeout, records the call's [`Error`].
pub async fn execute(
    http: &reqwest::Client,
    policy: &RetryPolicy,
    operation_timeout: Duration,
    request: Request,
    operation_id: &'static str,
) -> reqwest::Result<Response> {
    let max_attempts = policy.max_attempts().max(1);
    let method = request.method().clone();
    let path = request.url().path().to_owned();
    // `None`: so far in the future that it cannot be represented; no deadline then.
    let deadline = tokio::time::Instant::now().checked_add(operation_timeout);
    let mut next_request = Some(request);
    let mut attempt = 0u32;
    loop {
        attempt += 1;
        let Some(current) = next_request.take() else {
            unreachable!("a request is kept for every attempt that is started");
        };
        if attempt < max_attempts {
            // `None` for streaming bodies: then this attempt is the last.
            next_request = current.try_clone();
        }
        let span = tracing::info_span!(
            "elevenlabs.request",
            method = %method,
            path = %path,
            operation = operation_id,
            attempt,
            status = tracing::field::Empty,
            latency_ms = tracing::field::Empty,
        );
        let started = Instant::now();
        let attempt_run = attempt_once(http, current).instrument(span.clone());
        let outcome = match deadline {
            Some(deadline) => match tokio::time::timeout_at(deadline, attempt_run).await {
                Ok(outcome) => outcome,
                Err(_) => {
                    let error = Error::OperationTimeout {
                        timeout: operation_timeout,
                        attempts: attempt,
                    };
                    span.in_scope(|| tracing::debug!(%error, "operation timeout"));
                    call::record(error);
                    return Ok(operation_timeout_placeholder());
                }
            },
            None => attempt_run.await,
        };
        let latency_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        span.record("latency_ms", latency_ms);

        // `Ok`: retry after this wait, for this reason; `Err`: hand the outcome back, with
        // why for a failed response.
        let decision = match &outcome {
            Ok(received) => {
                let status = received.response.status();
                span.record("status", status.as_u16());
                if status.is_success() {
                    Err(None)
                } else {
                    decide_on_status(policy, &method, status, received.retry_after, attempt)
                        .map_err(Some)
                }
            }
            Err(error) => decide_on_error(policy, &method, error, attempt).ok_or(None),
        };
        let decision = decision.and_then(|(wait, reason)| {
            if next_request.is_none() {
                return Err(Some(StopReason::BodyNotReplayable));
            }
            // A wait ending after the deadline would only end in an operation timeout.
            let fits = deadline.is_none_or(|d| {
                tokio::time::Instant::now()
                    .checked_add(wait)
                    .is_some_and(|end| end < d)
            });
            if !fits {
                return Err(Some(StopReason::OperationTimeout {
                    timeout: operation_timeout,
                }));
            }
            Ok((wait, reason))
        });
        let _entered = span.enter();
        match decision {
            Ok((wait, reason)) => {
                tracing::info!(
                    wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                    reason = %reason,
                    "attempt failed; retrying"
                );
                drop(_entered);
                tokio::time::sleep(wait).await;
            }
            Err(stopped) => {
                return match outcome {
                    Ok(Received {
                        response,
                        body,
                        retry_after,
                    }) => {
                        let status = response.status();
                        tracing::debug!(status = status.as_u16(), "attempt finished");
                        // Every failed response handed back has a reason to stop.
                        if let Some(stopped) = stopped {
                            let mut raw = http::Response::new(body);
                            *raw.status_mut() = status;
                            *raw.version_mut() = response.version();
                            *raw.headers_mut() = response.headers().clone();
                            call::record(Error::api(raw, retry_after, stopped));
                        }
                        Ok(response)
                    }
                    Err(e) => {
                        tracing::debug!(error = %e, "attempt failed");
                        Err(e)
                    }
                };
            }
        }
    }
}

/// For a failed response: the wait before the next attempt and the reason (for the trace),
/// or why there is none. Which statuses are retried for which methods is
/// [`RetryPolicy::retries_status`] (one list, in `retry.rs`).
fn decide_on_status(
    policy: &RetryPolicy,
    method: &reqwest::Method,
    status: reqwest::StatusCode,
    retry_after: Option<Duration>,
    attempt: u32,
) -> Result<(Duration, String), StopReason> {
    if !is_retryable_status(status) {
        return Err(StopReason::NotRetryable);
    }
    if policy.max_attempts() <= 1 {
        return Err(StopReason::RetriesDisabled);
    }
    if !policy.retries_status(method, status) {
        return Err(StopReason::NotIdempotent);
    }
    if attempt >= policy.max_attempts() {
        return Err(StopReason::AttemptsExhausted { attempts: attempt });
    }
    // The status as it is: `503 Service Unavailable`, `429 Too Many Requests`.
    let reason = status.to_string();
    match retry_after {
        // Beyond the cap: do not sleep, the caller gets the 429 with `retry_after`.
        Some(wait) if wait > policy.max_retry_after() => Err(StopReason::RetryAfterOverCap {
            cap: policy.max_retry_after(),
        }),
        Some(wait) => Ok((wait, reason)),
        None => Ok((policy.backoff(attempt), reason)),
    }
}

/// The wait before another attempt after a transport error and the reason, when it is worth
/// one.
pub fn decide_on_error(
    policy: &RetryPolicy,
    method: &reqwest::Method,
    error: &reqwest::Error,
    attempt: u32,
) -> Option<(Duration, String)> {
    if attempt >= policy.max_attempts()
        || error.is_builder()
        || error.is_redirect()
        || error.is_status()
    {
        return None;
    }
    let reason = if error.is_connect() {
        "connection failed"
    } else if error.is_timeout() {
        "timed out"
    } else if error.is_body() || error.is_decode() {
        "response body interrupted"
    } else {
        "transport error"
    }
    .to_owned();
    // A connection that was never established carried no request: safe for any method.
    (error.is_connect() || policy.retries_method(method)).then(|| (policy.backoff(attempt), reason))
}

/// A response read whole by one attempt.
#[derive(Debug)]
pub struct Received {
    /// The response, its body buffered in it again (for progenitor to decode).
    response: Response,
    /// The same body.
    body: Bytes,
    /// Its `Retry-After`, as computed when it arrived.
    retry_after: Option<Duration>,
}

/// One attempt: send, read the whole body (within the client's timeout), rebuild the response.
pub async fn attempt_once(http: &reqwest::Client, request: Request) -> reqwest::Result<Received> {
    let mut response = http.execute(request).await?;
    let status = response.status();
    let version = response.version();
    let url = response.url().clone();
    let headers = std::mem::take(response.headers_mut());
    let extensions = std::mem::take(response.extensions_mut());
    let body = response.bytes().await?;

    let retry_after = headers
        .get(RETRY_AFTER)
        .and_then(|v| parse_retry_after(v, SystemTime::now()));
    // Nothing fallible is set on this builder, so `body` cannot fail; the fallback only drops
    // the URL.
    let mut rebuilt = http::Response::builder()
        .url(url)
        .body(body.clone())
        .unwrap_or_else(|_| http::Response::new(body.clone()));
    *rebuilt.status_mut() = status;
    *rebuilt.version_mut() = version;
    *rebuilt.headers_mut() = headers;
    rebuilt.extensions_mut().extend(extensions);
    Ok(Received {
        response: Response::from(rebuilt),
        body,
        retry_after,
    })
}
