//! An embedded fake of the Tests API (cargo feature `fake`), to try the crate without an
//! account and to test your own code against a faithful, stateful server instead of the real
//! service.
//!
//! [`FakeServer`] is an in-process HTTP/1.1 server on `127.0.0.1` (a free port) serving the
//! whole Tests family of the spec, every response built from the generated
//! [`types`](crate::types) and every request body parsed with them, so it cannot drift from the
//! schema the client is generated from.
//!
//! # Routes
//!
//! The routes are the spec's operations ([`Tables::operations`](crate::spec::Tables), made
//! by `build.rs` from `spec/openapi.json`), each served by its handler; an operation a
//! refresh adds before the fake has a handler for it answers `501 not_implemented`. The
//! bounds, defaults and enum values it checks, and the test kinds, are the spec's too
//! ([`FakeServerBuilder::spec_tables`]).
//!
//! | route | what it does |
//! | --- | --- |
//! | `GET /v1/convai/agent-testing` | tests (and folders), newest first; filters below; cursor pagination |
//! | `POST /v1/convai/agent-testing/create` | creates an `llm`, `tool` or `simulation` test (body tagged by `type`) |
//! | `GET/PUT/DELETE /v1/convai/agent-testing/{test_id}` | the kind's `Get*ResponseModel` with `type`; `PUT` replaces the definition (the kind cannot change); `DELETE` answers `200 {}` |
//! | `POST /v1/convai/agent-testing/summaries` | summaries of `test_ids` (unknown ids are left out; duplicates are a 422) |
//! | `POST /v1/convai/agent-testing/folders` | creates a folder (`parent_folder_id` nests it) |
//! | `GET/PATCH/DELETE /v1/convai/agent-testing/folders/{folder_id}` | the folder with `children_count` and `folder_path` (root to itself); `PATCH` renames; `DELETE` answers `204` |
//! | `POST /v1/convai/agent-testing/bulk-move` | moves tests and folders (`move_to` absent: the root); `200 {}` |
//! | `GET /v1/convai/agents/{agent_id}` | a demo agent, its tests in `platform_settings.testing.attached_tests` |
//! | `POST /v1/convai/agents/{agent_id}/run-tests` | a new invocation, every run `pending` |
//! | `GET /v1/convai/test-invocations` | invocations, newest first (created ones before the seeded ones), `agent_id` filter, counts as of the request |
//! | `GET /v1/convai/test-invocations/{id}` | the invocation and its runs, status as of the request |
//! | `PATCH /v1/convai/test-invocations/{id}` | names the invocation (`null` restores the generated title); answers it |
//! | `POST /v1/convai/test-invocations/{id}/resubmit` | the named runs are pending again; `200 {}` |
//! | `POST /v1/convai/test-invocations/{id}/cancel` | the pending runs become `cancelled`; `200 {}` |
//!
//! **Listing tests**: `page_size` within the spec's bounds (its default when absent),
//! `search` (the name contains it, case-insensitive), `parent_folder_id` (direct children;
//! `root` for the root; absent: everything at any depth), `types` (repeated keys,
//! `types=llm&types=tool`; `folder` includes folders), `include_folders` (deprecated: folders
//! when `types` is absent; without either, folders are left out), `sort_mode`
//! (`folders_first` puts folders before tests), `sharing_mode` (`shared_with_me`: what others
//! shared with the caller). Cursors are positions, not offsets: items created while a client
//! pages do not shift the rest of the listing. A cursor is valid only for the filters that
//! issued it.
//!
//! # Runs and their outcome
//!
//! A run finishes [`FakeServerBuilder::run_duration`] (300 ms by default) after it is
//! submitted, staggered by up to 3/8 more so runs finish at slightly different times, twice as
//! long for a test whose name contains [`SLOW_MARKER`] (`[slow]`); every run is done after
//! [`FakeServer::max_run_duration`]. The outcome is deterministic ([`expected_status`]): a test
//! whose name contains [`FAIL_MARKER`] (`[fail]`) fails, with a `condition_result` whose
//! rationale says why; a test whose name contains [`FLAKY_MARKER`] (`[flaky]`) fails its first
//! run in an invocation and passes its other runs there (repetitions and resubmits alike);
//! every other test passes. A finished run reports `credits_used` (25). `run-tests` and
//! `resubmit` accept an `agent_config_override` (any object: the spec keeps it opaque; the
//! request log records it), and the runs submitted with one report `ran_against_draft: true`
//! (the invocation too, when any of its runs does). With `repeat_count` > 1 each test runs that
//! many times, `bucketing_status` is `pending` until every run is done and then `completed`,
//! and `result_groups` then holds one bucket per outcome per test. Resubmitting re-runs the
//! named runs under the test's *current* name: rename a `[fail]` test and resubmit, and it
//! passes. Progress follows `tokio::time::Instant`, so tests may drive it with
//! `tokio::time::pause()` and `advance()`.
//!
//! The seeded invocations are history: their runs (generated from their counts, on their
//! agent's tests) do not change, and the newest is forever in progress, unless resubmitted.
//!
//! # Errors, as the API answers them
//!
//! - **auth**: the `xi-api-key` header must equal [`FakeServer::api_key`]; otherwise
//!   `401 {"detail":{"status":"invalid_api_key","message":"Invalid API key"}}`;
//! - **routing** (before auth, in Starlette's order): unknown paths get
//!   `404 {"detail":"Not Found"}`, a method the route lacks `405` with `Allow`; a path that
//!   matches a route with a parameter is that route (`GET /agent-testing/create` looks up the
//!   test `create`);
//! - **422**, FastAPI/pydantic v2's body, `{"detail":[{"type","loc","msg","input","ctx"?}]}`:
//!   query parameters (integers and their bounds, booleans, enums), JSON that does not parse
//!   (`json_invalid`, `loc: ["body", offset]`), an empty body (`missing`), a missing or unknown
//!   `type` tag (`union_tag_not_found` / `union_tag_invalid`), a missing or mistyped field
//!   (`missing`, `string_type`, ..., located under the tag: `["body","llm","name"]`), and the
//!   spec's bounds (`minimum`/`maximum` of `simulation_max_turns`, `repeat_count`, ...;
//!   `minItems`/`maxItems` of `tests`, `chat_history`, ...). Pydantic reports every error; the fake reports every invalid query
//!   parameter and every missing top-level field of a body at once, otherwise the first
//!   error of a body;
//! - **404** for an unknown id (test, folder, agent, invocation, run; a `run-tests` naming an
//!   unknown test): `{"detail":{"status":"test_not_found","message":..}}`;
//! - **409** `folder_not_empty` for deleting a folder with children without `force=true` (the
//!   spec declares only 422 here, but the request is well-formed: FastAPI would not refuse it,
//!   the application would, and a conflict with the resource's state is a 409), and
//!   `invalid_move` for moving a folder into itself.
//!
//! # Data and knobs
//!
//! - **demo data**, deterministic for a seed: every agent of [`FakeServer::agent_ids`] has a
//!   test suite (see [`FakeServer::demo_agent_id`]), and `N` seeded invocations over those
//!   agents with realistic titles, counts and timestamps, covering every enum value of the
//!   listing's schema (see [`FakeServerBuilder`]);
//! - **live-API fields**: the live API sends fields the upstream document lacks; so does the
//!   fake, where `spec/overlay.json` declares them (`cancelled_count`, `credits_used`, ...), so a
//!   client generated from upstream alone is tested against unknown fields;
//! - **faults**, on every route: [`FakeServer::fail_next`] (429 with `Retry-After`, 5xx, ...)
//!   and [`FakeServer::set_latency`];
//! - every request is recorded ([`FakeServer::requests`]), body included (unless
//!   [`FakeServerBuilder::record_requests`] is off), and [`FakeServerBuilder::on_request`]
//!   sees each one as it is answered.
//!
//! The server runs on the tokio runtime of the caller: call [`FakeServer::start`] (or
//! [`FakeServerBuilder::start`]) from within a runtime. It stops when the `FakeServer` is
//! dropped, or gracefully with [`FakeServer::shutdown`]. It listens on `127.0.0.1` and a free
//! port unless [`FakeServerBuilder::host`] and [`FakeServerBuilder::port`] say otherwise.
//!
//! ```
//! # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use std::time::Duration;
//! use elevenlabs_agent_tests::fake::{self, FakeServer};
//! use elevenlabs_agent_tests::types::{SingleTestRunRequestModel, TestRunStatus};
//!
//! let server = FakeServer::builder().run_duration(Duration::from_millis(50)).start().await?;
//! let client = server.client();
//!
//! // Run the demo agent's suite.
//! let agent = server.demo_agent_id().expect("the default data has agents");
//! let tests: Vec<SingleTestRunRequestModel> = server
//!     .attached_tests(agent)
//!     .into_iter()
//!     .map(|test_id| SingleTestRunRequestModel::builder().test_id(test_id).try_into())
//!     .collect::<Result<_, _>>()?;
//! let invocation = client
//!     .run_tests()
//!     .agent_id(agent)
//!     .body_map(|b| b.tests(tests))
//!     .send()
//!     .await?
//!     .into_inner();
//! assert!(invocation.test_runs.iter().all(|r| r.status == TestRunStatus::Pending));
//!
//! // Once the runs are done: `[fail]` tests failed, the others passed.
//! tokio::time::sleep(server.max_run_duration()).await;
//! let done = client.get_test_invocation().test_invocation_id(&invocation.id).send().await?;
//! for run in &done.test_runs {
//!     assert_eq!(run.status, fake::expected_status(&run.test_name));
//! }
//! assert!(done.test_runs.iter().any(|r| r.status == TestRunStatus::Failed));
//! # Ok(()) }
//! ```
//!
//! The listing, page by page:
//!
//! ```
//! # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use elevenlabs_agent_tests::fake::FakeServer;
//!
//! let server = FakeServer::builder().invocations(45).agents(3).seed(7).start().await?;
//! let client = server.client();
//!
//! // Walk the cursor chain of one agent.
//! let agent = &server.agent_ids()[0];
//! let mut cursor: Option<String> = None;
//! let mut seen = Vec::new();
//! loop {
//!     let mut request = client.list_test_invocations().agent_id(agent.as_str()).page_size(10);
//!     if let Some(c) = cursor.take() {
//!         request = request.cursor(c);
//!     }
//!     let page = request.send().await?.into_inner();
//!     seen.extend(page.results);
//!     if !page.has_more {
//!         break;
//!     }
//!     cursor = page.next_cursor;
//! }
//! let expected = server.invocations().iter().filter(|i| i.agent_id.as_ref() == Some(agent));
//! assert_eq!(seen.len(), expected.count());
//! # Ok(()) }
//! ```

