//! `src/fake/`'s internal modules.

mod cursor;
mod data;
mod faults;
mod server;
mod state;
