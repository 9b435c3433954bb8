//! Running a program of the crate as a process from a test, bounded in time.
#![allow(dead_code)]

use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Runs `cmd` to completion, killing it after `limit` (a test must fail, not hang).
pub fn run_with_limit(cmd: Command, limit: Duration) -> Output {
    run_writing_to(cmd, Stdio::piped(), limit)
}

/// [`run_with_limit`] with the program's standard output going to `stdout` (captured only
/// when it is `Stdio::piped()`).
pub fn run_writing_to(mut cmd: Command, stdout: Stdio, limit: Duration) -> Output {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawning the process");
    let stdout = child.stdout.take();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(mut stdout) = stdout {
            std::io::Read::read_to_end(&mut stdout, &mut buf).ok();
        }
        buf
    });
    let err = std::thread::spawn(move || {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut stderr, &mut buf).ok();
        buf
    });
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("waiting for the process") {
            break status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{cmd:?} did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Output {
        status,
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    }
}

/// A standard output whose reader is gone: writing to it fails with a broken pipe (`| head`
/// after it quit).
pub fn closed_pipe() -> Stdio {
    let (reader, writer) = std::io::pipe().expect("a pipe");
    drop(reader);
    Stdio::from(writer)
}

/// A standard output on which every write fails with "no space left" (`/dev/full`).
pub fn full_device() -> Stdio {
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full");
    Stdio::from(full)
}

/// A finished program run, with assertions that show both streams when they fail.
pub struct Out(pub Output);

impl Out {
    /// The exit code.
    pub fn code(&self) -> Option<i32> {
        self.0.status.code()
    }
    /// Standard output, UTF-8.
    pub fn stdout(&self) -> String {
        String::from_utf8(self.0.stdout.clone()).expect("UTF-8 stdout")
    }
    /// Standard error, UTF-8.
    pub fn stderr(&self) -> String {
        String::from_utf8(self.0.stderr.clone()).expect("UTF-8 stderr")
    }
    /// Asserts the exit code, showing both streams when it differs.
    pub fn expect(self, code: i32) -> Self {
        assert_eq!(
            self.code(),
            Some(code),
            "stdout:\n{}\nstderr:\n{}",
            self.stdout(),
            self.stderr()
        );
        self
    }
    /// Every stdout line as JSON.
    pub fn json_lines(&self) -> Vec<serde_json::Value> {
        self.stdout()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect()
    }
}