// The `#[doc(hidden)]` modules are not API: they are public for their unit tests, in
// tests/it/unit/fake/; their docs may link to private items.
#[doc(hidden)]
pub mod cursor;
#[doc(hidden)]
pub mod data;
#[doc(hidden)]
pub mod faults;
#[doc(hidden)]
pub mod http;
mod routes;
#[doc(hidden)]
pub mod server;
#[doc(hidden)]
#[allow(rustdoc::private_intra_doc_links)]
pub mod state;
mod suites;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::types::{
    GetTestSuiteInvocationResponseModel, TestInvocationSummaryResponseModel, TestRunStatus,
    UnitTestSummaryResponseModel,
};
use crate::{Client, ClientBuilder};

pub use data::NEWEST_CREATED_AT_UNIX_SECS;
pub use state::{FAIL_MARKER, FLAKY_MARKER, SLOW_MARKER};

/// Invocations generated by default.
pub const DEFAULT_INVOCATIONS: usize = 137;
/// Agents generated by default.
pub const DEFAULT_AGENTS: usize = 4;
/// Seed of the default data.
pub const DEFAULT_SEED: u64 = 42;
/// The API key the fake accepts by default.
pub const DEFAULT_API_KEY: &str = "fake-api-key";
/// Checks a key for [`FakeServerBuilder::api_key`]: why it cannot be one (it must be
/// non-empty visible ASCII), if it cannot.
///
/// ```
/// use elevenlabs_agent_tests::fake::check_api_key;
/// assert!(check_api_key("sk_test_1").is_ok());
/// assert!(check_api_key("a b").is_err());
/// ```
pub fn check_api_key(key: &str) -> Result<(), String> {
    if key.is_empty() || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err("must be non-empty visible ASCII (it is sent as an HTTP header)".to_owned());
    }
    Ok(())
}

