//! The `elevenlabs-tests` program run as a process (feature `cli`): every command, every exit
//! code, `--json` output checked against the spec's JSON Schema, JUnit XML and the HTML
//! report parsed back, the no-key fake mode, and the API's 401 and 422.
//!
//! Commands the embedded fake does not serve yet run against `TestApi`, a small stateful
//! server in this file (on the scripted server of `support`): agents with attached
//! tests, `run-tests` creating an invocation whose runs are pending for the first poll and
//! then finish (a test named `[fail]` fails with a rationale, `[cancel]` ends `cancelled`, a
//! status the spec does not list), resubmit, tests, and an invocation history.

use crate::fake_schema::{assert_valid, spec_schema, spec_schema_for};
use crate::process::{self, Out};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::process::run_with_limit;
use crate::scratch::Scratch;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::support::{Recorded, Reply, ScriptServer};
use serde_json::{Value, json};

const KEY: &str = "sk_cli_test_key_0123456789";
/// The newest invocation of the history, 2025-07-08T18:40:00Z.
const NEWEST: i64 = 1_752_000_000;
const DAY: i64 = 86_400;

// ----------------------------------------------------------------------------------------
// Running the program
// ----------------------------------------------------------------------------------------

/// The program with `args` and exactly the given `ELEVENLABS_*` variables.
fn program(args: &[&str], vars: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_elevenlabs-tests"));
    cmd.args(args)
        .env_remove("ELEVENLABS_API_KEY")
        .env_remove("ELEVENLABS_BASE_URL")
        // `run --wait` appends its summary there when CI sets it.
        .env_remove("GITHUB_STEP_SUMMARY");
    for (k, v) in vars {
        cmd.env(k, v);
    }
    cmd
}

/// Runs the program without an API key (the embedded fake).
fn run_no_key(args: &[&str]) -> Out {
    Out(run_with_limit(program(args, &[]), Duration::from_secs(60)))
}

/// Runs the program against `url` with the test key, off the runtime's thread.
async fn run_at(url: &str, args: &[&str]) -> Out {
    run_at_with_key(url, KEY, args).await
}

async fn run_at_with_key(url: &str, key: &str, args: &[&str]) -> Out {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let (url, key) = (url.to_owned(), key.to_owned());
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let cmd = program(
            &args,
            &[("ELEVENLABS_API_KEY", &key), ("ELEVENLABS_BASE_URL", &url)],
        );
        Out(run_with_limit(cmd, Duration::from_secs(60)))
    })
    .await
    .unwrap()
}

// ----------------------------------------------------------------------------------------
// The spec's JSON Schema (as the `fake` tests build it)
// ----------------------------------------------------------------------------------------

/// An invocation against the spec's schema (upstream plus the overlay, which has the live
/// API's `cancelled` status).
fn assert_valid_invocation(instance: &Value, what: &str) {
    assert_valid(
        &spec_schema("GetTestSuiteInvocationResponseModel"),
        instance,
        what,
    );
}

// ----------------------------------------------------------------------------------------
// A stateful test server for the Tests API
// ----------------------------------------------------------------------------------------

/// The tests the server knows: id and name.
const TESTS: &[(&str, &str)] = &[
    ("t_greet", "Greets the caller"),
    ("t_book", "Books an appointment"),
    ("t_refund", "Refund policy [fail]"),
    ("t_voice", "Voice channel [cancel]"),
    ("t_kb", "Knowledge base accuracy"),
];

fn test_name(id: &str) -> String {
    TESTS
        .iter()
        .find(|(t, _)| *t == id)
        .map(|(_, n)| n.to_string())
        .unwrap_or_else(|| format!("Test {id}"))
}

/// Attached tests of each agent.
fn attached(agent: &str) -> Option<&'static [&'static str]> {
    match agent {
        "agent_ok" => Some(&["t_greet", "t_book"]),
        "agent_mixed" => Some(&["t_greet", "t_refund", "t_voice"]),
        "agent_slow" => Some(&["t_greet", "t_book"]),
        "agent_bare" => Some(&[]),
        "agent_hist" => Some(&["t_greet"]),
        _ => None,
    }
}

#[derive(Clone, Debug)]
struct Run {
    id: String,
    test_id: String,
    status: String,
    /// What it ends as.
    result: String,
}

#[derive(Clone, Debug)]
struct Invocation {
    agent: String,
    runs: Vec<Run>,
    polls: u32,
    never_finishes: bool,
    repeat: u64,
}

#[derive(Default)]
struct State {
    invocations: BTreeMap<String, Invocation>,
    next: usize,
}

/// The history `report` and `invocations list` read: 8 invocations of `agent_hist`, one a
/// day, newest first; those with index % 3 == 0 have failures.
fn history() -> Vec<Value> {
    (0..8)
        .map(|k| {
            let failed = if k % 3 == 0 { 1 + k as i64 % 2 } else { 0 };
            json!({
                "id": format!("inv_hist_{k}"),
                "agent_id": "agent_hist",
                "created_at_unix_secs": NEWEST - k as i64 * DAY,
                "title": format!("Nightly <run> #{}", 8 - k),
                "test_run_count": 4,
                "passed_count": 4 - failed,
                "failed_count": failed,
                "pending_count": 0,
                "repeat_count": if k == 1 { 3 } else { 1 },
            })
        })
        .collect()
}

fn summary(id: &str, name: &str) -> Value {
    json!({
        "id": id,
        "name": name,
        "type": "llm",
        "created_at_unix_secs": NEWEST - 30 * DAY,
        "last_updated_at_unix_secs": NEWEST - DAY,
    })
}

fn run_json(inv_id: &str, inv: &Invocation, run: &Run) -> Value {
    let mut value = json!({
        "test_run_id": run.id,
        "test_invocation_id": inv_id,
        "agent_id": inv.agent,
        "test_id": run.test_id,
        "test_name": test_name(&run.test_id),
        "status": run.status,
    });
    if run.status != "pending" {
        value["last_updated_at_unix"] = json!(NEWEST + 7);
        if run.status == "failed" {
            value["condition_result"] = json!({
                "result": "failure",
                "rationale": {
                    "summary": "The agent promised a refund the policy does not allow",
                    "messages": ["refund offered after 30 days", "no escalation"],
                },
            });
        } else if run.status == "passed" {
            value["condition_result"] = json!({"result": "success"});
        }
    }
    value
}

fn invocation_json(id: &str, inv: &Invocation) -> Value {
    json!({
        "id": id,
        "agent_id": inv.agent,
        "created_at": NEWEST,
        "repeat_count": inv.repeat,
        "test_runs": inv.runs.iter().map(|r| run_json(id, inv, r)).collect::<Vec<_>>(),
    })
}

