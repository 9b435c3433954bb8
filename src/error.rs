//! The crate's one error type.
//!
//! Every API of the crate returns [`Error`]: the generated `.send()` methods (`build.rs` makes
//! them return it; `call.rs` says how), the pagination streams and the wait. Each error is
//! built where its failure is known: a refused parameter and a failed response by the request
//! hooks, a transport error from reqwest's, a body that does not decode by its type.

use std::time::Duration;

use crate::retry::StopReason;
use crate::types::HttpValidationError;

/// Errors of this crate.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The client could not be built (bad base URL, plain-HTTP key to a remote host, ...).
    Config {
        /// What is wrong and how to fix it.
        message: String,
    },
    /// A parameter was refused before any request was sent.
    InvalidParameter {
        /// The parameter's name, as in the API (`page_size`).
        name: &'static str,
        /// What is wrong with it.
        message: String,
    },
    /// The API answered 422 with its typed validation error.
    Validation {
        /// The parsed body.
        body: HttpValidationError,
    },
    /// The API answered with another non-success status.
    ///
    /// `#[non_exhaustive]`: match it with `..`, so that a field added later breaks no code.
    #[non_exhaustive]
    Api {
        /// The HTTP status.
        status: reqwest::StatusCode,
        /// ElevenLabs' machine-readable code (`detail.status`, e.g. `invalid_api_key`).
        code: Option<String>,
        /// ElevenLabs' message (`detail.message`), or a short excerpt of the body.
        message: String,
        /// `Retry-After`, when the server sent one.
        retry_after: Option<Duration>,
        /// Why the client handed this response back instead of trying again: attempts
        /// exhausted, `Retry-After` over the cap, retries disabled, a status not retried (for
        /// this method), ...
        stopped: StopReason,
        /// The response as received: status, headers (a request id, rate-limit headers, ...)
        /// and the whole body.
        response: Box<http::Response<bytes::Bytes>>,
    },
    /// The request did not complete: connection refused or reset, DNS, TLS, ...
    Transport {
        /// The underlying error.
        source: reqwest::Error,
    },
    /// An attempt exceeded the configured per-attempt timeout (after any retries).
    Timeout {
        /// The underlying error.
        source: reqwest::Error,
    },
    /// The whole call, retries and waits included, exceeded
    /// [`ClientBuilder::operation_timeout`](crate::ClientBuilder::operation_timeout); the
    /// attempt in flight then was abandoned. `#[non_exhaustive]`, as [`Error::Api`].
    #[non_exhaustive]
    OperationTimeout {
        /// The operation timeout.
        timeout: Duration,
        /// Attempts started, the abandoned one included.
        attempts: u32,
    },
    /// The response body does not match the schema.
    Decode {
        /// JSON path of the failing field (`results[3].created_at_unix_secs`); `(top level)`
        /// when the body is not JSON or not an object at all.
        path: String,
        /// What serde said.
        message: String,
        /// At most 200 characters of the body around the failure (never the whole of it).
        excerpt: String,
    },
    /// The server broke the cursor-pagination contract.
    Pagination(PaginationError),
    /// A wait for a test invocation ([`Client::wait_for_test_invocation`](crate::wait::TestInvocationWaitExt::wait_for_test_invocation))
    /// gave up: the invocation had not finished when its timeout ran out. The last snapshot
    /// polled (if any) is kept, so what did finish can still be reported.
    #[non_exhaustive]
    WaitTimedOut {
        /// The invocation waited for.
        invocation_id: String,
        /// The wait's timeout.
        timeout: Duration,
        /// Polls sent (`GET`s of the invocation).
        polls: u32,
        /// The last snapshot received, `None` if no poll succeeded before the timeout.
        last: Option<Box<crate::types::GetTestSuiteInvocationResponseModel>>,
    },
    /// An error the generated client reported that none of the above describes (progenitor's
    /// `Error::Custom`, which only custom hooks produce, or a refusal no hook recorded): this
    /// crate's hooks never cause one. Seeing it is a bug of this crate: please report it with
    /// the message.
    Unexpected {
        /// The generated client's message.
        message: String,
    },
}

