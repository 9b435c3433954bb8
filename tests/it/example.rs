//! The `list_test_invocations` program run as a process, as a newcomer runs it: no API key, so
//! it lists the embedded fake's demo data.
//!
//! It is a `[[bin]]` target (`src/bin/list_test_invocations.rs`, feature `fake`), so cargo
//! builds it before this test and hands over its path in `CARGO_BIN_EXE_list_test_invocations`:
//! no nested `cargo build`.

use crate::process;
use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use crate::process::run_with_limit;

use elevenlabs_agent_tests::fake::{DEFAULT_INVOCATIONS, FakeServer};

/// The program's binary: cargo builds it before the integration tests, whatever the test
/// filter (it is a `[[bin]]` target, enabled by the `fake` feature that the dev-dependency on
/// this crate turns on), and says where.
fn example_binary() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_list_test_invocations"))
}

/// Runs the example with `args` and no API key in its environment.
fn run_example(args: &[&str]) -> Output {
    run_example_with_env(args, &[])
}

/// Runs the example with `args` and only the given `ELEVENLABS_*` variables.
fn run_example_with_env(args: &[&str], vars: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(example_binary());
    cmd.args(args)
        .env_remove("ELEVENLABS_API_KEY")
        .env_remove("ELEVENLABS_BASE_URL");
    for (k, v) in vars {
        cmd.env(k, v);
    }
    run_with_limit(cmd, Duration::from_secs(60))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("UTF-8 output")
}

/// The data the example should print: the same default fake, started here.
async fn default_data() -> Vec<elevenlabs_agent_tests::types::TestInvocationSummaryResponseModel> {
    FakeServer::start().await.unwrap().invocations().to_vec()
}

#[tokio::test]
async fn without_a_key_prints_a_table_of_the_demo_data() {
    let out = run_example(&[]);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(
            "note: ELEVENLABS_API_KEY is not set; listing demo data from the embedded fake server at http://127.0.0.1:"
        ),
        "stderr: {stderr}"
    );
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    let header: Vec<&str> = lines[0].split_whitespace().collect();
    assert_eq!(
        header,
        [
            "ID",
            "CREATED",
            "TITLE",
            "AGENT",
            "PASSED/FAILED/PENDING/CANCELLED",
            "REPEAT"
        ]
    );
    let data = default_data().await;
    assert_eq!(data.len(), DEFAULT_INVOCATIONS);
    assert_eq!(
        lines.len(),
        1 + data.len(),
        "a header and one row per invocation"
    );

    // Columns are aligned: every column starts at the header's offset.
    let starts: Vec<usize> = [
        "CREATED",
        "TITLE",
        "AGENT",
        "PASSED/FAILED/PENDING/CANCELLED",
        "REPEAT",
    ]
    .iter()
    .map(|h| lines[0].find(h).unwrap())
    .collect();
    for (line, inv) in lines[1..].iter().zip(&data) {
        assert!(line.starts_with(&inv.id), "{line}");
        let created = &line[starts[0]..starts[0] + 20];
        assert!(
            created.len() == 20 && created.ends_with('Z') && created.as_bytes()[10] == b'T',
            "RFC 3339 at the CREATED column: {line}"
        );
        assert!(line[starts[1]..].starts_with(&inv.title), "{line}");
        assert!(
            line[starts[2]..].starts_with(inv.agent_id.as_deref().unwrap()),
            "{line}"
        );
        let counts = format!(
            "{}/{}/{}/{}",
            inv.passed_count,
            inv.failed_count,
            inv.pending_count,
            inv.cancelled_count.unwrap_or(0)
        );
        assert!(line[starts[3]..].starts_with(&counts), "{line}");
        assert_eq!(line[starts[4]..].trim(), inv.repeat_count.to_string());
    }
    // The newest invocation is the fake's fixed clock: 2025-07-08T18:40:00Z.
    assert_eq!(&lines[1][starts[0]..starts[0] + 20], "2025-07-08T18:40:00Z");
}

#[tokio::test]
async fn json_prints_one_valid_object_a_line() {
    let out = run_example(&["--json"]);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    let data = default_data().await;
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), data.len());
    for (line, inv) in lines.iter().zip(&data) {
        let value: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
        assert!(value.is_object(), "{line}");
        assert_eq!(value["id"], inv.id.as_str());
        assert_eq!(value["created_at_unix_secs"], inv.created_at_unix_secs);
        // And it is the API's own model.
        let parsed: elevenlabs_agent_tests::types::TestInvocationSummaryResponseModel =
            serde_json::from_str(line).expect("a TestInvocationSummaryResponseModel");
        assert_eq!(parsed.title, inv.title);
    }
}