fn query_offset(req: &Recorded) -> usize {
    req.param("cursor")
        .and_then(|c| c.strip_prefix("off_"))
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

/// One page of `items`, with cursors `off_N`.
fn page(req: &Recorded, items: Vec<Value>, field: &str) -> Value {
    let size: usize = req
        .param("page_size")
        .and_then(|p| p.parse().ok())
        .unwrap_or(30);
    let offset = query_offset(req);
    let end = (offset + size).min(items.len());
    let has_more = end < items.len();
    let mut page = json!({
        "has_more": has_more,
        field: items[offset.min(items.len())..end].to_vec(),
    });
    if has_more {
        page["next_cursor"] = json!(format!("off_{end}"));
    }
    if field == "results" {
        page["meta"] = json!({"total": items.len(), "page": offset / size + 1, "page_size": size});
    }
    page
}

fn handle(state: &Mutex<State>, req: &Recorded) -> Reply {
    if req.headers.get("xi-api-key").map(String::as_str) != Some(KEY) {
        return Reply::json(
            401,
            &json!({"detail": {"status": "invalid_api_key", "message": "Invalid API key"}}),
        );
    }
    let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
    let segments: Vec<&str> = req.path.trim_start_matches('/').split('/').collect();
    let mut state = state.lock().unwrap();
    match (req.method.as_str(), segments.as_slice()) {
        ("GET", ["v1", "convai", "agents", agent]) => match attached(agent) {
            Some(tests) => Reply::json(
                200,
                &json!({
                    "agent_id": agent,
                    "name": format!("Agent {agent}"),
                    "conversation_config": {},
                    "metadata": {"created_at_unix_secs": NEWEST},
                    "platform_settings": {"testing": {"attached_tests":
                        tests.iter().map(|t| json!({"test_id": t})).collect::<Vec<_>>()}},
                }),
            ),
            None => Reply::json(
                404,
                &json!({"detail": {"status": "agent_not_found", "message": "Agent not found"}}),
            ),
        },
        ("POST", ["v1", "convai", "agents", agent, "run-tests"]) => {
            state.next += 1;
            let id = format!("inv_{}", state.next);
            let repeat = body["repeat_count"].as_u64().unwrap_or(1);
            let mut runs = Vec::new();
            for test in body["tests"].as_array().cloned().unwrap_or_default() {
                let test_id = test["test_id"].as_str().unwrap_or_default().to_owned();
                let name = test_name(&test_id);
                let result = if name.contains("[fail]") {
                    "failed"
                } else if name.contains("[cancel]") {
                    "cancelled"
                } else {
                    "passed"
                };
                for _ in 0..repeat {
                    runs.push(Run {
                        id: format!("run_{}_{}", state.next, runs.len() + 1),
                        test_id: test_id.clone(),
                        status: "pending".into(),
                        result: result.into(),
                    });
                }
            }
            let inv = Invocation {
                agent: agent.to_string(),
                runs,
                polls: 0,
                never_finishes: *agent == "agent_slow",
                repeat,
            };
            let json = invocation_json(&id, &inv);
            state.invocations.insert(id, inv);
            Reply::json(200, &json)
        }
        ("GET", ["v1", "convai", "test-invocations"]) => {
            let agent = req.param("agent_id");
            let items = history()
                .into_iter()
                .filter(|i| agent.is_none() || i["agent_id"].as_str() == agent)
                .collect();
            Reply::json(200, &page(req, items, "results"))
        }
        ("GET", ["v1", "convai", "test-invocations", id]) => match state.invocations.get_mut(*id) {
            Some(inv) => {
                inv.polls += 1;
                // Pending on the first poll, finished from the second on.
                if inv.polls >= 2 && !inv.never_finishes {
                    for run in &mut inv.runs {
                        if run.status == "pending" {
                            run.status = run.result.clone();
                        }
                    }
                }
                Reply::json(200, &invocation_json(id, inv))
            }
            None => Reply::json(
                404,
                &json!({"detail": {"status": "not_found", "message": "Test invocation not found"}}),
            ),
        },
        ("POST", ["v1", "convai", "test-invocations", id, "resubmit"]) => {
            let Some(inv) = state.invocations.get_mut(*id) else {
                return Reply::json(404, &json!({"detail": "Not Found"}));
            };
            for run_id in body["test_run_ids"].as_array().cloned().unwrap_or_default() {
                if let Some(run) = inv.runs.iter_mut().find(|r| json!(r.id) == run_id) {
                    // Fixed since: the rerun passes.
                    run.status = "pending".into();
                    run.result = "passed".into();
                }
            }
            inv.polls = 0;
            Reply::json(200, &json!({}))
        }
        ("GET", ["v1", "convai", "agent-testing"]) => {
            let search = req.param("search").map(str::to_lowercase);
            let items = TESTS
                .iter()
                .filter(|(_, n)| search.as_ref().is_none_or(|s| n.to_lowercase().contains(s)))
                .map(|(id, n)| summary(id, n))
                .collect();
            Reply::json(200, &page(req, items, "tests"))
        }
        ("POST", ["v1", "convai", "agent-testing", "create"]) => {
            if body["name"].as_str().unwrap_or_default().is_empty() {
                return Reply::json(
                    422,
                    &json!({"detail": [{"loc": ["body", "name"], "msg": "String should have at least 1 character", "type": "string_too_short", "input": ""}]}),
                );
            }
            Reply::json(200, &json!({"id": "t_created"}))
        }
        ("GET", ["v1", "convai", "agent-testing", id]) => Reply::json(
            200,
            &json!({
                "id": id,
                "name": test_name(id),
                "type": "llm",
                "chat_history": [{"role": "user", "time_in_call_secs": 0, "message": "Hello"}],
                "success_condition": "The agent greets the caller",
                "success_examples": [{"response": "Hi there!", "type": "success"}],
                "failure_examples": [{"response": "What?", "type": "failure"}],
            }),
        ),
        ("DELETE", ["v1", "convai", "agent-testing", _id]) => Reply::json(200, &json!({})),
        _ => Reply::json(404, &json!({"detail": "Not Found"})),
    }
}

struct TestApi {
    server: ScriptServer,
    state: Arc<Mutex<State>>,
}

impl TestApi {
    async fn start() -> Self {
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        let server = ScriptServer::start(move |req| handle(&shared, req)).await;
        Self { server, state }
    }
    fn url(&self) -> &str {
        &self.server.url
    }
    /// Requests with this method whose path ends with `suffix`.
    fn requests(&self, method: &str, suffix: &str) -> Vec<Recorded> {
        self.server
            .requests()
            .into_iter()
            .filter(|r| r.method == method && r.path.ends_with(suffix))
            .collect()
    }
}

fn body_json(r: &Recorded) -> Value {
    serde_json::from_slice(&r.body).expect("a JSON request body")
}

/// A JUnit file, parsed: the `testsuites` attributes, then per suite its attributes and
/// per case (name, classname, time, child element kind, message).
struct JUnit {
    root: BTreeMap<String, String>,
    suites: Vec<(BTreeMap<String, String>, Vec<Case>)>,
}

#[derive(Debug)]
struct Case {
    name: String,
    classname: String,
    time: Option<String>,
    kind: &'static str,
    message: Option<String>,
    description: Option<String>,
}

fn attrs(node: roxmltree::Node) -> BTreeMap<String, String> {
    node.attributes()
        .map(|a| (a.name().to_owned(), a.value().to_owned()))
        .collect()
}

fn parse_junit(path: &Path) -> JUnit {
    let text = std::fs::read_to_string(path).expect("the JUnit file");
    let doc = roxmltree::Document::parse(&text).expect("well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    let suites = root
        .children()
        .filter(|n| n.has_tag_name("testsuite"))
        .map(|suite| {
            let cases = suite
                .children()
                .filter(|n| n.has_tag_name("testcase"))
                .map(|case| {
                    let child = case.children().find(|n| {
                        n.has_tag_name("failure")
                            || n.has_tag_name("skipped")
                            || n.has_tag_name("error")
                    });
                    Case {
                        name: case.attribute("name").unwrap().to_owned(),
                        classname: case.attribute("classname").unwrap_or_default().to_owned(),
                        time: case.attribute("time").map(str::to_owned),
                        kind: match child.map(|c| c.tag_name().name()) {
                            Some("failure") => "failure",
                            Some("skipped") => "skipped",
                            Some("error") => "error",
                            _ => "passed",
                        },
                        message: child
                            .and_then(|c| c.attribute("message"))
                            .map(str::to_owned),
                        description: child.and_then(|c| c.text()).map(str::to_owned),
                    }
                })
                .collect();
            (attrs(suite), cases)
        })
        .collect();
    JUnit {
        root: attrs(root),
        suites,
    }
}

// ----------------------------------------------------------------------------------------
// Help, version, usage
// ----------------------------------------------------------------------------------------

#[test]
fn help_for_every_command_documents_the_exit_codes() {
    for args in [
        &["--help"][..],
        &["tests", "--help"],
        &["tests", "list", "--help"],
        &["tests", "get", "--help"],
        &["tests", "create", "--help"],
        &["tests", "delete", "--help"],
        &["run", "--help"],
        &["invocations", "--help"],
        &["invocations", "list", "--help"],
        &["invocations", "get", "--help"],
        &["invocations", "wait", "--help"],
        &["invocations", "resubmit", "--help"],
        &["report", "--help"],
    ] {
        let out = run_no_key(args).expect(0);
        let help = out.stdout();
        assert!(help.contains("Usage: elevenlabs-tests"), "{args:?}: {help}");
        for code in [
            "0  success",
            "1  a test failed",
            "2  usage",
            "3  API",
            "4  the wait timed out",
        ] {
            assert!(
                help.contains(code),
                "{args:?} documents exit code {code:?}: {help}"
            );
        }
        assert!(out.stderr().is_empty(), "{args:?}: --help starts no fake");
    }
    let run_help = run_no_key(&["run", "--help"]).stdout();
    for flag in [
        "--agent",
        "--test",
        "--wait",
        "--timeout",
        "--poll-interval",
        "--junit",
        "--json",
    ] {
        assert!(run_help.contains(flag), "run --help mentions {flag}");
    }
    let out = run_no_key(&["--version"]).expect(0);
    assert_eq!(
        out.stdout().trim(),
        format!("elevenlabs-tests {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn usage_errors_exit_2_without_output() {
    let scratch = Scratch::new();
    let missing = scratch.join("does-not-exist.json");
    let bad_json = scratch.join("bad.json");
    std::fs::write(&bad_json, "{\"type\": \"llm\", \"name\": ").unwrap();
    let wrong_kind = scratch.join("voice.json");
    std::fs::write(&wrong_kind, r#"{"type": "voice", "name": "x"}"#).unwrap();
    let wrong_field = scratch.join("wrong-field.json");
    std::fs::write(&wrong_field, r#"{"type": "llm", "name": 42}"#).unwrap();
    for (args, needle) in [
        (vec!["bogus"], "unrecognized subcommand"),
        (vec![], "Usage"),
        (vec!["run", "--timeout", "soon"], "invalid duration"),
        (vec!["run", "--poll-interval", "5x"], "invalid duration"),
        (vec!["invocations", "list", "--limit", "0"], "--limit"),
        (vec!["invocations", "get"], "<ID>"),
        (vec!["report"], "--html"),
        (
            vec!["report", "--since", "last week", "--html", "x.html"],
            "invalid date",
        ),
        (vec!["--environment", "mars", "tests", "list"], "mars"),
        (
            vec!["--environment", "eu", "tests", "list"],
            "needs ELEVENLABS_API_KEY",
        ),
        (
            vec!["tests", "create", "--file", missing.to_str().unwrap()],
            "cannot read",
        ),
        (
            vec!["tests", "create", "--file", bad_json.to_str().unwrap()],
            "is not a valid test",
        ),
        (
            vec!["tests", "create", "--file", wrong_kind.to_str().unwrap()],
            "\"voice\"",
        ),
        (
            vec!["tests", "create", "--file", wrong_field.to_str().unwrap()],
            "at `name`",
        ),
    ] {
        let out = run_no_key(&args);
        assert_eq!(out.code(), Some(2), "{args:?}: {}", out.stderr());
        assert!(out.stderr().contains(needle), "{args:?}: {}", out.stderr());
        assert!(out.stdout().is_empty(), "{args:?}: {}", out.stdout());
        // Refused before anything starts: no embedded fake, so no note about it.
        assert!(
            !out.stderr().contains("note:"),
            "{args:?}: {}",
            out.stderr()
        );
    }
}

#[tokio::test]
async fn run_with_a_key_needs_an_agent_and_an_agent_needs_tests() {
    let api = TestApi::start().await;
    let out = run_at(api.url(), &["run"]).await.expect(2);
    assert!(
        out.stderr().contains("run needs --agent"),
        "{}",
        out.stderr()
    );
    let out = run_at(api.url(), &["run", "--agent", "agent_bare"])
        .await
        .expect(2);
    assert!(
        out.stderr().contains("has no tests attached"),
        "{}",
        out.stderr()
    );
    assert!(api.requests("POST", "/run-tests").is_empty());
}

#[test]
fn completions() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = run_no_key(&["completions", shell]).expect(0);
        assert!(out.stdout().contains("elevenlabs-tests"), "{shell}");
        assert!(out.stdout().contains("invocations"), "{shell}");
    }
}

// ----------------------------------------------------------------------------------------
// run
// ----------------------------------------------------------------------------------------

#[tokio::test]
async fn run_wait_all_passed_exits_0_with_junit() {
    let api = TestApi::start().await;
    let scratch = Scratch::new();
    let junit = scratch.join("ok.xml");
    let out = run_at(
        api.url(),
        &[
            "run",
            "--agent",
            "agent_ok",
            "--wait",
            "--poll-interval",
            "50ms",
            "--junit",
            junit.to_str().unwrap(),
        ],
    )
    .await
    .expect(0);
    // The attached tests, from GET /v1/convai/agents/agent_ok.
    assert_eq!(api.requests("GET", "/v1/convai/agents/agent_ok").len(), 1);
    let run = &api.requests("POST", "/v1/convai/agents/agent_ok/run-tests")[0];
    assert_eq!(
        body_json(run),
        json!({"tests": [{"test_id": "t_greet"}, {"test_id": "t_book"}], "repeat_count": 1})
    );
    let stdout = out.stdout();
    assert!(stdout.contains("2 passed, 0 failed, 0 pending"), "{stdout}");
    assert!(stdout.contains("Greets the caller") && stdout.contains("Books an appointment"));
    // Without a terminal: a plain line per change of the counts on stderr, no escape codes.
    let stderr = out.stderr();
    assert!(
        stderr.contains("inv_1: 0 passed, 0 failed, 2 pending"),
        "{stderr}"
    );
    assert!(
        stderr.contains("inv_1: 2 passed, 0 failed, 0 pending"),
        "{stderr}"
    );
    assert!(!stderr.contains('\x1b'), "{stderr}");

    let report = parse_junit(&junit);
    assert_eq!(report.root["tests"], "2");
    assert_eq!(report.root["failures"], "0");
    assert_eq!(report.suites.len(), 1);
    let (suite, cases) = &report.suites[0];
    assert_eq!(suite["name"], "agent_ok/inv_1");
    assert_eq!(
        (
            suite["tests"].as_str(),
            suite["failures"].as_str(),
            suite["skipped"].as_str(),
            suite["errors"].as_str()
        ),
        ("2", "0", "0", "0")
    );
    assert!(
        suite["timestamp"].starts_with("2025-07-08T18:40:00"),
        "{suite:?}"
    );
    assert!(
        cases
            .iter()
            .all(|c| c.kind == "passed" && c.classname == "agent_ok")
    );
    assert_eq!(cases[0].time.as_deref(), Some("7.000"));
}

#[tokio::test]
async fn run_wait_with_a_failure_exits_1_and_explains_it() {
    let api = TestApi::start().await;
    let scratch = Scratch::new();
    let junit = scratch.join("mixed.xml");
    let out = run_at(
        api.url(),
        &[
            "run",
            "--agent",
            "agent_mixed",
            "--wait",
            "--poll-interval",
            "50ms",
            "--junit",
            junit.to_str().unwrap(),
        ],
    )
    .await
    .expect(1);
    let stdout = out.stdout();
    assert!(
        stdout.contains("1 passed, 1 failed, 0 pending, 1 cancelled"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "FAILED Refund policy [fail]: The agent promised a refund the policy does not allow"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("    - refund offered after 30 days"),
        "{stdout}"
    );
    assert!(
        stdout.contains("CANCELLED Voice channel [cancel]"),
        "{stdout}"
    );
    assert!(
        out.stderr().contains("2 of 3 runs did not pass"),
        "{}",
        out.stderr()
    );

    let report = parse_junit(&junit);
    let (suite, cases) = &report.suites[0];
    assert_eq!(
        (
            suite["tests"].as_str(),
            suite["failures"].as_str(),
            suite["skipped"].as_str()
        ),
        ("3", "1", "1")
    );
    assert_eq!(
        (
            report.root["tests"].as_str(),
            report.root["failures"].as_str()
        ),
        ("3", "1")
    );
    let names: Vec<&str> = cases.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "Greets the caller",
            "Refund policy [fail]",
            "Voice channel [cancel]"
        ]
    );
    assert_eq!(cases[1].kind, "failure");
    assert_eq!(
        cases[1].message.as_deref(),
        Some("The agent promised a refund the policy does not allow")
    );
    assert_eq!(
        cases[1].description.as_deref(),
        Some("refund offered after 30 days\nno escalation")
    );
    assert_eq!(cases[2].kind, "skipped");
    assert_eq!(cases[2].message.as_deref(), Some("status cancelled"));
}

#[tokio::test]
async fn run_given_tests_and_json_without_wait() {
    let api = TestApi::start().await;
    let out = run_at(
        api.url(),
        &[
            "run", "--agent", "agent_ok", "--test", "t_kb", "--test", "t_refund", "--repeat", "2",
            "--branch", "br_1", "--json",
        ],
    )
    .await
    .expect(0);
    // --test: no look-up of the attached tests.
    assert!(api.requests("GET", "/v1/convai/agents/agent_ok").is_empty());
    let body = body_json(&api.requests("POST", "/run-tests")[0]);
    assert_eq!(
        body,
        json!({"tests": [{"test_id": "t_kb"}, {"test_id": "t_refund"}], "repeat_count": 2, "branch_id": "br_1"})
    );
    let lines = out.json_lines();
    assert_eq!(lines.len(), 1);
    assert_valid(
        &spec_schema("GetTestSuiteInvocationResponseModel"),
        &lines[0],
        "run --json",
    );
    assert_eq!(lines[0]["id"], "inv_1");
    assert_eq!(lines[0]["test_runs"].as_array().unwrap().len(), 4);
    assert!(
        out.stderr()
            .contains("started invocation inv_1 on agent agent_ok: 2 tests")
    );
}

#[tokio::test]
async fn run_wait_json_prints_the_finished_invocation() {
    let api = TestApi::start().await;
    let out = run_at(
        api.url(),
        &[
            "--json",
            "run",
            "--agent",
            "agent_mixed",
            "--wait",
            "--poll-interval",
            "10ms",
        ],
    )
    .await
    .expect(1);
    let lines = out.json_lines();
    assert_eq!(lines.len(), 1, "one JSON document");
    assert_valid_invocation(&lines[0], "run --wait --json");
    assert_eq!(
        lines[0]["test_runs"][2]["status"], "cancelled",
        "an unknown status is kept as sent"
    );
}

#[tokio::test]
async fn a_wait_that_times_out_exits_4_and_reports_what_it_saw() {
    let api = TestApi::start().await;
    let scratch = Scratch::new();
    let junit = scratch.join("slow.xml");
    let started = Instant::now();
    let out = run_at(
        api.url(),
        &[
            "run",
            "--agent",
            "agent_slow",
            "--wait",
            "--timeout",
            "600ms",
            "--poll-interval",
            "100ms",
            "--junit",
            junit.to_str().unwrap(),
        ],
    )
    .await
    .expect(4);
    assert!(started.elapsed() < Duration::from_secs(20));
    assert!(
        out.stderr().contains("had not finished after 600ms"),
        "{}",
        out.stderr()
    );
    assert!(
        out.stdout().contains("0 passed, 0 failed, 2 pending"),
        "{}",
        out.stdout()
    );
    let polls = api
        .requests("GET", "/v1/convai/test-invocations/inv_1")
        .len();
    assert!(
        (2..=8).contains(&polls),
        "{polls} polls in 600 ms at 100 ms"
    );
    let report = parse_junit(&junit);
    let (suite, cases) = &report.suites[0];
    assert_eq!(
        (
            suite["tests"].as_str(),
            suite["skipped"].as_str(),
            suite["failures"].as_str()
        ),
        ("2", "2", "0")
    );
    assert_eq!(
        cases[0].message.as_deref(),
        Some("still pending when the wait ended")
    );
}

// ----------------------------------------------------------------------------------------
// invocations
// ----------------------------------------------------------------------------------------

#[tokio::test]
async fn invocations_get_wait_and_resubmit() {
    let api = TestApi::start().await;
    run_at(api.url(), &["run", "--agent", "agent_mixed"])
        .await
        .expect(0);

    // get: exit 0 whatever the results; the first poll sees every run pending.
    let out = run_at(api.url(), &["invocations", "get", "inv_1"])
        .await
        .expect(0);
    assert!(
        out.stdout().contains("0 passed, 0 failed, 3 pending"),
        "{}",
        out.stdout()
    );
    let out = run_at(api.url(), &["invocations", "get", "inv_1", "--json"])
        .await
        .expect(0);
    assert_valid_invocation(&out.json_lines()[0], "invocations get --json");

    // wait: finished now, with a failure.
    let scratch = Scratch::new();
    let junit = scratch.join("wait.xml");
    let out = run_at(
        api.url(),
        &[
            "invocations",
            "wait",
            "inv_1",
            "--poll-interval",
            "10ms",
            "--junit",
            junit.to_str().unwrap(),
        ],
    )
    .await
    .expect(1);
    assert!(
        out.stdout().contains("FAILED Refund policy [fail]"),
        "{}",
        out.stdout()
    );
    assert!(
        out.stderr().contains("2 of 3 runs did not pass"),
        "{}",
        out.stderr()
    );
    assert_eq!(parse_junit(&junit).suites[0].0["failures"], "1");

    // resubmit: the runs that did not pass (failed and cancelled), with the agent id.
    let out = run_at(
        api.url(),
        &[
            "invocations",
            "resubmit",
            "inv_1",
            "--wait",
            "--poll-interval",
            "10ms",
        ],
    )
    .await
    .expect(0);
    let resubmit = api.requests("POST", "/v1/convai/test-invocations/inv_1/resubmit");
    assert_eq!(resubmit.len(), 1);
    assert_eq!(
        body_json(&resubmit[0]),
        json!({"agent_id": "agent_mixed", "test_run_ids": ["run_1_2", "run_1_3"]})
    );
    assert!(
        out.stderr()
            .contains("resubmitted 2 runs of invocation inv_1"),
        "{}",
        out.stderr()
    );
    assert!(
        out.stdout().contains("3 passed, 0 failed, 0 pending"),
        "{}",
        out.stdout()
    );
    assert!(!out.stderr().contains("did not pass"), "{}", out.stderr());

    // Nothing left to resubmit.
    let out = run_at(api.url(), &["invocations", "resubmit", "inv_1"])
        .await
        .expect(0);
    assert!(
        out.stderr().contains("nothing to resubmit"),
        "{}",
        out.stderr()
    );
    assert_eq!(api.requests("POST", "/resubmit").len(), 1);

    // An unknown invocation: the API's 404, exit 3.
    let out = run_at(api.url(), &["invocations", "get", "inv_nope"])
        .await
        .expect(3);
    assert!(out.stderr().contains("404"), "{}", out.stderr());
    drop(api.state);
}

#[tokio::test]
async fn invocations_list_streams_every_page() {
    let api = TestApi::start().await;
    let out = run_at(
        api.url(),
        &[
            "invocations",
            "list",
            "--agent",
            "agent_hist",
            "--page-size",
            "3",
            "--json",
        ],
    )
    .await
    .expect(0);
    let lines = out.json_lines();
    let ids: Vec<&str> = lines.iter().map(|l| l["id"].as_str().unwrap()).collect();
    let expected: Vec<String> = (0..8).map(|k| format!("inv_hist_{k}")).collect();
    assert_eq!(ids, expected);
    let schema = spec_schema("TestInvocationSummaryResponseModel");
    for line in &lines {
        assert_valid(&schema, line, "invocations list --json");
    }
    let pages = api.requests("GET", "/v1/convai/test-invocations");
    assert_eq!(pages.len(), 3);
    assert!(pages.iter().all(|p| p.param("agent_id") == Some("agent_hist") && p.param("page_size") == Some("3")));

    // The table: a header and a row per invocation, in order; --limit stops early.
    let out = run_at(api.url(), &["invocations", "list", "--limit", "5"])
        .await
        .expect(0);
    let stdout = out.stdout();
    let rows: Vec<&str> = stdout.lines().collect();
    assert_eq!(rows.len(), 6, "{stdout}");
    assert!(rows[0].starts_with("ID") && rows[0].contains("TITLE"));
    assert!(
        rows[1].starts_with("inv_hist_0") && rows[1].contains("2025-07-08T18:40:00Z"),
        "{}",
        rows[1]
    );
    assert!(rows[1].ends_with("Nightly <run> #8"));
}

// ----------------------------------------------------------------------------------------
// tests
// ----------------------------------------------------------------------------------------

#[tokio::test]
async fn tests_list_get_create_delete() {
    let api = TestApi::start().await;
    let out = run_at(api.url(), &["tests", "list", "--json", "--page-size", "2"])
        .await
        .expect(0);
    let lines = out.json_lines();
    assert_eq!(lines.len(), TESTS.len());
    let schema = spec_schema("UnitTestSummaryResponseModel");
    for line in &lines {
        assert_valid(&schema, line, "tests list --json");
    }
    assert_eq!(api.requests("GET", "/v1/convai/agent-testing").len(), 3);

    let out = run_at(
        api.url(),
        &["tests", "list", "--search", "REFUND", "--folder", "fold_1"],
    )
    .await
    .expect(0);
    let stdout = out.stdout();
    assert_eq!(stdout.lines().count(), 2, "{stdout}");
    assert!(stdout.lines().nth(1).unwrap().starts_with("t_refund"));
    assert!(stdout.contains("Refund policy [fail]"));
    let last = api
        .requests("GET", "/v1/convai/agent-testing")
        .pop()
        .unwrap();
    assert_eq!(last.param("search"), Some("REFUND"));
    assert_eq!(last.param("parent_folder_id"), Some("fold_1"));

    let out = run_at(api.url(), &["tests", "get", "t_greet", "--json"])
        .await
        .expect(0);
    let get_schema = spec_schema_for(json!({"oneOf": [
        {"$ref": "#/components/schemas/GetResponseUnitTestResponseModel"},
        {"$ref": "#/components/schemas/GetToolCallUnitTestResponseModel"},
        {"$ref": "#/components/schemas/GetSimulationTestResponseModel"},
    ]}));
    assert_valid(&get_schema, &out.json_lines()[0], "tests get --json");
    let out = run_at(api.url(), &["tests", "get", "t_greet"])
        .await
        .expect(0);
    let stdout = out.stdout();
    assert!(
        stdout.contains("Greets the caller") && stdout.contains("llm"),
        "{stdout}"
    );
    assert!(stdout.contains("[1 items]"), "{stdout}");

    let scratch = Scratch::new();
    let file = scratch.join("create.json");
    let test = json!({
        "type": "tool",
        "name": "Looks up the order",
        "chat_history": [{"role": "user", "time_in_call_secs": 0, "message": "Where is order 42?"}],
        "tool_call_parameters": {"referenced_tool": {"id": "lookup_order", "type": "webhook"}},
    });
    std::fs::write(&file, test.to_string()).unwrap();
    let out = run_at(
        api.url(),
        &["tests", "create", "--file", file.to_str().unwrap()],
    )
    .await
    .expect(0);
    assert_eq!(out.stdout().trim(), "created test t_created");
    let sent = body_json(&api.requests("POST", "/create")[0]);
    assert_eq!(sent["type"], "tool");
    assert_eq!(sent["name"], "Looks up the order");
    assert_eq!(
        sent["tool_call_parameters"]["referenced_tool"]["id"],
        "lookup_order"
    );
    let out = run_at(
        api.url(),
        &[
            "tests",
            "create",
            "--json",
            "--file",
            file.to_str().unwrap(),
        ],
    )
    .await
    .expect(0);
    assert_valid(
        &spec_schema("CreateAgentTestResponseModel"),
        &out.json_lines()[0],
        "tests create --json",
    );

    let out = run_at(api.url(), &["tests", "delete", "t_book"])
        .await
        .expect(0);
    assert_eq!(out.stdout().trim(), "deleted test t_book");
    assert_eq!(
        api.requests("DELETE", "/v1/convai/agent-testing/t_book")
            .len(),
        1
    );
}

// ----------------------------------------------------------------------------------------
// Errors: 401, 422, network
// ----------------------------------------------------------------------------------------

#[tokio::test]
async fn a_401_exits_3_with_the_api_message() {
    let api = TestApi::start().await;
    let out = run_at_with_key(api.url(), "sk_wrong_key_0000000000", &["tests", "list"])
        .await
        .expect(3);
    let stderr = out.stderr();
    assert!(
        stderr.contains("401") && stderr.contains("invalid_api_key"),
        "{stderr}"
    );
    assert!(stderr.contains("check the API key"), "{stderr}");
    assert!(
        !stderr.contains("sk_wrong_key_0000000000"),
        "the key is never printed"
    );
    // The program says who it is.
    let requests = api.requests("GET", "/v1/convai/agent-testing");
    assert_eq!(
        requests[0].headers.get("user-agent").map(String::as_str),
        Some(concat!("elevenlabs-tests/", env!("CARGO_PKG_VERSION")))
    );
}

#[tokio::test]
async fn a_422_exits_3_with_each_location_and_message() {
    let api = TestApi::start().await;
    let scratch = Scratch::new();
    let file = scratch.join("unnamed.json");
    std::fs::write(&file, r#"{"type": "llm", "name": "", "success_condition": "ok", "success_examples": [], "failure_examples": [], "chat_history": []}"#).unwrap();
    let out = run_at(
        api.url(),
        &["tests", "create", "--file", file.to_str().unwrap()],
    )
    .await
    .expect(3);
    let stderr = out.stderr();
    assert!(stderr.contains("422"), "{stderr}");
    assert!(
        stderr.contains("body.name: String should have at least 1 character"),
        "{stderr}"
    );
    assert!(out.stdout().is_empty());
}

#[tokio::test]
async fn a_network_error_exits_3() {
    // Bound, never listening: a connection is refused, and no other test's server can take the
    // port while `reserved` lives (a listener dropped at once freed it for them).
    let reserved = tokio::net::TcpSocket::new_v4().unwrap();
    reserved.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let port = reserved.local_addr().unwrap().port();
    let out = run_at(
        &format!("http://127.0.0.1:{port}"),
        &["invocations", "get", "inv_1"],
    )
    .await
    .expect(3);
    assert!(
        out.stderr().contains("error: request failed"),
        "{}",
        out.stderr()
    );
    drop(reserved);
}

// ----------------------------------------------------------------------------------------
// report
// ----------------------------------------------------------------------------------------

/// The HTML report, parsed (it is well-formed XHTML-compatible markup).
fn parse_report(html: &str) -> roxmltree::Document<'_> {
    let options = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..Default::default()
    };
    roxmltree::Document::parse_with_options(html, options).expect("the report parses")
}

#[tokio::test]
async fn report_writes_a_self_contained_html_history() {
    let api = TestApi::start().await;
    let scratch = Scratch::new();
    let html_path = scratch.join("report.html");
    // Since 2025-07-03 (midnight UTC): inv_hist_0 ..= inv_hist_5.
    let out = run_at(
        api.url(),
        &[
            "report",
            "--agent",
            "agent_hist",
            "--since",
            "2025-07-03",
            "--html",
            html_path.to_str().unwrap(),
        ],
    )
    .await
    .expect(0);
    assert!(
        out.stdout().contains("6 invocations of agent agent_hist"),
        "{}",
        out.stdout()
    );
    let requests = api.requests("GET", "/v1/convai/test-invocations");
    assert!(
        requests
            .iter()
            .all(|r| r.param("agent_id") == Some("agent_hist"))
    );

    let html = std::fs::read_to_string(&html_path).unwrap();
    // Self-contained: no script, no external resource (the one URL is the SVG namespace).
    for forbidden in ["<script", "src=", "@import", "url(", "https://", "<link"] {
        assert!(!html.contains(forbidden), "found {forbidden}");
    }
    assert_eq!(
        html.matches("http://").count(),
        html.matches("http://www.w3.org/2000/svg").count()
    );
    let doc = parse_report(&html);
    let included: Vec<Value> = history().into_iter().take(6).collect();

    // The chart: plotters' SVG, inline, one circle per invocation, red for those with failures.
    let svg = doc
        .descendants()
        .find(|n| n.has_tag_name("svg"))
        .expect("an inline SVG");
    let circles: Vec<_> = svg
        .descendants()
        .filter(|n| n.has_tag_name("circle"))
        .collect();
    assert_eq!(circles.len(), included.len());
    let red = circles
        .iter()
        .filter(|c| c.attribute("fill") == Some("#CF222E"))
        .count();
    let green = circles
        .iter()
        .filter(|c| c.attribute("fill") == Some("#1A7F37"))
        .count();
    let with_failures = included.iter().filter(|i| i["failed_count"] != 0).count();
    assert_eq!(
        (red, green),
        (with_failures, included.len() - with_failures)
    );
    assert!(
        svg.descendants().any(|n| n.has_tag_name("text")
            && n.text().map(str::trim) == Some("Pass rate per invocation"))
    );

    // The table: a row per invocation, newest first, with its counts.
    let table = doc
        .descendants()
        .find(|n| n.attribute("id") == Some("invocations"))
        .unwrap();
    let rows: Vec<_> = table
        .descendants()
        .filter(|n| n.has_tag_name("tbody"))
        .flat_map(|b| b.children().filter(|n| n.has_tag_name("tr")))
        .collect();
    assert_eq!(rows.len(), included.len());
    for (row, inv) in rows.iter().zip(&included) {
        let cells: Vec<String> = row
            .children()
            .filter(|n| n.has_tag_name("td"))
            .map(|td| {
                td.descendants()
                    .filter(|n| n.is_text())
                    .filter_map(|n| n.text())
                    .collect::<String>()
            })
            .collect();
        assert_eq!(
            cells[1],
            inv["title"].as_str().unwrap(),
            "titles are escaped, not dropped"
        );
        assert_eq!(cells[2], inv["passed_count"].to_string());
        assert_eq!(cells[3], inv["failed_count"].to_string());
        assert_eq!(cells[4], inv["pending_count"].to_string());
        assert_eq!(cells[5], inv["repeat_count"].to_string());
        assert_eq!(cells[6], inv["id"].as_str().unwrap());
    }
    let total = |id: &str| {
        doc.descendants()
            .find(|n| n.attribute("id") == Some(id))
            .and_then(|n| n.text())
            .unwrap()
            .to_owned()
    };
    assert_eq!(total("total-invocations"), "6");
    let failed: i64 = included
        .iter()
        .map(|i| i["failed_count"].as_i64().unwrap())
        .sum();
    assert_eq!(total("total-failed"), failed.to_string());
    assert_eq!(total("total-passed"), (24 - failed).to_string());
    // This server has no runs for its history: each invocation is named as unreadable.
    let unreadable: Vec<String> = doc
        .descendants()
        .find(|n| n.attribute("id") == Some("unreadable"))
        .expect("the unreadable invocations listed")
        .children()
        .filter(|n| n.has_tag_name("li"))
        .map(|li| {
            li.first_child()
                .and_then(|c| c.text())
                .unwrap_or("")
                .to_owned()
        })
        .collect();
    let included_ids: Vec<&str> = included.iter().map(|i| i["id"].as_str().unwrap()).collect();
    assert_eq!(unreadable, included_ids);

    // --json: the included invocations as JSON lines. `--since` is inclusive: an
    // invocation created at that very second is reported.
    let inv_hist_5 = (NEWEST - 5 * DAY).to_string();
    for since in ["2025-07-03", inv_hist_5.as_str()] {
        let out = run_at(
            api.url(),
            &[
                "report",
                "--json",
                "--agent",
                "agent_hist",
                "--since",
                since,
                "--html",
                html_path.to_str().unwrap(),
            ],
        )
        .await
        .expect(0);
        // This server has no runs for its history: no test lines, each invocation named.
        assert_eq!(out.json_lines().len(), 0, "since {since}");
        assert!(
            out.stderr()
                .contains("6 invocations of agent agent_hist, 0 tests; 6 could not be read"),
            "since {since}: {}",
            out.stderr()
        );
    }

    // An unwritable path: exit 3.
    let out = run_at(
        api.url(),
        &[
            "report",
            "--agent",
            "agent_hist",
            "--html",
            "/nonexistent-dir/r.html",
        ],
    )
    .await
    .expect(3);
    assert!(
        out.stderr()
            .contains("cannot write /nonexistent-dir/r.html"),
        "{}",
        out.stderr()
    );
}

// ----------------------------------------------------------------------------------------
// No key: the embedded fake
// ----------------------------------------------------------------------------------------

#[test]
fn without_a_key_it_uses_the_embedded_fake_and_says_so() {
    let out = run_no_key(&["invocations", "list", "--limit", "4", "--json"]).expect(0);
    assert!(
        out.stderr().contains("note: ELEVENLABS_API_KEY is not set; using the embedded fake server with demo data at http://127.0.0.1:"),
        "{}",
        out.stderr()
    );
    let lines = out.json_lines();
    assert_eq!(lines.len(), 4);
    let schema = spec_schema("TestInvocationSummaryResponseModel");
    for line in &lines {
        assert_valid(&schema, line, "fake invocations list --json");
    }

    // The report of the demo agent, without --agent.
    let scratch = Scratch::new();
    let html = scratch.join("fake-report.html");
    let out = run_no_key(&["report", "--html", html.to_str().unwrap()]).expect(0);
    assert!(
        out.stdout().contains("invocations of agent"),
        "{}",
        out.stdout()
    );
    let text = std::fs::read_to_string(&html).unwrap();
    let doc = parse_report(&text);
    let circles = doc
        .descendants()
        .filter(|n| n.has_tag_name("circle"))
        .count();
    let rows = doc
        .descendants()
        .find(|n| n.attribute("id") == Some("invocations"))
        .unwrap()
        .descendants()
        .filter(|n| n.has_tag_name("tr"))
        .count()
        - 1;
    assert_eq!(circles, rows);
    assert!(circles > 5);
}

#[tokio::test]
async fn fake_forces_the_fake_even_with_a_key() {
    let api = TestApi::start().await;
    let out = run_at(
        api.url(),
        &["--fake", "invocations", "list", "--limit", "2"],
    )
    .await
    .expect(0);
    assert!(
        out.stderr()
            .contains("note: --fake; using the embedded fake server"),
        "{}",
        out.stderr()
    );
    assert_eq!(api.server.count(), 0, "nothing sent to the configured API");
    let out = run_at(
        api.url(),
        &["--fake", "--base-url", api.url(), "tests", "list"],
    )
    .await
    .expect(2);
    assert!(out.stderr().contains("cannot be used together"));
}

/// The README's first command, on the embedded fake: the demo agent's tests run, one fails on
/// purpose (its name contains `[fail]`), exit 1.
#[test]
fn run_wait_on_the_fake_runs_the_demo_agent_and_fails_on_purpose() {
    let scratch = Scratch::new();
    let junit = scratch.join("fake-run.xml");
    let out = run_no_key(&["run", "--wait", "--junit", junit.to_str().unwrap()]).expect(1);
    assert!(
        out.stderr().contains("using the embedded fake server"),
        "{}",
        out.stderr()
    );
    let stdout = out.stdout();
    assert!(stdout.contains("[fail]"), "{stdout}");
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("FAILED ") && l.contains("[fail]")),
        "{stdout}"
    );
    let report = parse_junit(&junit);
    assert!(
        report.suites[0]
            .1
            .iter()
            .any(|c| c.kind == "failure" && c.name.contains("[fail]"))
    );
    assert!(report.suites[0].1.iter().any(|c| c.kind == "passed"));
}

