#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

mod agent;
mod call;
pub mod config;
pub mod error;
#[cfg(feature = "fake")]
pub mod fake;
mod generated;
mod hooks;
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