#[tokio::test]
async fn agent_filter_limit_and_page_size() {
    let data = default_data().await;
    let agent = data[0].agent_id.clone().unwrap();
    let expected: Vec<&str> = data
        .iter()
        .filter(|i| i.agent_id.as_deref() == Some(&agent))
        .map(|i| i.id.as_str())
        .collect();
    assert!(expected.len() > 5);

    let out = run_example(&["--json", "--agent-id", &agent, "--page-size", "3"]);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    let ids: Vec<String> = text(&out.stdout)
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(ids, expected);

    let out = run_example(&["--json", "--limit=5", "--page-size=2"]);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    let ids: Vec<String> = text(&out.stdout)
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    let first5: Vec<&str> = data[..5].iter().map(|i| i.id.as_str()).collect();
    assert_eq!(ids, first5);

    // The table with --limit: a header and exactly that many rows.
    let out = run_example(&["--limit", "7"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(text(&out.stdout).lines().count(), 8);

    // An agent with no invocations: just the header.
    let out = run_example(&["--agent-id", "agent_nobody"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(text(&out.stdout).lines().count(), 1);
}

#[test]
fn bad_usage_exits_2_with_a_message() {
    for (args, needle) in [
        (&["--bogus"][..], "unexpected argument \"--bogus\""),
        (&["--limit"][..], "--limit needs a value"),
        (
            &["--limit", "ten"][..],
            "--limit expects a positive integer",
        ),
        (
            &["--page-size", "0"][..],
            "--page-size expects a positive integer",
        ),
        (
            &["--page-size", "-3"][..],
            "--page-size expects a positive integer",
        ),
        (
            &["--environment", "mars"][..],
            "--environment \"mars\" is unknown",
        ),
        (&["--environment", "eu"][..], "needs ELEVENLABS_API_KEY"),
        (
            &["--environment", "eu", "--base-url", "http://127.0.0.1:1"][..],
            "cannot be used together",
        ),
        (&["--base-url", "ftp://example.com"][..], "scheme"),
    ] {
        let out = run_example(args);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{args:?}: nothing on stdout");
    }
}

#[test]
fn help_exits_0() {
    let out = run_example(&["--help"]);
    assert_eq!(out.status.code(), Some(0));
    let stdout = text(&out.stdout);
    for flag in [
        "--agent-id",
        "--page-size",
        "--limit",
        "--environment",
        "--base-url",
        "--json",
    ] {
        assert!(stdout.contains(flag), "--help mentions {flag}");
    }
}

#[tokio::test]
async fn an_api_error_exits_1_with_its_message() {
    // A page size over the API's limit is refused by the client before any request: a usage
    // error naming the parameter and the range.
    let out = run_example(&["--page-size", "101"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("page_size") && stderr.contains("1..=100"),
        "{stderr}"
    );

    // A server that refuses every request: a fake that wants a key the example lacks.
    let server = FakeServer::builder()
        .api_key("the-right-key")
        .start()
        .await
        .unwrap();
    let url = server.url().to_owned();
    let out = tokio::task::spawn_blocking(move || run_example(&["--base-url", &url]))
        .await
        .unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("401"), "{stderr}");
    assert_eq!(server.requests().len(), 1);

    // Nothing listening: a network error.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let out = run_example(&["--base-url", &format!("http://127.0.0.1:{port}")]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("error:"), "{stderr}");
}

#[tokio::test]
async fn with_a_key_it_lists_from_the_configured_api_not_the_demo() {
    // Stands in for the real API: another seed, so its data differs from the embedded demo.
    let server = FakeServer::builder()
        .seed(777)
        .invocations(12)
        .api_key("sk_user_key")
        .start()
        .await
        .unwrap();
    let url = server.url().to_owned();
    let out = tokio::task::spawn_blocking(move || {
        run_example_with_env(
            &["--json"],
            &[
                ("ELEVENLABS_API_KEY", "sk_user_key"),
                ("ELEVENLABS_BASE_URL", &url),
            ],
        )
    })
    .await
    .unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("embedded fake"), "{stderr}");
    let ids: Vec<String> = text(&out.stdout)
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    let expected: Vec<String> = server.invocations().iter().map(|i| i.id.clone()).collect();
    assert_eq!(ids, expected);
    let requests = server.requests();
    assert!(!requests.is_empty());
    assert!(
        requests
            .iter()
            .all(|r| r.header("xi-api-key") == Some("sk_user_key"))
    );

    // --base-url wins over ELEVENLABS_BASE_URL. A --limit below the API's default page (30)
    // is the page size asked for; from 30 on, the default page is.
    for (limit, page_size) in [("3", Some("3")), ("29", Some("29")), ("30", None)] {
        server.clear_requests();
        let url = server.url().to_owned();
        let out = tokio::task::spawn_blocking(move || {
            run_example_with_env(
                &["--limit", limit, "--base-url", &url],
                &[
                    ("ELEVENLABS_API_KEY", "sk_user_key"),
                    ("ELEVENLABS_BASE_URL", "http://127.0.0.1:9"),
                ],
            )
        })
        .await
        .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let rows = limit.parse::<usize>().unwrap().min(12);
        assert_eq!(
            text(&out.stdout).lines().count(),
            rows + 1,
            "--limit {limit}"
        );
        // (The next page may have been prefetched: the first request says it.)
        let first = &server.requests()[0];
        let asked = first.query.iter().find(|(k, _)| k == "page_size");
        assert_eq!(asked.map(|(_, v)| v.as_str()), page_size, "--limit {limit}");
    }
}

/// Output that cannot be written: a pipe nobody reads ends the program quietly with 0; any
/// other write error (a full device) exits 1 saying so.
#[test]
fn output_errors() {
    let mut cmd = Command::new(example_binary());
    cmd.arg("--json").env_remove("ELEVENLABS_API_KEY");
    let out = process::run_writing_to(cmd, process::closed_pipe(), Duration::from_secs(60));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        !text(&out.stderr).contains("error"),
        "{}",
        text(&out.stderr)
    );

    let mut cmd = Command::new(example_binary());
    cmd.arg("--json").env_remove("ELEVENLABS_API_KEY");
    let out = process::run_writing_to(cmd, process::full_device(), Duration::from_secs(60));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("error: writing the output"),
        "{}",
        text(&out.stderr)
    );
}