/// Most invocations a fake can hold (cursors encode a 32-bit position).
pub const MAX_INVOCATIONS: usize = 1_000_000;
/// How long a simulated test run takes by default (see [`FakeServerBuilder::run_duration`]).
pub const DEFAULT_RUN_DURATION: Duration = Duration::from_millis(300);

/// The status the fake gives the first run of the test named `test_name` in an invocation
/// once it finishes: `failed` when the name contains [`FAIL_MARKER`] (`[fail]`) or
/// [`FLAKY_MARKER`] (`[flaky]`), ASCII case-insensitive, else `passed`. The test's other runs
/// in that invocation (repetitions, resubmits) fail only with `[fail]`.
///
/// ```
/// use elevenlabs_agent_tests::{fake, types::TestRunStatus};
///
/// assert_eq!(fake::expected_status("Refund outside the window [FAIL]"), TestRunStatus::Failed);
/// assert_eq!(fake::expected_status("Books a slot"), TestRunStatus::Passed);
/// ```
pub fn expected_status(test_name: &str) -> TestRunStatus {
    match state::outcome_for(test_name, true) {
        state::RunResult::Failed => TestRunStatus::Failed,
        _ => TestRunStatus::Passed,
    }
}

/// State shared between the [`FakeServer`] handle and the connection tasks.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) data: data::DataSet,
    pub(crate) api_key: String,
    pub(crate) seed: u64,
    pub(crate) faults: Mutex<faults::Faults>,
    pub(crate) log: Mutex<Vec<RecordedRequest>>,
    /// Whether requests are kept in `log`.
    pub(crate) record: bool,
    /// Called with each request once it is answered.
    pub(crate) on_request: Option<RequestObserver>,
    /// Tests, folders, agents, created invocations.
    pub(crate) store: Mutex<state::Store>,
    /// The spec's facts it routes and validates by.
    pub(crate) tables: &'static crate::spec::Tables,
    /// Its routes, made from `tables`.
    pub(crate) routes: Vec<server::Route>,
}

