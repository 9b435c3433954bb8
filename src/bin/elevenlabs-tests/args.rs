//! The command line: clap's derive structs, the facts of the spec they take at run time
//! ([`command`]), and the parsers of durations and dates.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, CommandFactory, Parser, Subcommand};
use elevenlabs_agent_tests::spec::{Facts, Tables};

/// What the exit codes mean; shown at the end of every `--help`.
pub const EXIT_CODES: &str = "\
Exit codes:
  0  success; for run/wait: every test passed
  1  a test failed, was cancelled or ended in a status this version does not know
  2  usage error (bad flags, unreadable or invalid --file, no tests to run)
  3  API, network or I/O error (401, 422, 5xx, connection refused, cannot write a file)
  4  the wait timed out (results so far are printed, and written to --junit)

Environment:
  ELEVENLABS_API_KEY   your API key; when unset, an embedded fake server with demo data is
                       used instead and a note says so on stderr (nothing leaves this machine)
  ELEVENLABS_BASE_URL  base URL when neither --environment nor --base-url is given";

/// Runs and inspects the tests of ElevenLabs agents: a CI gate with JUnit XML and an HTML
/// history report.
#[derive(Debug, Parser)]
#[command(name = "elevenlabs-tests", version, after_help = EXIT_CODES)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// Flags every command takes.
#[derive(Debug, Args)]
pub struct Global {
    /// Print JSON (one object a line for listings) instead of tables.
    #[arg(long, global = true)]
    pub json: bool,
    /// Use the embedded fake server and its demo data, even when ELEVENLABS_API_KEY is set.
    #[arg(long, global = true)]
    pub fake: bool,
    /// On the embedded fake: how long a simulated test run takes (each run finishes between
    /// this and 2.75 times it; a test named `[slow]` twice that).
    #[arg(long, global = true, value_name = "DURATION", value_parser = parse_duration, default_value = "1500ms")]
    pub fake_run_duration: Duration,
    /// The API region: production, us, eu, in or sg (needs ELEVENLABS_API_KEY).
    #[arg(long, global = true, value_name = "NAME", conflicts_with = "base_url")]
    pub environment: Option<elevenlabs_agent_tests::Environment>,
    /// Another base URL (a proxy, your own server, ...); wins over ELEVENLABS_BASE_URL.
    #[arg(long, global = true, value_name = "URL")]
    pub base_url: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List, show, create and delete tests.
    #[command(subcommand, after_help = EXIT_CODES)]
    Tests(TestsCommand),
    /// Run an agent's tests (those attached to it, or --test ones); with --wait, a CI gate.
    #[command(after_help = EXIT_CODES)]
    Run(RunArgs),
    /// List, show, wait for and resubmit test invocations.
    #[command(subcommand, after_help = EXIT_CODES)]
    Invocations(InvocationsCommand),
    /// Write an HTML history report of an agent's test invocations.
    #[command(after_help = EXIT_CODES)]
    Report(ReportArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Subcommand)]
pub enum TestsCommand {
    /// List tests (streamed, page after page).
    #[command(after_help = EXIT_CODES)]
    List {
        /// Only tests whose name matches this search.
        #[arg(long)]
        search: Option<String>,
        /// Only the tests in this folder (`root`: the root folder).
        #[arg(long, value_name = "FOLDER_ID")]
        folder: Option<String>,
        #[command(flatten)]
        listing: Listing,
    },
    /// Show one test.
    #[command(after_help = EXIT_CODES)]
    Get {
        /// The test's id.
        id: String,
    },
    /// Create a test from a JSON file: a create body whose `type` is llm, tool or simulation.
    #[command(after_help = EXIT_CODES)]
    Create {
        /// The JSON file (`-` reads stdin).
        #[arg(long, value_name = "FILE")]
        file: PathBuf,
    },
    /// Delete a test.
    #[command(after_help = EXIT_CODES)]
    Delete {
        /// The test's id.
        id: String,
    },
}

/// `--limit` and `--page-size` of a listing.
#[derive(Debug, Args)]
pub struct Listing {
    /// Stop after N items (default: all).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub limit: Option<u64>,
    /// Items per request (default: the API's). Its bounds are the spec's (see [`command`]).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub page_size: Option<u64>,
}

