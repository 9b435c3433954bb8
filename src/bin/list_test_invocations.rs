//! Lists test invocations of the ElevenLabs Agents Platform.
//!
//! ```text
//! cargo run --features fake --bin list_test_invocations                # demo data, no account needed
//! ELEVENLABS_API_KEY=... cargo run --features fake --bin list_test_invocations -- --limit 20
//! cargo run --features fake --bin list_test_invocations -- --help
//! ```
//!
//! With `ELEVENLABS_API_KEY` set it lists from the real API (`ELEVENLABS_BASE_URL`,
//! `--environment` or `--base-url` choose where); without it, it starts the crate's embedded
//! fake server (`elevenlabs_agent_tests::fake`) and lists its demo data, saying so on stderr.
//!
//! Exit status: 0 on success, 2 on bad usage, 1 on an API or network error.

use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;

use elevenlabs_agent_tests::config::API_KEY_ENV;
use elevenlabs_agent_tests::fake::FakeServer;
use elevenlabs_agent_tests::prelude::*;
use elevenlabs_agent_tests::types::TestInvocationSummaryResponseModel;
use elevenlabs_agent_tests::{Client, Environment, Error};

const USAGE: &str = "\
Lists test invocations of the ElevenLabs Agents Platform (GET /v1/convai/test-invocations).

Usage: list_test_invocations [OPTIONS]

Options:
  --agent-id <ID>        only the invocations of this agent
  --page-size <N>        items per request (the API accepts 1..=100; default 30)
  --limit <N>            stop after N invocations (default: all)
  --environment <NAME>   production, us, eu, in or sg (needs ELEVENLABS_API_KEY)
  --base-url <URL>       another base URL (a proxy, your own fake server, ...)
  --json                 one JSON object a line instead of a table
  -h, --help             this help

Environment:
  ELEVENLABS_API_KEY     your API key; when unset, an embedded fake server with demo data
                         is listed instead (nothing leaves this machine)
  ELEVENLABS_BASE_URL    base URL used when neither --environment nor --base-url is given

Exit status: 0 on success, 2 on bad usage, 1 on an API or network error.
";

/// Parsed command line.
#[derive(Debug, Default)]
struct Args {
    agent_id: Option<String>,
    page_size: Option<u64>,
    limit: Option<u64>,
    environment: Option<Environment>,
    base_url: Option<String>,
    json: bool,
}

/// Why the program stops early.
enum Failure {
    /// Bad usage: exit 2.
    Usage(String),
    /// The API or the network failed: exit 1.
    Api(String),
    /// Writing the output failed (other than a closed pipe): exit 1.
    Output(io::Error),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        match e {
            // Refused before anything was sent: the settings given were wrong.
            Error::Config { .. } | Error::InvalidParameter { .. } => Failure::Usage(e.to_string()),
            other => Failure::Api(other.to_string()),
        }
    }
}

fn positive(flag: &str, value: &str) -> Result<u64, String> {
    match value.parse::<u64>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(format!("{flag} expects a positive integer, got {value:?}")),
    }
}

/// Parses the arguments; `Ok(None)` when `--help` was asked for.
fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Option<Args>, String> {
    let mut parsed = Args::default();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        // Both `--flag value` and `--flag=value`.
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_owned(), Some(v.to_owned())),
            _ => (arg.clone(), None),
        };
        let mut value = |name: &str| -> Result<String, String> {
            match inline.clone().or_else(|| args.next()) {
                Some(v) => Ok(v),
                None => Err(format!("{name} needs a value")),
            }
        };
        match flag.as_str() {
            "-h" | "--help" => return Ok(None),
            "--json" if inline.is_none() => parsed.json = true,
            "--agent-id" => {
                let v = value("--agent-id")?;
                if v.is_empty() {
                    return Err("--agent-id needs a non-empty value".to_owned());
                }
                parsed.agent_id = Some(v);
            }
            "--page-size" => {
                parsed.page_size = Some(positive("--page-size", &value("--page-size")?)?)
            }
            "--limit" => parsed.limit = Some(positive("--limit", &value("--limit")?)?),
            "--environment" => {
                let v = value("--environment")?;
                parsed.environment = Some(v.parse().map_err(|_| {
                    format!("--environment {v:?} is unknown; expected production, us, eu, in or sg")
                })?);
            }
            "--base-url" => parsed.base_url = Some(value("--base-url")?),
            _ => return Err(format!("unexpected argument {arg:?}")),
        }
    }
    if parsed.environment.is_some() && parsed.base_url.is_some() {
        return Err("--environment and --base-url cannot be used together".to_owned());
    }
    Ok(Some(parsed))
}

