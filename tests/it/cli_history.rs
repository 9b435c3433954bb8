//! `elevenlabs-tests report`'s per-test history, run as a process against an embedded fake
//! started here, on a history scripted so that the expected table is known by construction:
//! a test that always passes, one renamed to `[fail]` from invocation K on (a regression
//! since K), a `[flaky]` one run twice per invocation (fails its first run, passes the
//! other), one renamed mid-way (one row, its latest name), and one deleted mid-way (its rows
//! stay, its later cells are "not run"). The JSON lines, the Markdown table and the HTML
//! (parsed: rows, cell classes, tooltips) are checked.

use std::num::NonZeroU64;
use std::process::Command;
use std::time::Duration;

use elevenlabs_agent_tests::Client;
use elevenlabs_agent_tests::fake::{FAIL_MARKER, FLAKY_MARKER, FakeServer};
use elevenlabs_agent_tests::types::{
    CreateTestBody, GetTestSuiteInvocationResponseModel, SingleTestRunRequestModel, UpdateTestBody,
};
use serde_json::{Value, json};

use crate::process::run_with_limit;
use crate::scratch::Scratch;

/// Every test body runs under this limit: a test must fail, not hang.
const LIMIT: Duration = Duration::from_secs(120);
/// Invocations in the scripted history.
const N: usize = 4;
/// The regression starts at this invocation (0-based, oldest first).
const K: usize = 2;

fn llm(name: &str) -> Value {
    json!({
        "type": "llm",
        "name": name,
        "success_condition": "The agent answers politely.",
        "chat_history": [{"role": "user", "message": "Hello?", "time_in_call_secs": 0}],
    })
}

async fn create(client: &Client, name: &str) -> String {
    let body: CreateTestBody = serde_json::from_value(llm(name)).unwrap();
    client
        .create_test()
        .body(body)
        .send()
        .await
        .expect("create_test")
        .into_inner()
        .id
}

async fn rename(client: &Client, id: &str, name: &str) {
    let body: UpdateTestBody = serde_json::from_value(llm(name)).unwrap();
    client
        .update_test()
        .test_id(id)
        .body(body)
        .send()
        .await
        .expect("update_test");
}