/// A violation of the cursor-pagination contract, detected by the pagination engine.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PaginationError {
    /// `has_more: true` with a missing or empty `next_cursor`.
    MissingCursor {
        /// 1-based number of the offending page in this listing.
        page: u64,
    },
    /// `next_cursor` repeats a cursor already used in this listing.
    RepeatedCursor {
        /// 1-based number of the offending page in this listing.
        page: u64,
        /// The repeated cursor.
        cursor: String,
    },
}

impl std::fmt::Display for PaginationError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::MissingCursor { page } => write!(
                f,
                "page {page} says has_more=true but has no next_cursor; the listing cannot continue"
            ),
            Self::RepeatedCursor { page, cursor } => write!(
                f,
                "page {page} returned next_cursor {cursor:?}, already used in this listing; stopping to avoid an endless loop"
            ),
        }
    }
}

impl std::error::Error for PaginationError {}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Config { message } => write!(f, "invalid client configuration: {message}"),
            Self::InvalidParameter { name, message } => {
                write!(f, "invalid parameter `{name}`: {message}")
            }
            Self::Validation { body } => {
                f.write_str("the API refused the request (422)")?;
                for (i, e) in body.detail.iter().enumerate() {
                    let loc: Vec<String> = e.loc.iter().map(|l| l.to_string()).collect();
                    let sep = if i == 0 { ": " } else { "; " };
                    write!(f, "{sep}{}: {}", loc.join("."), e.msg)?;
                }
                Ok(())
            }
            Self::Api {
                status,
                code,
                message,
                retry_after,
                stopped,
                ..
            } => {
                write!(f, "the API answered {status}")?;
                if let Some(code) = code {
                    write!(f, " ({code})")?;
                }
                write!(f, ": {message}")?;
                if let Some(wait) = retry_after {
                    write!(f, "; the server asks to retry after {} s", wait.as_secs())?;
                }
                // Why the client did not try again, for a status it may retry.
                if *stopped != StopReason::NotRetryable {
                    write!(f, "; {stopped}")?;
                }
                match status.as_u16() {
                    401 => f.write_str(
                        "; check the API key (set ELEVENLABS_API_KEY or pass ClientBuilder::api_key)",
                    )?,
                    403 => f.write_str("; the API key lacks the permission this endpoint needs")?,
                    429 => f.write_str("; rate limited, slow down or retry later")?,
                    500..=599 => f.write_str("; the service failed, retry later")?,
                    _ => {}
                }
                Ok(())
            }
            Self::Transport { source } => {
                write!(f, "request failed: {source}")?;
                write_causes(f, source)?;
                f.write_str("; check the network and the base URL")
            }
            Self::Timeout { source } => {
                write!(f, "request timed out: {source}")?;
                write_causes(f, source)?;
                f.write_str(
                    "; raise ClientBuilder::timeout (or connect_timeout) if the API is slow",
                )
            }
            Self::OperationTimeout { timeout, attempts } => write!(
                f,
                "the call did not finish within its operation timeout of {} s ({attempts} \
                 attempts started); raise ClientBuilder::operation_timeout if the API is slow",
                timeout.as_secs_f64()
            ),
            Self::Decode {
                path,
                message,
                excerpt,
            } => write!(
                f,
                "response does not match the schema at `{path}`: {message} (near: {excerpt})"
            ),
            Self::Pagination(e) => write!(f, "pagination: {e}"),
            Self::WaitTimedOut {
                invocation_id,
                timeout,
                polls,
                last,
            } => {
                write!(
                    f,
                    "test invocation {invocation_id} had not finished after {} s ({polls} polls)",
                    timeout.as_secs_f64()
                )?;
                if let Some(last) = last {
                    let o = last.outcome();
                    write!(
                        f,
                        "; last seen: {} passed, {} failed, {} pending of {}",
                        o.passed,
                        o.failed,
                        o.pending,
                        o.total()
                    )?;
                }
                f.write_str("; raise the wait's timeout if the runs are slow")
            }
            Self::Unexpected { message } => write!(
                f,
                "unexpected error from the generated client (a bug of this crate, please report it): {message}"
            ),
        }
    }
}

/// Appends the chain of causes of `e` (reqwest's own message hides them).
fn write_causes(f: &mut std::fmt::Formatter<'_>, e: &dyn std::error::Error) -> std::fmt::Result {
    let mut cause = e.source();
    while let Some(c) = cause {
        write!(f, ": {c}")?;
        cause = c.source();
    }
    Ok(())
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Transport { source } | Self::Timeout { source } => Some(source),
            Self::Pagination(e) => Some(e),
            _ => None,
        }
    }
}