/// `invocations list` prints each page as it arrives: with the second page 3 s late, the
/// first page's rows are on stdout well before the program ends.
#[tokio::test]
async fn invocations_list_prints_items_as_they_arrive() {
    let server = ScriptServer::start(|req| {
        let reply = Reply::json(200, &page(req, history(), "results"));
        if req.param("cursor").is_some() {
            reply.delay(Duration::from_secs(3))
        } else {
            reply
        }
    })
    .await;
    let url = server.url.clone();
    let (first_line_at, ended_at, lines) = tokio::task::spawn_blocking(move || {
        let mut child = program(
            &["invocations", "list", "--page-size", "4", "--json"],
            &[("ELEVENLABS_API_KEY", KEY), ("ELEVENLABS_BASE_URL", &url)],
        )
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
        let stdout = child.stdout.take().unwrap();
        let started = Instant::now();
        let mut first = None;
        let mut lines = Vec::new();
        for line in std::io::BufRead::lines(std::io::BufReader::new(stdout)) {
            first.get_or_insert_with(|| started.elapsed());
            lines.push(line.unwrap());
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "the listing hangs"
            );
        }
        let status = child.wait().unwrap();
        assert!(status.success());
        (first.unwrap(), started.elapsed(), lines)
    })
    .await
    .unwrap();
    assert_eq!(lines.len(), 8);
    assert!(
        ended_at - first_line_at >= Duration::from_secs(2),
        "first row after {first_line_at:?}, end after {ended_at:?}"
    );
}

