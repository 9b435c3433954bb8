//! `use elevenlabs_agent_tests::prelude::*;` brings the client and the pagination traits.

pub use crate::{Client, ClientBuilder, Environment, Error, RetryPolicy};
