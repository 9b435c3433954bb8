//! Cursor pagination against the scripted in-process server: counts, order, filters,
//! resumption, every integrity violation, prefetch and cancellation.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::support::{Recorded, Reply, ScriptServer};
use elevenlabs_agent_tests::pagination::{CursorOperation, CursorPage, Pages};
use elevenlabs_agent_tests::prelude::*;
use elevenlabs_agent_tests::types::TestInvocationSummaryResponseModel;
use serde_json::{Value, json};

const PATH: &str = "/v1/convai/test-invocations";
/// Upper bound for anything that could hang: short, so that a listing that hangs fails its
/// test in seconds (a mutation run cuts a whole test run off at 120 s), with room for a loaded
/// 2-core CI machine.
const LIMIT: Duration = Duration::from_secs(15);

fn item(i: usize) -> Value {
    json!({
        "id": format!("inv_{i:06}"),
        "title": format!("run {i}"),
        "agent_id": "agent_1",
        "created_at_unix_secs": 1_700_000_000 + i as i64,
        "passed_count": 1, "failed_count": 0, "pending_count": 0, "test_run_count": 1,
    })
}

fn ids(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("inv_{i:06}")).collect()
}

/// An opaque cursor for the page starting at item `offset`.
fn cursor_for(offset: usize) -> String {
    format!("c{:x}z", offset.wrapping_mul(2_654_435_761) ^ 0x5a5a)
}

/// A well-behaved listing of `n` items: honours `page_size` (default 30, like the API) and
/// opaque cursors; an unknown cursor is a 422.
fn listing(n: usize) -> impl Fn(&Recorded) -> Reply + Send + Sync + 'static {
    let cursors: HashMap<String, usize> = (0..=n).map(|o| (cursor_for(o), o)).collect();
    move |req| {
        assert_eq!(req.path, PATH);
        let size: usize = req.param("page_size").map_or(30, |s| s.parse().unwrap());
        let start = match req.param("cursor") {
            None => 0,
            Some(c) => match cursors.get(c) {
                Some(&o) => o,
                None => {
                    return Reply::json(
                        422,
                        &json!({"detail": [{"loc": ["query", "cursor"], "msg": "bad cursor", "type": "value_error"}]}),
                    );
                }
            },
        };
        let end = (start + size).min(n);
        let results: Vec<Value> = (start..end).map(item).collect();
        let has_more = end < n;
        let mut page = json!({"results": results, "has_more": has_more});
        if has_more {
            page["next_cursor"] = json!(cursor_for(end));
        }
        Reply::json(200, &page)
    }
}

/// A listing from an explicit script: request k (0-based) gets `pages[k]`; beyond it, a 500.
fn scripted(pages: Vec<Value>) -> impl Fn(&Recorded) -> Reply + Send + Sync + 'static {
    let next = AtomicUsize::new(0);
    move |_| match pages.get(next.fetch_add(1, Ordering::SeqCst)) {
        Some(p) => Reply::json(200, p),
        None => Reply::json(500, &json!({"detail": "script exhausted"})),
    }
}

fn page(range: std::ops::Range<usize>, has_more: bool, next_cursor: Option<&str>) -> Value {
    let results: Vec<Value> = range.map(item).collect();
    let mut p = json!({"results": results, "has_more": has_more});
    if let Some(c) = next_cursor {
        p["next_cursor"] = json!(c);
    }
    p
}

/// Drains a stream: the ids of the items before the first error, and that error.
async fn drain<S>(stream: S) -> (Vec<String>, Option<Error>)
where
    S: futures::Stream<Item = Result<TestInvocationSummaryResponseModel, Error>> + Unpin,
{
    let mut stream = stream;
    let mut out = Vec::new();
    let run = async {
        while let Some(r) = stream.next().await {
            match r {
                Ok(item) => out.push(item.id),
                Err(e) => {
                    // After an error the stream ends.
                    assert!(stream.next().await.is_none(), "stream continued after {e}");
                    return Some(e);
                }
            }
        }
        None
    };
    let err = tokio::time::timeout(LIMIT, run)
        .await
        .expect("listing hung");
    (out, err)
}

fn assert_pagination_error(err: Option<Error>, expected: PaginationError) {
    match err {
        Some(Error::Pagination(e)) => {
            assert_eq!(e, expected);
            // The message says which page broke the contract and how.
            let (page, how) = match &expected {
                PaginationError::MissingCursor { page } => (*page, "has no next_cursor"),
                PaginationError::RepeatedCursor { page, .. } => (*page, "already used"),
                other => panic!("unexpected {other:?}"),
            };
            let text = Error::Pagination(e).to_string();
            assert!(
                text.starts_with(&format!("pagination: page {page} ")) && text.contains(how),
                "{text}"
            );
        }
        other => panic!("expected {expected:?}, got {other:?}"),
    }
}