impl From<PaginationError> for Error {
    fn from(e: PaginationError) -> Self {
        Self::Pagination(e)
    }
}

impl From<reqwest::Error> for Error {
    /// [`Error::Timeout`] for a timeout, [`Error::Transport`] for any other.
    fn from(source: reqwest::Error) -> Self {
        if source.is_timeout() {
            Self::Timeout { source }
        } else {
            Self::Transport { source }
        }
    }
}

/// Longest excerpt of a body quoted in an error, in characters.
#[doc(hidden)]
pub const EXCERPT_CHARS: usize = 200;

impl Error {
    /// [`Error::InvalidParameter`] for a value outside the spec's `min..=max` of `name`.
    pub(crate) fn out_of_range(name: &'static str, min: i64, max: i64, value: &str) -> Self {
        Self::InvalidParameter {
            name,
            message: format!(
                "must be within {min}..={max}, got {value} (the API's limit); pass a value in that range"
            ),
        }
    }

    /// [`Error::InvalidParameter`] for a parameter the operation builder could not take:
    /// a value its type does not hold (`page_size(0)`), or a required one never set.
    /// `message` is the builder's own, quoted where the spec gives no range to state instead.
    #[doc(hidden)]
    pub fn invalid_builder_field(operation_id: &str, name: &'static str, message: &str) -> Self {
        let range = crate::spec::Tables::current()
            .parameter(operation_id, name)
            .int_range();
        let message = match range {
            Some((min, max)) => {
                format!("must be within {min}..={max} (the API's limit); the value given is not")
            }
            None => message.to_owned(),
        };
        Self::InvalidParameter { name, message }
    }

    /// [`Error::Api`] for a failed `response` (its body read whole), with the `Retry-After`
    /// computed when it arrived and why it was not retried.
    #[doc(hidden)]
    pub fn api(
        response: http::Response<bytes::Bytes>,
        retry_after: Option<Duration>,
        stopped: StopReason,
    ) -> Self {
        let (code, message) = api_message(response.body());
        Self::Api {
            status: response.status(),
            code,
            message,
            retry_after,
            stopped,
            response: Box::new(response),
        }
    }

    /// The HTTP status of a response the API refused: [`Error::Api`]'s, or 422 for
    /// [`Error::Validation`]; `None` for an error no response caused.
    ///
    /// ```
    /// # use elevenlabs_agent_tests::Error;
    /// let refused = Error::InvalidParameter { name: "page_size", message: "too big".into() };
    /// assert_eq!(refused.status(), None);
    /// ```
    pub fn status(&self) -> Option<reqwest::StatusCode> {
        match self {
            Self::Api { status, .. } => Some(*status),
            Self::Validation { .. } => Some(reqwest::StatusCode::UNPROCESSABLE_ENTITY),
            _ => None,
        }
    }

    /// [`Error::Decode`] for a body that does not deserialise as `T`: the JSON path of the
    /// failing field, serde's message, and a short excerpt of the body around the failure.
    /// `None` when the body does deserialise.
    ///
    /// ```
    /// use elevenlabs_agent_tests::{Error, types::GetTestInvocationsPageResponseModel as Page};
    ///
    /// let body = br#"{"has_more": false, "results": [{"id": 7}]}"#;
    /// match Error::decode::<Page>(body) {
    ///     Some(Error::Decode { path, .. }) => assert_eq!(path, "results[0].id"),
    ///     other => panic!("{other:?}"),
    /// }
    /// assert!(Error::decode::<Page>(br#"{"has_more": false, "results": []}"#).is_none());
    /// ```
    pub fn decode<T: serde::de::DeserializeOwned>(body: &[u8]) -> Option<Self> {
        let mut de = serde_json::Deserializer::from_slice(body);
        match serde_path_to_error::deserialize::<_, T>(&mut de) {
            Err(e) => Some(decode_error(body, &e.path().to_string(), e.inner())),
            Ok(_) => de.end().err().map(|e| decode_error(body, ".", &e)),
        }
    }

