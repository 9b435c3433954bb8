//! The crate's integration tests: one test crate, so the generated client is linked once, with
//! a module per concern. Where a new test goes:
//!
//! | module | what it tests |
//! | --- | --- |
//! | `config`, `secrets`, `request_shape`, `runtime`, `features` | the client's settings, the API key's handling, what goes on the wire, the runtime it needs, the cargo features |
//! | `retry`, `wait`, `pagination`, `unions`, `live_api` | retries and errors, waiting for an invocation, the listing streams, tagged unions, payloads of the live API |
//! | `codegen`, `conformance` | build-time generation on spec variations; the generated types against the spec (JSON Schema, proptest) |
//! | `fake`, `fake_family`, `fake_runs` | the embedded fake: the listing and its data; every other operation of the family; running tests and waiting on it |
//! | `unit` | one library module's own items: `src/<path>.rs` in `unit/<path>.rs` (the library has no `#[cfg(test)]` modules) |
//! | `example` | the example program run as a process |
//! | `cli` | the `elevenlabs-tests` program run as a process (feature `cli`); one `cli_*` module per command family that has many tests |
//! | `cli_fake` | `elevenlabs-tests fake`, the fake as a local server |
//! | `cli_project` | tests as code: `tests pull / diff / push` and `run --project` on the fake |
//! | `cli_history` | `elevenlabs-tests report`'s per-test history on a scripted history |
//! | `cli_gate` | `elevenlabs-tests run` as a CI gate: selection, `--agent-config`, retries, pass rate, summary, annotations (feature `cli`) |
//!
//! Helpers live once, in `support` (the scripted HTTP server), `process` (running a program with
//! a time limit), `scratch` (a test's own directory, removed after it; the program's tests use it), `fake_schema` (the
//! spec's schemas as strict JSON Schemas) and `schema_validator` (JSON Schema validation).

mod fake_schema;
mod process;
mod schema_validator;
#[cfg(feature = "cli")]
mod scratch;
mod support;

mod codegen;
mod config;
mod conformance;
mod example;
mod fake;
mod fake_family;
mod fake_runs;
mod features;
mod live_api;
mod pagination;
mod request_shape;
mod retry;
mod runtime;
mod secrets;
mod unions;
mod unit;
mod wait;

#[cfg(feature = "cli")]
mod cli;
#[cfg(feature = "cli")]
mod cli_fake;
#[cfg(feature = "cli")]
mod cli_gate;
#[cfg(feature = "cli")]
mod cli_history;
#[cfg(feature = "cli")]
mod cli_project;
