//! Which API the program talks to: the real one (a key), another URL, or the embedded fake.

use std::time::Duration;

use elevenlabs_agent_tests::config::API_KEY_ENV;
use elevenlabs_agent_tests::fake::FakeServer;
use elevenlabs_agent_tests::{Client, ClientBuilder};

use crate::args::Global;
use crate::failure::Failure;

/// A client, and the fake it talks to when there is one (kept alive as long as the client).
pub struct Connection {
    pub client: Client,
    pub fake: Option<FakeServer>,
}

impl Connection {
    /// Poll interval when none is given: the library's default, shorter on the fake.
    pub fn default_poll_interval(&self) -> Duration {
        if self.fake.is_some() {
            Duration::from_millis(500)
        } else {
            elevenlabs_agent_tests::wait::DEFAULT_POLL_INTERVAL
        }
    }

    /// `--agent`, or on the fake its demo agent; a usage error otherwise.
    pub fn agent_or_demo(&self, agent: Option<&str>, command: &str) -> Result<String, Failure> {
        if let Some(agent) = agent {
            return Ok(agent.to_owned());
        }
        match &self.fake {
            Some(server) => demo_agent(server).ok_or_else(|| {
                Failure::Usage(format!(
                    "the embedded fake has no demo agent; pass --agent to {command}"
                ))
            }),
            None => Err(Failure::Usage(format!("{command} needs --agent AGENT_ID"))),
        }
    }
}

fn user_agent() -> String {
    format!("elevenlabs-tests/{}", env!("CARGO_PKG_VERSION"))
}

/// Builds the client from the environment and the global flags.
pub async fn connect(global: &Global) -> Result<Connection, Failure> {
    let key = std::env::var(API_KEY_ENV)
        .ok()
        .filter(|k| !k.trim().is_empty());
    let use_fake = global.fake || (key.is_none() && global.base_url.is_none());
    if use_fake {
        if let Some(env) = global.environment {
            return Err(Failure::Usage(format!(
                "--environment {} selects the real API, which needs {API_KEY_ENV} (and not --fake)",
                env.name()
            )));
        }
        if global.base_url.is_some() {
            return Err(Failure::Usage(
                "--fake and --base-url cannot be used together".to_owned(),
            ));
        }
        let server = start_fake(
            global
                .fake_run_duration
                .unwrap_or(DEFAULT_FAKE_RUN_DURATION),
        )
        .await
        .map_err(|e| Failure::Io(format!("cannot start the embedded fake server: {e}")))?;
        let why = if global.fake {
            "--fake"
        } else {
            "ELEVENLABS_API_KEY is not set"
        };
        eprintln!(
            "note: {why}; using the embedded fake server with demo data at {} (nothing leaves this machine)",
            server.url()
        );
        let client = server
            .client_builder()
            .user_agent(user_agent())
            .build()
            .map_err(Failure::from)?;
        return Ok(Connection {
            client,
            fake: Some(server),
        });
    }
    let mut builder: ClientBuilder = match key {
        Some(_) => ClientBuilder::from_env()?,
        None => {
            // Only reached with --base-url: talk to it without a key.
            eprintln!("note: {API_KEY_ENV} is not set; sending no API key");
            Client::builder()
        }
    };
    if let Some(env) = global.environment {
        builder = builder.environment(env);
    }
    if let Some(url) = &global.base_url {
        builder = builder.base_url(url.clone());
    }
    let client = builder.user_agent(user_agent()).build()?;
    Ok(Connection { client, fake: None })
}

// ---------------------------------------------------------------------------------------
// The embedded fake: its demo data, and how long its simulated runs take.
// ---------------------------------------------------------------------------------------

/// How long the embedded fake's simulated runs take without `--fake-run-duration`.
const DEFAULT_FAKE_RUN_DURATION: Duration = Duration::from_millis(1500);

/// Starts the embedded fake with its demo data; its simulated runs take `run_duration`
/// (`--fake-run-duration`, 1.5 s by default, so `run --wait` on the demo takes seconds).
async fn start_fake(run_duration: Duration) -> std::io::Result<FakeServer> {
    FakeServer::builder()
        .run_duration(run_duration)
        .start()
        .await
}

/// The demo agent whose tests `run` and `report` use when `--agent` is not given: the one
/// with attached tests of every kind, one of which fails on purpose.
pub fn demo_agent(server: &FakeServer) -> Option<String> {
    server.demo_agent_id().map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_fake_is_polled_faster_than_the_real_api() {
        let fake = FakeServer::start().await.expect("the fake starts");
        let on_fake = Connection {
            client: Client::new(fake.url()),
            fake: Some(fake),
        };
        assert_eq!(on_fake.default_poll_interval(), Duration::from_millis(500));
        let real = Connection {
            client: Client::new("https://api.elevenlabs.io"),
            fake: None,
        };
        assert_eq!(
            real.default_poll_interval(),
            elevenlabs_agent_tests::wait::DEFAULT_POLL_INTERVAL
        );
    }
}