    /// [`Error::Decode`] for a payload progenitor failed to deserialise into one of the crate's
    /// response types: the type is found again by re-deserialising into each candidate and
    /// keeping the one that fails exactly as progenitor's did.
    #[doc(hidden)]
    pub fn decode_any(body: &[u8], original: &serde_json::Error) -> Self {
        fn path_if_same<T: serde::de::DeserializeOwned>(
            body: &[u8],
            original: &serde_json::Error,
        ) -> Option<String> {
            let mut de = serde_json::Deserializer::from_slice(body);
            let e = serde_path_to_error::deserialize::<_, T>(&mut de).err()?;
            let same = e.inner().line() == original.line()
                && e.inner().column() == original.column()
                && e.inner().to_string() == original.to_string();
            same.then(|| e.path().to_string())
        }
        let path =
            path_if_same::<crate::types::GetTestInvocationsPageResponseModel>(body, original)
                .or_else(|| path_if_same::<HttpValidationError>(body, original))
                .unwrap_or_else(|| {
                    format!("line {} column {}", original.line(), original.column())
                });
        decode_error(body, &path, original)
    }
}

/// Builds [`Error::Decode`]; `path` as `serde_path_to_error` prints it (`.` for the top level).
fn decode_error(body: &[u8], path: &str, e: &serde_json::Error) -> Error {
    let path = if path == "." || path.is_empty() {
        "(top level)".to_owned()
    } else {
        path.to_owned()
    };
    // serde_json's message ends with " at line L column C"; the excerpt shows where.
    let message = e.to_string();
    let message = match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message,
    };
    let offset = byte_offset(body, e.line(), e.column());
    Error::Decode {
        path,
        message,
        excerpt: excerpt_around(body, offset),
    }
}

/// The byte index in `body` of serde_json's 1-based `line` and `column` (the character the
/// error is at), at most `body.len()`.
#[doc(hidden)]
pub fn byte_offset(body: &[u8], line: usize, column: usize) -> usize {
    let mut offset = 0;
    for _ in 1..line {
        match body[offset..].iter().position(|&b| b == b'\n') {
            Some(i) => offset += i + 1,
            None => return body.len(),
        }
    }
    (offset + column.saturating_sub(1)).min(body.len())
}

/// At most [`EXCERPT_CHARS`] characters of `body` around byte `offset`, with `…` where cut.
fn excerpt_around(body: &[u8], offset: usize) -> String {
    let text = String::from_utf8_lossy(body);
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    // The lossy text may differ in length from the bytes; clamp.
    let at = chars
        .iter()
        .position(|(i, _)| *i >= offset)
        .unwrap_or(chars.len());
    let half = EXCERPT_CHARS / 2;
    let start = at.saturating_sub(half);
    let end = (start + EXCERPT_CHARS).min(chars.len());
    let start = end.saturating_sub(EXCERPT_CHARS).min(start);
    let mut out = String::new();
    if start > 0 {
        out.push('…');
    }
    out.extend(chars[start..end].iter().map(|(_, c)| *c).map(printable));
    if end < chars.len() {
        out.push('…');
    }
    out
}

fn printable(c: char) -> char {
    if c.is_control() { ' ' } else { c }
}

/// At most [`EXCERPT_CHARS`] characters of the start of `body`.
pub(crate) fn excerpt_start(body: &[u8]) -> String {
    excerpt_around(body, 0)
}

/// ElevenLabs' code and message from an error body: `{"detail":{"status","message"}}`,
/// `{"detail":"..."}`, `{"message":"..."}`, or a short excerpt of anything else.
#[doc(hidden)]
pub fn api_message(body: &[u8]) -> (Option<String>, String) {
    let Ok(json) = serde_json::from_slice::<serde_json::Value>(body) else {
        let text = excerpt_start(body);
        return (
            None,
            if text.trim().is_empty() {
                "(empty body)".to_owned()
            } else {
                text
            },
        );
    };
    let short = |s: &str| excerpt_start(s.as_bytes());
    let detail = json.get("detail").unwrap_or(&json);
    match detail {
        serde_json::Value::String(s) => (None, short(s)),
        serde_json::Value::Object(map) => {
            let code = map
                .get("status")
                .or_else(|| map.get("code"))
                .and_then(|v| v.as_str())
                .map(short);
            let message = map
                .get("message")
                .or_else(|| map.get("detail"))
                .and_then(|v| v.as_str())
                .map(short)
                .unwrap_or_else(|| excerpt_start(body));
            (code, message)
        }
        _ => (None, excerpt_start(body)),
    }
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