/// How long to wait, and how often to look.
#[derive(Debug, Args, Clone)]
pub struct WaitArgs {
    /// Give up waiting after this long (300ms, 5s, 10m, 1h); exit code 4.
    #[arg(long, value_name = "DURATION", default_value = "10m", value_parser = parse_duration)]
    pub timeout: Duration,
    /// Time between two polls (default 5s; 500ms on the embedded fake).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub poll_interval: Option<Duration>,
    /// Write the results as JUnit XML to FILE (also after a timeout, with what finished).
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The agent (default on the embedded fake: its demo agent).
    #[arg(long, value_name = "AGENT_ID")]
    pub agent: Option<String>,
    /// A test to run (repeatable); default: the tests attached to the agent.
    #[arg(long = "test", value_name = "TEST_ID")]
    pub tests: Vec<String>,
    /// Run each test N times (the API groups the results). Its bounds are the spec's (see
    /// [`command`]).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub repeat: Option<u64>,
    /// Run on this branch of the agent (default: its main branch).
    #[arg(long, value_name = "BRANCH_ID")]
    pub branch: Option<String>,
    /// Wait for the runs to finish, print the results and exit 0 only if all passed.
    /// --junit implies it.
    #[arg(long)]
    pub wait: bool,
    #[command(flatten)]
    pub wait_args: WaitArgs,
}

#[derive(Debug, Subcommand)]
pub enum InvocationsCommand {
    /// List test invocations, newest first, printed as they arrive.
    #[command(after_help = EXIT_CODES)]
    List {
        /// Only this agent's invocations.
        #[arg(long, value_name = "AGENT_ID")]
        agent: Option<String>,
        #[command(flatten)]
        listing: Listing,
    },
    /// Show one invocation and its runs (exit code 0 whatever the results).
    #[command(after_help = EXIT_CODES)]
    Get {
        /// The invocation's id.
        id: String,
    },
    /// Wait for an invocation to finish; exit 0 only if every run passed.
    #[command(after_help = EXIT_CODES)]
    Wait {
        /// The invocation's id.
        id: String,
        #[command(flatten)]
        wait_args: WaitArgs,
    },
    /// Cancel the runs of an invocation that are still pending (finished ones keep their result).
    #[command(after_help = EXIT_CODES)]
    Cancel {
        /// The invocation's id.
        id: String,
    },
    /// Name an invocation (`--clear` restores its generated title).
    #[command(after_help = EXIT_CODES)]
    Rename {
        /// The invocation's id.
        id: String,
        /// The new name.
        #[arg(required_unless_present = "clear", conflicts_with = "clear")]
        name: Option<String>,
        /// Remove the name: the title is generated again.
        #[arg(long)]
        clear: bool,
    },
    /// Run again the runs of an invocation that did not pass (failed, cancelled, unknown).
    #[command(after_help = EXIT_CODES)]
    Resubmit {
        /// The invocation's id.
        id: String,
        /// Then wait for the invocation, as `invocations wait`.
        #[arg(long)]
        wait: bool,
        #[command(flatten)]
        wait_args: WaitArgs,
    },
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The agent (default on the embedded fake: its demo agent).
    #[arg(long, value_name = "AGENT_ID")]
    pub agent: Option<String>,
    /// Only invocations created on or after DATE (2025-07-01, 2025-07-01T12:00:00Z or unix seconds).
    #[arg(long, value_name = "DATE", value_parser = parse_since)]
    pub since: Option<i64>,
    /// The HTML file to write.
    #[arg(long, value_name = "FILE")]
    pub html: PathBuf,
}

/// The command line with what the spec says of the flags that stand for its parameters:
/// `--repeat` takes `repeat_count`'s bounds, `--page-size` each listing's `page_size` bounds,
/// and their help says which (`tables`: [`Tables::current`], or a varied spec's in tests).
pub fn command(tables: &Tables) -> clap::Command {
    let repeat = tables
        .operation("run_tests")
        .and_then(|op| op.body.as_deref())
        .map(|schema| tables.field(schema, "repeat_count"))
        .unwrap_or_default();
    let listing = |name: &str, sub: clap::Command| {
        let facts = tables.parameter(name, "page_size");
        sub.mut_arg("page_size", |a| {
            a.value_parser(clap::value_parser!(u64).range(range(&facts)))
                .help(format!(
                    "Items per request ({}; default {})",
                    bounds_text(&facts),
                    facts
                        .default
                        .map_or_else(|| "none".to_owned(), |d| d.to_string())
                ))
        })
    };
    Cli::command()
        .mut_subcommand("run", |run| {
            run.mut_arg("repeat", |a| {
                a.value_parser(clap::value_parser!(u64).range(range(&repeat)))
                    .help(format!(
                        "Run each test N times ({}; the API groups the results)",
                        bounds_text(&repeat)
                    ))
            })
        })
        .mut_subcommand("tests", |c| {
            c.mut_subcommand("list", |l| listing("list_tests", l))
        })
        .mut_subcommand("invocations", |c| {
            c.mut_subcommand("list", |l| listing("list_test_invocations", l))
        })
}

