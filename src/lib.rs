#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

// A `#[doc(hidden)]` module is not API: it is public for its unit tests, in tests/it/unit/
// (`json_schema` for the conformance suite too); its docs may link to private items.
mod agent;
#[doc(hidden)]
#[allow(rustdoc::private_intra_doc_links)]
pub mod call;
pub mod config;
pub mod error;
#[cfg(feature = "fake")]
pub mod fake;
mod generated;
#[doc(hidden)]
#[allow(rustdoc::private_intra_doc_links)]
pub mod hooks;
#[doc(hidden)]
pub mod json_schema;
mod open_enum;
pub mod outcome;
pub mod pagination;
pub mod prelude;
pub mod retry;
pub mod spec;
pub mod union;
pub mod wait;

pub use config::{ClientBuilder, Environment};
pub use error::{Error, PaginationError, Result};
pub use generated::{Client, ResponseValue, builder, types};
pub use open_enum::UnknownValue;
pub use retry::RetryPolicy;
