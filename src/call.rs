//! One call of a generated operation: where the crate's [`Error`] of a failed call is made.
//!
//! Every builder's `send` (rewritten by `build.rs`) runs progenitor's request code through
//! [`run`]. The request hooks (`hooks.rs`) know why a call failed when it fails: a parameter
//! out of the spec's bounds, a failed response with its body, `Retry-After` and the reason it
//! was not retried, the operation timeout. They build the [`Error`] right there and
//! [`record`] it for the call; [`run`] hands it back. progenitor's own error only carries the
//! call to its end then, and is converted by itself only where it is the whole story (a
//! transport error, a 422 body typed by the spec, a payload that does not decode).

use std::cell::RefCell;

use progenitor_client::Error as Progenitor;

use crate::{Error, ResponseValue, types::HttpValidationError};

tokio::task_local! {
    /// The error the hooks built for the call in progress (one per `send`).
    static RECORDED: RefCell<Option<Error>>;
}

/// Keeps `error` as the outcome of the call in progress. Outside a `send` (the hooks are
/// only ever run by one) it is dropped.
pub(crate) fn record(error: Error) {
    let _ = RECORDED.try_with(|slot| *slot.borrow_mut() = Some(error));
}

/// Runs one call of progenitor's request code; its error becomes the crate's [`Error`].
pub(crate) async fn run<T>(
    call: impl Future<Output = Result<ResponseValue<T>, Progenitor<HttpValidationError>>>,
) -> Result<ResponseValue<T>, Error> {
    let (result, recorded) = recording(call).await;
    result.map_err(|e| from_progenitor(e, recorded))
}

/// Runs `call`, and takes what the hooks recorded while it ran.
pub async fn recording<T>(call: impl Future<Output = T>) -> (T, Option<Error>) {
    RECORDED
        .scope(RefCell::new(None), async {
            let output = call.await;
            (output, RECORDED.with(|slot| slot.borrow_mut().take()))
        })
        .await
}

/// The crate's error for progenitor's `error`, given what the hooks recorded for the call.
pub fn from_progenitor(error: Progenitor<HttpValidationError>, recorded: Option<Error>) -> Error {
    match error {
        // What the spec types: these say more than the failed response the hook saw.
        Progenitor::ErrorResponse(rv) => Error::Validation {
            body: rv.into_inner(),
        },
        Progenitor::InvalidResponsePayload(bytes, e) => Error::decode_any(&bytes, &e),
        Progenitor::CommunicationError(source)
        | Progenitor::ResponseBodyError(source)
        | Progenitor::InvalidUpgrade(source) => Error::from(source),
        // The hooks' refusals, failed responses and operation timeouts: built by the hook.
        Progenitor::InvalidRequest(message) => recorded.unwrap_or(Error::Unexpected { message }),
        Progenitor::UnexpectedResponse(response) => recorded.unwrap_or_else(|| Error::Unexpected {
            message: format!(
                "a response the request hook did not see: {}",
                response.status()
            ),
        }),
        Progenitor::Custom(message) => Error::Unexpected { message },
    }
}
