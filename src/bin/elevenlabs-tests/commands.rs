//! The commands: each talks to the API through the generated client and writes its output.

use std::io::{self, Read, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use elevenlabs_agent_tests::prelude::*;
use elevenlabs_agent_tests::spec::Tables;
use elevenlabs_agent_tests::types::{
    AdhocAgentConfigOverrideForTestRequestModel, AttachedTestModel, CreateTestBody,
    GetTestSuiteInvocationResponseModel, SingleTestRunRequestModel, TestRunStatus,
};

use crate::args::{
    AnnotationFormat, Command, GateArgs, InvocationsCommand, Listing, ReportArgs, RunArgs,
    TestsCommand, WaitArgs,
};
use crate::connect::Connection;
use crate::failure::{EXIT_OK, EXIT_TESTS_FAILED, EXIT_TIMED_OUT, Failure};
use crate::gate::{self, Attempts, Cost, Rule};
use crate::history::{Column, History, RunFact};
use crate::output::{self, json_line};
use crate::progress::{ReadProgress, WaitProgress};
use crate::{agent_config, ci_report, junit, report, selection};

/// What a command ends with, when it does not fail.
pub type CommandResult = Result<u8, Failure>;

pub struct Ctx<'a> {
    pub conn: &'a Connection,
    pub json: bool,
    pub out: &'a mut dyn Write,
}

impl Ctx<'_> {
    fn client(&self) -> &Client {
        &self.conn.client
    }
}

/// Prints an invocation: a JSON line with `--json`, else its human form.
fn show_invocation(
    ctx: &mut Ctx<'_>,
    invocation: &GetTestSuiteInvocationResponseModel,
) -> Result<(), Failure> {
    if ctx.json {
        json_line(ctx.out, invocation)
    } else {
        Ok(output::print_invocation(ctx.out, invocation)?)
    }
}

/// The page size to ask listing `operation_id` for: `--page-size`, or `--limit` when it is
/// below the API's default page (the spec's `page_size` default; none: every limit is asked
/// for).
fn page_size(tables: &Tables, operation_id: &str, listing: &Listing) -> Option<u64> {
    let default = tables.int_default(operation_id, "page_size");
    match (listing.page_size, listing.limit) {
        (Some(p), _) => Some(p),
        (None, Some(l)) if default.is_none_or(|d| i64::try_from(l).is_ok_and(|l| l < d)) => Some(l),
        _ => None,
    }
}

/// What [`preflight`] read and checked before connecting.
#[derive(Default)]
pub struct Prepared {
    /// The body of `tests create`.
    pub create_body: Option<CreateTestBody>,
    /// The `--agent-config` of `run`.
    pub agent_config: Option<AdhocAgentConfigOverrideForTestRequestModel>,
}

/// Checks what can be checked before connecting (the fake prints a note when it starts):
/// the body of `tests create` and the `--agent-config` of `run`, read and validated once, and
/// the outputs `report` is asked for.
pub fn preflight(command: &Command, json: bool) -> Result<Prepared, Failure> {
    match command {
        Command::Tests(TestsCommand::Create { file }) => Ok(Prepared {
            create_body: Some(read_create_body(file)?),
            ..Prepared::default()
        }),
        Command::Run(args) => Ok(Prepared {
            agent_config: args
                .agent_config
                .as_deref()
                .map(agent_config::read)
                .transpose()?,
            ..Prepared::default()
        }),
        Command::Report(args) => {
            args.check_outputs(json).map_err(Failure::Usage)?;
            Ok(Prepared::default())
        }
        _ => Ok(Prepared::default()),
    }
}