fn main() -> ExitCode {
    // A current-thread runtime built by hand: the crate's features give tokio `rt`, `time`
    // and (with `fake`) `net`, not the `macros` of `#[tokio::main]`.
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    runtime.block_on(async_main())
}

async fn async_main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(Some(args)) => args,
        Ok(None) => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("error: {message}\n\nTry --help for the options.");
            return ExitCode::from(2);
        }
    };
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(message)) => {
            eprintln!("error: {message}\n\nTry --help for the options.");
            ExitCode::from(2)
        }
        Err(Failure::Api(message)) => {
            eprintln!("error: {message}");
            ExitCode::from(1)
        }
        // `| head` closed the pipe: not an error.
        Err(Failure::Output(e)) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(Failure::Output(e)) => {
            eprintln!("error: writing the output: {e}");
            ExitCode::from(1)
        }
    }
}

async fn run(args: Args) -> Result<(), Failure> {
    let key = std::env::var(API_KEY_ENV)
        .ok()
        .filter(|k| !k.trim().is_empty());
    // Kept alive until the listing is done.
    let mut _fake = None;
    let client = match (key, &args.base_url) {
        (Some(_), _) => {
            let mut builder = elevenlabs_agent_tests::ClientBuilder::from_env()?;
            if let Some(env) = args.environment {
                builder = builder.environment(env).base_url(env.base_url());
            }
            if let Some(url) = &args.base_url {
                builder = builder.base_url(url.clone());
            }
            builder.build()?
        }
        (None, Some(url)) => {
            eprintln!("note: {API_KEY_ENV} is not set; sending no API key to {url}");
            Client::builder().base_url(url.clone()).build()?
        }
        (None, None) => {
            if let Some(env) = args.environment {
                return Err(Failure::Usage(format!(
                    "--environment {} selects the real API, which needs {API_KEY_ENV}; \
                     unset it to list the embedded demo data",
                    env.name()
                )));
            }
            let server = FakeServer::start()
                .await
                .map_err(|e| Failure::Api(format!("cannot start the embedded fake server: {e}")))?;
            eprintln!(
                "note: {API_KEY_ENV} is not set; listing demo data from the embedded fake server at {}",
                server.url()
            );
            let client = server.client();
            _fake = Some(server);
            client
        }
    };

    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let mut progress = Progress {
        enabled: io::stderr().is_terminal(),
        shown: false,
    };
    let mut table = Vec::new();
    let mut request = client.list_test_invocations();
    if let Some(agent) = &args.agent_id {
        request = request.agent_id(agent.as_str());
    }
    // With --limit below a page, ask for no more than that.
    let page_size = match (args.page_size, args.limit) {
        (Some(p), _) => Some(p),
        (None, Some(l)) if l < 30 => Some(l.max(1)),
        (None, _) => None,
    };
    if let Some(p) = page_size {
        request = request.page_size(p);
    }
    // One lazy stream over every page; the next page is prefetched while this one is printed.
    let mut pages = request.pages();
    let mut fetched = 0u64;
    'pages: while let Some(page) = pages.try_next().await? {
        for item in page.results {
            if args.json {
                let line = serde_json::to_string(&item).map_err(|e| {
                    Failure::Api(format!("cannot encode an invocation as JSON: {e}"))
                })?;
                writeln!(out, "{line}").map_err(Failure::Output)?;
            } else {
                table.push(item);
            }
            fetched += 1;
            if args.limit == Some(fetched) {
                break 'pages;
            }
        }
        if args.json {
            out.flush().map_err(Failure::Output)?;
        }
        progress.show(fetched, pages.pages_received());
    }
    drop(progress);
    if !args.json {
        write_table(&mut out, &table).map_err(Failure::Output)?;
    }
    out.flush().map_err(Failure::Output)?;
    Ok(())
}

