//! The command line: clap's derive structs, the facts of the spec they take at run time
//! ([`command`]), and the parsers of durations and dates.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, CommandFactory, Parser, Subcommand};
use elevenlabs_agent_tests::spec::{Facts, Tables};

/// What the exit codes mean; shown at the end of every `--help`.
pub const EXIT_CODES: &str = "\
Exit codes:
  0  success; for run/wait: every test passed (run --min-pass-rate R: passed / (passed +
     failed) is at least R and no run was cancelled or unknown; run --retries N: a test that
     failed and then passed on a retry is flaky and passes, unless --fail-on-flaky)
  1  a test failed (after every retry), was cancelled or ended in a status this version does
     not know; the pass rate is below --min-pass-rate; a flaky test with --fail-on-flaky
  2  usage error (bad flags, unreadable or invalid --file or --agent-config, no tests to run,
     an empty selection)
  3  API, network or I/O error (401, 422, 5xx, connection refused, cannot write a file)
  4  the wait timed out, over all retries (results so far are printed, and written to --junit)

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
    /// this and 2.75 times it; a test named `[slow]` twice that) [default: 1500ms]. The `fake`
    /// command takes --run-duration instead.
    #[arg(long, global = true, value_name = "DURATION", value_parser = parse_duration)]
    pub fake_run_duration: Option<Duration>,
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
    Run(Box<RunArgs>),
    /// List, show, wait for and resubmit test invocations.
    #[command(subcommand, after_help = EXIT_CODES)]
    Invocations(InvocationsCommand),
    /// Report an agent's test history: per test (fails, flaky, regression since) and per
    /// invocation, as HTML, Markdown or JSON lines.
    #[command(after_help = EXIT_CODES)]
    Report(ReportArgs),
    /// Serve the embedded fake Tests API on a local port until SIGINT or SIGTERM, for programs
    /// in any language.
    #[command(long_about = FAKE_ABOUT, after_help = FAKE_EXIT_CODES)]
    Fake(FakeArgs),
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
    /// Write the remote tests into a project directory (tests.json and test_configs/, the
    /// official ElevenLabs CLI's layout); unchanged files are not rewritten.
    #[command(after_help = EXIT_CODES)]
    Pull(PullArgs),
    /// Show what `tests push` would do: creates, updates (each changed field), remote-only
    /// tests. With --exit-code, exit 1 when there are changes.
    #[command(after_help = EXIT_CODES)]
    Diff(DiffArgs),
    /// Apply the project to the remote tests: create new tests, update changed ones (never
    /// an unchanged one), re-create missing folders; --prune deletes remote-only tests.
    #[command(after_help = EXIT_CODES)]
    Push(PushArgs),
}

/// `--dir` and `--concurrency` of the project commands.
#[derive(Debug, Args, Clone)]
pub struct ProjectArgs {
    /// The project root (where tests.json is).
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub dir: PathBuf,
    /// How many tests to read at a time.
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub concurrency: u16,
}

/// `tests pull`.
#[derive(Debug, Args, Clone)]
pub struct PullArgs {
    #[command(flatten)]
    pub project: ProjectArgs,
    /// Only this test (repeatable).
    #[arg(long = "test", value_name = "TEST_ID")]
    pub tests: Vec<String>,
    /// Only the tests in this folder, at any depth (`root`: those at the root).
    #[arg(long, value_name = "FOLDER_ID")]
    pub folder: Option<String>,
    /// New and existing tests (the default).
    #[arg(long, conflicts_with = "update")]
    pub all: bool,
    /// Only the tests already in tests.json.
    #[arg(long)]
    pub update: bool,
}

/// `tests diff`.
#[derive(Debug, Args, Clone)]
pub struct DiffArgs {
    #[command(flatten)]
    pub project: ProjectArgs,
    /// Exit 1 when the plan has changes, 0 when it has none (as `git diff --exit-code`).
    #[arg(long)]
    pub exit_code: bool,
}

/// `tests push`.
#[derive(Debug, Args, Clone)]
pub struct PushArgs {
    #[command(flatten)]
    pub project: ProjectArgs,
    /// Only print the plan (as `tests diff`).
    #[arg(long)]
    pub dry_run: bool,
    /// Also delete the remote tests that are not in the project.
    #[arg(long)]
    pub prune: bool,
    /// Do not ask before --prune deletes (needed when stdin is not a terminal).
    #[arg(long)]
    pub yes: bool,
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
    #[command(flatten)]
    pub select: SelectArgs,
    /// Send this agent configuration (JSON; `-` reads stdin) as the run's
    /// `agent_config_override`, on run-tests and on each retry: test an unpushed
    /// configuration. Checked locally first.
    #[arg(long, value_name = "FILE")]
    pub agent_config: Option<PathBuf>,
    /// Run the project's tests (the ids in tests.json; see `tests push`), intersected with
    /// the other filters.
    #[arg(long)]
    pub project: bool,
    /// The project root for --project.
    #[arg(long, value_name = "DIR", default_value = ".", requires = "project")]
    pub dir: PathBuf,
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
    #[command(flatten)]
    pub gate: GateArgs,
}