/// What [`FakeServerBuilder::on_request`] is told about each request: no header and no body,
/// so never the API key.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServedRequest {
    /// `GET`, ...
    pub method: String,
    /// The path, without the query string.
    pub path: String,
    /// Decoded query parameters, in order.
    pub query: Vec<(String, String)>,
    /// The status the fake answered.
    pub status: u16,
    /// From the request's head being read to its response being ready (its body read, the
    /// latency of [`FakeServer::set_latency`] included).
    pub elapsed: Duration,
}

/// The callback of [`FakeServerBuilder::on_request`].
#[derive(Clone)]
pub(crate) struct RequestObserver(Arc<dyn Fn(&ServedRequest) + Send + Sync>);

impl RequestObserver {
    pub(crate) fn call(&self, request: &ServedRequest) {
        (self.0)(request)
    }
}

impl std::fmt::Debug for RequestObserver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RequestObserver(..)")
    }
}

/// One request as the fake saw it, with the status it answered.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RecordedRequest {
    /// `GET`, ...
    pub method: String,
    /// The path, without the query string.
    pub path: String,
    /// Decoded query parameters, in order.
    pub query: Vec<(String, String)>,
    /// Headers, names lower-case, in order.
    pub headers: Vec<(String, String)>,
    /// The request body (lossy UTF-8; empty when there was none).
    pub body: String,
    /// The status the fake answered.
    pub status: u16,
}