/// A progress line on stderr, when it is a terminal; erased when dropped (also on errors).
struct Progress {
    enabled: bool,
    shown: bool,
}

impl Progress {
    fn show(&mut self, fetched: u64, pages: u64) {
        if self.enabled {
            let s = if pages == 1 { "" } else { "s" };
            eprint!("\r\x1b[2Kfetched {fetched} invocations ({pages} page{s})…");
            self.shown = true;
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if self.shown {
            eprint!("\r\x1b[2K");
        }
    }
}

/// Replaces control characters (a newline in a title would break the table).
fn clean(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

fn write_table(
    out: &mut impl Write,
    items: &[TestInvocationSummaryResponseModel],
) -> io::Result<()> {
    let header = [
        "ID",
        "CREATED",
        "TITLE",
        "AGENT",
        "PASSED/FAILED/PENDING/CANCELLED",
        "REPEAT",
    ];
    let rows: Vec<[String; 6]> = items
        .iter()
        .map(|i| {
            [
                clean(&i.id),
                rfc3339(i.created_at_unix_secs),
                clean(&i.title),
                clean(i.agent_id.as_deref().unwrap_or("-")),
                format!(
                    "{}/{}/{}/{}",
                    i.passed_count,
                    i.failed_count,
                    i.pending_count,
                    i.cancelled_count.unwrap_or(0)
                ),
                i.repeat_count.to_string(),
            ]
        })
        .collect();
    let mut widths = header.map(|h| h.chars().count());
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |out: &mut dyn Write, cells: &[&str]| -> io::Result<()> {
        let mut text = String::new();
        for (i, (cell, width)) in cells.iter().zip(widths).enumerate() {
            if i > 0 {
                text.push_str("  ");
            }
            text.push_str(cell);
            text.extend(std::iter::repeat_n(' ', width - cell.chars().count()));
        }
        // The last column's padding goes too.
        writeln!(out, "{}", text.trim_end())
    };
    line(out, &header)?;
    for row in &rows {
        line(out, &row.each_ref().map(String::as_str))?;
    }
    Ok(())
}

/// `2025-07-08T18:40:00Z` from unix seconds (UTC), with Howard Hinnant's civil-from-days.
fn rfc3339(unix_secs: i64) -> String {
    let days = unix_secs.div_euclid(86_400);
    let secs = unix_secs.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_known_dates() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_752_000_000), "2025-07-08T18:40:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59Z");
    }

    #[test]
    fn parses_flags() {
        let a = parse_args(["--agent-id=a", "--page-size", "5", "--json"].map(String::from))
            .unwrap()
            .unwrap();
        assert_eq!(a.agent_id.as_deref(), Some("a"));
        assert_eq!(a.page_size, Some(5));
        assert!(a.json);
        assert!(parse_args(["--bogus".to_owned()]).is_err());
        assert!(parse_args(["--limit".to_owned()]).is_err());
        assert!(parse_args(["--limit=0".to_owned()]).is_err());
        assert!(parse_args(["--environment=mars".to_owned()]).is_err());
        assert!(parse_args(["--help".to_owned()]).unwrap().is_none());
        // Only long options take `=value`, and --json takes none.
        assert!(parse_args(["-h=x".to_owned()]).is_err());
        assert!(parse_args(["--json=yes".to_owned()]).is_err());
    }

    #[test]
    fn rfc3339_across_centuries() {
        assert_eq!(rfc3339(4_107_542_400), "2100-03-01T00:00:00Z");
        assert_eq!(rfc3339(-2_203_891_200), "1900-03-01T00:00:00Z");
        assert_eq!(rfc3339(13_574_563_200), "2400-02-29T00:00:00Z");
        assert_eq!(rfc3339(253_402_300_799), "9999-12-31T23:59:59Z");
    }
}