#[tokio::test]
async fn zero_items() {
    let server = ScriptServer::start(listing(0)).await;
    let client = Client::new(&server.url);
    let (got, err) = drain(client.list_test_invocations().page_size(100).stream()).await;
    assert!(err.is_none(), "{err:?}");
    assert!(got.is_empty());
    assert_eq!(server.count(), 1);
}

#[tokio::test]
async fn one_partial_page() {
    let server = ScriptServer::start(listing(37)).await;
    let client = Client::new(&server.url);
    let (got, err) = drain(client.list_test_invocations().page_size(100).stream()).await;
    assert!(err.is_none(), "{err:?}");
    assert_eq!(got, ids(37));
    assert_eq!(server.count(), 1);
}

#[tokio::test]
async fn exact_multiple_of_page_size() {
    let server = ScriptServer::start(listing(300)).await;
    let client = Client::new(&server.url);
    let (got, err) = drain(client.list_test_invocations().page_size(100).stream()).await;
    assert!(err.is_none(), "{err:?}");
    assert_eq!(got, ids(300));
    assert_eq!(server.count(), 3);
}

#[tokio::test]
async fn default_page_size_is_the_servers() {
    let server = ScriptServer::start(listing(95)).await;
    let client = Client::new(&server.url);
    let (got, err) = drain(client.list_test_invocations().stream()).await;
    assert!(err.is_none(), "{err:?}");
    assert_eq!(got, ids(95));
    let reqs = server.requests();
    assert_eq!(reqs.len(), 4); // 30 + 30 + 30 + 5
    assert!(reqs.iter().all(|r| r.param("page_size").is_none()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_items_with_filters_on_every_page() {
    let server = ScriptServer::start(listing(10_000)).await;
    let client = Client::new(&server.url);
    let stream = client
        .list_test_invocations()
        .agent_id("agent_1")
        .page_size(100)
        .stream();
    let (got, err) = drain(stream).await;
    assert!(err.is_none(), "{err:?}");
    assert_eq!(got, ids(10_000));

    let reqs = server.requests();
    assert_eq!(reqs.len(), 100);
    for (k, r) in reqs.iter().enumerate() {
        assert_eq!(r.path, PATH);
        assert_eq!(r.param("agent_id"), Some("agent_1"), "request {k}");
        assert_eq!(r.param("page_size"), Some("100"), "request {k}");
        // The first page has no cursor; page k+1 has the cursor page k returned.
        let expected = (k > 0).then(|| cursor_for(k * 100));
        assert_eq!(r.param("cursor"), expected.as_deref(), "request {k}");
        assert_eq!(r.query.len(), if k == 0 { 2 } else { 3 }, "request {k}");
    }
}

#[tokio::test]
async fn prefetch_off_gives_the_same_listing() {
    let server = ScriptServer::start(listing(1_050)).await;
    let client = Client::new(&server.url);
    let stream = client
        .list_test_invocations()
        .agent_id("agent_1")
        .page_size(100)
        .stream()
        .prefetch(false);
    let (got, err) = drain(stream).await;
    assert!(err.is_none(), "{err:?}");
    assert_eq!(got, ids(1_050));
    let reqs = server.requests();
    assert_eq!(reqs.len(), 11);
    assert!(reqs.iter().all(|r| r.param("agent_id") == Some("agent_1")));
}

#[tokio::test]
async fn pages_expose_the_cursor_and_resume_where_the_listing_stopped() {
    let server = ScriptServer::start(listing(1_000)).await;
    let client = Client::new(&server.url);

    // Read two pages, keep the checkpoint, drop the listing (no prefetch, so that the
    // request count below is exact).
    let mut pages = client
        .list_test_invocations()
        .agent_id("agent_1")
        .page_size(100)
        .pages()
        .prefetch(false);
    let mut first: Vec<String> = Vec::new();
    let mut checkpoint = None;
    for _ in 0..2 {
        let page = tokio::time::timeout(LIMIT, pages.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        assert!(page.has_more);
        first.extend(page.results.into_iter().map(|i| i.id));
        checkpoint = page.next_cursor;
    }
    drop(pages);
    let checkpoint = checkpoint.unwrap();
    assert_eq!(checkpoint, cursor_for(200));

    // Resume from it: the rest, exactly once, filters kept.
    let before = server.count();
    assert_eq!(before, 2);
    let rest = client
        .list_test_invocations()
        .agent_id("agent_1")
        .page_size(100)
        .cursor(checkpoint.clone())
        .stream();
    let (second, err) = drain(rest).await;
    assert!(err.is_none(), "{err:?}");
    first.extend(second);
    assert_eq!(first, ids(1_000));

    let resumed = &server.requests()[before..];
    assert_eq!(resumed.len(), 8);
    assert_eq!(resumed[0].param("cursor"), Some(checkpoint.as_str()));
    assert!(
        resumed
            .iter()
            .all(|r| r.param("agent_id") == Some("agent_1") && r.param("page_size") == Some("100"))
    );
}

#[tokio::test]
async fn missing_next_cursor_with_has_more_is_an_error() {
    for missing in [None, Some("")] {
        let server = ScriptServer::start(scripted(vec![
            page(0..3, true, Some("p2")),
            page(3..6, true, missing),
            page(6..9, false, None),
        ]))
        .await;
        let client = Client::new(&server.url);
        let (got, err) = drain(client.list_test_invocations().stream()).await;
        // The offending page's items are delivered, then the error; nothing else is asked.
        assert_eq!(got, ids(6), "next_cursor {missing:?}");
        assert_pagination_error(err, PaginationError::MissingCursor { page: 2 });
        assert_eq!(server.count(), 2);
    }
}

#[tokio::test]
async fn repeated_cursor_is_an_error_not_a_loop() {
    // Page 3 sends the listing back to page 2's cursor.
    let server = ScriptServer::start(scripted(vec![
        page(0..3, true, Some("a")),
        page(3..6, true, Some("b")),
        page(6..9, true, Some("a")),
        page(3..6, true, Some("b")),
    ]))
    .await;
    let client = Client::new(&server.url);
    let (got, err) = drain(client.list_test_invocations().stream()).await;
    assert_eq!(got, ids(9));
    assert_pagination_error(
        err,
        PaginationError::RepeatedCursor {
            page: 3,
            cursor: "a".into(),
        },
    );
    assert_eq!(server.count(), 3);
}

#[tokio::test]
async fn a_page_pointing_to_itself_is_a_repeated_cursor() {
    // The starting cursor counts as used.
    let server = ScriptServer::start(scripted(vec![page(0..2, true, Some("start"))])).await;
    let client = Client::new(&server.url);
    let (got, err) = drain(client.list_test_invocations().cursor("start").stream()).await;
    assert_eq!(got, ids(2));
    assert_pagination_error(
        err,
        PaginationError::RepeatedCursor {
            page: 1,
            cursor: "start".into(),
        },
    );
    assert_eq!(server.count(), 1);
    assert_eq!(server.requests()[0].param("cursor"), Some("start"));
}

#[tokio::test]
async fn an_empty_page_with_a_new_cursor_is_followed() {
    let server = ScriptServer::start(scripted(vec![
        page(0..3, true, Some("a")),
        page(0..0, true, Some("b")),
        page(0..0, true, Some("c")),
        page(3..5, false, None),
    ]))
    .await;
    let client = Client::new(&server.url);
    let (got, err) = drain(client.list_test_invocations().stream()).await;
    assert!(err.is_none(), "{err:?}");
    assert_eq!(got, ids(5));
    let cursors: Vec<Option<String>> = server
        .requests()
        .iter()
        .map(|r| r.param("cursor").map(str::to_owned))
        .collect();
    assert_eq!(
        cursors,
        [None, Some("a".into()), Some("b".into()), Some("c".into())]
    );
}

#[tokio::test]
async fn has_more_false_ends_even_with_a_cursor() {
    let server = ScriptServer::start(scripted(vec![page(0..4, false, Some("ignored"))])).await;
    let client = Client::new(&server.url);
    let (got, err) = drain(client.list_test_invocations().stream()).await;
    assert!(err.is_none(), "{err:?}");
    assert_eq!(got, ids(4));
    assert_eq!(server.count(), 1);
}

#[tokio::test]
async fn an_api_error_mid_listing_ends_the_stream_after_the_good_items() {
    let server = ScriptServer::start(|r: &Recorded| match r.param("cursor") {
        None => Reply::json(200, &page(0..3, true, Some("a"))),
        Some("a") => Reply::json(200, &page(3..6, true, Some("b"))),
        _ => Reply::json(
            422,
            &json!({"detail": [{"loc": ["query", "cursor"], "msg": "expired", "type": "value_error"}]}),
        ),
    })
    .await;
    let client = Client::new(&server.url);
    let (got, err) = drain(client.list_test_invocations().stream()).await;
    assert_eq!(got, ids(6));
    assert!(matches!(err, Some(Error::Validation { .. })), "{err:?}");
    assert_eq!(server.count(), 3);
}

#[tokio::test]
async fn invalid_parameters_fail_before_any_request() {
    let server = ScriptServer::start(listing(10)).await;
    let client = Client::new(&server.url);
    let cases = [
        (
            client.list_test_invocations().page_size(101).stream(),
            "page_size",
        ),
        (
            client.list_test_invocations().page_size(0u64).stream(),
            "page_size",
        ),
        (client.list_test_invocations().cursor("").stream(), "cursor"),
    ];
    for (stream, param) in cases {
        let (got, err) = drain(stream).await;
        assert!(got.is_empty());
        match err {
            Some(Error::InvalidParameter { name, message }) => {
                assert_eq!(name, param);
                assert!(!message.is_empty());
            }
            other => panic!("expected InvalidParameter({param}), got {other:?}"),
        }
    }
    // 100 is the spec's maximum and accepted.
    let (got, err) = drain(client.list_test_invocations().page_size(100).stream()).await;
    assert!(err.is_none(), "{err:?}");
    assert_eq!(got.len(), 10);
    assert_eq!(server.count(), 1);
}

#[tokio::test]
async fn streams_are_lazy() {
    let server = ScriptServer::start(listing(10)).await;
    let client = Client::new(&server.url);
    let stream = client.list_test_invocations().stream();
    let pages = client.list_test_invocations().pages();
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(server.count(), 0);
    drop((stream, pages));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streams_are_send_and_spawnable() {
    fn assert_send_static<T: Send + 'static>(_: &T) {}
    let server = ScriptServer::start(listing(250)).await;
    let client = Client::new(&server.url);
    let items = client.list_test_invocations().page_size(100).stream();
    let pages = client.list_test_invocations().page_size(100).pages();
    assert_send_static(&items);
    assert_send_static(&pages);
    drop(client); // the streams own what they need
    let counted = tokio::spawn(async move { drain(items).await });
    let paged = tokio::spawn(tokio::time::timeout(LIMIT, pages.try_collect::<Vec<_>>()));
    let (got, err) = counted.await.unwrap();
    assert!(err.is_none(), "{err:?}");
    assert_eq!(got, ids(250));
    let paged = paged.await.unwrap().expect("pages hung");
    assert_eq!(paged.unwrap().len(), 3);
}

/// With prefetch on, page 2 is requested while the consumer holds page 1 without polling;
/// with prefetch off, it is not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prefetch_requests_the_next_page_without_being_polled() {
    for prefetch in [true, false] {
        let server = ScriptServer::start(listing(300)).await;
        let client = Client::new(&server.url);
        let mut pages = client
            .list_test_invocations()
            .page_size(100)
            .pages()
            .prefetch(prefetch);
        let first = tokio::time::timeout(LIMIT, pages.next()).await.unwrap();
        assert_eq!(first.unwrap().unwrap().results.len(), 100);
        if prefetch {
            // Arrives on its own; bounded by LIMIT, not timed.
            tokio::time::timeout(LIMIT, async {
                while server.count() < 2 {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            })
            .await
            .expect("the prefetch request never arrived");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        // Never more than one page ahead.
        assert_eq!(server.count(), if prefetch { 2 } else { 1 });
        let rest: Vec<_> = tokio::time::timeout(LIMIT, pages.try_collect::<Vec<_>>())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(rest.len(), 2);
        assert_eq!(server.count(), 3);
    }
}

/// A consumer that works on page 1 without yielding (it blocks its worker thread) still
/// gets page 2 requested meanwhile: the prefetch does not wait for the consumer's next poll.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prefetch_progresses_while_the_consumer_blocks_its_thread() {
    let server = std::sync::Arc::new(ScriptServer::start(listing(300)).await);
    let client = Client::new(&server.url);
    let watched = server.clone();
    let consumer = tokio::spawn(async move {
        let mut pages = client.list_test_invocations().page_size(100).pages();
        let first = pages.next().await.unwrap().unwrap();
        assert_eq!(first.results.len(), 100);
        // Synchronous work on page 1: no await until page 2's request has arrived, or LIMIT.
        let began = std::time::Instant::now();
        while watched.count() < 2 && began.elapsed() < LIMIT {
            std::thread::sleep(Duration::from_millis(1));
        }
        let arrived = watched.count() >= 2;
        let rest: Vec<_> = pages.try_collect().await.unwrap();
        (arrived, rest.len())
    });
    let (arrived, rest) = tokio::time::timeout(LIMIT * 2, consumer)
        .await
        .unwrap()
        .unwrap();
    assert!(
        arrived,
        "page 2 was requested only once the consumer yielded"
    );
    assert_eq!(rest, 2);
    assert_eq!(server.count(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_the_stream_stops_requests() {
    for prefetch in [true, false] {
        // Every page after the first is slow, so a prefetch is still in flight at the drop.
        let inner = listing(1_000);
        let server = ScriptServer::start(move |r: &Recorded| {
            let reply = inner(r);
            if r.param("cursor").is_some() {
                reply.delay(Duration::from_millis(300))
            } else {
                reply
            }
        })
        .await;
        let client = Client::new(&server.url);
        let mut stream = client
            .list_test_invocations()
            .page_size(100)
            .stream()
            .prefetch(prefetch);
        for _ in 0..100 {
            tokio::time::timeout(LIMIT, stream.next())
                .await
                .unwrap()
                .unwrap()
                .unwrap();
        }
        drop(stream);
        let at_drop = server.count();
        // At most the one prefetched request, and only with prefetch on.
        assert!(at_drop <= if prefetch { 2 } else { 1 }, "{at_drop}");
        tokio::time::sleep(Duration::from_millis(800)).await;
        let after = server.requests();
        assert!(
            after.len() <= if prefetch { 2 } else { 1 },
            "{}",
            after.len()
        );
        assert!(after.iter().all(|r| {
            r.param("cursor").is_none() || r.param("cursor") == Some(cursor_for(100).as_str())
        }));
    }
}

// ---- The engine with a hand-made operation: cancellation of the in-flight prefetch. ----

struct FakePage {
    items: Vec<u32>,
    next: Option<String>,
}

impl CursorPage for FakePage {
    type Item = u32;
    fn has_more(&self) -> bool {
        self.next.is_some()
    }
    fn next_cursor(&self) -> Option<&str> {
        self.next.as_deref()
    }
    fn into_items(self) -> Vec<u32> {
        self.items
    }
}

/// Page k holds item k; every page after the first never completes, and records whether
/// its future was dropped (cancelled) before completing.
#[derive(Default)]
struct SlowOperation {
    started: Mutex<Vec<Option<String>>>,
    cancelled: AtomicUsize,
}

/// Counts the drops of a future that never completes: each one is a cancellation.
struct CancelProbe<'a>(&'a AtomicUsize);
impl Drop for CancelProbe<'_> {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

impl CursorOperation for SlowOperation {
    type Page = FakePage;
    async fn fetch(self: Arc<Self>, cursor: Option<String>) -> Result<FakePage, Error> {
        self.started.lock().unwrap().push(cursor.clone());
        if cursor.is_none() {
            return Ok(FakePage {
                items: vec![0],
                next: Some("1".into()),
            });
        }
        let _probe = CancelProbe(&self.cancelled);
        std::future::pending().await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_the_stream_cancels_the_prefetch_in_flight() {
    let op = Arc::new(SlowOperation::default());
    struct Shared(Arc<SlowOperation>);
    impl CursorOperation for Shared {
        type Page = FakePage;
        async fn fetch(self: Arc<Self>, cursor: Option<String>) -> Result<FakePage, Error> {
            Arc::clone(&self.0).fetch(cursor).await
        }
    }
    let mut stream = Pages::new(Shared(op.clone()), None).items();
    let first = tokio::time::timeout(LIMIT, stream.next())
        .await
        .expect("no hang");
    assert_eq!(first.unwrap().unwrap(), 0);
    // The prefetch of page 2 starts on its own.
    tokio::time::timeout(LIMIT, async {
        while op.started.lock().unwrap().len() < 2 {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    })
    .await
    .expect("prefetch never started");
    assert_eq!(op.cancelled.load(Ordering::SeqCst), 0);
    drop(stream);
    tokio::time::timeout(LIMIT, async {
        while op.cancelled.load(Ordering::SeqCst) == 0 {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    })
    .await
    .expect("the prefetch was not cancelled when the stream was dropped");
    assert_eq!(
        *op.started.lock().unwrap(),
        [None, Some("1".to_owned())],
        "no request after the drop"
    );
}

#[test]
fn works_without_a_tokio_runtime_by_fetching_inline() {
    struct Counting;
    impl CursorOperation for Counting {
        type Page = FakePage;
        async fn fetch(self: Arc<Self>, cursor: Option<String>) -> Result<FakePage, Error> {
            let k: u32 = cursor.map_or(0, |c| c.parse().unwrap());
            Ok(FakePage {
                items: vec![2 * k, 2 * k + 1],
                next: (k < 49).then(|| (k + 1).to_string()),
            })
        }
    }
    let items: Vec<u32> =
        futures::executor::block_on(Pages::new(Counting, None).items().try_collect()).unwrap();
    assert_eq!(items, (0..100).collect::<Vec<u32>>());
}

#[tokio::test]
async fn a_bad_parameter_gives_the_same_error_through_send_and_stream() {
    let server = ScriptServer::start(listing(10)).await;
    let client = Client::new(&server.url);
    for page_size in [0u64, 101, u64::MAX] {
        let sent = tokio::time::timeout(
            Duration::from_secs(10),
            client.list_test_invocations().page_size(page_size).send(),
        )
        .await
        .expect("no hang")
        .map(|_| ())
        .expect_err("refused");
        let (_, streamed) =
            drain(client.list_test_invocations().page_size(page_size).stream()).await;
        let streamed = streamed.expect("refused");
        assert_eq!(
            streamed.to_string(),
            sent.to_string(),
            "page_size {page_size}"
        );
        assert!(
            matches!(
                &sent,
                Error::InvalidParameter {
                    name: "page_size",
                    ..
                }
            ),
            "{sent:?}"
        );
        // Same for list_tests, which streams through the same engine.
        let sent = client
            .list_tests()
            .page_size(page_size)
            .send()
            .await
            .map(|_| ())
            .expect_err("refused");
        let (_, streamed) = drain_any(client.list_tests().page_size(page_size).stream()).await;
        assert_eq!(streamed.expect("refused").to_string(), sent.to_string());
    }
    assert_eq!(server.count(), 0, "nothing was sent");
}

/// Drains any listing: how many items came before the first error, and that error.
async fn drain_any<S, T>(mut stream: S) -> (usize, Option<Error>)
where
    S: futures::Stream<Item = Result<T, Error>> + Unpin,
{
    let run = async {
        let mut n = 0;
        while let Some(r) = stream.next().await {
            match r {
                Ok(_) => n += 1,
                Err(e) => return (n, Some(e)),
            }
        }
        (n, None)
    };
    tokio::time::timeout(LIMIT, run)
        .await
        .expect("listing hung")
}

#[tokio::test]
async fn list_tests_streams_every_page_with_every_filter_on_every_request() {
    // 7 tests, 3 a page: the API's `tests` page with has_more / next_cursor, no meta.
    let server = ScriptServer::start(|req: &Recorded| {
        assert_eq!(req.path, "/v1/convai/agent-testing");
        let start: usize = req.param("cursor").map_or(0, |c| c.parse().unwrap());
        let end = (start + 3).min(7);
        let tests: Vec<Value> = (start..end)
            .map(|i| {
                json!({"id": format!("test_{i}"), "name": format!("Test {i}"), "type": "llm",
                            "created_at_unix_secs": 1, "last_updated_at_unix_secs": 2})
            })
            .collect();
        let mut page = json!({"tests": tests, "has_more": end < 7});
        if end < 7 {
            page["next_cursor"] = json!(end.to_string());
        }
        Reply::json(200, &page)
    })
    .await;
    let client = Client::new(&server.url);
    let items: Vec<_> = tokio::time::timeout(
        LIMIT,
        client
            .list_tests()
            .page_size(3u64)
            .search("refund")
            .parent_folder_id("root")
            .types(vec![
                elevenlabs_agent_tests::types::TestType::Llm,
                elevenlabs_agent_tests::types::TestType::Folder,
            ])
            .sort_mode(elevenlabs_agent_tests::types::ListTestsSortMode::FoldersFirst)
            .sharing_mode(elevenlabs_agent_tests::types::TestSharingMode::SharedWithMe)
            .include_folders(false)
            .stream()
            .try_collect(),
    )
    .await
    .expect("no hang")
    .expect("lists");
    let names: Vec<String> = items
        .iter()
        .map(|t: &elevenlabs_agent_tests::types::UnitTestSummaryResponseModel| t.id.clone())
        .collect();
    assert_eq!(
        names,
        (0..7).map(|i| format!("test_{i}")).collect::<Vec<_>>()
    );
    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    for (k, req) in requests.iter().enumerate() {
        let mut query: Vec<(&str, &str)> = req
            .query
            .iter()
            .filter(|(key, _)| key != "cursor")
            .map(|(key, v)| (key.as_str(), v.as_str()))
            .collect();
        query.sort_unstable();
        assert_eq!(
            query,
            [
                ("include_folders", "false"),
                ("page_size", "3"),
                ("parent_folder_id", "root"),
                ("search", "refund"),
                ("sharing_mode", "shared_with_me"),
                ("sort_mode", "folders_first"),
                ("types", "folder"),
                ("types", "llm"),
            ],
            "request {k}"
        );
        let expected_cursor = [None, Some("3"), Some("6")][k];
        assert_eq!(req.param("cursor"), expected_cursor, "request {k}");
    }
}

// ---- The stream contract the docs promise: `FusedStream`, `size_hint`, `pages_received`. ----

/// Three pages of two items (page k holds 2k and 2k+1, cursors "1" and "2"), answered at
/// once; every fetch is logged with its cursor when its future is first polled (that is, when
/// the request would go on the wire).
struct ThreePages(Arc<Mutex<Vec<Option<String>>>>);

impl CursorOperation for ThreePages {
    type Page = FakePage;
    async fn fetch(self: Arc<Self>, cursor: Option<String>) -> Result<FakePage, Error> {
        self.0.lock().unwrap().push(cursor.clone());
        let k: u32 = cursor.map_or(0, |c| c.parse().unwrap());
        Ok(FakePage {
            items: vec![2 * k, 2 * k + 1],
            next: (k < 2).then(|| (k + 1).to_string()),
        })
    }
}

fn three_pages() -> (ThreePages, Arc<Mutex<Vec<Option<String>>>>) {
    let log = Arc::new(Mutex::new(Vec::new()));
    (ThreePages(Arc::clone(&log)), log)
}

/// `Items`: not terminated while an item is left (in hand or on the server), terminated once
/// the last one is out; `size_hint` counts the items in hand and has an upper bound only on
/// the last page; `pages_received` counts the pages.
#[tokio::test]
async fn items_report_termination_size_hint_and_pages_received() {
    use futures::Stream;
    use futures::stream::FusedStream;
    let mut items = Pages::new(three_pages().0, None).items();
    assert!(!items.is_terminated(), "a listing not started is live");
    assert_eq!(items.size_hint(), (0, None));
    assert_eq!(items.pages_received(), 0);
    // (item, pages received, size_hint after it)
    let expected = [
        (0, 1, (1, None)),
        (1, 1, (0, None)),
        (2, 2, (1, None)),
        (3, 2, (0, None)),
        // The last page is in hand: the bound is exact.
        (4, 3, (1, Some(1))),
        (5, 3, (0, Some(0))),
    ];
    for (item, pages, hint) in expected {
        let got = tokio::time::timeout(LIMIT, items.next())
            .await
            .expect("no hang");
        assert_eq!(got.unwrap().unwrap(), item);
        assert_eq!(items.pages_received(), pages, "after item {item}");
        assert_eq!(items.size_hint(), hint, "after item {item}");
        let (low, high) = items.size_hint();
        assert!(
            high.is_none_or(|h| low <= h),
            "a lower bound above the upper one"
        );
        // Item 4 came from the last page, item 5 is still to come: live.
        assert_eq!(items.is_terminated(), item == 5, "after item {item}");
    }
    assert!(items.next().await.is_none());
    assert!(items.is_terminated());
    assert_eq!(items.size_hint(), (0, Some(0)));
    assert_eq!(items.pages_received(), 3);
}

/// `Pages`: live until the last page is out, and `pages_received` counts them.
#[tokio::test]
async fn pages_report_termination_and_pages_received() {
    use futures::stream::FusedStream;
    let mut pages = Pages::new(three_pages().0, None);
    assert!(!pages.is_terminated(), "a listing not started is live");
    assert_eq!(pages.pages_received(), 0);
    for k in 0..3u32 {
        let page = tokio::time::timeout(LIMIT, pages.next())
            .await
            .expect("no hang");
        assert_eq!(page.unwrap().unwrap().items, [2 * k, 2 * k + 1]);
        assert_eq!(pages.pages_received(), u64::from(k) + 1);
        assert_eq!(pages.is_terminated(), k == 2, "after page {k}");
    }
    assert!(pages.next().await.is_none());
    assert!(pages.is_terminated());
}

/// What `FusedStream` is for: `select!` polls a listing until it ends and then skips it,
/// and finishes (`complete`) once every branch has ended.
#[tokio::test]
async fn a_listing_in_select_is_polled_until_it_ends_and_then_skipped() {
    let mut items = Pages::new(three_pages().0, None).items();
    let mut ticks = futures::stream::iter(0..10).fuse();
    let (mut listed, mut ticked) = (Vec::new(), 0);
    let run = async {
        loop {
            futures::select! {
                item = items.next() => listed.push(item.expect("select! polled an ended listing").unwrap()),
                tick = ticks.next() => if tick.is_some() { ticked += 1 },
                // Both ended, as each one's `is_terminated` says.
                complete => break,
            }
        }
    };
    tokio::time::timeout(LIMIT, run).await.expect("no hang");
    assert_eq!(listed, [0, 1, 2, 3, 4, 5]);
    assert_eq!(ticked, 10);
}

// ---- The prefetch handshake. ----

/// The request for page 2 is on its way before page 1 is handed out, even on a
/// single-threaded runtime where the spawned prefetch could only run once the consumer
/// yields: the consumer may then work on page 1 without yielding.
#[tokio::test(flavor = "current_thread")]
async fn the_next_page_is_requested_before_the_current_one_is_handed_out() {
    let (op, log) = three_pages();
    let mut pages = Pages::new(op, None);
    let first = tokio::time::timeout(LIMIT, pages.next())
        .await
        .expect("no hang");
    assert_eq!(first.unwrap().unwrap().items, [0, 1]);
    // No await since page 1 arrived.
    assert_eq!(
        *log.lock().unwrap(),
        [None, Some("1".to_owned())],
        "page 2 was not requested while the consumer holds page 1"
    );
    let rest: Vec<FakePage> = tokio::time::timeout(LIMIT, pages.try_collect())
        .await
        .expect("no hang")
        .unwrap();
    assert_eq!(rest.len(), 2);
}

/// A prefetch spawned on a runtime that shuts down before running it is dropped unpolled:
/// the stream is woken, hands out the page it held, and asks for the next page itself.
#[test]
fn a_prefetch_dropped_by_runtime_shutdown_is_requested_again_by_the_stream() {
    use futures::task::ArcWake;
    use std::sync::atomic::AtomicBool;
    use std::task::{Context, Poll};

    struct Woken(AtomicBool);
    impl ArcWake for Woken {
        fn wake_by_ref(arc_self: &Arc<Self>) {
            arc_self.0.store(true, Ordering::SeqCst);
        }
    }
    let woken = Arc::new(Woken(AtomicBool::new(false)));
    let waker = futures::task::waker(Arc::clone(&woken));
    let mut cx = Context::from_waker(&waker);

    let (op, log) = three_pages();
    let mut pages = Pages::new(op, None);
    // A runtime nobody drives: the prefetch spawned on it stays queued.
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    {
        let _inside = rt.enter();
        // Page 1 arrives, page 2 is spawned; page 1 is held until the prefetch starts.
        assert!(pages.poll_next_unpin(&mut cx).is_pending());
    }
    assert_eq!(*log.lock().unwrap(), [None]);
    assert!(!woken.0.load(Ordering::SeqCst));
    drop(rt);
    assert!(
        woken.0.load(Ordering::SeqCst),
        "the stream was not woken when its prefetch was dropped"
    );
    match pages.poll_next_unpin(&mut cx) {
        Poll::Ready(Some(Ok(page))) => assert_eq!(page.items, [0, 1]),
        other => panic!(
            "page 1 not handed out: {:?}",
            other.map(|o| o.map(|r| r.map(|p| p.items)))
        ),
    }
    // The cancelled prefetch is asked again from the stream's own task (no runtime now:
    // inline from here on).
    for k in 1..3u32 {
        match pages.poll_next_unpin(&mut cx) {
            Poll::Ready(Some(Ok(page))) => assert_eq!(page.items, [2 * k, 2 * k + 1]),
            other => panic!(
                "page {k}: {:?}",
                other.map(|o| o.map(|r| r.map(|p| p.items)))
            ),
        }
    }
    assert!(matches!(pages.poll_next_unpin(&mut cx), Poll::Ready(None)));
    assert_eq!(
        *log.lock().unwrap(),
        [None, Some("1".to_owned()), Some("2".to_owned())]
    );
}

/// A panic in the prefetched request is the consumer's panic, as if it had fetched the page
/// itself: it is not mistaken for a cancellation and quietly requested again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_in_the_prefetch_reaches_the_consumer() {
    use futures::FutureExt;
    use std::sync::atomic::AtomicBool;

    /// Page 2 panics the first time it is requested, and would succeed after.
    struct PanicsOnce(AtomicBool);
    impl CursorOperation for PanicsOnce {
        type Page = FakePage;
        async fn fetch(self: Arc<Self>, cursor: Option<String>) -> Result<FakePage, Error> {
            if cursor.is_some() && !self.0.swap(true, Ordering::SeqCst) {
                panic!("page 2 blew up");
            }
            Ok(FakePage {
                items: vec![u32::from(cursor.is_some())],
                next: cursor.is_none().then(|| "1".to_owned()),
            })
        }
    }
    let mut items = Pages::new(PanicsOnce(AtomicBool::new(false)), None).items();
    let first = tokio::time::timeout(LIMIT, items.next())
        .await
        .expect("no hang");
    assert_eq!(first.unwrap().unwrap(), 0);
    let second = std::panic::AssertUnwindSafe(items.next()).catch_unwind();
    let panic = tokio::time::timeout(LIMIT, second)
        .await
        .expect("no hang")
        .expect_err("the prefetch's panic was swallowed");
    assert_eq!(panic.downcast_ref::<&str>(), Some(&"page 2 blew up"));
}

/// `{:?}` of a listing says where it stands.
#[tokio::test(flavor = "current_thread")]
async fn debug_shows_the_state_of_a_listing() {
    let mut pages = Pages::new(three_pages().0, None);
    assert_eq!(
        format!("{pages:?}"),
        r#"Pages { state: "not started", prefetch: true, pages_received: 0 }"#
    );
    tokio::time::timeout(LIMIT, pages.next())
        .await
        .expect("no hang");
    assert_eq!(
        format!("{pages:?}"),
        r#"Pages { state: "prefetching", prefetch: true, pages_received: 1 }"#
    );
    let mut items = Pages::new(three_pages().0, None).prefetch(false).items();
    tokio::time::timeout(LIMIT, items.next())
        .await
        .expect("no hang");
    assert_eq!(
        format!("{items:?}"),
        r#"Items { pages: Pages { state: "waiting for the next poll", prefetch: false, pages_received: 1 }, buffered: 1 }"#
    );
}
