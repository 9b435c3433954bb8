//! Lists the test invocations of an agent (or of all agents), newest first, page after page:
//! the seed's operation, `GET /v1/convai/test-invocations`, through `.stream()`.
//!
//! ```text
//! cargo run --example list_test_invocations                  # demo data, no account needed
//! ELEVENLABS_API_KEY=sk_... cargo run --example list_test_invocations -- AGENT_ID
//! ```
//!
//! With `ELEVENLABS_API_KEY` set, it lists from the API (`ELEVENLABS_BASE_URL` overrides the
//! host); without it, from the crate's embedded fake server and its demo data. For flags,
//! tables, JSON and exit codes, `elevenlabs-tests invocations list` is the program.

use std::ffi::OsString;
use std::io::Write;

use elevenlabs_agent_tests::config::API_KEY_ENV;
use elevenlabs_agent_tests::fake::FakeServer;
use elevenlabs_agent_tests::prelude::*;
use futures::TryStreamExt;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let agent_id = std::env::args().nth(1);
    let key = std::env::var_os(API_KEY_ENV);
    run(key, agent_id, &mut std::io::stdout().lock()).await
}

/// Lists to `out`: from the API when there is a `key`, else from the embedded fake.
pub async fn run(
    key: Option<OsString>,
    agent_id: Option<String>,
    out: &mut impl Write,
) -> Result<(), Box<dyn std::error::Error>> {
    // The fake lives as long as the listing: dropping it stops the server.
    let fake;
    let client = match key {
        Some(_) => Client::from_env()?,
        None => {
            fake = FakeServer::start().await?;
            eprintln!("note: {API_KEY_ENV} is not set; listing the embedded fake's demo data");
            fake.client()
        }
    };

    let mut request = client.list_test_invocations().page_size(100);
    if let Some(agent_id) = agent_id {
        request = request.agent_id(agent_id);
    }
    let mut invocations = request.stream();
    while let Some(i) = invocations.try_next().await? {
        writeln!(
            out,
            "{}  {}  {}  passed {}, failed {}, pending {}",
            i.id, i.created_at_unix_secs, i.title, i.passed_count, i.failed_count, i.pending_count
        )?;
    }
    Ok(())
}