/// `invocations cancel` and `rename` against a shared embedded fake (started here, so the
/// state outlives each process): the pending runs end `cancelled`, which `invocations wait`
/// treats as finished but not passed (exit 1, JUnit `skipped`); a name and `--clear`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invocations_cancel_and_rename_on_the_fake() {
    let server = elevenlabs_agent_tests::fake::FakeServer::builder()
        .run_duration(Duration::from_secs(60))
        .start()
        .await
        .unwrap();
    let (url, key) = (server.url().to_owned(), server.api_key().to_owned());
    let agent = server.demo_agent_id().unwrap().to_owned();
    let started = run_at_with_key(&url, &key, &["--json", "run", "--agent", &agent])
        .await
        .expect(0);
    let invocation: Value = serde_json::from_str(started.stdout().lines().last().unwrap()).unwrap();
    let id = invocation["id"].as_str().unwrap().to_owned();

    let out = run_at_with_key(&url, &key, &["--json", "invocations", "cancel", &id])
        .await
        .expect(0);
    let cancelled: Value = serde_json::from_str(out.stdout().lines().last().unwrap()).unwrap();
    assert_valid_invocation(&cancelled, "invocations cancel --json");
    assert!(
        cancelled["test_runs"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["status"] == "cancelled"),
        "{cancelled}"
    );

    let scratch = Scratch::new();
    let junit = scratch.join("cancelled.xml");
    let out = run_at_with_key(
        &url,
        &key,
        &[
            "invocations",
            "wait",
            &id,
            "--junit",
            junit.to_str().unwrap(),
        ],
    )
    .await
    .expect(1);
    assert!(out.stdout().contains("cancelled"), "{}", out.stdout());
    let report = parse_junit(&junit);
    assert!(
        report.suites[0].1.iter().all(|c| c.kind == "skipped"),
        "{:?}",
        report.suites[0].1
    );

    let out = run_at_with_key(
        &url,
        &key,
        &["invocations", "list", "--agent", &agent, "--limit", "1"],
    )
    .await
    .expect(0);
    assert!(out.stdout().contains("CANCELLED"), "{}", out.stdout());

    let out = run_at_with_key(
        &url,
        &key,
        &["--json", "invocations", "rename", &id, "Nightly"],
    )
    .await
    .expect(0);
    let renamed: Value = serde_json::from_str(out.stdout().lines().last().unwrap()).unwrap();
    assert_eq!(renamed["name"], "Nightly");
    let out = run_at_with_key(
        &url,
        &key,
        &["--json", "invocations", "rename", &id, "--clear"],
    )
    .await
    .expect(0);
    let cleared: Value = serde_json::from_str(out.stdout().lines().last().unwrap()).unwrap();
    assert!(cleared.get("name").is_none_or(Value::is_null), "{cleared}");
    run_at_with_key(&url, &key, &["invocations", "rename", &id])
        .await
        .expect(2);
}