/// Which tests `run` runs: the sources (`--test`, `--folder`, `--rerun-failed`; default: the
/// tests attached to the agent) narrowed by `--type` and `--search`; every flag given
/// intersects the rest.
#[derive(Debug, Args, Default)]
pub struct SelectArgs {
    /// A test to run (repeatable); default: the tests attached to the agent.
    #[arg(long = "test", value_name = "TEST_ID")]
    pub tests: Vec<String>,
    /// The tests in this folder and its subfolders (all pages).
    #[arg(long, value_name = "FOLDER_ID")]
    pub folder: Option<String>,
    /// Only tests of this type (repeatable).
    #[arg(long = "type", value_name = "TYPE", value_parser = test_type_parser())]
    pub types: Vec<elevenlabs_agent_tests::types::TestType>,
    /// Only tests that the API's `search` filter matches with TEXT.
    #[arg(long, value_name = "TEXT")]
    pub search: Option<String>,
    /// The tests whose runs did not pass in that invocation.
    #[arg(long, value_name = "INVOCATION_ID")]
    pub rerun_failed: Option<String>,
}

/// The `--type` values: the spec's test types, without `folder` (not a test).
fn test_type_parser()
-> impl clap::builder::TypedValueParser<Value = elevenlabs_agent_tests::types::TestType> {
    use clap::builder::TypedValueParser as _;
    use elevenlabs_agent_tests::types::TestType;
    clap::builder::PossibleValuesParser::new(
        TestType::KNOWN
            .iter()
            .copied()
            .filter(|t| TestType::from(*t) != TestType::Folder),
    )
    .map(|s| TestType::from(s.as_str()))
}

/// What makes `run --wait` pass: a pass rate, retries of the failed runs, flaky tests.
#[derive(Debug, Args, Default)]
pub struct GateArgs {
    /// Pass when passed / (passed + failed) over the finished runs (every repetition) is at
    /// least RATE (0 to 1), even if some failed; default: every run must pass.
    #[arg(long, value_name = "RATE", value_parser = parse_rate)]
    pub min_pass_rate: Option<f64>,
    /// Resubmit the runs that failed, in the same invocation, and wait again, up to N times
    /// (all within --timeout). A test that failed and then passed is flaky: it passes.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub retries: u32,
    /// A flaky test (failed, then passed on a retry) fails the gate.
    #[arg(long)]
    pub fail_on_flaky: bool,
    /// Write a Markdown summary to FILE (totals, pass rate, flaky tests, the runs that did
    /// not pass); also appended to $GITHUB_STEP_SUMMARY when that is set.
    #[arg(long, value_name = "FILE")]
    pub summary: Option<PathBuf>,
    /// Print CI annotations on stdout: `github` (`::error` per failed test, `::warning` per
    /// flaky one).
    #[arg(long, value_name = "FORMAT")]
    pub annotations: Option<AnnotationFormat>,
}

impl GateArgs {
    /// Whether a flag that changes the gate was given (`--json` then adds the gate's line).
    pub fn is_set(&self) -> bool {
        self.min_pass_rate.is_some() || self.retries > 0 || self.fail_on_flaky
    }
}

/// The annotation formats of `--annotations`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AnnotationFormat {
    /// GitHub Actions workflow commands.
    Github,
}

/// A rate between 0 and 1 (`0.9`).
pub fn parse_rate(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(r) if (0.0..=1.0).contains(&r) => Ok(r),
        _ => Err(format!(
            "invalid rate {s:?}: expected a number from 0 to 1, e.g. 0.9"
        )),
    }
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
    /// Only the newest N invocations (after --since).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub last: Option<u64>,
    /// How many invocations' runs to read at a time.
    #[arg(long, value_name = "N", default_value = "8", value_parser = clap::value_parser!(u64).range(1..=64))]
    pub concurrency: u64,
    /// How many of the newest invocations the HTML grid of tests x invocations shows.
    #[arg(long, value_name = "N", default_value = "100", value_parser = clap::value_parser!(u64).range(1..=10_000))]
    pub grid_invocations: u64,
    /// Write the HTML report to FILE (chart, invocations, tests ranked, tests x invocations grid).
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Write the ranked table of tests as Markdown to FILE (for a pull request comment).
    #[arg(long, value_name = "FILE")]
    pub markdown: Option<PathBuf>,
}

