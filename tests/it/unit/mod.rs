//! Tests of one library module's own items, public or `#[doc(hidden)]`: `src/<path>.rs` is
//! tested in `unit/<path>.rs`. The library has no `#[cfg(test)]` modules (`[lib] test = false`
//! in Cargo.toml): a unit test inside `src/` would compile the crate, and its 17,000 generated
//! lines, a second time.

mod agent;
mod call;
mod config;
mod error;
mod fake;
mod hooks;
mod json_schema;
mod open_enum;
mod outcome;
mod retry;
mod spec;
