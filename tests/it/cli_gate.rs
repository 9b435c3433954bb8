//! `elevenlabs-tests run` as a CI gate, run as a process against an embedded fake started
//! here: choosing the tests (`--folder`, `--type`, `--search`, `--rerun-failed`), an unpushed
//! agent configuration (`--agent-config`), `--retries` with flaky tests, `--min-pass-rate`,
//! `--fail-on-flaky`, JUnit `flakyFailure`, the Markdown summary and GitHub annotations.

use std::process::Command;
use std::time::Duration;

use elevenlabs_agent_tests::fake::{FAIL_MARKER, FLAKY_MARKER, FakeServer, RecordedRequest};
use elevenlabs_agent_tests::types::CreateTestBody;
use serde_json::{Value, json};

use crate::process::run_with_limit;
use crate::scratch::Scratch;

/// The program's result.
struct Out {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Runs the program against `server` with its key, `vars` added (and no
/// `GITHUB_STEP_SUMMARY` unless given), off the runtime's thread.
async fn run(server: &FakeServer, args: &[&str], vars: &[(&str, &str)]) -> Out {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_elevenlabs-tests"));
    cmd.args(args)
        .env("ELEVENLABS_API_KEY", server.api_key())
        .env("ELEVENLABS_BASE_URL", server.url())
        .env_remove("GITHUB_STEP_SUMMARY");
    for (k, v) in vars {
        cmd.env(k, v);
    }
    let out = tokio::task::spawn_blocking(move || run_with_limit(cmd, Duration::from_secs(60)))
        .await
        .unwrap();
    Out {
        code: out.status.code(),
        stdout: String::from_utf8(out.stdout).expect("UTF-8 stdout"),
        stderr: String::from_utf8(out.stderr).expect("UTF-8 stderr"),
    }
}

impl Out {
    fn expect(self, code: i32) -> Self {
        assert_eq!(
            self.code,
            Some(code),
            "stdout:\n{}\nstderr:\n{}",
            self.stdout,
            self.stderr
        );
        self
    }
}

fn body(value: Value) -> CreateTestBody {
    serde_json::from_value(value).expect("a valid create body")
}

fn llm(name: &str, folder: Option<&str>) -> CreateTestBody {
    body(json!({
        "type": "llm", "name": name, "parent_folder_id": folder,
        "success_condition": "The agent answers politely.",
        "chat_history": [{"role": "user", "message": "Hello?", "time_in_call_secs": 0}],
    }))
}

fn tool(name: &str, folder: Option<&str>) -> CreateTestBody {
    body(json!({
        "type": "tool", "name": name, "parent_folder_id": folder,
        "tool_call_parameters": {
            "referenced_tool": {"id": "tool_crm", "type": "webhook"},
            "parameters": [{"path": "email", "eval": {"type": "exact", "expected_value": "a@b.c"}}],
        },
    }))
}

/// A fake with quick runs and a suite in a folder `Gate` (two tests in its subfolder
/// `Nested`): one `[flaky]`, one `[fail]`, three that pass, all `llm`; and a `tool` test
/// outside the folder.
struct Suite {
    server: FakeServer,
    agent: String,
    folder: String,
    flaky: String,
    fail: String,
    passing: Vec<String>,
    tool: String,
}

async fn suite() -> Suite {
    suite_named(
        &format!("Books a slot {FLAKY_MARKER}"),
        &format!("Refunds late orders {FAIL_MARKER}"),
    )
    .await
}

async fn suite_named(flaky_name: &str, fail_name: &str) -> Suite {
    let server = FakeServer::builder()
        .run_duration(Duration::from_millis(40))
        .start()
        .await
        .unwrap();
    let client = server.client();
    let agent = server.demo_agent_id().unwrap().to_owned();
    let folder = client
        .create_test_folder()
        .body_map(|b| b.name("Gate"))
        .send()
        .await
        .unwrap()
        .into_inner()
        .id;
    let nested = client
        .create_test_folder()
        .body_map(|b| b.name("Nested").parent_folder_id(Some(folder.clone())))
        .send()
        .await
        .unwrap()
        .into_inner()
        .id;
    let create = |body: CreateTestBody| {
        let client = client.clone();
        async move {
            client
                .create_test()
                .body(body)
                .send()
                .await
                .unwrap()
                .into_inner()
                .id
        }
    };
    let flaky = create(llm(flaky_name, Some(&folder))).await;
    let fail = create(llm(fail_name, Some(&folder))).await;
    let passing = vec![
        create(llm("Greets the caller", Some(&folder))).await,
        create(llm("Asks for the order number", Some(&nested))).await,
        create(llm("Says goodbye", Some(&nested))).await,
    ];
    let tool = create(tool("Calls the CRM", None)).await;
    Suite {
        server,
        agent,
        folder,
        flaky,
        fail,
        passing,
        tool,
    }
}

/// The recorded requests whose path ends with `suffix`.
fn requests(server: &FakeServer, method: &str, suffix: &str) -> Vec<RecordedRequest> {
    server
        .requests()
        .into_iter()
        .filter(|r| r.method == method && r.path.ends_with(suffix))
        .collect()
}

/// The test ids a run-tests request asked for.
fn test_ids(request: &RecordedRequest) -> Vec<String> {
    let body: Value = serde_json::from_str(&request.body).unwrap();
    body["tests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["test_id"].as_str().unwrap().to_owned())
        .collect()
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

/// The cells of the Markdown table rows of `md` under the heading `heading` (header and
/// delimiter rows left out), split at unescaped `|` and unescaped.
fn table_rows(md: &str, heading: &str) -> Vec<Vec<String>> {
    let section = md
        .split_once(heading)
        .unwrap_or_else(|| panic!("no {heading:?} in:\n{md}"))
        .1;
    let rows: Vec<&str> = section
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .collect();
    rows.iter()
        .skip(2)
        .map(|row| {
            let mut cells = Vec::new();
            let mut cell = String::new();
            let mut chars = row.trim().trim_start_matches('|').chars();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => cell.extend(chars.next()),
                    '|' => cells.push(
                        std::mem::take(&mut cell)
                            .trim()
                            .replace("&lt;", "<")
                            .replace("&gt;", ">")
                            .replace("&amp;", "&"),
                    ),
                    c => cell.push(c),
                }
            }
            cells
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_make_a_flaky_test_pass_and_keep_every_failure_of_a_failing_one() {
    let s = suite().await;
    let scratch = Scratch::new();
    let junit = scratch.join("retries.xml");
    let summary = scratch.join("retries.md");
    let step_summary = scratch.join("step_summary.md");
    std::fs::write(&step_summary, "earlier step\n").unwrap();
    let out = run(
        &s.server,
        &[
            "run",
            "--agent",
            &s.agent,
            "--folder",
            &s.folder,
            "--wait",
            "--retries",
            "1",
            "--poll-interval",
            "50ms",
            "--junit",
            junit.to_str().unwrap(),
            "--summary",
            summary.to_str().unwrap(),
        ],
        &[("GITHUB_STEP_SUMMARY", step_summary.to_str().unwrap())],
    )
    .await
    .expect(1);

    // The folder and its subfolder: five tests, the tool test outside it left out.
    let started = requests(&s.server, "POST", "/run-tests");
    assert_eq!(started.len(), 1);
    let mut expected = vec![s.flaky.clone(), s.fail.clone()];
    expected.extend(s.passing.clone());
    assert_eq!(sorted(test_ids(&started[0])), sorted(expected));
    assert!(out.stderr.contains("selected 5 tests: "), "{}", out.stderr);
    // One retry: the two runs that failed, resubmitted once.
    let resubmits = requests(&s.server, "POST", "/resubmit");
    assert_eq!(resubmits.len(), 1, "{}", out.stderr);
    let resubmitted: Value = serde_json::from_str(&resubmits[0].body).unwrap();
    assert_eq!(resubmitted["test_run_ids"].as_array().unwrap().len(), 2);
    assert_eq!(resubmitted["agent_id"], json!(s.agent));

    // The table's last lines: the rate with the retry, the flaky run and the run that
    // failed every attempt.
    assert!(
        out.stdout
            .contains("pass rate 80.0 %, 1 retry, 125 credits\n"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains(&format!(
            "FLAKY Books a slot {FLAKY_MARKER}: failed, then passed on a retry; first failure: "
        )),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains(&format!(
            "FAILED Refunds late orders {FAIL_MARKER} on all 2 attempts: "
        )),
        "{}",
        out.stdout
    );
    assert_eq!(out.stdout.matches(" on all ").count(), 1, "{}", out.stdout);

    // JUnit: the flaky test passed with one flakyFailure, the failing one has both attempts.
    let xml = std::fs::read_to_string(&junit).unwrap();
    let doc = roxmltree::Document::parse(&xml).expect("well-formed JUnit");
    let cases: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    assert_eq!(cases.len(), 5);
    let flaky_failures: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("flakyFailure"))
        .collect();
    assert_eq!(flaky_failures.len(), 1, "{xml}");
    let flaky_case = flaky_failures[0].parent().unwrap();
    assert!(flaky_case.attribute("name").unwrap().contains(FLAKY_MARKER));
    assert!(!flaky_case.children().any(|n| n.has_tag_name("failure")));
    assert!(
        flaky_failures[0]
            .attribute("message")
            .unwrap()
            .contains(FLAKY_MARKER),
        "the first failure's rationale"
    );
    let flaky_text: String = flaky_failures[0]
        .descendants()
        .filter_map(|n| n.text())
        .collect();
    assert!(
        flaky_text.contains("did not pass."),
        "the first failure's messages: {xml}"
    );
    let failures: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("failure"))
        .collect();
    assert_eq!(failures.len(), 1, "{xml}");
    assert!(
        failures[0]
            .parent()
            .unwrap()
            .attribute("name")
            .unwrap()
            .contains(FAIL_MARKER)
    );
    let text = failures[0].text().unwrap();
    assert!(
        text.contains("attempt 1: ") && text.contains("attempt 2: "),
        "{text}"
    );
    let suite_node = doc
        .descendants()
        .find(|n| n.has_tag_name("testsuite"))
        .unwrap();
    assert_eq!(suite_node.attribute("failures"), Some("1"));
    // Cost: 25 credits per finished run on the fake, as it reports them.
    let property = |node: roxmltree::Node, name: &str| {
        node.descendants()
            .find(|p| p.has_tag_name("property") && p.attribute("name") == Some(name))
            .and_then(|p| p.attribute("value"))
            .map(str::to_owned)
    };
    assert_eq!(property(cases[0], "credits_used").as_deref(), Some("25"));
    // Attempts: said where a run was retried (the flaky and the failing test), not elsewhere.
    let attempts: Vec<Option<String>> = cases.iter().map(|c| property(*c, "attempts")).collect();
    assert_eq!(
        attempts
            .iter()
            .filter(|a| a.as_deref() == Some("2"))
            .count(),
        2,
        "{attempts:?}"
    );
    assert_eq!(
        attempts.iter().filter(|a| a.is_none()).count(),
        3,
        "{attempts:?}"
    );
    assert_eq!(property(suite_node, "credits_used").as_deref(), Some("125"));
    assert_eq!(property(suite_node, "total_price"), None, "never made up");

    // The summary: totals, and one row for the run that did not pass.
    let md = std::fs::read_to_string(&summary).unwrap();
    let totals = table_rows(&md, "elevenlabs-tests: failed");
    assert_eq!(totals, [["5", "4", "1", "0", "1", "80.0 %", "1"]], "{md}");
    let rows = table_rows(&md, "### Runs that did not pass");
    assert_eq!(rows.len(), 1, "{md}");
    assert_eq!(rows[0][0], format!("Refunds late orders {FAIL_MARKER}"));
    assert_eq!(rows[0][1], "failed");
    assert_eq!(rows[0][2], "2");
    assert!(rows[0][3].contains(FAIL_MARKER), "{md}");
    assert!(
        md.contains("### Flaky tests\n\n- Books a slot \\[flaky\\]: failed 1 time"),
        "{md}"
    );
    assert!(md.contains("Cost: 125 credits."), "{md}");
    // GitHub's step summary: appended to.
    let step = std::fs::read_to_string(&step_summary).unwrap();
    assert_eq!(step, format!("earlier step\n{md}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pass_rate_gate_counts_the_flaky_pass_and_the_failure() {
    let s = suite().await;
    let gate = |extra: &'static [&'static str]| {
        let mut args = vec![
            "run".to_owned(),
            "--agent".into(),
            s.agent.clone(),
            "--folder".into(),
            s.folder.clone(),
            "--wait".into(),
            "--retries".into(),
            "1".into(),
            "--poll-interval".into(),
            "50ms".into(),
            "--json".into(),
        ];
        args.extend(extra.iter().map(|a| a.to_string()));
        args
    };
    // 5 runs: 3 pass, the flaky one passes on its retry, one fails every time: 4 / 5 = 0.8.
    for (extra, code) in [
        (&["--min-pass-rate", "0.8"][..], 0),
        (&["--min-pass-rate", "0.81"][..], 1),
        (&["--min-pass-rate", "0.8", "--fail-on-flaky"][..], 1),
        (&[][..], 1),
    ] {
        let args = gate(extra);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = run(&s.server, &args, &[]).await.expect(code);
        let lines: Vec<Value> = out
            .stdout
            .lines()
            .map(|l| serde_json::from_str(l).expect("JSON lines"))
            .collect();
        assert_eq!(lines.len(), 2, "the invocation, then the gate");
        assert_eq!(lines[0]["test_runs"].as_array().unwrap().len(), 5);
        let g = &lines[1]["gate"];
        assert_eq!(
            (g["passed"].as_u64(), g["failed"].as_u64()),
            (Some(4), Some(1)),
            "{g}"
        );
        assert_eq!(g["flaky"], json!(1));
        assert_eq!(g["pass_rate"], json!(0.8));
        assert_eq!(g["ok"], json!(code == 0), "{extra:?}: {g}");
        assert_eq!(g["credits_used"], json!(125));
        assert!(g.get("total_price").is_none(), "never made up: {g}");
        let flaky = g["attempts"]
            .as_object()
            .unwrap()
            .values()
            .find(|a| a["flaky"] == json!(true))
            .unwrap();
        assert_eq!(flaky["failures"].as_array().unwrap().len(), 1);
        // The selection, every test, as one JSON line on stderr.
        let selected: Value = serde_json::from_str(out.stderr.lines().next().unwrap()).unwrap();
        assert_eq!(selected["selected"].as_array().unwrap().len(), 5);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tests_given_by_id_are_shown_by_name_and_no_retry_is_said_when_none_ran() {
    let s = suite().await;
    let scratch = Scratch::new();
    let junit = scratch.join("no-retries.xml");
    let out = run(
        &s.server,
        &[
            "run",
            "--agent",
            &s.agent,
            "--test",
            &s.fail,
            "--test",
            &s.flaky,
            "--wait",
            "--poll-interval",
            "50ms",
            "--junit",
            junit.to_str().unwrap(),
        ],
        &[],
    )
    .await
    .expect(1);
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(
        !xml.contains("name=\"attempts\""),
        "no retry, no attempts: {xml}"
    );
    let expected = format!(
        "selected 2 tests: Refunds late orders {FAIL_MARKER} ({}), Books a slot {FLAKY_MARKER} ({})",
        s.fail, s.flaky
    );
    assert!(out.stderr.contains(&expected), "{}", out.stderr);
    let asked = requests(&s.server, "POST", "/agent-testing/summaries");
    assert_eq!(asked.len(), 1, "one look-up for both");
    // No retries: none said, and no run failed more than once.
    assert!(
        out.stdout.contains("pass rate 0.0 %, 50 credits\n"),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains(" on all "), "{}", out.stdout);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn type_search_and_rerun_failed_narrow_the_selection() {
    let s = suite().await;
    // --type tool: only the tool test (the attached tests of the demo agent are not asked).
    run(
        &s.server,
        &[
            "run", "--agent", &s.agent, "--test", &s.tool, "--test", &s.fail, "--type", "tool",
        ],
        &[],
    )
    .await
    .expect(0);
    let started = requests(&s.server, "POST", "/run-tests");
    assert_eq!(test_ids(&started[0]), [s.tool.as_str()]);
    // --folder and --search intersect.
    run(
        &s.server,
        &[
            "run", "--agent", &s.agent, "--folder", &s.folder, "--search", "slot",
        ],
        &[],
    )
    .await
    .expect(0);
    let started = requests(&s.server, "POST", "/run-tests");
    assert_eq!(test_ids(&started[1]), [s.flaky.as_str()]);
    // --rerun-failed: the tests whose runs did not pass in that invocation.
    let first = run(
        &s.server,
        &[
            "run",
            "--agent",
            &s.agent,
            "--folder",
            &s.folder,
            "--wait",
            "--poll-interval",
            "50ms",
            "--json",
        ],
        &[],
    )
    .await
    .expect(1);
    let invocation: Value = serde_json::from_str(first.stdout.trim()).unwrap();
    let id = invocation["id"].as_str().unwrap();
    run(
        &s.server,
        &["run", "--agent", &s.agent, "--rerun-failed", id],
        &[],
    )
    .await
    .expect(0);
    let started = requests(&s.server, "POST", "/run-tests");
    assert_eq!(
        sorted(test_ids(&started[3])),
        sorted(vec![s.flaky.clone(), s.fail.clone()])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_selection_is_exit_2_naming_the_filter_before_any_run() {
    let s = suite().await;
    for (args, named) in [
        (
            vec!["--folder", s.folder.as_str(), "--type", "tool"],
            "--type tool left none of the 5 tests of --folder",
        ),
        (
            vec!["--folder", s.folder.as_str(), "--search", "no such test"],
            "--search \"no such test\" left none",
        ),
        (
            vec!["--test", s.tool.as_str(), "--folder", s.folder.as_str()],
            "left none of the 1 test of --test",
        ),
    ] {
        let mut full = vec!["run", "--agent", s.agent.as_str(), "--wait"];
        full.extend(args);
        let out = run(&s.server, &full, &[]).await.expect(2);
        assert!(out.stderr.contains(named), "{named}: {}", out.stderr);
        assert!(out.stdout.is_empty());
    }
    assert!(requests(&s.server, "POST", "/run-tests").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_agent_config_is_exit_2_and_nothing_is_sent() {
    let s = suite().await;
    s.server.clear_requests();
    let scratch = Scratch::new();
    for (text, named) in [
        (
            r#"{"conversation_config": {}, "name": "x"}"#,
            "unknown top-level key `name`",
        ),
        (r#"{"workflow": "x"}"#, "`workflow` must be a JSON object"),
        ("[]", "expected a JSON object"),
        ("{\"conversation_config\": ", "not JSON"),
    ] {
        let file = scratch.join("bad_config.json");
        std::fs::write(&file, text).unwrap();
        let out = run(
            &s.server,
            &[
                "run",
                "--agent",
                &s.agent,
                "--wait",
                "--agent-config",
                file.to_str().unwrap(),
            ],
            &[],
        )
        .await
        .expect(2);
        assert!(out.stderr.contains(named), "{text}: {}", out.stderr);
        assert!(out.stderr.contains("--agent-config"), "{}", out.stderr);
    }
    let missing = scratch.join("no_such_config.json");
    let out = run(
        &s.server,
        &["run", "--agent-config", missing.to_str().unwrap()],
        &[],
    )
    .await
    .expect(2);
    assert!(
        out.stderr.contains("cannot read --agent-config"),
        "{}",
        out.stderr
    );
    assert_eq!(s.server.request_count(), 0, "nothing sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_config_is_sent_on_the_run_and_its_retries_and_runs_against_a_draft() {
    let s = suite().await;
    let config = json!({"conversation_config": {"agent": {"prompt": {"prompt": "Be brief."}}}});
    let scratch = Scratch::new();
    let file = scratch.join("config.json");
    std::fs::write(&file, config.to_string()).unwrap();
    let junit = scratch.join("draft.xml");
    let out = run(
        &s.server,
        &[
            "run",
            "--agent",
            &s.agent,
            "--test",
            &s.flaky,
            "--wait",
            "--retries",
            "2",
            "--poll-interval",
            "50ms",
            "--agent-config",
            file.to_str().unwrap(),
            "--junit",
            junit.to_str().unwrap(),
        ],
        &[],
    )
    .await
    .expect(0);
    let started: Value =
        serde_json::from_str(&requests(&s.server, "POST", "/run-tests")[0].body).unwrap();
    assert_eq!(started["agent_config_override"], config);
    let resubmits = requests(&s.server, "POST", "/resubmit");
    assert_eq!(
        resubmits.len(),
        1,
        "the flaky test passes on its first retry"
    );
    let resubmitted: Value = serde_json::from_str(&resubmits[0].body).unwrap();
    assert_eq!(resubmitted["agent_config_override"], config);
    assert!(out.stdout.contains("ran against a draft"), "{}", out.stdout);
    assert!(
        out.stdout.contains("FLAKY Books a slot [flaky]"),
        "{}",
        out.stdout
    );
    let xml = std::fs::read_to_string(&junit).unwrap();
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let drafts: Vec<_> = doc
        .descendants()
        .filter(|p| p.has_tag_name("property") && p.attribute("name") == Some("ran_against_draft"))
        .map(|p| p.attribute("value").unwrap())
        .collect();
    assert_eq!(
        drafts,
        ["true", "true"],
        "the suite and its one testcase: {xml}"
    );
    // Without an override, the same test runs against the deployed agent.
    let out = run(
        &s.server,
        &[
            "run",
            "--agent",
            &s.agent,
            "--test",
            &s.passing[0],
            "--wait",
            "--poll-interval",
            "50ms",
            "--json",
        ],
        &[],
    )
    .await
    .expect(0);
    let doc: Value = serde_json::from_str(out.stdout.trim()).unwrap();
    assert_eq!(doc["ran_against_draft"], json!(false));
    assert_eq!(doc["test_runs"][0]["ran_against_draft"], json!(false));
}

/// Undoes the workflow-command escaping of a property value.
fn unescape(s: &str) -> String {
    s.replace("%2C", ",")
        .replace("%3A", ":")
        .replace("%0A", "\n")
        .replace("%0D", "\r")
        .replace("%25", "%")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn github_annotations_are_escaped_one_line_each() {
    let flaky = format!("Retry, 10%:: off {FLAKY_MARKER}");
    let fail = format!("Discount 50%::now, or never {FAIL_MARKER}");
    let s = suite_named(&flaky, &fail).await;
    let out = run(
        &s.server,
        &[
            "run",
            "--agent",
            &s.agent,
            "--folder",
            &s.folder,
            "--wait",
            "--retries",
            "1",
            "--poll-interval",
            "50ms",
            "--annotations",
            "github",
        ],
        &[],
    )
    .await
    .expect(1);
    let commands: Vec<&str> = out.stdout.lines().filter(|l| l.starts_with("::")).collect();
    assert_eq!(commands.len(), 2, "{}", out.stdout);
    let parse = |line: &str| {
        let (level, rest) = line[2..].split_once(' ').unwrap();
        let rest = rest.strip_prefix("title=").unwrap();
        let (title, message) = rest.split_once("::").unwrap();
        (level.to_owned(), title.to_owned(), message.to_owned())
    };
    let (level, title, message) = parse(
        commands
            .iter()
            .find(|l| l.starts_with("::warning"))
            .unwrap(),
    );
    assert_eq!(level, "warning");
    assert!(!title.contains([':', ',', '\n']), "{title}");
    assert_eq!(unescape(&title), format!("flaky test: {flaky}"));
    // The fake's rationale messages quote the test's name: `%` and `::` in the message.
    assert!(
        unescape(&message).contains(&format!("- Test `{flaky}` did not pass.")),
        "{message}"
    );
    assert!(message.contains("Retry, 10%25:: off"), "{message}");
    let (level, title, message) =
        parse(commands.iter().find(|l| l.starts_with("::error")).unwrap());
    assert_eq!(level, "error");
    assert_eq!(unescape(&title), format!("test failed: {fail}"));
    assert!(!message.contains('\n'));
    let message = unescape(&message);
    assert!(message.starts_with("attempt 1: "), "{message}");
    assert!(message.contains("\nattempt 2: "), "{message}");
    assert!(
        message.contains(&format!("- Test `{fail}` did not pass.")),
        "{message}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_stay_within_the_one_timeout() {
    let server = FakeServer::builder()
        .run_duration(Duration::from_millis(600))
        .start()
        .await
        .unwrap();
    let agent = server.demo_agent_id().unwrap().to_owned();
    let fail = server
        .client()
        .create_test()
        .body(llm(&format!("Never works {FAIL_MARKER}"), None))
        .send()
        .await
        .unwrap()
        .into_inner()
        .id;
    let scratch = Scratch::new();
    let junit = scratch.join("timeout.xml");
    let started = std::time::Instant::now();
    // Runs take 600 to 825 ms: the first wait ends in time, the first retry's cannot.
    let out = run(
        &server,
        &[
            "run",
            "--agent",
            &agent,
            "--test",
            &fail,
            "--wait",
            "--retries",
            "5",
            "--timeout",
            "1200ms",
            "--poll-interval",
            "50ms",
            "--junit",
            junit.to_str().unwrap(),
        ],
        &[],
    )
    .await
    .expect(4);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert!(
        out.stderr.contains("had not finished after 1200ms"),
        "{}",
        out.stderr
    );
    assert_eq!(
        requests(&server, "POST", "/resubmit").len(),
        1,
        "{}",
        out.stderr
    );
    // The retried run was still pending: skipped in JUnit.
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(
        xml.contains("<skipped message=\"still pending when the wait ended\""),
        "{xml}"
    );
}
