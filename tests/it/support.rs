//! A scripted HTTP/1.1 server for integration tests: in-process, on `127.0.0.1:0`, written on
//! raw TCP so that a test can inject faults a well-behaved server never produces (a reset in
//! the middle of a body, a truncated body, a stall). Every request is recorded.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// One request as the server saw it.
#[derive(Clone, Debug)]
pub struct Recorded {
    /// `GET`, ...
    pub method: String,
    /// The path, without the query.
    pub path: String,
    /// The raw query string (without `?`), as sent.
    pub raw_query: Option<String>,
    /// Decoded query pairs, in order.
    pub query: Vec<(String, String)>,
    /// Header names lower-cased.
    pub headers: BTreeMap<String, String>,
    /// When the request head was fully received (monotonic clock).
    pub arrived: Instant,
    /// When the request head was fully received (wall clock).
    pub arrived_at: SystemTime,
    /// The request body (empty when there is none).
    pub body: Vec<u8>,
}

impl Recorded {
    /// The first value of query parameter `name`.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// What goes wrong with a reply, on purpose.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Send the head and half of the body, then close the connection.
    ResetMidBody,
    /// Never answer (the client's timeout must fire).
    Stall,
    /// Declare the full `content-length`, send only half of the body, then close: an
    /// HTTP-level truncation (unlike a short but complete body).
    Truncated,
    /// Send the head, then stall in the middle of the body (the client's timeout must fire
    /// while reading the body).
    StallMidBody,
}

/// The server's answer to one request.
#[derive(Clone, Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub delay: Option<Duration>,
    pub fault: Option<Fault>,
}

impl Reply {
    /// A JSON reply.
    pub fn json(status: u16, body: &serde_json::Value) -> Self {
        Self::raw(status, serde_json::to_vec(body).unwrap())
    }
    /// A reply with a raw body, served as `application/json`.
    pub fn raw(status: u16, body: impl Into<Vec<u8>>) -> Self {
        Self {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.into(),
            delay: None,
            fault: None,
        }
    }
    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }
    /// Waits before answering.
    pub fn delay(mut self, d: Duration) -> Self {
        self.delay = Some(d);
        self
    }
    /// Misbehaves on purpose.
    pub fn fault(mut self, f: Fault) -> Self {
        self.fault = Some(f);
        self
    }
}

type Handler = dyn Fn(&Recorded) -> Reply + Send + Sync;

/// A running scripted server; it stops when dropped.
pub struct ScriptServer {
    /// `http://127.0.0.1:PORT`
    pub url: String,
    requests: Arc<Mutex<Vec<Recorded>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for ScriptServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl ScriptServer {
    /// Starts a server answering every request with `handler`.
    pub async fn start(handler: impl Fn(&Recorded) -> Reply + Send + Sync + 'static) -> Self {
        Self::start_shared(Arc::new(handler)).await
    }

    /// [`ScriptServer::start`] past the handler's type: one server future and one task type
    /// for every test's handler, not a copy of each per closure (~50 of them).
    async fn start_shared(handler: Arc<Handler>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let recorded = requests.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let (handler, recorded) = (handler.clone(), recorded.clone());
                tokio::spawn(serve_connection(stream, handler, recorded));
            }
        });
        Self {
            url,
            requests,
            task,
        }
    }

    /// Every request received so far, in arrival order.
    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }

    /// How many requests arrived so far.
    pub fn count(&self) -> usize {
        self.requests.lock().unwrap().len()
    }
}

