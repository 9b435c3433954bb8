//! The commands: each talks to the API through the generated client and writes its output.

use std::io::{self, Read, Write};
use std::path::Path;

use elevenlabs_agent_tests::prelude::*;
use elevenlabs_agent_tests::types::{
    CreateTestBody, GetTestSuiteInvocationResponseModel, SingleTestRunRequestModel, TestRunStatus,
};

use crate::args::{
    Command, InvocationsCommand, Listing, ReportArgs, RunArgs, TestsCommand, WaitArgs,
};
use crate::connect::Connection;
use crate::failure::{EXIT_OK, EXIT_TESTS_FAILED, EXIT_TIMED_OUT, Failure};
use crate::output::{self, json_line};
use crate::progress::WaitProgress;
use crate::{junit, report};

/// What a command ends with, when it does not fail.
pub type Outcome = Result<u8, Failure>;

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

/// The page size to ask for: `--page-size`, or `--limit` when it is below a page.
fn page_size(listing: &Listing) -> Option<u64> {
    match (listing.page_size, listing.limit) {
        (Some(p), _) => Some(p),
        (None, Some(l)) if l < 30 => Some(l),
        _ => None,
    }
}

/// Checks what can be checked before connecting (the fake prints a note when it starts):
/// the body of `tests create`, read and validated once.
pub fn preflight(command: &Command) -> Result<Option<CreateTestBody>, Failure> {
    match command {
        Command::Tests(TestsCommand::Create { file }) => read_create_body(file).map(Some),
        _ => Ok(None),
    }
}