impl RecordedRequest {
    /// The last value of query parameter `name` (the one the server uses).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Configures a [`FakeServer`]; see [`FakeServer::builder`].
#[derive(Clone, Debug)]
pub struct FakeServerBuilder {
    invocations: usize,
    agents: usize,
    seed: u64,
    api_key: String,
    run_duration: Duration,
    tables: &'static crate::spec::Tables,
    host: IpAddr,
    port: u16,
    record: bool,
    on_request: Option<RequestObserver>,
}

impl Default for FakeServerBuilder {
    fn default() -> Self {
        Self {
            invocations: DEFAULT_INVOCATIONS,
            agents: DEFAULT_AGENTS,
            seed: DEFAULT_SEED,
            api_key: DEFAULT_API_KEY.to_owned(),
            run_duration: DEFAULT_RUN_DURATION,
            tables: crate::spec::Tables::current(),
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 0,
            record: true,
            on_request: None,
        }
    }
}

impl FakeServerBuilder {
    /// How many test invocations to generate (default [`DEFAULT_INVOCATIONS`]; at most
    /// [`MAX_INVOCATIONS`]). With 8 or more, every enum value of the schema appears.
    pub fn invocations(mut self, n: usize) -> Self {
        self.invocations = n;
        self
    }

    /// Over how many agents (default [`DEFAULT_AGENTS`]; at least 1 when there are
    /// invocations). Each agent gets at least one invocation when there are enough.
    pub fn agents(mut self, m: usize) -> Self {
        self.agents = m;
        self
    }

    /// The seed of the data (default [`DEFAULT_SEED`]): the same seed gives the same data.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// How long a simulated test run takes (default [`DEFAULT_RUN_DURATION`]).
    ///
    /// The `k`-th run of a submission (0-based, in request order, repeats included) finishes
    /// `run_duration × (1 + (k mod 4) / 8)` after it was submitted, twice that for a test whose
    /// name contains [`SLOW_MARKER`]: every run is done after
    /// [`FakeServer::max_run_duration`]. Progress follows `tokio::time::Instant`, so a paused
    /// test clock (`tokio::time::pause`/`advance`) drives it. `Duration::ZERO` finishes runs
    /// as soon as the clock moves on (the response of `run-tests` still shows them
    /// `pending`).
    pub fn run_duration(mut self, duration: Duration) -> Self {
        self.run_duration = duration;
        self
    }

    /// The API key the server accepts (default [`DEFAULT_API_KEY`]): visible ASCII, not empty.
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = key.into();
        self
    }

    /// The spec's facts to route and validate by (default: those of the committed spec,
    /// [`Tables::current`](crate::spec::Tables::current)): the routes, the bounds of
    /// parameters and body fields, the defaults, the enum values of query parameters and the
    /// kinds of a test. For testing what a refresh of the spec changes: feed the tables of
    /// the refreshed spec, and the fake follows them.
    pub fn spec_tables(mut self, tables: &'static crate::spec::Tables) -> Self {
        self.tables = tables;
        self
    }

    /// The address to listen on (default `127.0.0.1`). Any other than a loopback address
    /// lets other machines reach the fake.
    pub fn host(mut self, host: IpAddr) -> Self {
        self.host = host;
        self
    }

    /// The port to listen on (default 0: a free port, see [`FakeServer::addr`]).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Whether every request is kept for [`FakeServer::requests`] (default `true`). A server
    /// that runs for long without anyone reading them can turn this off: memory then stays
    /// flat, and [`FakeServer::requests`] stays empty.
    pub fn record_requests(mut self, record: bool) -> Self {
        self.record = record;
        self
    }

    /// Calls `observer` with each request once its response is ready (on the server's task:
    /// keep it short, hand the work to a channel). It is told no header and no body.
    pub fn on_request(mut self, observer: impl Fn(&ServedRequest) + Send + Sync + 'static) -> Self {
        self.on_request = Some(RequestObserver(Arc::new(observer)));
        self
    }