async fn serve_connection(
    mut stream: TcpStream,
    handler: Arc<Handler>,
    recorded: Arc<Mutex<Vec<Recorded>>>,
) {
    let mut buf = Vec::new();
    loop {
        // Read one request head, then its body (`content-length`; the client does not chunk).
        let head_end = loop {
            if let Some(pos) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break pos + 4;
            }
            let mut chunk = [0u8; 4096];
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        };
        let arrived = (Instant::now(), SystemTime::now());
        let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
        buf.drain(..head_end);
        let mut request = parse_head(&head, arrived);
        let content_length: usize = request
            .headers
            .get("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        while buf.len() < content_length {
            let mut chunk = [0u8; 4096];
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        request.body = buf.drain(..content_length).collect();
        recorded.lock().unwrap().push(request.clone());

        let reply = handler(&request);
        if let Some(d) = reply.delay {
            tokio::time::sleep(d).await;
        }
        if reply.fault == Some(Fault::Stall) {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            return;
        }
        let mut out = format!("HTTP/1.1 {} {}\r\n", reply.status, reason(reply.status));
        for (k, v) in &reply.headers {
            out.push_str(&format!("{k}: {v}\r\n"));
        }
        out.push_str(&format!("content-length: {}\r\n\r\n", reply.body.len()));
        let mut bytes = out.into_bytes();
        if reply.fault == Some(Fault::ResetMidBody) {
            bytes.extend_from_slice(&reply.body[..reply.body.len() / 2]);
            let _ = stream.write_all(&bytes).await;
            let _ = stream.flush().await;
            // An abortive close (RST), not an orderly FIN.
            let _ = stream.set_zero_linger();
            return; // dropping the stream closes the connection mid-body
        }
        if reply.fault == Some(Fault::Truncated) {
            bytes.extend_from_slice(&reply.body[..reply.body.len() / 2]);
            let _ = stream.write_all(&bytes).await;
            let _ = stream.shutdown().await;
            return; // orderly close before content-length bytes were sent
        }
        if reply.fault == Some(Fault::StallMidBody) {
            bytes.extend_from_slice(&reply.body[..reply.body.len() / 2]);
            let _ = stream.write_all(&bytes).await;
            let _ = stream.flush().await;
            tokio::time::sleep(Duration::from_secs(3600)).await;
            return;
        }
        bytes.extend_from_slice(&reply.body);
        if stream.write_all(&bytes).await.is_err() {
            return;
        }
    }
}

fn parse_head(head: &str, (arrived, arrived_at): (Instant, SystemTime)) -> Recorded {
    let mut lines = head.split("\r\n");
    let mut first = lines.next().unwrap_or("").split(' ');
    let method = first.next().unwrap_or("").to_owned();
    let target = first.next().unwrap_or("").to_owned();
    let (path, raw_query) = match target.split_once('?') {
        Some((p, q)) => (p.to_owned(), Some(q.to_owned())),
        None => (target, None),
    };
    let query = raw_query
        .as_deref()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect()
        })
        .unwrap_or_default();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Recorded {
        method,
        path,
        raw_query,
        query,
        headers,
        arrived,
        arrived_at,
        body: Vec::new(),
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        204 => "No Content",
        401 => "Unauthorized",
        408 => "Request Timeout",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}

/// Awaits `f` for at most 60 s: a test must fail, not hang.
pub async fn bounded<F: std::future::Future>(f: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(60), f)
        .await
        .expect("test timed out")
}

/// One plain reqwest client for raw requests: building one reads the system's root
/// certificates (a walk of 164 pages with a client per request took 6.5 s, unoptimised, 0.3 s
/// with this one). No idle connections are kept, since each test runs its own tokio runtime.
fn raw_http() -> &'static reqwest::Client {
    static HTTP: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();
    HTTP.get_or_init(|| {
        // reqwest is built with `rustls-no-provider`: install the crate's provider first, as
        // the crate's own client builder does.
        let _ = rustls::crypto::ring::default_provider().install_default();
        reqwest::Client::builder()
            .pool_max_idle_per_host(0)
            .build()
            .expect("a plain reqwest client")
    })
}

/// A raw request to the embedded fake (reqwest, no crate logic): `key` as `xi-api-key` when
/// given, `body` as JSON when given. Status, headers and the JSON body (`Null` when empty).
pub async fn raw_fake_request(
    server: &elevenlabs_agent_tests::fake::FakeServer,
    method: reqwest::Method,
    path_and_query: &str,
    key: Option<&str>,
    body: Option<&str>,
) -> (u16, reqwest::header::HeaderMap, serde_json::Value) {
    let mut request = raw_http().request(method, format!("{}{path_and_query}", server.url()));
    if let Some(key) = key {
        request = request.header("xi-api-key", key);
    }
    if let Some(body) = body {
        request = request
            .header("content-type", "application/json")
            .body(body.to_owned());
    }
    let response = request.send().await.expect("request to the fake");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let bytes = response.bytes().await.expect("body");
    let body = if bytes.is_empty() {
        serde_json::Value::Null
    } else {
        serde_json::from_slice(&bytes).expect("a JSON body")
    };
    (status, headers, body)
}
