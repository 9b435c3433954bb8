//! `fake`: the embedded fake served on a local port until SIGINT or SIGTERM, its address on
//! the first line of stdout, each request optionally logged as a line of JSON.

use std::fs::File;
use std::future::Future;
use std::io::{self, LineWriter, Write};
use std::net::SocketAddr;
use std::path::Path;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use elevenlabs_agent_tests::fake::{FakeServer, ServedRequest};
use futures::future::{Either, select};
use serde_json::{Map, Value, json};
use tokio::sync::mpsc;

use crate::args::{FakeArgs, Global};
use crate::failure::{EXIT_OK, Failure};
use crate::output::json_line;

/// How long the requests in flight get to finish once a stop is asked for, beyond the
/// `--latency` each of them waits.
const GRACE: Duration = Duration::from_secs(10);

/// Serves the fake until SIGINT or SIGTERM (exit 0), or until the request log cannot be
/// written (exit 3).
pub async fn serve(global: &Global, args: FakeArgs) -> Result<u8, Failure> {
    refuse_client_flags(global)?;
    let log = match &args.log {
        Some(path) => Some(open_log(path)?),
        None => None,
    };
    // Before the first line: a script that reads it and then stops the server at once must
    // find the handlers in place, not the default disposition.
    let stop = stop_signal()
        .map_err(|e| Failure::Io(format!("cannot install the SIGINT/SIGTERM handlers: {e}")))?;
    let address = SocketAddr::new(args.host, args.port);
    if !args.host.is_loopback() {
        eprintln!(
            "note: --host {} is not a loopback address: other machines can reach this fake server",
            args.host
        );
    }

    let counts = Arc::new(Counts::default());
    let (sender, receiver) = mpsc::unbounded_channel();
    let observer_counts = counts.clone();
    let logging = log.is_some();
    let server = FakeServer::builder()
        .host(args.host)
        .port(args.port)
        .api_key(args.api_key)
        .seed(args.seed)
        .invocations(args.invocations)
        .agents(args.agents)
        .run_duration(args.run_duration)
        // Nobody reads them back, and it runs for as long as it is needed.
        .record_requests(false)
        .on_request(move |request| {
            observer_counts.count(request.status);
            if logging {
                // Fails only once the log writer has stopped, on an error that is reported.
                let _ = sender.send(log_line(request));
            }
        })
        .start()
        .await
        .map_err(|e| start_failure(e, address))?;
    server.set_latency(args.latency);
    let started = Instant::now();

    let mut stdout = io::stdout().lock();
    if global.json {
        json_line(
            &mut stdout,
            &json!({
                "url": server.url(),
                "api_key": server.api_key(),
                "demo_agent": server.demo_agent_id(),
            }),
        )?;
    } else {
        writeln!(
            stdout,
            "listening on {} api-key {} demo-agent {}",
            server.url(),
            server.api_key(),
            server.demo_agent_id().unwrap_or("-")
        )?;
    }
    stdout.flush()?;
    drop(stdout);

    let mut writing = pin!(write_log(receiver, log));
    let signal = match select(pin!(stop), writing.as_mut()).await {
        Either::Left((signal, _)) => signal,
        // The writer ends while the server runs only on an error (without one, it ends once
        // the server is gone).
        Either::Right((written, _)) => return written.map(|()| EXIT_OK),
    };
    let grace = args.latency.saturating_add(GRACE);
    let finished = tokio::time::timeout(grace, server.shutdown()).await.is_ok();
    // The server is gone with its observer: the log writer drains what is left and ends.
    writing.await?;
    if !finished {
        eprintln!(
            "note: requests still in flight {} after {signal} were dropped",
            crate::format_duration(grace)
        );
    }
    eprintln!(
        "stopped by {signal} after {:.1} s: {}",
        started.elapsed().as_secs_f64(),
        counts.summary()
    );
    Ok(EXIT_OK)
}

/// The global flags that choose an API to talk to make no sense for the server.
fn refuse_client_flags(global: &Global) -> Result<(), Failure> {
    let flag = if global.environment.is_some() {
        "--environment"
    } else if global.base_url.is_some() {
        "--base-url"
    } else if global.fake_run_duration.is_some() {
        "--fake-run-duration"
    } else {
        return Ok(());
    };
    let hint = if flag == "--fake-run-duration" {
        " (use --run-duration)"
    } else {
        ""
    };
    Err(Failure::Usage(format!(
        "{flag} is for the commands that talk to an API; `fake` serves one{hint}"
    )))
}

/// Why the server could not start: its settings (exit 2), or the socket (exit 3).
fn start_failure(e: io::Error, address: SocketAddr) -> Failure {
    match e.kind() {
        io::ErrorKind::InvalidInput => {
            Failure::Usage(format!("the fake cannot start with these flags: {e}"))
        }
        io::ErrorKind::AddrInUse => Failure::Io(format!(
            "cannot listen on {address}: port {} is in use",
            address.port()
        )),
        _ => Failure::Io(format!("cannot listen on {address}: {e}")),
    }
}

