//! Tests-as-code benchmark: `cargo bench --features cli --bench cli_project`.
//!
//! The release `elevenlabs-tests` program as a process against an embedded fake (started
//! here) holding 500 tests, with 20 ms of latency on every request (sequential GETs would
//! take 10 s):
//!
//! 1. `tests pull` into a fresh directory (goal ≤ 2.5 s);
//! 2. `tests diff --exit-code` of the unchanged project (goal ≤ 2 s);
//! 3. with `ELEVENLABS_OFFICIAL_CLI=/path/to/elevenlabs` (npm `@elevenlabs/cli` 1.3.0, its
//!    `cli-linux-x64/elevenlabs`), the official CLI's `tests pull --all` on the same fake, and
//!    this program's `tests diff` of the project it wrote (the layouts are one).
//!
//! Medians of 5 runs each, and the peak RSS of each run of ours (`/proc`'s `VmHWM` is not
//! readable after exit, so the child's `ru_maxrss` through `getrusage` is not used either:
//! the figure is the high-water mark read by `/usr/bin/time -f %M` when it exists).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use elevenlabs_agent_tests::fake::FakeServer;
use elevenlabs_agent_tests::types::{CreateResponseUnitTestRequest, CreateTestBody};

use common::median;

const PROGRAM: &str = env!("CARGO_BIN_EXE_elevenlabs-tests");
const TESTS: usize = 500;

fn fresh_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("bench-project-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs `program args` in `cwd` against `server`; wall time and peak RSS in kB (when
/// `/usr/bin/time` is there).
fn timed(
    server: &FakeServer,
    program: &str,
    args: &[&str],
    cwd: &Path,
    expect: i32,
) -> (Duration, Option<u64>) {
    let time = Path::new("/usr/bin/time").exists();
    let mut cmd = if time {
        let mut c = Command::new("/usr/bin/time");
        c.args(["-f", "%M", program]);
        c
    } else {
        Command::new(program)
    };
    cmd.args(args)
        .current_dir(cwd)
        .env("ELEVENLABS_API_KEY", server.api_key())
        .env_remove("ELEVENLABS_BASE_URL");
    let started = Instant::now();
    let out = cmd.output().expect("runs");
    let elapsed = started.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(expect),
        "{program} {args:?}: {stderr}"
    );
    let rss = time
        .then(|| stderr.lines().last().and_then(|l| l.trim().parse().ok()))
        .flatten();
    (elapsed, rss)
}

fn report(what: &str, runs: &[(Duration, Option<u64>)], goal: Option<f64>) {
    let times: Vec<Duration> = runs.iter().map(|r| r.0).collect();
    let rss: Vec<u64> = runs.iter().filter_map(|r| r.1).collect();
    println!(
        "{what}: median {:.2} s, min {:.2} s, max {:.2} s{}{}",
        median(times.clone()).as_secs_f64(),
        times.iter().min().unwrap().as_secs_f64(),
        times.iter().max().unwrap().as_secs_f64(),
        goal.map(|g| format!(" (goal ≤ {g} s)")).unwrap_or_default(),
        rss.iter()
            .max()
            .map(|m| format!(", peak RSS ≤ {:.1} MB", *m as f64 / 1024.0))
            .unwrap_or_default()
    );
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let server = rt.block_on(FakeServer::start()).expect("fake");
    let client = server.client();
    let seeded = server.tests().len();
    rt.block_on(async {
        for i in seeded..TESTS {
            let body = CreateResponseUnitTestRequest::builder()
                .name(format!("Bench test {i}"))
                .success_condition(format!("The agent answers question {i} correctly"));
            let body = CreateTestBody::Llm(body.try_into().expect("a body"));
            client
                .create_test()
                .body(body)
                .send()
                .await
                .expect("created");
        }
    });
    assert_eq!(server.tests().len(), TESTS);
    server.set_latency(Duration::from_millis(20));
    let url = server.url().to_owned();

    let mut pulls = Vec::new();
    let mut dir = PathBuf::new();
    for i in 0..5 {
        dir = fresh_dir(&format!("pull-{i}"));
        pulls.push(timed(
            &server,
            PROGRAM,
            &["--base-url", &url, "tests", "pull"],
            &dir,
            0,
        ));
    }
    report(
        "tests pull, 500 tests, 20 ms per request",
        &pulls,
        Some(2.5),
    );

    let mut diffs = Vec::new();
    for _ in 0..5 {
        diffs.push(timed(
            &server,
            PROGRAM,
            &["--base-url", &url, "tests", "diff", "--exit-code"],
            &dir,
            0,
        ));
    }
    report(
        "tests diff --exit-code, unchanged, 500 tests, 20 ms per request",
        &diffs,
        Some(2.0),
    );

    let mut sequential = Vec::new();
    for _ in 0..3 {
        sequential.push(timed(
            &server,
            PROGRAM,
            &["--base-url", &url, "tests", "diff", "--concurrency", "1"],
            &dir,
            0,
        ));
    }
    report(
        "tests diff --concurrency 1 (for comparison), 3 runs",
        &sequential,
        None,
    );

    if let Ok(official) = std::env::var("ELEVENLABS_OFFICIAL_CLI") {
        let mut runs = Vec::new();
        for i in 0..5 {
            let dir = fresh_dir(&format!("official-{i}"));
            runs.push(timed(
                &server,
                &official,
                &["tests", "pull", "--all", "--yes", "--base-url", &url],
                &dir,
                0,
            ));
            if i == 0 {
                let index = std::fs::read_to_string(dir.join("tests.json")).unwrap_or_default();
                let n = index.matches("\"id\"").count();
                println!("official CLI pulled {n} tests");
                // Its project, read by this program: the plan of an unchanged project.
                let out = Command::new(PROGRAM)
                    .args(["--base-url", &url, "tests", "diff"])
                    .current_dir(&dir)
                    .env("ELEVENLABS_API_KEY", server.api_key())
                    .output()
                    .expect("runs");
                let stdout = String::from_utf8_lossy(&out.stdout);
                println!(
                    "elevenlabs-tests tests diff of the official CLI's project: exit {:?}, {} line(s), last: {:?}{}",
                    out.status.code(),
                    stdout.lines().count(),
                    stdout.lines().last().unwrap_or(""),
                    String::from_utf8_lossy(&out.stderr)
                        .lines()
                        .next()
                        .map(|l| format!(", stderr: {l}"))
                        .unwrap_or_default()
                );
            }
        }
        report(
            "official CLI 1.3.0 tests pull --all, same fake",
            &runs,
            None,
        );
    }
    for entry in std::fs::read_dir(std::env::temp_dir()).unwrap().flatten() {
        let name = entry.file_name();
        if name
            .to_string_lossy()
            .starts_with(&format!("bench-project-{}-", std::process::id()))
        {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}
