//! `elevenlabs-tests fake` run as a process (feature `cli`): its first line read back, the
//! crate's client against the address it gives, SIGTERM and SIGINT (in-flight requests
//! answered, exit 0, the summary line), `--json`, `--log`, a port in use (exit 3) and bad
//! flags (exit 2). Every wait is bounded.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::process::run_with_limit;
use crate::scratch::Scratch;
use elevenlabs_agent_tests::fake::FakeServer;
use elevenlabs_agent_tests::types::{SingleTestRunRequestModel, TestRunStatus};
use elevenlabs_agent_tests::{Client, Error, RetryPolicy};
use serde_json::{Value, json};

/// How long a process gets to say where it is, or to stop.
const LIMIT: Duration = Duration::from_secs(20);

/// The program with `args`, without the `ELEVENLABS_*` variables.
fn program(args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_elevenlabs-tests"));
    cmd.args(args)
        .env_remove("ELEVENLABS_API_KEY")
        .env_remove("ELEVENLABS_BASE_URL");
    cmd
}

/// A running `fake`: its stdout read line by line, its stderr collected; killed if a test
/// fails before stopping it.
struct Served {
    child: Child,
    stdout: mpsc::Receiver<String>,
    stderr: Option<JoinHandle<String>>,
}

impl Served {
    fn start(args: &[&str]) -> Served {
        let mut child = program(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawning the program");
        let output = child.stdout.take().unwrap();
        let (lines, stdout) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(output).lines() {
                let Ok(line) = line else { break };
                if lines.send(line).is_err() {
                    break;
                }
            }
        });
        let mut stderr = child.stderr.take().unwrap();
        let stderr = std::thread::spawn(move || {
            let mut text = String::new();
            stderr.read_to_string(&mut text).ok();
            text
        });
        Served {
            child,
            stdout,
            stderr: Some(stderr),
        }
    }

    /// The first line on stdout, within the limit.
    fn first_line(&mut self) -> String {
        match self.stdout.recv_timeout(LIMIT) {
            Ok(line) => line,
            Err(_) => {
                let _ = self.child.kill();
                let _ = self.child.wait();
                let stderr = self.stderr.take().unwrap().join().unwrap();
                panic!("no first line within {LIMIT:?}; stderr:\n{stderr}");
            }
        }
    }

    /// Sends `signal` (`TERM`, `INT`) with kill(1).
    fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.child.id().to_string())
            .status()
            .expect("running kill");
        assert!(status.success(), "kill -{signal} failed");
    }

    /// Waits for the process to end (within the limit): its status and its stderr.
    fn finish(&mut self) -> (ExitStatus, String) {
        let start = Instant::now();
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("waiting for the program") {
                break status;
            }
            if start.elapsed() > LIMIT {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!("the program did not stop within {LIMIT:?}");
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        let stderr = self.stderr.take().unwrap().join().unwrap();
        (status, stderr)
    }

    /// Sends `signal` and waits for the end.
    fn stop(&mut self, signal: &str) -> (ExitStatus, String) {
        self.signal(signal);
        self.finish()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// `listening on URL api-key KEY demo-agent AGENT`: the three values.
fn listening(line: &str) -> (String, String, String) {
    let words: Vec<&str> = line.split(' ').collect();
    assert_eq!(words.len(), 7, "{line}");
    assert_eq!(
        [words[0], words[1], words[3], words[5]],
        ["listening", "on", "api-key", "demo-agent"],
        "{line}"
    );
    assert!(words[2].starts_with("http://127.0.0.1:"), "{line}");
    (words[2].into(), words[4].into(), words[6].into())
}

fn client(url: &str, key: &str) -> Client {
    Client::builder()
        .base_url(url)
        .api_key(key)
        .retry(RetryPolicy::disabled())
        .build()
        .expect("a client")
}

async fn bounded<T>(future: impl Future<Output = T>) -> T {
    tokio::time::timeout(LIMIT, future)
        .await
        .expect("the fake answered within the limit")
}

fn status_of(e: Error) -> Option<u16> {
    match e {
        Error::Api { status, .. } => Some(status.as_u16()),
        Error::Validation { .. } => Some(422),
        other => panic!("expected an API error, got {other}"),
    }
}

/// The summary line: `stopped by SIGNAL after X s: N requests served (M answered 4xx or 5xx)`.
fn summary(stderr: &str) -> &str {
    stderr
        .lines()
        .rfind(|l| l.starts_with("stopped by "))
        .unwrap_or_else(|| panic!("no summary line in:\n{stderr}"))
}

#[tokio::test]
async fn serves_the_crate_client_until_sigterm() {
    let mut served = Served::start(&[
        "fake",
        "--port",
        "0",
        "--api-key",
        "sk_local_key",
        "--run-duration",
        "50ms",
    ]);
    let (url, key, agent) = listening(&served.first_line());
    assert_eq!(key, "sk_local_key");
    let client = client(&url, &key);

    bounded(async {
        // 1: the demo agent and its tests.
        let agent_model = client.get_agent().agent_id(&agent).send().await.unwrap();
        let tests: Vec<SingleTestRunRequestModel> = agent_model
            .attached_tests()
            .iter()
            .map(Into::into)
            .collect();
        assert!(tests.len() >= 3, "{tests:?}");
        // 2: a page of tests.
        let page = client.list_tests().page_size(2).send().await.unwrap();
        assert_eq!(page.tests.len(), 2);
        // 3: a run of them.
        let run = client
            .run_tests()
            .agent_id(&agent)
            .body_map(|b| b.tests(tests))
            .send()
            .await
            .unwrap();
        assert!(
            run.test_runs
                .iter()
                .all(|r| r.status == TestRunStatus::Pending)
        );
        // 4: once done, the [fail] test failed and the others passed.
        tokio::time::sleep(Duration::from_millis(50 * 3)).await;
        let done = client
            .get_test_invocation()
            .test_invocation_id(&run.id)
            .send()
            .await
            .unwrap();
        assert!(
            done.test_runs
                .iter()
                .any(|r| r.status == TestRunStatus::Failed)
        );
        assert!(
            done.test_runs
                .iter()
                .any(|r| r.status == TestRunStatus::Passed)
        );
        // 5: the new invocation heads the listing.
        let invocations = client
            .list_test_invocations()
            .page_size(5)
            .send()
            .await
            .unwrap();
        assert_eq!(invocations.results.len(), 5);
        assert_eq!(invocations.results[0].id, run.id);
        // 6: an unknown test is a 404.
        let missing = client.get_test().test_id("no-such-test").send().await;
        assert_eq!(status_of(missing.unwrap_err()), Some(404));
        // 7: another key is a 401.
        let other = self::client(&url, "sk_other_key");
        let refused = other.list_tests().send().await;
        assert_eq!(status_of(refused.unwrap_err()), Some(401));
    })
    .await;

    let (status, stderr) = served.stop("TERM");
    assert_eq!(status.code(), Some(0), "{stderr}");
    let summary = summary(&stderr);
    assert!(
        summary.starts_with("stopped by SIGTERM after "),
        "{summary}"
    );
    assert!(
        summary.ends_with(": 7 requests served (2 answered 4xx or 5xx)"),
        "{summary}"
    );
    // Loopback: nothing to warn about.
    assert!(!stderr.contains("note:"), "{stderr}");
}

#[tokio::test]
async fn the_json_first_line_and_the_data_flags() {
    let mut served = Served::start(&[
        "--json",
        "fake",
        "--port",
        "0",
        "--seed",
        "7",
        "--agents",
        "2",
        "--invocations",
        "3",
    ]);
    let line: Value = serde_json::from_str(&served.first_line()).expect("a JSON first line");
    let object = line.as_object().expect("an object");
    assert_eq!(object.len(), 3, "{line}");
    let url = line["url"].as_str().expect("url");
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    assert_eq!(line["api_key"], "fake-api-key");

    // The same data as the library's fake with the same settings.
    let same = FakeServer::builder()
        .seed(7)
        .agents(2)
        .invocations(3)
        .start()
        .await
        .unwrap();
    assert_eq!(line["demo_agent"], json!(same.demo_agent_id()));
    let listed = bounded(
        client(url, "fake-api-key")
            .list_test_invocations()
            .page_size(10)
            .send(),
    )
    .await
    .unwrap();
    let ids: Vec<&str> = listed.results.iter().map(|i| i.id.as_str()).collect();
    let expected: Vec<&str> = same.invocations().iter().map(|i| i.id.as_str()).collect();
    assert_eq!(ids, expected);

    let (status, stderr) = served.stop("INT");
    assert_eq!(status.code(), Some(0), "{stderr}");
    let summary = summary(&stderr);
    assert!(summary.starts_with("stopped by SIGINT after "), "{summary}");
    assert!(
        summary.ends_with(": 1 request served (0 answered 4xx or 5xx)"),
        "{summary}"
    );
}

#[test]
fn without_agents_the_demo_agent_is_a_dash_or_null() {
    let mut served = Served::start(&["fake", "--port", "0", "--agents", "0", "--invocations", "0"]);
    let (_, _, agent) = listening(&served.first_line());
    assert_eq!(agent, "-");
    served.stop("TERM");
    let mut served = Served::start(&["fake", "--json", "--agents", "0", "--invocations", "0"]);
    let line: Value = serde_json::from_str(&served.first_line()).unwrap();
    assert_eq!(line["demo_agent"], Value::Null);
    served.stop("TERM");
}

/// The JSON objects of a log, each checked for its five fields.
fn log_lines(text: &str) -> Vec<Value> {
    text.lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| {
            let line: Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"));
            let mut keys: Vec<&str> = line
                .as_object()
                .unwrap()
                .keys()
                .map(|k| k.as_str())
                .collect();
            keys.sort();
            assert_eq!(keys, ["method", "ms", "path", "query", "status"], "{l}");
            assert!(line["ms"].as_f64().unwrap() >= 0.0, "{l}");
            line
        })
        .collect()
}

#[tokio::test]
async fn log_to_stderr_one_json_object_per_request_without_the_key() {
    const KEY: &str = "sk_secret_log_key_0123456789";
    let mut served = Served::start(&["fake", "--port", "0", "--log", "-", "--api-key", KEY]);
    let (url, key, _) = listening(&served.first_line());
    let client = client(&url, &key);
    bounded(async {
        client
            .list_tests()
            .page_size(2)
            .search("a b")
            .send()
            .await
            .unwrap();
        let missing = client.get_test().test_id("nope").send().await.unwrap_err();
        assert_eq!(status_of(missing), Some(404));
        let refused = self::client(&url, "sk_wrong").list_tests().send().await;
        assert_eq!(status_of(refused.unwrap_err()), Some(401));
    })
    .await;
    let (status, stderr) = served.stop("TERM");
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains(KEY), "the key is in the log:\n{stderr}");
    let lines = log_lines(&stderr);
    assert_eq!(lines.len(), 3, "{stderr}");
    assert_eq!(lines[0]["method"], "GET");
    assert_eq!(lines[0]["path"], "/v1/convai/agent-testing");
    assert_eq!(
        lines[0]["query"],
        json!({"page_size": "2", "search": "a b"})
    );
    assert_eq!(lines[0]["status"], 200);
    assert_eq!(lines[1]["path"], "/v1/convai/agent-testing/nope");
    assert_eq!(lines[1]["query"], json!({}));
    assert_eq!(lines[1]["status"], 404);
    assert_eq!(lines[2]["status"], 401);
}