    /// Generates the data, binds [`host`](Self::host) and [`port`](Self::port) (default
    /// `127.0.0.1:0`) and starts serving on the current tokio runtime.
    ///
    /// Fails with [`std::io::ErrorKind::InvalidInput`] for settings it cannot honour, or with
    /// the error of binding the socket ([`std::io::ErrorKind::AddrInUse`] for a port in use).
    ///
    /// # Panics
    ///
    /// When called outside a tokio runtime (as `tokio::spawn` does).
    pub async fn start(self) -> std::io::Result<FakeServer> {
        let invalid = |msg: String| std::io::Error::new(std::io::ErrorKind::InvalidInput, msg);
        if self.invocations > MAX_INVOCATIONS {
            return Err(invalid(format!(
                "FakeServerBuilder::invocations({}) exceeds the maximum of {MAX_INVOCATIONS}",
                self.invocations
            )));
        }
        if self.invocations > 0 && self.agents == 0 {
            return Err(invalid(format!(
                "FakeServerBuilder::agents(0) with {} invocations: every invocation needs an agent",
                self.invocations
            )));
        }
        check_api_key(&self.api_key)
            .map_err(|why| invalid(format!("FakeServerBuilder::api_key {why}")))?;
        let data = data::generate(self.invocations, self.agents, self.seed);
        let mut store = state::Store::new(self.seed, self.run_duration);
        suites::seed(&mut store, &data);
        let listener = tokio::net::TcpListener::bind((self.host, self.port)).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            data,
            api_key: self.api_key,
            seed: self.seed,
            faults: Mutex::default(),
            log: Mutex::default(),
            record: self.record,
            on_request: self.on_request,
            store: Mutex::new(store),
            tables: self.tables,
            routes: server::routes(self.tables),
        });
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let task = tokio::spawn(server::serve(listener, shared.clone(), stopped));
        Ok(FakeServer {
            addr,
            url: format!("http://{addr}"),
            shared,
            stop,
            task,
        })
    }
}