/// Output that cannot be written: a pipe nobody reads (`| head` after it quit) ends the
/// program quietly with 0; any other write error (a full device) exits 3 saying so.
#[test]
fn output_errors() {
    let out = Out(process::run_writing_to(
        program(&["tests", "list", "--json"], &[]),
        process::closed_pipe(),
        Duration::from_secs(60),
    ));
    assert_eq!(out.code(), Some(0), "{}", out.stderr());
    assert!(!out.stderr().contains("error"), "{}", out.stderr());

    let out = Out(process::run_writing_to(
        program(&["tests", "list", "--json"], &[]),
        process::full_device(),
        Duration::from_secs(60),
    ));
    assert_eq!(out.code(), Some(3), "{}", out.stderr());
    assert!(
        out.stderr().contains("error: writing the output"),
        "{}",
        out.stderr()
    );
}

#[test]
fn flags_that_stand_for_spec_parameters_take_the_spec_s_bounds_and_defaults() {
    use elevenlabs_agent_tests::spec::Tables;
    let tables = Tables::current();
    let repeat = tables.field("RunAgentTestsRequestModel", "repeat_count");
    let (min, max) = (repeat.minimum.unwrap(), repeat.maximum.unwrap());
    for n in [min - 1, max + 1] {
        let out = run_no_key(&["run", "--repeat", &n.to_string()]);
        assert_eq!(out.code(), Some(2), "--repeat {n}: {}", out.stderr());
        assert!(
            out.stderr().contains("--repeat") && out.stderr().contains(&format!("{min}..={max}")),
            "{}",
            out.stderr()
        );
        assert!(out.stdout().is_empty());
    }
    // The maximum itself is sent as it is.
    let out = run_no_key(&["run", "--repeat", &max.to_string(), "--json"]);
    assert_eq!(out.code(), Some(0), "{}", out.stderr());
    let started: Value = serde_json::from_str(out.stdout().trim()).unwrap();
    assert_eq!(started["repeat_count"], json!(max));
    let help = run_no_key(&["run", "--help"]).stdout();
    assert!(help.contains(&format!("{min}..={max}")), "{help}");

    for (command, operation) in [
        ("tests", "list_tests"),
        ("invocations", "list_test_invocations"),
    ] {
        let page = tables.parameter(operation, "page_size");
        let (max, default) = (page.maximum.unwrap(), page.default.unwrap());
        let out = run_no_key(&[command, "list", "--page-size", &(max + 1).to_string()]);
        assert_eq!(out.code(), Some(2), "{command}: {}", out.stderr());
        assert!(
            out.stderr().contains(&format!("1..={max}")),
            "{}",
            out.stderr()
        );
        let help = run_no_key(&[command, "list", "--help"]).stdout();
        assert!(
            help.contains(&format!("1..={max}; default {default}")),
            "{command}: {help}"
        );
    }
}