#[tokio::test]
async fn log_to_a_file_with_the_latency_in_its_milliseconds() {
    let scratch = Scratch::new();
    let path = scratch.join("requests.log");
    let mut served = Served::start(&[
        "fake",
        "--port",
        "0",
        "--latency",
        "120ms",
        "--log",
        path.to_str().unwrap(),
    ]);
    let (url, key, agent) = listening(&served.first_line());
    let client = client(&url, &key);
    bounded(client.get_agent().agent_id(&agent).send())
        .await
        .unwrap();
    // A line at a time: there before the server stops (soon after the response).
    let start = Instant::now();
    let text = loop {
        let text = std::fs::read_to_string(&path).unwrap();
        if text.ends_with('\n') || start.elapsed() > LIMIT {
            break text;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let (status, stderr) = served.stop("TERM");
    assert_eq!(status.code(), Some(0), "{stderr}");
    let lines = log_lines(&text);
    assert_eq!(lines.len(), 1, "{text}");
    assert_eq!(lines[0]["path"], format!("/v1/convai/agents/{agent}"));
    let ms = lines[0]["ms"].as_f64().unwrap();
    assert!((120.0..5_000.0).contains(&ms), "{ms} ms");
    // The log went to the file only.
    assert!(log_lines(&stderr).is_empty(), "{stderr}");
}

#[tokio::test]
async fn a_log_that_cannot_be_written_stops_the_server_with_exit_3() {
    let mut served = Served::start(&["fake", "--port", "0", "--log", "/dev/full"]);
    let (url, key, _) = listening(&served.first_line());
    // The request is answered; writing its line fails.
    bounded(client(&url, &key).list_tests().send())
        .await
        .unwrap();
    let (status, stderr) = served.finish();
    assert_eq!(status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("cannot write the request log to /dev/full"),
        "{stderr}"
    );
}

#[test]
fn a_log_in_a_missing_directory_is_exit_3_naming_it() {
    let scratch = Scratch::new();
    let path = scratch.join("missing-dir").join("requests.log");
    let out = run_with_limit(
        program(&["fake", "--port", "0", "--log", path.to_str().unwrap()]),
        LIMIT,
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains(&format!("cannot write --log {}", path.display())),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
}

#[tokio::test]
async fn a_request_in_flight_is_answered_before_the_server_stops() {
    let mut served = Served::start(&["fake", "--port", "0", "--latency", "1s", "--log", "-"]);
    let (url, key, _) = listening(&served.first_line());
    let client = client(&url, &key);
    let request = tokio::spawn(async move { client.list_tests().page_size(1).send().await });
    // The request is in the server's latency when the signal comes.
    tokio::time::sleep(Duration::from_millis(300)).await;
    served.signal("TERM");
    let page = bounded(request)
        .await
        .unwrap()
        .expect("the request is answered");
    assert_eq!(page.tests.len(), 1);
    let (status, stderr) = served.finish();
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(
        summary(&stderr).ends_with(": 1 request served (0 answered 4xx or 5xx)"),
        "{stderr}"
    );
    // Its log line, written after the signal, before the exit.
    let lines = log_lines(&stderr);
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(lines[0]["ms"].as_f64().unwrap() >= 1000.0, "{stderr}");
    // Stopped: nothing listens there any more.
    let refused = bounded(self::client(&url, &key).list_tests().send()).await;
    assert!(refused.is_err());
}

#[test]
fn a_port_in_use_is_exit_3_naming_the_port() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let out = run_with_limit(program(&["fake", "--port", &port]), LIMIT);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "cannot listen on 127.0.0.1:{port}: port {port} is in use"
        )),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn another_host_than_loopback_is_said_on_stderr() {
    // TEST-NET-1 (RFC 5737): not this machine's, so nothing is exposed; binding fails.
    let out = run_with_limit(program(&["fake", "--host", "192.0.2.1"]), LIMIT);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("note: --host 192.0.2.1 is not a loopback address"),
        "{stderr}"
    );
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("cannot listen on 192.0.2.1:0"), "{stderr}");
}

#[test]
fn bad_flags_are_exit_2_naming_the_flag() {
    for (args, named) in [
        (&["fake", "--port", "70000"][..], "--port"),
        (&["fake", "--port", "x"], "--port"),
        (&["fake", "--host", "localhost"], "--host"),
        (&["fake", "--run-duration", "5x"], "--run-duration"),
        (&["fake", "--latency=-1s"], "--latency"),
        (&["fake", "--seed=-1"], "--seed"),
        (&["fake", "--invocations", "1000001"], "--invocations"),
        (&["fake", "--agents", "many"], "--agents"),
        (&["fake", "--api-key", "a b"], "--api-key"),
        (&["fake", "--api-key="], "--api-key"),
        (
            &["fake", "--invocations", "3", "--agents", "0"],
            "agents(0)",
        ),
        (&["fake", "--log"], "--log"),
        (&["fake", "extra"], "extra"),
        (&["--base-url", "http://127.0.0.1:9", "fake"], "--base-url"),
        (&["--environment", "eu", "fake"], "--environment"),
        (&["fake", "--fake-run-duration", "1s"], "--run-duration"),
    ] {
        let out = run_with_limit(program(args), LIMIT);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(named), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
}