/// Where `--log` writes: stderr for `-`, else the file, created or truncated, a line at a
/// time (so `tail -f` sees each request as it is answered).
fn open_log(path: &Path) -> Result<(Box<dyn Write>, String), Failure> {
    if path == Path::new("-") {
        return Ok((Box::new(io::stderr()), "stderr".to_owned()));
    }
    let file = File::create(path)
        .map_err(|e| Failure::Io(format!("cannot write --log {}: {e}", path.display())))?;
    Ok((Box::new(LineWriter::new(file)), path.display().to_string()))
}

/// Writes each request's line as it comes; ends when the server is gone, or on the first
/// error.
async fn write_log(
    mut requests: mpsc::UnboundedReceiver<Value>,
    log: Option<(Box<dyn Write>, String)>,
) -> Result<(), Failure> {
    let Some((mut out, name)) = log else {
        // Nothing to write: wait for the end like a writer would.
        while requests.recv().await.is_some() {}
        return Ok(());
    };
    let failed = |e: io::Error| Failure::Io(format!("cannot write the request log to {name}: {e}"));
    while let Some(line) = requests.recv().await {
        match json_line(&mut out, &line) {
            Ok(()) => {}
            Err(Failure::Output(e)) => return Err(failed(e)),
            Err(other) => return Err(other),
        }
    }
    out.flush().map_err(failed)
}

/// One request of the log: `{"method","path","query","status","ms"}`; the query an object
/// whose repeated parameters are arrays, in order.
fn log_line(request: &ServedRequest) -> Value {
    let mut query = Map::new();
    for (name, value) in &request.query {
        let value = Value::String(value.clone());
        match query.get_mut(name) {
            None => {
                query.insert(name.clone(), value);
            }
            Some(Value::Array(values)) => values.push(value),
            Some(first) => *first = Value::Array(vec![first.take(), value]),
        }
    }
    // Microseconds are plenty.
    let ms = (request.elapsed.as_secs_f64() * 1e6).round() / 1e3;
    json!({
        "method": request.method,
        "path": request.path,
        "query": query,
        "status": request.status,
        "ms": ms,
    })
}

/// The requests served, for the summary line.
#[derive(Debug, Default)]
struct Counts {
    served: AtomicU64,
    errors: AtomicU64,
}

impl Counts {
    fn count(&self, status: u16) {
        self.served.fetch_add(1, Ordering::Relaxed);
        if status >= 400 {
            self.errors.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// `3 requests served (1 answered 4xx or 5xx)`.
    fn summary(&self) -> String {
        let served = self.served.load(Ordering::Relaxed);
        let errors = self.errors.load(Ordering::Relaxed);
        let noun = if served == 1 { "request" } else { "requests" };
        format!("{served} {noun} served ({errors} answered 4xx or 5xx)")
    }
}

/// Resolves with the signal's name on SIGINT or SIGTERM; installs the handlers now.
#[cfg(unix)]
fn stop_signal() -> io::Result<impl Future<Output = &'static str>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut terminate = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    Ok(async move {
        match select(pin!(terminate.recv()), pin!(interrupt.recv())).await {
            Either::Left(_) => "SIGTERM",
            Either::Right(_) => "SIGINT",
        }
    })
}

/// Resolves with the signal's name on Ctrl-C (the only one there is).
#[cfg(not(unix))]
fn stop_signal() -> io::Result<impl Future<Output = &'static str>> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
        "Ctrl-C"
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn served(query: &[(&str, &str)], status: u16) -> ServedRequest {
        let mut request = ServedRequest::default();
        request.method = "GET".to_owned();
        request.path = "/v1/convai/agent-testing".to_owned();
        request.query = query
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        request.status = status;
        request.elapsed = Duration::from_micros(1_234_567);
        request
    }

    #[test]
    fn a_log_line_keeps_every_query_parameter_in_order() {
        let line = log_line(&served(
            &[
                ("types", "llm"),
                ("page_size", "5"),
                ("types", "tool"),
                ("types", "folder"),
            ],
            200,
        ));
        assert_eq!(
            line,
            json!({
                "method": "GET",
                "path": "/v1/convai/agent-testing",
                "query": {"types": ["llm", "tool", "folder"], "page_size": "5"},
                "status": 200,
                "ms": 1234.567,
            })
        );
    }

    #[test]
    fn the_summary_counts_error_statuses() {
        let counts = Counts::default();
        assert_eq!(
            counts.summary(),
            "0 requests served (0 answered 4xx or 5xx)"
        );
        for status in [200, 204, 399, 400, 404, 503] {
            counts.count(status);
        }
        assert_eq!(
            counts.summary(),
            "6 requests served (3 answered 4xx or 5xx)"
        );
        let one = Counts::default();
        one.count(200);
        assert_eq!(one.summary(), "1 request served (0 answered 4xx or 5xx)");
    }
}