/// `tests ...`; `body` is the create body [`preflight`] read, if any.
pub async fn tests(
    ctx: &mut Ctx<'_>,
    command: TestsCommand,
    body: Option<CreateTestBody>,
) -> CommandResult {
    match command {
        TestsCommand::List {
            search,
            folder,
            listing,
        } => {
            let mut request = ctx.client().list_tests();
            if let Some(search) = search {
                request = request.search(search);
            }
            if let Some(folder) = folder {
                request = request.parent_folder_id(folder);
            }
            if let Some(p) = page_size(Tables::current(), "list_tests", &listing) {
                request = request.page_size(p);
            }
            print_listing(
                ctx,
                request.stream(),
                output::TEST_HEADER,
                output::test_row,
                listing.limit,
            )
            .await
        }
        TestsCommand::Get { id } => {
            let test = ctx
                .client()
                .get_test()
                .test_id(id)
                .send()
                .await?
                .into_inner();
            if ctx.json {
                json_line(ctx.out, &test)?;
            } else {
                let value = serde_json::to_value(&test)
                    .map_err(|e| Failure::Io(format!("cannot encode the test: {e}")))?;
                output::print_object(ctx.out, &value)?;
            }
            Ok(EXIT_OK)
        }
        TestsCommand::Create { file } => {
            let body = match body {
                Some(body) => body,
                None => read_create_body(&file)?,
            };
            let created = ctx
                .client()
                .create_test()
                .body(body)
                .send()
                .await?
                .into_inner();
            if ctx.json {
                json_line(ctx.out, &created)?;
            } else {
                writeln!(ctx.out, "created test {}", created.id)?;
            }
            Ok(EXIT_OK)
        }
        TestsCommand::Pull(args) => {
            crate::project::pull::run(&ctx.conn.client, ctx.out, ctx.json, args).await
        }
        TestsCommand::Diff(args) => {
            crate::project::push::diff(&ctx.conn.client, ctx.out, ctx.json, args).await
        }
        TestsCommand::Push(args) => {
            crate::project::push::push(&ctx.conn.client, ctx.out, ctx.json, args).await
        }
        TestsCommand::Delete { id } => {
            let answer = ctx
                .client()
                .delete_test()
                .test_id(id.as_str())
                .send()
                .await?
                .into_inner();
            if ctx.json {
                json_line(ctx.out, &answer)?;
            } else {
                writeln!(ctx.out, "deleted test {id}")?;
            }
            Ok(EXIT_OK)
        }
    }
}

/// Reads and checks a create body: JSON, an object whose `type` is a kind the API knows.
fn read_create_body(path: &Path) -> Result<CreateTestBody, Failure> {
    let text = if path == Path::new("-") {
        let mut s = String::new();
        io::stdin()
            .read_to_string(&mut s)
            .map_err(|e| Failure::Usage(format!("cannot read the test from stdin: {e}")))?;
        s
    } else {
        std::fs::read_to_string(path)
            .map_err(|e| Failure::Usage(format!("cannot read {}: {e}", path.display())))?
    };
    let invalid = |at: String, what: String| {
        Failure::Usage(format!(
            "{} is not a valid test: {at}{what}",
            path.display()
        ))
    };
    let value: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| invalid(String::new(), format!("not JSON: {e}")))?;
    /// Decodes one kind with the path of the first wrong field.
    fn decode<T: serde::de::DeserializeOwned>(
        value: serde_json::Value,
    ) -> Result<T, (String, String)> {
        serde_path_to_error::deserialize(value)
            .map_err(|e| (format!("at `{}`: ", e.path()), e.inner().to_string()))
    }
    let kind = value.get("type").and_then(serde_json::Value::as_str);
    let body = match kind {
        Some("llm") => decode(value).map(CreateTestBody::Llm),
        Some("tool") => decode(value).map(CreateTestBody::Tool),
        Some("simulation") => decode(value).map(CreateTestBody::Simulation),
        other => {
            return Err(Failure::Usage(format!(
                "{}: `type` must be \"llm\", \"tool\" or \"simulation\"{}",
                path.display(),
                other.map(|k| format!(", not {k:?}")).unwrap_or_default()
            )));
        }
    };
    body.map_err(|(at, what)| invalid(at, what))
}