/// Runs `tests` twice each on `agent` and waits until every run has finished.
async fn run_and_settle(
    client: &Client,
    agent: &str,
    tests: &[&str],
) -> GetTestSuiteInvocationResponseModel {
    let specs: Vec<SingleTestRunRequestModel> = tests
        .iter()
        .map(|t| serde_json::from_value(json!({"test_id": t})).unwrap())
        .collect();
    let id = client
        .run_tests()
        .agent_id(agent)
        .body_map(|b| b.tests(specs).repeat_count(NonZeroU64::new(2).unwrap()))
        .send()
        .await
        .expect("run_tests")
        .into_inner()
        .id;
    loop {
        let detail = client
            .get_test_invocation()
            .test_invocation_id(&id)
            .send()
            .await
            .expect("get_test_invocation")
            .into_inner();
        if detail.is_finished() {
            return detail;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Runs the program against `server` with its key.
async fn report(server: &FakeServer, args: &[&str]) -> std::process::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_elevenlabs-tests"));
    cmd.arg("--base-url")
        .arg(server.url())
        .arg("report")
        .args(args)
        .env_remove("ELEVENLABS_BASE_URL")
        .env("ELEVENLABS_API_KEY", server.api_key());
    tokio::task::spawn_blocking(move || run_with_limit(cmd, Duration::from_secs(60)))
        .await
        .unwrap()
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8(out.stderr.clone()).unwrap()
}

/// The text of a node and its descendants.
fn text(node: roxmltree::Node<'_, '_>) -> String {
    node.descendants()
        .filter(|n| n.is_text())
        .filter_map(|n| n.text())
        .collect()
}

/// The body rows of the table with this id.
fn rows<'a, 'i>(doc: &'a roxmltree::Document<'i>, id: &str) -> Vec<roxmltree::Node<'a, 'i>> {
    doc.descendants()
        .find(|n| n.attribute("id") == Some(id))
        .unwrap_or_else(|| panic!("a table #{id}"))
        .descendants()
        .filter(|n| n.has_tag_name("tbody"))
        .flat_map(|b| b.children().filter(|n| n.has_tag_name("tr")))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn report_tells_the_regression_the_flaky_the_renamed_and_the_deleted_test() {
    tokio::time::timeout(LIMIT, scripted_history())
        .await
        .expect("the scripted history finishes in time");
}

async fn scripted_history() {
    let server = FakeServer::builder()
        .invocations(8)
        .agents(1)
        .run_duration(Duration::from_millis(10))
        .start()
        .await
        .unwrap();
    let client = server.client();
    let agent = server.agent_ids()[0].clone();

    let steady = create(&client, "Greets the caller").await;
    let refunds = create(&client, "Refund policy").await;
    let flaky = create(&client, &format!("Books a slot {FLAKY_MARKER}")).await;
    let renamed = create(&client, "Old name").await;
    let deleted = create(&client, "Exits politely").await;

    // Oldest first. Invocation K on: the refund test fails; from invocation 1 on the renamed
    // test has its new name; after invocation 1 the deleted test is gone.
    let mut history = Vec::new();
    for k in 0..N {
        if k == K {
            rename(&client, &refunds, &format!("Refund policy {FAIL_MARKER}")).await;
        }
        if k == 1 {
            rename(&client, &renamed, "New name").await;
        }
        if k == 2 {
            client
                .delete_test()
                .test_id(&deleted)
                .send()
                .await
                .expect("delete_test");
        }
        let mut tests = vec![
            steady.as_str(),
            refunds.as_str(),
            flaky.as_str(),
            renamed.as_str(),
        ];
        if k < 2 {
            tests.push(deleted.as_str());
        }
        history.push(run_and_settle(&client, &agent, &tests).await);
    }
    let ids: Vec<&str> = history.iter().map(|i| i.id.as_str()).collect();

    // --json, with --last N: the scripted invocations only (the seeded ones are older).
    let scratch = Scratch::new();
    let html_path = scratch.join("history.html");
    let md_path = scratch.join("history.md");
    let last = N.to_string();
    let out = report(
        &server,
        &[
            "--agent",
            &agent,
            "--last",
            &last,
            "--json",
            "--html",
            html_path.to_str().unwrap(),
            "--markdown",
            md_path.to_str().unwrap(),
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!(
            "wrote {} and {} (4 invocations of agent {agent}, 5 tests)",
            md_path.display(),
            html_path.display()
        )),
        "{}",
        stderr(&out)
    );
    let lines: Vec<Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let order: Vec<&str> = lines
        .iter()
        .map(|l| l["test_id"].as_str().unwrap())
        .collect();
    // Failing now, then flaky, then the rest by pass rate and name.
    assert_eq!(
        order,
        [
            refunds.as_str(),
            flaky.as_str(),
            deleted.as_str(),
            steady.as_str(),
            renamed.as_str()
        ]
    );
    let line = |id: &str| lines.iter().find(|l| l["test_id"] == id).unwrap();
    let created = |k: usize| rfc3339(history[k].created_at.unwrap());

    let r = line(&refunds);
    assert_eq!(r["name"], format!("Refund policy {FAIL_MARKER}"));
    assert_eq!(r["status"], "regression");
    assert_eq!(r["regression"], true);
    assert_eq!(r["flaky"], false);
    assert_eq!(r["failing_now"], true);
    assert_eq!(r["regression_since_invocation"], ids[K]);
    assert_eq!(r["regression_since"], created(K));
    assert_eq!(r["last_failure"], created(N - 1));
    let fails = 2 * (N - K) as u64;
    assert_eq!(
        (&r["runs"], &r["passed"], &r["failed"], &r["other"]),
        (
            &json!(2 * N),
            &json!(2 * N as u64 - fails),
            &json!(fails),
            &json!(0)
        )
    );
    assert_eq!(r["streak_status"], "failed");
    assert_eq!(r["streak_runs"], fails);
    assert_eq!(r["pass_rate"], json!(0.5));

    let f = line(&flaky);
    assert_eq!(
        (
            &f["status"],
            &f["flaky"],
            &f["regression"],
            &f["failing_now"]
        ),
        (&json!("flaky"), &json!(true), &json!(false), &json!(false))
    );
    assert_eq!((&f["passed"], &f["failed"]), (&json!(N), &json!(N)));
    assert_eq!(
        (&f["streak_status"], &f["streak_runs"]),
        (&json!("passed"), &json!(1))
    );
    assert_eq!(f["last_failure"], created(N - 1));

    let s = line(&steady);
    assert_eq!(
        (&s["status"], &s["flaky"]),
        (&json!("passing"), &json!(false))
    );
    assert_eq!((&s["runs"], &s["passed"]), (&json!(2 * N), &json!(2 * N)));
    assert_eq!(
        (&s["streak_runs"], &s["pass_rate"]),
        (&json!(2 * N), &json!(1.0))
    );
    assert_eq!(s["last_failure"], Value::Null);
    assert_eq!(s["regression_since"], Value::Null);

    let n = line(&renamed);
    assert_eq!(n["name"], "New name", "one row, the latest name");
    assert_eq!(n["invocations"], N);

    let d = line(&deleted);
    assert_eq!(
        (&d["name"], &d["invocations"]),
        (&json!("Exits politely"), &json!(2))
    );
    assert_eq!((&d["runs"], &d["status"]), (&json!(4), &json!("passing")));

    // The Markdown table, in the same order.
    let md = std::fs::read_to_string(&md_path).unwrap();
    let md_rows: Vec<&str> = md.lines().filter(|l| l.starts_with("| ")).skip(1).collect();
    assert_eq!(md_rows.len(), 5, "{md}");
    assert!(
        md_rows[0].starts_with(&format!(
            "| Refund policy \\[fail\\] | regression since {} | 50.0% | 8 | 4 | 4 | 0 |",
            created(K)
        )),
        "{md}"
    );
    assert!(
        md_rows[1].starts_with("| Books a slot \\[flaky\\] | flaky | 50.0% |"),
        "{md}"
    );
    assert!(
        md_rows[4].starts_with("| New name | passing | 100.0% |"),
        "{md}"
    );

    // The HTML: the ranked table and the grid, parsed.
    let html = std::fs::read_to_string(&html_path).unwrap();
    for forbidden in ["<script", "src=", "@import", "url(", "https://", "<link"] {
        assert!(!html.contains(forbidden), "found {forbidden}");
    }
    let doc = roxmltree::Document::parse_with_options(
        &html,
        roxmltree::ParsingOptions {
            allow_dtd: true,
            ..Default::default()
        },
    )
    .expect("the report parses");
    let ranked = rows(&doc, "tests");
    let classes: Vec<&str> = ranked
        .iter()
        .map(|r| r.attribute("class").unwrap())
        .collect();
    assert_eq!(
        classes,
        ["regression", "flaky", "passing", "passing", "passing"]
    );
    let tested: Vec<&str> = ranked
        .iter()
        .map(|r| r.attribute("data-test").unwrap())
        .collect();
    assert_eq!(tested, order);
    assert!(text(ranked[0]).contains(&format!("regression since {}", created(K))));

    let grid = doc
        .descendants()
        .find(|n| n.attribute("id") == Some("grid"))
        .unwrap();
    let heads: Vec<String> = grid
        .descendants()
        .filter(|n| n.has_tag_name("th") && n.attribute("class") == Some("inv"))
        .map(|n| n.attribute("title").unwrap().to_owned())
        .collect();
    assert_eq!(heads.len(), N);
    for (head, id) in heads.iter().zip(&ids) {
        assert!(head.contains(id), "oldest on the left: {head} vs {id}");
    }
    let grid_rows = rows(&doc, "grid");
    assert_eq!(grid_rows.len(), 5);
    let cells = |row: roxmltree::Node<'_, '_>| -> Vec<String> {
        row.children()
            .filter(|n| n.has_tag_name("td"))
            .map(|n| n.attribute("class").unwrap().to_owned())
            .collect()
    };
    let expected: [(&str, [&str; N]); 5] = [
        (&refunds, ["passed", "passed", "failed", "failed"]),
        (&flaky, ["mixed", "mixed", "mixed", "mixed"]),
        (&deleted, ["passed", "passed", "none", "none"]),
        (&steady, ["passed", "passed", "passed", "passed"]),
        (&renamed, ["passed", "passed", "passed", "passed"]),
    ];
    for (row, (id, classes)) in grid_rows.iter().zip(expected) {
        assert_eq!(row.attribute("data-test"), Some(id));
        assert_eq!(cells(*row), classes, "{id}");
    }
    assert_eq!(text(grid_rows[4]).trim(), "New name");
    // A failed cell's tooltip carries the failure's rationale.
    let rationale = history[N - 1]
        .test_runs
        .iter()
        .find(|r| r.test_id == refunds)
        .and_then(|r| r.condition_result.as_ref()?.rationale.as_ref())
        .map(|r| r.summary.clone())
        .expect("a rationale");
    let newest_refund_cell = grid_rows[0]
        .children()
        .rfind(|n| n.has_tag_name("td"))
        .unwrap();
    let tooltip = newest_refund_cell.attribute("title").unwrap();
    assert!(tooltip.contains(&rationale), "{tooltip}");
    assert!(tooltip.contains("2 failed"), "{tooltip}");
    let not_run = grid_rows[2]
        .children()
        .rfind(|n| n.has_tag_name("td"))
        .unwrap();
    assert!(not_run.attribute("title").unwrap().ends_with("not run"));

    // --grid-invocations 2: the newest two columns; the counters still cover all four.
    let out = report(
        &server,
        &[
            "--agent",
            &agent,
            "--last",
            &last,
            "--json",
            "--grid-invocations",
            "2",
            "--html",
            html_path.to_str().unwrap(),
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out).lines().count(), 5);
    let html = std::fs::read_to_string(&html_path).unwrap();
    let doc = roxmltree::Document::parse_with_options(
        &html,
        roxmltree::ParsingOptions {
            allow_dtd: true,
            ..Default::default()
        },
    )
    .unwrap();
    let grid_rows = rows(&doc, "grid");
    assert_eq!(cells(grid_rows[0]), ["failed", "failed"]);
    assert_eq!(cells(grid_rows[2]), ["none", "none"]);
}

/// `2025-07-08T18:40:00Z` of unix seconds.
fn rfc3339(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .unwrap()
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

#[tokio::test]
async fn report_needs_an_output_and_bounds_its_flags() {
    let server = FakeServer::builder().invocations(1).start().await.unwrap();
    for (args, needle) in [
        (
            &["--agent", "a"][..],
            "report needs an output: --html FILE, --markdown FILE or --json",
        ),
        (&["--json", "--concurrency", "0"], "--concurrency"),
        (&["--json", "--concurrency", "65"], "--concurrency"),
        (&["--json", "--last", "0"], "--last"),
        (&["--json", "--grid-invocations", "0"], "--grid-invocations"),
    ] {
        let out = report(&server, args).await;
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(needle), "{args:?}: {}", stderr(&out));
        assert!(stdout(&out).is_empty());
    }
    assert_eq!(server.request_count(), 0, "refused before any request");
}

/// `report` against a scripted API whose one invocation answers `detail`: exit code and stderr.
async fn report_with_detail(detail: crate::support::Reply) -> (Option<i32>, String) {
    use crate::support::{Reply, ScriptServer};
    let server = ScriptServer::start(move |req| {
        if req.path == "/v1/convai/test-invocations" {
            Reply::json(
                200,
                &json!({"has_more": false, "next_cursor": null, "results": [{
                    "id": "inv_a", "agent_id": "agent_1", "created_at_unix_secs": 1_700_000_000,
                    "failed_count": 0, "passed_count": 1, "pending_count": 0,
                    "repeat_count": 1, "test_run_count": 1, "title": "t"
                }]}),
            )
        } else {
            detail.clone()
        }
    })
    .await;
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_elevenlabs-tests"));
    cmd.args([
        "--base-url",
        &server.url,
        "--json",
        "report",
        "--agent",
        "agent_1",
    ])
    .env_remove("ELEVENLABS_BASE_URL")
    .env("ELEVENLABS_API_KEY", "sk_scripted_history_key");
    let out = tokio::task::spawn_blocking(move || run_with_limit(cmd, Duration::from_secs(60)))
        .await
        .unwrap();
    (out.status.code(), stderr(&out))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreadable_invocation_is_named_and_an_auth_failure_stops_the_report() {
    use crate::support::Reply;
    // A body that does not decode: named, counted, the report goes on.
    let (code, err) = report_with_detail(Reply::raw(200, "{\"id\": 7}")).await;
    assert_eq!(code, Some(0), "{err}");
    assert!(
        err.contains("warning: cannot read the runs of invocation inv_a: "),
        "{err}"
    );
    // A refused key: not one unreadable invocation but a failure of the whole report.
    let (code, err) = report_with_detail(Reply::json(
        401,
        &json!({"detail": {"status": "invalid_api_key", "message": "Invalid API key"}}),
    ))
    .await;
    assert_ne!(code, Some(0), "{err}");
    assert!(!err.contains("cannot read the runs"), "{err}");
    assert!(err.contains("401"), "{err}");
}