/// An in-process fake of the Tests API; see the [module docs](self) for what it serves.
///
/// The two-line test fixture:
///
/// ```
/// # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use elevenlabs_agent_tests::fake::FakeServer;
///
/// let server = FakeServer::start().await?;
/// let client = server.client();
///
/// let page = client.list_test_invocations().page_size(5).send().await?.into_inner();
/// assert_eq!(page.results.len(), 5);
/// assert!(page.has_more);
/// assert_eq!(page.meta.total, Some(server.invocations().len() as i64));
/// assert_eq!(page.results[0].id, server.invocations()[0].id); // newest first
/// assert_eq!(server.requests().len(), 1);
/// # Ok(()) }
/// ```
///
/// Dropping the `FakeServer` stops it and closes its connections at once;
/// [`FakeServer::shutdown`] answers the requests in flight first.
#[derive(Debug)]
pub struct FakeServer {
    addr: SocketAddr,
    url: String,
    shared: Arc<Shared>,
    /// Set to `true` by [`FakeServer::shutdown`].
    stop: tokio::sync::watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl FakeServer {
    /// Starts a server with the default data ([`DEFAULT_INVOCATIONS`] invocations over
    /// [`DEFAULT_AGENTS`] agents, seed [`DEFAULT_SEED`]) and key [`DEFAULT_API_KEY`].
    /// Must be called within a tokio runtime.
    pub async fn start() -> std::io::Result<FakeServer> {
        Self::builder().start().await
    }

    /// A builder to choose the data and the key.
    pub fn builder() -> FakeServerBuilder {
        FakeServerBuilder::default()
    }

    /// Stops gracefully: stops accepting connections, answers the requests in flight (their
    /// latency included), closes the idle connections, and returns once every connection is
    /// closed. A client that never finishes sending its request holds it up: bound the wait
    /// with a timeout if that matters.
    pub async fn shutdown(mut self) {
        self.stop.send_replace(true);
        // The serve task ends once its connections have; it panics only if a handler did.
        let _ = (&mut self.task).await;
    }

    /// The base URL, `http://127.0.0.1:<port>` (no trailing `/`).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The socket address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The API key the server accepts.
    pub fn api_key(&self) -> &str {
        &self.shared.api_key
    }

    /// A client builder already pointed at this server with its key, to change other settings
    /// (retries, timeouts) before [`ClientBuilder::build`].
    pub fn client_builder(&self) -> ClientBuilder {
        Client::builder()
            .base_url(self.url.clone())
            .api_key(self.shared.api_key.clone())
    }

    /// A ready client for this server, with the default settings and this server's key.
    pub fn client(&self) -> Client {
        self.client_builder()
            .build()
            // The URL is loopback http and the key was checked by `start`: only the TLS
            // back-end's initialisation can fail here, as in `Client::new`.
            .expect("building a client for the fake server")
    }

    /// The seeded invocations, newest first, as generated: what a full listing returns
    /// until tests are run through the API (those come first in the listing; see
    /// [`FakeServer::all_invocations`]). Seeded invocations are history: their counts do not
    /// change unless some of their runs are resubmitted.
    pub fn invocations(&self) -> &[TestInvocationSummaryResponseModel] {
        &self.shared.data.invocations
    }

    /// Every invocation as a full listing would return it now: the ones created through
    /// `run-tests` (newest first, counts as of now), then the seeded ones.
    pub fn all_invocations(&self) -> Vec<TestInvocationSummaryResponseModel> {
        let now = tokio::time::Instant::now();
        let store = self.store();
        let mut all: Vec<_> = store.created.iter().rev().map(|i| i.summary(now)).collect();
        all.extend(self.shared.data.invocations.iter().map(|s| {
            store
                .materialized
                .get(&s.id)
                .map(|i| i.summary(now))
                .unwrap_or_else(|| s.clone())
        }));
        all
    }

    /// The invocations created through `run-tests`, newest first, with their runs as of now
    /// (what `GET /v1/convai/test-invocations/{id}` answers, without the live-only fields).
    pub fn created_invocations(&self) -> Vec<GetTestSuiteInvocationResponseModel> {
        let now = tokio::time::Instant::now();
        self.store()
            .created
            .iter()
            .rev()
            .map(|i| i.detail(now))
            .collect()
    }

    /// The agent ids of the data set. Each is a demo agent with a test suite: see
    /// [`FakeServer::attached_tests`].
    pub fn agent_ids(&self) -> &[String] {
        &self.shared.data.agents
    }

    /// The agent to use by default: the first one, "Support Concierge", whose suite has tests
    /// of all three kinds in folders, one test marked `[fail]` and one `[slow]`. The second
    /// agent ("Booking Assistant") passes every test; the third ("Billing Helper") has a
    /// `[fail]` test in a nested folder. `None` when built with `agents(0)`.
    pub fn demo_agent_id(&self) -> Option<&str> {
        self.shared.data.agents.first().map(String::as_str)
    }

    /// The ids of the tests attached to `agent_id` (its `platform_settings.testing`), in
    /// order; empty for an unknown agent. Deleted tests are left out.
    pub fn attached_tests(&self, agent_id: &str) -> Vec<String> {
        let store = self.store();
        store
            .agent(agent_id)
            .map(|a| {
                a.attached
                    .iter()
                    .filter(|t| store.test(t).is_some())
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Every test (not folders), oldest first, as the listing shows them now.
    pub fn tests(&self) -> Vec<UnitTestSummaryResponseModel> {
        let store = self.store();
        store
            .entities
            .values()
            .filter(|e| !e.is_folder())
            .map(|e| store.summary(e))
            .collect()
    }

    /// Every folder, oldest first, as the listing shows them now.
    pub fn folders(&self) -> Vec<UnitTestSummaryResponseModel> {
        let store = self.store();
        store
            .entities
            .values()
            .filter(|e| e.is_folder())
            .map(|e| store.summary(e))
            .collect()
    }

    /// The simulated duration of a run (see [`FakeServerBuilder::run_duration`]).
    pub fn run_duration(&self) -> Duration {
        self.store().run_duration
    }

    /// The longest a run submitted now can take: `2.75 × run_duration` (a `[slow]` test in the
    /// slowest position). Every run submitted before `now - max_run_duration()` is finished.
    pub fn max_run_duration(&self) -> Duration {
        state::scale(self.run_duration(), 22, 8)
    }

    fn store(&self) -> std::sync::MutexGuard<'_, state::Store> {
        self.shared.store.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Every request served so far, in order of completion.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared
            .log
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// How many requests were served so far.
    pub fn request_count(&self) -> usize {
        self.shared
            .log
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .len()
    }

    /// Forgets the recorded requests.
    pub fn clear_requests(&self) {
        self.shared
            .log
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        // Aborting the accept loop drops its `JoinSet`, which aborts every connection task.
        self.task.abort();
    }
}