/// The spec's `minimum..=maximum` of a positive count (at least 1 when it says nothing).
fn range(facts: &Facts) -> std::ops::RangeInclusive<u64> {
    let count = |n: i64| u64::try_from(n).unwrap_or(0);
    count(facts.minimum.unwrap_or(1)).max(1)..=facts.maximum.map_or(u64::MAX, count)
}

/// `the API accepts 1..=50`, or what is known of it.
fn bounds_text(facts: &Facts) -> String {
    let r = range(facts);
    match facts.maximum {
        Some(_) => format!("the API accepts {}..={}", r.start(), r.end()),
        None => format!("at least {}", r.start()),
    }
}

/// `300ms`, `5s`, `10m`, `1h`, `1d`; a bare number is seconds. Also sums like `1m30s`.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let err = || format!("invalid duration {s:?}: expected e.g. 300ms, 5s, 10m or 1h");
    let s = s.trim();
    if s.is_empty() {
        return Err(err());
    }
    if let Ok(secs) = s.parse::<u64>() {
        return Ok(Duration::from_secs(secs));
    }
    let mut total = Duration::ZERO;
    let mut rest = s;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).ok_or_else(err)?;
        if digits == 0 {
            return Err(err());
        }
        let n: u64 = rest[..digits].parse().map_err(|_| err())?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        let part = match unit {
            "ms" => Duration::from_millis(n),
            "s" => Duration::from_secs(n),
            "m" => Duration::from_secs(n.checked_mul(60).ok_or_else(err)?),
            "h" => Duration::from_secs(n.checked_mul(3600).ok_or_else(err)?),
            "d" => Duration::from_secs(n.checked_mul(86_400).ok_or_else(err)?),
            _ => return Err(err()),
        };
        total = total.checked_add(part).ok_or_else(err)?;
    }
    Ok(total)
}

/// `2025-07-01` (midnight UTC), RFC 3339 (`2025-07-01T12:00:00Z`) or unix seconds.
pub fn parse_since(s: &str) -> Result<i64, String> {
    let s = s.trim();
    if let Ok(secs) = s.parse::<i64>() {
        return Ok(secs);
    }
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Ok(t.timestamp());
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(d.and_time(chrono::NaiveTime::MIN).and_utc().timestamp());
    }
    Err(format!(
        "invalid date {s:?}: expected 2025-07-01, 2025-07-01T12:00:00Z or unix seconds"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("300ms"), Ok(Duration::from_millis(300)));
        assert_eq!(parse_duration("5s"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_duration("10m"), Ok(Duration::from_secs(600)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("1d"), Ok(Duration::from_secs(86_400)));
        assert_eq!(parse_duration("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("42"), Ok(Duration::from_secs(42)));
        for bad in ["", "s", "5x", "-1s", "1.5s", "ms5", "5 s"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn dates() {
        assert_eq!(parse_since("1970-01-02"), Ok(86_400));
        assert_eq!(parse_since("2025-07-08T18:40:00Z"), Ok(1_752_000_000));
        assert_eq!(parse_since("1752000000"), Ok(1_752_000_000));
        assert!(parse_since("July 8").is_err());
    }

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
        command(Tables::current()).debug_assert();
    }

    #[test]
    fn repeat_takes_the_spec_s_maximum() {
        let tables = Tables::current();
        let max = tables
            .field("RunAgentTestsRequestModel", "repeat_count")
            .maximum
            .unwrap();
        let parse = |n: i64| {
            command(tables).try_get_matches_from([
                "elevenlabs-tests",
                "run",
                "--repeat",
                &n.to_string(),
            ])
        };
        assert!(parse(max).is_ok());
        let err = parse(max + 1).unwrap_err().to_string();
        assert!(err.contains(&format!("1..={max}")), "{err}");
        assert!(parse(0).is_err());
    }
}
