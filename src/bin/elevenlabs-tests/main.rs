//! `elevenlabs-tests`: runs the tests of ElevenLabs agents as a CI gate, with JUnit XML and an
//! HTML history report.
//!
//! ```text
//! cargo install elevenlabs-agent-tests --features cli
//! elevenlabs-tests run --agent AGENT_ID --wait --junit results.xml   # exit 0 only if all passed
//! elevenlabs-tests report --agent AGENT_ID --since 2025-07-01 --html report.html
//! elevenlabs-tests --help
//! ```
//!
//! Without `ELEVENLABS_API_KEY` (or with `--fake`) it runs against the crate's embedded fake
//! server and its demo data. Exit codes: see [`args::EXIT_CODES`].

mod agent_config;
mod args;
mod ci_report;
mod commands;
mod connect;
mod failure;
mod gate;
mod history;
mod junit;
mod output;
mod progress;
mod project;
mod report;
mod selection;
mod serve;

use std::io::{self, Write};
use std::process::ExitCode;
use std::time::Duration;

use clap::FromArgMatches;
use elevenlabs_agent_tests::spec::Tables;

use crate::args::{Cli, Command};
use crate::commands::Ctx;
use crate::failure::{EXIT_ERROR, Failure};

fn main() -> ExitCode {
    // clap exits 2 on usage errors, 0 for --help and --version.
    let cli = Cli::from_arg_matches(&args::command(Tables::current()).get_matches())
        .unwrap_or_else(|e| e.exit());
    if let Command::Completions { shell } = cli.command {
        let mut command = args::command(Tables::current());
        clap_complete::generate(shell, &mut command, "elevenlabs-tests", &mut io::stdout());
        return ExitCode::SUCCESS;
    }
    // A current-thread runtime built by hand: the crate's tokio features are rt, net and
    // time, not the macros (no tokio main attribute).
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(EXIT_ERROR);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => ExitCode::from(code),
        Err(failure) => failure.report(),
    }
}

async fn run(cli: Cli) -> Result<u8, Failure> {
    // The server, not a client: nothing to connect to.
    if let Command::Fake(args) = cli.command {
        return serve::serve(&cli.global, args).await;
    }
    let prepared = commands::preflight(&cli.command, cli.global.json)?;
    let conn = connect::connect(&cli.global).await?;
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let mut ctx = Ctx {
        conn: &conn,
        json: cli.global.json,
        out: &mut out,
    };
    let result = match cli.command {
        Command::Tests(c) => commands::tests(&mut ctx, c, prepared.create_body).await,
        Command::Run(a) => commands::run(&mut ctx, *a, prepared.agent_config).await,
        Command::Invocations(c) => commands::invocations(&mut ctx, c).await,
        Command::Report(a) => commands::report(&mut ctx, a).await,
        Command::Completions { .. } => unreachable!("handled before the runtime starts"),
        Command::Fake(_) => unreachable!("handled before connecting"),
    };
    // What was printed before an error stays printed.
    let flushed = out.flush();
    let code = result?;
    flushed?;
    Ok(code)
}

/// `10m`, `1h30m`, `2.5s`: a duration as the flags write it.
pub fn format_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if !ms.is_multiple_of(1000) {
        return format!("{}ms", ms);
    }
    let mut secs = d.as_secs();
    let mut out = String::new();
    for (unit, n) in [("h", 3600), ("m", 60)] {
        if secs >= n {
            out.push_str(&format!("{}{unit}", secs / n));
            secs %= n;
        }
    }
    if secs > 0 || out.is_empty() {
        out.push_str(&format!("{secs}s"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::format_duration;
    use std::time::Duration;

    #[test]
    fn durations_are_written_as_the_flags_take_them() {
        for (secs, text) in [
            (0, "0s"),
            (59, "59s"),
            (60, "1m"),
            (90, "1m30s"),
            (3600, "1h"),
            (3605, "1h5s"),
            (3661, "1h1m1s"),
            (7320, "2h2m"),
        ] {
            assert_eq!(format_duration(Duration::from_secs(secs)), text, "{secs} s");
        }
        assert_eq!(format_duration(Duration::from_millis(1500)), "1500ms");
    }
}