/// `run`: selects the tests, starts them (with `--agent-config` as the override), and with
/// `--wait` gates on the results, retrying failed runs.
pub async fn run(
    ctx: &mut Ctx<'_>,
    args: RunArgs,
    agent_config: Option<AdhocAgentConfigOverrideForTestRequestModel>,
) -> CommandResult {
    let agent = ctx.conn.agent_or_demo(args.agent.as_deref(), "run")?;
    // Before anything runs: a project's test not pushed yet is an error naming it.
    let project_ids = if args.project {
        Some(crate::project::test_ids(&args.dir)?)
    } else {
        None
    };
    let extra = project_ids.as_deref().map(|ids| selection::ExtraIds {
        label: "--project",
        ids,
    });
    let selected = selection::select(ctx.client(), &agent, &args.select, extra).await?;
    print_selection(ctx.json, &selected)?;
    let tests: Vec<SingleTestRunRequestModel> = selected
        .iter()
        .map(|t| {
            SingleTestRunRequestModel::from(&AttachedTestModel {
                test_id: t.test_id.clone(),
                workflow_node_id: t.workflow_node_id.clone(),
            })
        })
        .collect();
    let count = tests.len();
    let repeat = args.repeat;
    let branch = args.branch.clone();
    let config = agent_config.clone();
    let started = ctx
        .client()
        .run_tests()
        .agent_id(agent.as_str())
        .body_map(move |mut b| {
            b = b.tests(tests);
            if let Some(r) = repeat.and_then(std::num::NonZeroU64::new) {
                b = b.repeat_count(r);
            }
            if let Some(branch) = branch {
                b = b.branch_id(branch);
            }
            if let Some(config) = config {
                b = b.agent_config_override(config);
            }
            b
        })
        .send()
        .await?
        .into_inner();
    eprintln!(
        "started invocation {} on agent {agent}: {count} test{}{}",
        started.id,
        if count == 1 { "" } else { "s" },
        if agent_config.is_some() {
            " with the --agent-config override"
        } else {
            ""
        }
    );
    if !(args.wait || args.wait_args.junit.is_some()) {
        if ctx.json {
            json_line(ctx.out, &started)?;
        } else {
            output::print_invocation(ctx.out, &started)?;
            writeln!(
                ctx.out,
                "\nwait for it with: elevenlabs-tests invocations wait {}",
                started.id
            )?;
        }
        return Ok(EXIT_OK);
    }
    let gate = Gate {
        args: &args.gate,
        agent,
        branch: args.branch.clone(),
        agent_config,
    };
    wait(ctx, &started.id, &args.wait_args, Some(gate)).await
}

/// Prints the selection on stderr before the run: the count and the first names; every test
/// as one JSON line with `--json`.
fn print_selection(json: bool, selected: &[selection::Selected]) -> Result<(), Failure> {
    if json {
        let tests: Vec<_> = selected
            .iter()
            .map(|t| serde_json::json!({"test_id": t.test_id, "name": t.name}))
            .collect();
        json_line(&mut io::stderr(), &serde_json::json!({ "selected": tests }))?;
        return Ok(());
    }
    const SHOWN: usize = 10;
    let names: Vec<String> = selected
        .iter()
        .take(SHOWN)
        .map(|t| match &t.name {
            Some(name) => format!("{} ({})", output::clean(name), output::clean(&t.test_id)),
            None => output::clean(&t.test_id),
        })
        .collect();
    let more = selected.len().saturating_sub(SHOWN);
    eprintln!(
        "selected {} test{}: {}{}",
        selected.len(),
        if selected.len() == 1 { "" } else { "s" },
        names.join(", "),
        if more > 0 {
            format!(" and {more} more (--json lists them all)")
        } else {
            String::new()
        }
    );
    Ok(())
}

/// How `run --wait` gates: its flags, and what a resubmit needs.
struct Gate<'a> {
    args: &'a GateArgs,
    agent: String,
    branch: Option<String>,
    agent_config: Option<AdhocAgentConfigOverrideForTestRequestModel>,
}