impl ReportArgs {
    /// At least one output: --html, --markdown or --json.
    pub fn check_outputs(&self, json: bool) -> Result<(), String> {
        if self.html.is_none() && self.markdown.is_none() && !json {
            return Err(
                "report needs an output: --html FILE, --markdown FILE or --json (one test a line on stdout)"
                    .to_owned(),
            );
        }
        Ok(())
    }
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

/// The long help of `fake`.
const FAKE_ABOUT: &str = "\
Serve the embedded fake Tests API on a local port until SIGINT or SIGTERM, for programs in any
language: the official Python and JS SDKs and the official CLI take its address as their base
URL, with its API key.

It serves every operation of the Tests family statefully (tests, folders, the demo agents and
their attached tests, run-tests, invocations, resubmit, cancel, rename), checks parameters and
bodies as the API does (FastAPI's 422), and answers 401 for a wrong key. Its data is the same
for the same --seed, --invocations and --agents.

Simulated test runs start pending and finish after --run-duration, their outcome set by the
test's name (ASCII case-insensitive):
  [fail]   the run fails, with a rationale saying why
  [slow]   the run takes twice as long
  [flaky]  the test's first run in an invocation fails; its repetitions and resubmits pass
Any other test passes.

The first line on stdout, flushed at once, says where it is:
  listening on http://127.0.0.1:PORT api-key KEY demo-agent AGENT_ID
with --json, the same as one JSON object: {\"url\",\"api_key\",\"demo_agent\"} (demo_agent is
null with --agents 0). On SIGINT or SIGTERM it stops accepting connections, answers the
requests in flight, prints a summary line on stderr and exits 0.";

/// The exit codes of `fake`.
const FAKE_EXIT_CODES: &str = "\
Exit codes:
  0  stopped by SIGINT or SIGTERM
  2  usage error (bad flags)
  3  cannot listen (the port is in use, the address is not this machine's), cannot write --log";

/// `fake`: what to serve, where, and the request log.
#[derive(Debug, Args)]
pub struct FakeArgs {
    /// The address to listen on. Another than loopback lets other machines in: it must be
    /// asked for, and is said on stderr.
    #[arg(long, value_name = "IP", default_value = "127.0.0.1")]
    pub host: IpAddr,
    /// The port (0: a free one, printed on the first line).
    #[arg(long, value_name = "PORT", default_value_t = 0)]
    pub port: u16,
    /// The API key the fake accepts (in the `xi-api-key` header): visible ASCII.
    #[arg(long, value_name = "KEY", default_value = elevenlabs_agent_tests::fake::DEFAULT_API_KEY,
          value_parser = parse_fake_api_key)]
    pub api_key: String,
    /// The seed of the demo data: the same seed, the same data.
    #[arg(long, value_name = "N", default_value_t = elevenlabs_agent_tests::fake::DEFAULT_SEED)]
    pub seed: u64,
    /// How many past test invocations to generate.
    #[arg(long, value_name = "N", default_value_t = elevenlabs_agent_tests::fake::DEFAULT_INVOCATIONS,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new()
              .range(0..=elevenlabs_agent_tests::fake::MAX_INVOCATIONS as u64))]
    pub invocations: usize,
    /// How many demo agents, each with a test suite (the first is the demo agent).
    #[arg(long, value_name = "N", default_value_t = elevenlabs_agent_tests::fake::DEFAULT_AGENTS)]
    pub agents: usize,
    /// How long a simulated test run takes (each run finishes between this and 2.75 times it;
    /// a test named `[slow]` twice that).
    #[arg(long, value_name = "DURATION", default_value = "300ms", value_parser = parse_duration)]
    pub run_duration: Duration,
    /// A delay before answering each request.
    #[arg(long, value_name = "DURATION", default_value = "0ms", value_parser = parse_duration)]
    pub latency: Duration,
    /// Write one JSON object per request (method, path, query, status, ms; never the API key)
    /// to FILE, or to stderr with `-`.
    #[arg(long, value_name = "FILE|-")]
    pub log: Option<PathBuf>,
}

/// A key the fake can accept (the library's rule, [`check_api_key`](elevenlabs_agent_tests::fake::check_api_key)).
fn parse_fake_api_key(s: &str) -> Result<String, String> {
    elevenlabs_agent_tests::fake::check_api_key(s).map(|()| s.to_owned())
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
    fn rates() {
        assert_eq!(parse_rate("0.9"), Ok(0.9));
        assert_eq!(parse_rate("0"), Ok(0.0));
        assert_eq!(parse_rate("1"), Ok(1.0));
        for bad in ["1.01", "-0.1", "NaN", "90%", ""] {
            assert!(parse_rate(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn test_types_are_the_specs_without_folder() {
        let cli =
            Cli::try_parse_from(["x", "run", "--type", "llm", "--type", "simulation"]).unwrap();
        let Command::Run(run) = cli.command else {
            panic!("run")
        };
        assert_eq!(
            run.select.types,
            [
                elevenlabs_agent_tests::types::TestType::Llm,
                elevenlabs_agent_tests::types::TestType::Simulation
            ]
        );
        assert!(Cli::try_parse_from(["x", "run", "--type", "folder"]).is_err());
        assert!(Cli::try_parse_from(["x", "run", "--type", "tool"]).is_ok());
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
