//! The crate's one error type.
//!
//! Every hand-written API returns [`Error`], and the pagination streams yield it. The generated
//! `.send()` methods keep progenitor's error; `?` converts it into [`Error`].

use std::time::Duration;

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
    Api {
        /// The HTTP status.
        status: reqwest::StatusCode,
        /// ElevenLabs' machine-readable code (`detail.status`, e.g. `invalid_api_key`).
        code: Option<String>,
        /// ElevenLabs' message (`detail.message`), or a short excerpt of the body.
        message: String,
        /// `Retry-After`, when the server sent one (a 429 whose wait exceeds the retry cap).
        retry_after: Option<Duration>,
    },
    /// The request did not complete: connection refused or reset, DNS, TLS, ...
    Transport {
        /// The underlying error.
        source: reqwest::Error,
    },
    /// An attempt exceeded the configured timeout (after any retries).
    Timeout {
        /// The underlying error.
        source: reqwest::Error,
    },
    /// The response body does not match the schema.
    Decode {
        /// JSON path of the failing field (`results[3].created_at_unix_secs`).
        path: String,
        /// What serde said.
        message: String,
        /// A short excerpt of the body (never the whole of it).
        excerpt: String,
    },
    /// The server broke the cursor-pagination contract.
    Pagination(PaginationError),
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
                ..
            } => {
                write!(f, "the API answered {status}")?;
                if let Some(code) = code {
                    write!(f, " ({code})")?;
                }
                write!(f, ": {message}")?;
                if *status == reqwest::StatusCode::UNAUTHORIZED {
                    f.write_str(
                        "; check the API key (set ELEVENLABS_API_KEY or pass ClientBuilder::api_key)",
                    )?;
                }
                Ok(())
            }
            Self::Transport { source } => write!(f, "request failed: {source}"),
            Self::Timeout { source } => write!(
                f,
                "request timed out: {source}; raise ClientBuilder::timeout if the API is slow"
            ),
            Self::Decode {
                path,
                message,
                excerpt,
            } => write!(
                f,
                "response does not match the schema at `{path}`: {message} (body starts: {excerpt})"
            ),
            Self::Pagination(e) => write!(f, "pagination: {e}"),
        }
    }
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

impl From<progenitor_client::Error<HttpValidationError>> for Error {
    fn from(e: progenitor_client::Error<HttpValidationError>) -> Self {
        use progenitor_client::Error as P;
        match e {
            P::ErrorResponse(rv) => Self::Validation {
                body: rv.into_inner(),
            },
            P::InvalidRequest(message) | P::Custom(message) => Self::Config { message },
            P::CommunicationError(source)
            | P::ResponseBodyError(source)
            | P::InvalidUpgrade(source) => {
                if source.is_timeout() {
                    Self::Timeout { source }
                } else {
                    Self::Transport { source }
                }
            }
            P::InvalidResponsePayload(_, e) => Self::Decode {
                path: String::new(),
                message: e.to_string(),
                excerpt: String::new(),
            },
            P::UnexpectedResponse(r) => Self::Api {
                status: r.status(),
                code: None,
                message: String::new(),
                retry_after: None,
            },
        }
    }
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
