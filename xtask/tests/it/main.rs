//! xtask's integration tests, one test crate: `cli` runs the `xtask` binary (exit codes,
//! `--check` summaries, errors that leave `spec/` alone); `preservation` checks that nothing is
//! lost in translating the 3.1 fragment to 3.0.3. Helpers live in `common`.

mod common;

mod cli;
mod preservation;