/// Waits for an invocation until it finishes or `timeout` passes: the last snapshot (when
/// there was one) and whether it timed out.
async fn wait_once(
    ctx: &Ctx<'_>,
    id: &str,
    poll: Duration,
    timeout: Duration,
) -> Result<(Option<GetTestSuiteInvocationResponseModel>, bool), Failure> {
    let mut updates = ctx
        .client()
        .wait_for_test_invocation(id)
        .poll_interval(poll)
        .timeout(timeout)
        .updates();
    let mut progress = WaitProgress::new(id);
    let mut last: Option<GetTestSuiteInvocationResponseModel> = None;
    while let Some(item) = updates.next().await {
        match item {
            Ok(snapshot) => {
                progress.update(&snapshot.outcome());
                last = Some(snapshot);
            }
            Err(Error::WaitTimedOut { last: at_end, .. }) => {
                return Ok((at_end.map(|b| *b).or(last), true));
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok((last, false))
}

/// Waits for an invocation, prints its results, writes the JUnit file; the exit code says
/// whether every run passed. With a [`Gate`] (`run --wait`): failed runs are resubmitted up
/// to `--retries` times within the one `--timeout`, the gate's rule decides the exit code,
/// and the summary and annotations are written.
async fn wait(
    ctx: &mut Ctx<'_>,
    id: &str,
    args: &WaitArgs,
    gate: Option<Gate<'_>>,
) -> CommandResult {
    let poll = args
        .poll_interval
        .unwrap_or_else(|| ctx.conn.default_poll_interval());
    let deadline = Instant::now() + args.timeout;
    let mut attempts = Attempts::default();
    let (mut last, mut timed_out) = wait_once(ctx, id, poll, args.timeout).await?;
    if let Some(gate) = &gate {
        while !timed_out && let Some(invocation) = &last {
            let failed = attempts.record(invocation);
            if failed.is_empty() || attempts.retries >= gate.args.retries {
                break;
            }
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                timed_out = true;
                break;
            }
            resubmit_failed(ctx, id, gate, failed).await?;
            attempts.retries += 1;
            let (next, out_of_time) = wait_once(ctx, id, poll, remaining).await?;
            last = next.or(last);
            timed_out = out_of_time;
        }
    }
    let Some(invocation) = last else {
        if timed_out {
            eprintln!(
                "error: invocation {id} had not finished after {}",
                crate::format_duration(args.timeout)
            );
            return Ok(EXIT_TIMED_OUT);
        }
        return Err(Failure::Io(format!(
            "the wait for {id} ended without a snapshot"
        )));
    };
    let (cost, verdict) = match &gate {
        Some(g) => {
            let rule = Rule {
                min_pass_rate: g.args.min_pass_rate,
                fail_on_flaky: g.args.fail_on_flaky,
            };
            (
                invocation_cost(ctx.client(), &g.agent, id).await,
                Some(gate::verdict(rule, &invocation, &attempts)),
            )
        }
        None => (Cost::default(), None),
    };
    let code = if timed_out {
        eprintln!(
            "error: invocation {id} had not finished after {}",
            crate::format_duration(args.timeout)
        );
        EXIT_TIMED_OUT
    } else {
        let passed = match &verdict {
            Some(v) => v.ok,
            None => invocation.outcome().all_passed(),
        };
        if passed { EXIT_OK } else { EXIT_TESTS_FAILED }
    };
    if let Some(path) = &args.junit {
        junit::write(path, &invocation, &attempts, cost)?;
        eprintln!("wrote JUnit XML to {}", path.display());
    }
    match (&gate, &verdict) {
        (Some(gate), Some(verdict)) => {
            let gated = ci_report::Gated {
                invocation: &invocation,
                attempts: &attempts,
                verdict,
                cost,
            };
            write_summaries(gate.args, &gated)?;
            show_gated(ctx, &gated, gate.args.is_set())?;
            if gate.args.annotations == Some(AnnotationFormat::Github) {
                write!(ctx.out, "{}", ci_report::github_annotations(&gated))?;
            }
            if code == EXIT_TESTS_FAILED {
                // After the results, not before them.
                ctx.out.flush()?;
                let o = invocation.outcome();
                if !o.not_passed.is_empty() {
                    eprintln!("{} of {} runs did not pass", o.not_passed.len(), o.total());
                }
                if let Some(reason) = &verdict.reason {
                    eprintln!("the gate failed: {reason}");
                }
            }
        }
        _ => {
            show_invocation(ctx, &invocation)?;
            if code == EXIT_TESTS_FAILED {
                // After the results, not before them.
                ctx.out.flush()?;
                let o = invocation.outcome();
                eprintln!("{} of {} runs did not pass", o.not_passed.len(), o.total());
            }
        }
    }
    Ok(code)
}

/// Resubmits the failed runs of an invocation (same agent, branch and override).
async fn resubmit_failed(
    ctx: &Ctx<'_>,
    id: &str,
    gate: &Gate<'_>,
    run_ids: Vec<String>,
) -> Result<(), Failure> {
    let n = run_ids.len();
    let (agent, branch, config) = (
        gate.agent.clone(),
        gate.branch.clone(),
        gate.agent_config.clone(),
    );
    ctx.client()
        .resubmit_test_invocation()
        .test_invocation_id(id)
        .body_map(move |mut b| {
            b = b.agent_id(agent).test_run_ids(run_ids);
            if let Some(branch) = branch {
                b = b.branch_id(branch);
            }
            if let Some(config) = config {
                b = b.agent_config_override(config);
            }
            b
        })
        .send()
        .await?;
    eprintln!(
        "retrying {n} failed run{} of invocation {id}",
        if n == 1 { "" } else { "s" }
    );
    Ok(())
}

/// The invocation's `credits_used` and `total_price` from the invocation listing (the
/// invocation itself does not carry them); none when the listing does not say. A listing
/// that fails is noted on stderr: the cost is left out, the results stand.
async fn invocation_cost(client: &Client, agent: &str, id: &str) -> Cost {
    let page = client
        .list_test_invocations()
        .agent_id(agent)
        .page_size(100)
        .send()
        .await;
    match page {
        Ok(page) => page
            .into_inner()
            .results
            .into_iter()
            .find(|i| i.id == id)
            .map(|i| Cost {
                credits_used: i.credits_used,
                total_price: i.total_price,
            })
            .unwrap_or_default(),
        Err(e) => {
            eprintln!(
                "note: the cost of {id} is left out: the invocation listing failed: {}",
                e
            );
            Cost::default()
        }
    }
}

/// The Markdown summary to `--summary` and appended to `$GITHUB_STEP_SUMMARY`.
fn write_summaries(args: &GateArgs, gated: &ci_report::Gated<'_>) -> Result<(), Failure> {
    let md = ci_report::markdown(gated);
    if let Some(path) = &args.summary {
        std::fs::write(path, &md)
            .map_err(|e| Failure::Io(format!("cannot write {}: {e}", path.display())))?;
        eprintln!("wrote the summary to {}", path.display());
    }
    if let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) {
        let path = std::path::PathBuf::from(path);
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .and_then(|mut f| f.write_all(md.as_bytes()))
            .map_err(|e| Failure::Io(format!("cannot append to {}: {e}", path.display())))?;
    }
    Ok(())
}

/// Prints a gated invocation: with `--json` the invocation (the API's model, one line) and,
/// when a gate flag was given (`json_gate`), a second line `{"gate": ...}` (counts, pass rate,
/// the failures of each retried run, cost); else the invocation and the gate's lines.
fn show_gated(ctx: &mut Ctx<'_>, g: &ci_report::Gated<'_>, json_gate: bool) -> Result<(), Failure> {
    if ctx.json {
        json_line(ctx.out, g.invocation)?;
        if !json_gate {
            return Ok(());
        }
        let attempts: serde_json::Map<String, serde_json::Value> = g
            .invocation
            .test_runs
            .iter()
            .filter(|r| !g.attempts.failures(&r.test_run_id).is_empty())
            .map(|r| {
                (
                    r.test_run_id.clone(),
                    serde_json::json!({
                        "test_id": r.test_id,
                        "test_name": r.test_name,
                        "flaky": g.attempts.is_flaky(r),
                        "failures": g.attempts.failures(&r.test_run_id),
                    }),
                )
            })
            .collect();
        let mut gate = serde_json::to_value(g.verdict)
            .map_err(|e| Failure::Io(format!("cannot encode the output as JSON: {e}")))?;
        if let (Some(map), Ok(serde_json::Value::Object(cost))) =
            (gate.as_object_mut(), serde_json::to_value(g.cost))
        {
            map.extend(cost);
            map.insert("attempts".to_owned(), attempts.into());
        }
        return json_line(ctx.out, &serde_json::json!({ "gate": gate }));
    }
    output::print_invocation(ctx.out, g.invocation)?;
    let v = g.verdict;
    writeln!(ctx.out)?;
    let mut line = format!("pass rate {}", gate::percent(v.pass_rate),);
    if let Some(min) = v.min_pass_rate {
        line.push_str(&format!(" (--min-pass-rate {})", gate::percent(Some(min))));
    }
    if v.retries > 0 {
        line.push_str(&format!(
            ", {} retr{}",
            v.retries,
            if v.retries == 1 { "y" } else { "ies" }
        ));
    }
    if let Some(credits) = g.cost.credits_used {
        line.push_str(&format!(", {credits} credits"));
    }
    if let Some(price) = g.cost.total_price {
        line.push_str(&format!(", ${price:.4}"));
    }
    writeln!(ctx.out, "{line}")?;
    for run in &g.invocation.test_runs {
        let failures = g.attempts.failures(&run.test_run_id);
        if g.attempts.is_flaky(run) {
            writeln!(
                ctx.out,
                "FLAKY {}: failed, then passed on a retry; first failure: {}",
                output::clean(&run.test_name),
                output::clean(failures[0].summary())
            )?;
        } else if failures.len() > 1 {
            writeln!(
                ctx.out,
                "FAILED {} on all {} attempts: {}",
                output::clean(&run.test_name),
                failures.len(),
                failures
                    .iter()
                    .map(|f| output::clean(f.summary()))
                    .collect::<Vec<_>>()
                    .join(" / ")
            )?;
        }
    }
    Ok(())
}

/// Prints a listing as its items arrive (a table row, or a JSON line with `--json`), at most
/// `limit` items.
async fn print_listing<T, S>(
    ctx: &mut Ctx<'_>,
    mut items: S,
    header: &str,
    row: fn(&T) -> String,
    limit: Option<u64>,
) -> CommandResult
where
    T: serde::Serialize,
    S: futures::Stream<Item = Result<T, elevenlabs_agent_tests::Error>> + Unpin,
{
    if !ctx.json {
        writeln!(ctx.out, "{header}")?;
    }
    let mut n = 0u64;
    while let Some(item) = items.try_next().await? {
        if ctx.json {
            json_line(ctx.out, &item)?;
        } else {
            writeln!(ctx.out, "{}", row(&item))?;
        }
        ctx.out.flush()?;
        n += 1;
        if limit == Some(n) {
            break;
        }
    }
    Ok(EXIT_OK)
}

pub async fn invocations(ctx: &mut Ctx<'_>, command: InvocationsCommand) -> CommandResult {
    match command {
        InvocationsCommand::List { agent, listing } => {
            let mut request = ctx.client().list_test_invocations();
            if let Some(agent) = agent {
                request = request.agent_id(agent);
            }
            if let Some(p) = page_size(Tables::current(), "list_test_invocations", &listing) {
                request = request.page_size(p);
            }
            print_listing(
                ctx,
                request.stream(),
                output::INVOCATION_HEADER,
                output::invocation_row,
                listing.limit,
            )
            .await
        }
        InvocationsCommand::Get { id } => {
            let invocation = get_invocation(ctx.client(), &id).await?;
            show_invocation(ctx, &invocation)?;
            Ok(EXIT_OK)
        }
        InvocationsCommand::Wait { id, wait_args } => wait(ctx, &id, &wait_args, None).await,
        InvocationsCommand::Cancel { id } => {
            ctx.client()
                .cancel_test_invocation()
                .test_invocation_id(id.as_str())
                .send()
                .await?;
            eprintln!("cancelled the pending runs of invocation {id}");
            let invocation = get_invocation(ctx.client(), &id).await?;
            show_invocation(ctx, &invocation)?;
            Ok(EXIT_OK)
        }
        InvocationsCommand::Rename { id, name, clear } => {
            let name = if clear { None } else { name };
            let invocation = ctx
                .client()
                .update_test_invocation()
                .test_invocation_id(id.as_str())
                .body_map(move |b| b.name(name))
                .send()
                .await?
                .into_inner();
            show_invocation(ctx, &invocation)?;
            Ok(EXIT_OK)
        }
        InvocationsCommand::Resubmit {
            id,
            wait: then_wait,
            wait_args,
        } => {
            let invocation = get_invocation(ctx.client(), &id).await?;
            let run_ids: Vec<String> = invocation
                .test_runs
                .iter()
                .filter(|r| !matches!(r.status, TestRunStatus::Passed | TestRunStatus::Pending))
                .map(|r| r.test_run_id.clone())
                .collect();
            if run_ids.is_empty() {
                eprintln!(
                    "invocation {id} has no finished run that did not pass; nothing to resubmit"
                );
                if ctx.json {
                    json_line(ctx.out, &invocation)?;
                }
                return Ok(EXIT_OK);
            }
            let agent = junit::agent_of(&invocation);
            let n = run_ids.len();
            let answer = ctx
                .client()
                .resubmit_test_invocation()
                .test_invocation_id(id.as_str())
                .body_map(move |b| b.agent_id(agent).test_run_ids(run_ids))
                .send()
                .await?
                .into_inner();
            eprintln!(
                "resubmitted {n} run{} of invocation {id}",
                if n == 1 { "" } else { "s" }
            );
            if then_wait || wait_args.junit.is_some() {
                return wait(ctx, &id, &wait_args, None).await;
            }
            if ctx.json {
                json_line(ctx.out, &answer)?;
            } else {
                writeln!(
                    ctx.out,
                    "wait for it with: elevenlabs-tests invocations wait {id}"
                )?;
            }
            Ok(EXIT_OK)
        }
    }
}

async fn get_invocation(
    client: &Client,
    id: &str,
) -> Result<GetTestSuiteInvocationResponseModel, Failure> {
    Ok(client
        .get_test_invocation()
        .test_invocation_id(id)
        .send()
        .await?
        .into_inner())
}

/// Whether an invocation's runs are unreadable rather than the API or network failing: the
/// API refused that one invocation (404 and the like, after the client's retries), or its
/// body does not decode. Counted and named in the report; anything else stops it.
fn is_unreadable(e: &elevenlabs_agent_tests::Error) -> bool {
    match e {
        elevenlabs_agent_tests::Error::Api { status, .. } => !matches!(status.as_u16(), 401 | 403),
        elevenlabs_agent_tests::Error::Decode { .. }
        | elevenlabs_agent_tests::Error::Validation { .. } => true,
        _ => false,
    }
}

pub async fn report(ctx: &mut Ctx<'_>, args: ReportArgs) -> CommandResult {
    let agent = ctx.conn.agent_or_demo(args.agent.as_deref(), "report")?;
    let mut items = ctx
        .client()
        .list_test_invocations()
        .agent_id(agent.as_str())
        .page_size(100)
        .stream();
    let mut invocations = Vec::new();
    while let Some(item) = items.try_next().await? {
        if args
            .since
            .is_some_and(|since| item.created_at_unix_secs < since)
        {
            continue;
        }
        invocations.push(item);
        if args.last.is_some_and(|n| invocations.len() as u64 >= n) {
            break;
        }
    }

    // The runs of each invocation, `--concurrency` at a time, in the listing's order (newest
    // first); each response is reduced to the history's counters and cells, then dropped.
    let mut history = History::new(args.grid_invocations as usize);
    let progress = ReadProgress::new(invocations.len() as u64);
    let client = ctx.client();
    let mut details = futures::stream::iter(&invocations)
        .map(|summary| async move {
            let detail = client
                .get_test_invocation()
                .test_invocation_id(summary.id.as_str())
                .send()
                .await;
            (summary, detail)
        })
        .buffered(args.concurrency as usize);
    while let Some((summary, detail)) = details.next().await {
        let column = Column {
            id: summary.id.clone(),
            created_at: summary.created_at_unix_secs,
            title: summary.title.clone(),
        };
        match detail {
            Ok(detail) => history.add_invocation(column, detail.test_runs.iter().map(RunFact::of)),
            Err(e) if is_unreadable(&e) => history.add_unreadable(&summary.id, e.to_string()),
            Err(e) => return Err(e.into()),
        }
        progress.inc();
    }
    drop(details);
    drop(progress);
    let ranked = history.ranked();

    for unreadable in history.unreadable() {
        eprintln!(
            "warning: cannot read the runs of invocation {}: {}",
            unreadable.id, unreadable.reason
        );
    }
    if ctx.json {
        for stats in &ranked {
            json_line(ctx.out, stats)?;
        }
    }
    let mut written = Vec::new();
    if let Some(path) = &args.markdown {
        let text = report::markdown(&agent, &history, &ranked);
        write_file(path, &text)?;
        written.push(path.display().to_string());
    }
    if let Some(path) = &args.html {
        let html = report::html(&agent, args.since, &invocations, &history, &ranked)
            .map_err(|e| Failure::Io(format!("cannot draw the chart: {e}")))?;
        write_file(path, &html)?;
        written.push(path.display().to_string());
    }
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    let mut summary = format!(
        "{} invocation{} of agent {agent}, {} test{}",
        invocations.len(),
        plural(invocations.len()),
        ranked.len(),
        plural(ranked.len())
    );
    if !history.unreadable().is_empty() {
        summary.push_str(&format!(
            "; {} could not be read",
            history.unreadable().len()
        ));
    }
    let message = if written.is_empty() {
        summary
    } else {
        format!("wrote {} ({summary})", written.join(" and "))
    };
    if ctx.json {
        eprintln!("{message}");
    } else {
        writeln!(ctx.out, "{message}")?;
    }
    Ok(EXIT_OK)
}

/// Writes a report file; exit 3 when it cannot.
fn write_file(path: &Path, text: &str) -> Result<(), Failure> {
    std::fs::write(path, text)
        .map_err(|e| Failure::Io(format!("cannot write {}: {e}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::page_size;
    use crate::args::Listing;
    use elevenlabs_agent_tests::spec::Tables;

    #[test]
    fn a_small_limit_is_one_page_and_page_size_wins() {
        let tables = Tables::current();
        let default = tables
            .int_default("list_test_invocations", "page_size")
            .unwrap() as u64;
        for op in ["list_tests", "list_test_invocations"] {
            let size = |p, l| {
                page_size(
                    tables,
                    op,
                    &Listing {
                        limit: l,
                        page_size: p,
                    },
                )
            };
            assert_eq!(size(Some(7), Some(3)), Some(7));
            assert_eq!(size(None, Some(default - 1)), Some(default - 1));
            // From the API's default page on, the default is asked for.
            assert_eq!(size(None, Some(default)), None);
            assert_eq!(size(None, Some(500)), None);
            assert_eq!(size(None, None), None);
        }
        // A spec without a default: every limit is asked for.
        let none = Tables::default();
        let listing = Listing {
            limit: Some(500),
            page_size: None,
        };
        assert_eq!(page_size(&none, "list_tests", &listing), Some(500));
    }
}