/// `tests ...`; `body` is the create body [`preflight`] read, if any.
pub async fn tests(
    ctx: &mut Ctx<'_>,
    command: TestsCommand,
    body: Option<CreateTestBody>,
) -> Outcome {
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
            if let Some(p) = page_size(&listing) {
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

pub async fn run(ctx: &mut Ctx<'_>, mut args: RunArgs) -> Outcome {
    if args.project {
        // Before anything runs: a test not pushed yet is an error naming it.
        args.tests = crate::project::test_ids(&args.dir)?;
    }
    let agent = ctx.conn.agent_or_demo(args.agent.as_deref(), "run")?;
    let tests: Vec<SingleTestRunRequestModel> = if args.tests.is_empty() {
        let agent_config = ctx
            .client()
            .get_agent()
            .agent_id(agent.as_str())
            .send()
            .await?
            .into_inner();
        let attached = agent_config
            .platform_settings
            .and_then(|p| p.testing)
            .map(|t| t.attached_tests)
            .unwrap_or_default();
        if attached.is_empty() {
            return Err(Failure::Usage(format!(
                "agent {agent} has no tests attached; attach some or pass --test TEST_ID"
            )));
        }
        attached
            .into_iter()
            .map(|t| SingleTestRunRequestModel {
                test_id: t.test_id,
                workflow_node_id: t.workflow_node_id,
                root_folder_id: None,
                root_folder_name: None,
            })
            .collect()
    } else {
        args.tests
            .iter()
            .map(|id| SingleTestRunRequestModel {
                test_id: id.clone(),
                workflow_node_id: None,
                root_folder_id: None,
                root_folder_name: None,
            })
            .collect()
    };
    let count = tests.len();
    let repeat = args.repeat;
    let branch = args.branch.clone();
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
            b
        })
        .send()
        .await?
        .into_inner();
    eprintln!(
        "started invocation {} on agent {agent}: {count} test{}",
        started.id,
        if count == 1 { "" } else { "s" }
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
    wait(ctx, &started.id, &args.wait_args).await
}

/// Waits for an invocation, prints its results, writes the JUnit file; the exit code says
/// whether every run passed.
async fn wait(ctx: &mut Ctx<'_>, id: &str, args: &WaitArgs) -> Outcome {
    let poll = args
        .poll_interval
        .unwrap_or_else(|| ctx.conn.default_poll_interval());
    let mut updates = ctx
        .client()
        .wait_for_test_invocation(id)
        .poll_interval(poll)
        .timeout(args.timeout)
        .updates();
    let mut progress = WaitProgress::new(id);
    let mut finished: Option<GetTestSuiteInvocationResponseModel> = None;
    let mut timed_out = None;
    while let Some(item) = updates.next().await {
        match item {
            Ok(snapshot) => {
                progress.update(&snapshot.outcome());
                finished = Some(snapshot);
            }
            Err(Error::WaitTimedOut { last, .. }) => {
                timed_out = Some(last.map(|b| *b).or(finished.take()));
                break;
            }
            Err(e) => return Err(e.into()),
        }
    }
    drop(progress);
    let (invocation, code) = match timed_out {
        Some(last) => {
            eprintln!(
                "error: invocation {id} had not finished after {}",
                crate::format_duration(args.timeout)
            );
            (last, EXIT_TIMED_OUT)
        }
        None => {
            let invocation = finished.ok_or_else(|| {
                Failure::Io(format!("the wait for {id} ended without a snapshot"))
            })?;
            let code = if invocation.outcome().all_passed() {
                EXIT_OK
            } else {
                EXIT_TESTS_FAILED
            };
            (Some(invocation), code)
        }
    };
    if let Some(invocation) = &invocation {
        if let Some(path) = &args.junit {
            junit::write(path, invocation)?;
            eprintln!("wrote JUnit XML to {}", path.display());
        }
        show_invocation(ctx, invocation)?;
    }
    if code == EXIT_TESTS_FAILED
        && let Some(invocation) = &invocation
    {
        // After the results, not before them.
        ctx.out.flush()?;
        let o = invocation.outcome();
        eprintln!("{} of {} runs did not pass", o.not_passed.len(), o.total());
    }
    Ok(code)
}

/// Prints a listing as its items arrive (a table row, or a JSON line with `--json`), at most
/// `limit` items.
async fn print_listing<T, S>(
    ctx: &mut Ctx<'_>,
    mut items: S,
    header: &str,
    row: fn(&T) -> String,
    limit: Option<u64>,
) -> Outcome
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

pub async fn invocations(ctx: &mut Ctx<'_>, command: InvocationsCommand) -> Outcome {
    match command {
        InvocationsCommand::List { agent, listing } => {
            let mut request = ctx.client().list_test_invocations();
            if let Some(agent) = agent {
                request = request.agent_id(agent);
            }
            if let Some(p) = page_size(&listing) {
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
        InvocationsCommand::Wait { id, wait_args } => wait(ctx, &id, &wait_args).await,
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
                return wait(ctx, &id, &wait_args).await;
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

pub async fn report(ctx: &mut Ctx<'_>, args: ReportArgs) -> Outcome {
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
        if ctx.json {
            json_line(ctx.out, &item)?;
        }
        invocations.push(item);
    }
    let html = report::html(&agent, args.since, &invocations)
        .map_err(|e| Failure::Io(format!("cannot draw the chart: {e}")))?;
    std::fs::write(&args.html, html)
        .map_err(|e| Failure::Io(format!("cannot write {}: {e}", args.html.display())))?;
    let message = format!(
        "wrote {} ({} invocation{} of agent {agent})",
        args.html.display(),
        invocations.len(),
        if invocations.len() == 1 { "" } else { "s" }
    );
    if ctx.json {
        eprintln!("{message}");
    } else {
        writeln!(ctx.out, "{message}")?;
    }
    Ok(EXIT_OK)
}

#[cfg(test)]
mod tests {
    use super::page_size;
    use crate::args::Listing;

    #[test]
    fn a_small_limit_is_one_page_and_page_size_wins() {
        let size = |p, l| {
            page_size(&Listing {
                limit: l,
                page_size: p,
            })
        };
        assert_eq!(size(Some(7), Some(3)), Some(7));
        assert_eq!(size(None, Some(29)), Some(29));
        // From the API's default page (30) on, the default is asked for.
        assert_eq!(size(None, Some(30)), None);
        assert_eq!(size(None, Some(500)), None);
        assert_eq!(size(None, None), None);
    }
}
