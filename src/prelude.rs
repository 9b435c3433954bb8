//! `use elevenlabs_agent_tests::prelude::*;` brings the client, the error type, the
//! pagination traits and the wait for test invocations, plus `futures`' stream extension traits (imported anonymously, so they
//! never clash with your own imports) to call `.next()` / `.try_collect()` on the streams.

pub use crate::pagination::{CursorOperation, CursorPage, Paginate};
pub use crate::wait::TestInvocationWaitExt;
pub use crate::{Client, ClientBuilder, Environment, Error, PaginationError, RetryPolicy};
pub use futures::{StreamExt as _, TryStreamExt as _};
