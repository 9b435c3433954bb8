//! Cursor pagination as lazy streams.
//!
//! The ElevenLabs list endpoints answer one page at a time: `results`, `has_more` and a
//! `next_cursor` to pass back as `cursor` for the next page. This module walks that loop for
//! you, with one engine for every such operation:
//!
//! - [`Paginate::stream`] yields every item, `Result<Item, Error>`;
//! - [`Paginate::pages`] yields every page (for `next_cursor` / `meta`, e.g. to checkpoint).
//!
//! Both are lazy (no request before the first poll), send every filter of the builder
//! on every page, and start from the builder's `cursor(..)` when set, so a stopped listing
//! resumes where it left off. They are `Send + 'static`: spawn them on any runtime.
//!
//! # Integrity
//!
//! - Items come exactly once, in server order; the listing ends when a page says
//!   `has_more: false`.
//! - A page with `has_more: true` and a missing or empty `next_cursor` is yielded, then the
//!   stream yields [`PaginationError::MissingCursor`] and ends.
//! - A `next_cursor` already used in this listing (the starting cursor included) ends the
//!   listing the same way with [`PaginationError::RepeatedCursor`], instead of looping.
//! - A page with no items but a new cursor is followed.
//! - After any error the stream ends (yields `None`).
//! - Dropping the stream cancels the request in flight; no further request is sent.
//!
//! # Prefetch
//!
//! On by default: as soon as page N arrives, the request for page N+1 is spawned on the
//! current Tokio runtime, so it progresses while the consumer works through page N. At most
//! one page is fetched ahead, so a listing holds at most two pages in memory whatever its
//! length. Switch it off with [`Pages::prefetch`] / [`Items::prefetch`]`(false)`: each page
//! is then requested only when the consumer asks for it. Without a Tokio runtime
//! (e.g. `futures::executor::block_on`), pages are fetched inline.
//!
//! # Parameter checks
//!
//! Builder conversion errors and out-of-range integer parameters (`page_size` above the
//! spec's maximum of 100, bounds read from the spec at build time) are the stream's first
//! and only item, before any request is sent: [`Error::InvalidParameter`].
//!
//! # Adding an operation
//!
//! Describe the page ([`CursorPage`]: three accessors), how to fetch one page for a cursor
//! ([`CursorOperation`]), and how to read a builder into that operation ([`Paginate`]);
//! see `pagination/test_invocations.rs` for the whole description of
//! `list_test_invocations`.
//!
//! ```
//! use elevenlabs_agent_tests::prelude::*;
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let client = Client::new("http://127.0.0.1:9");
//! // Nothing is sent yet: streams are lazy.
//! let listing = client.list_test_invocations().agent_id("agent_1").page_size(100).stream();
//! drop(listing);
//!
//! // Out-of-range parameters are the first item, before any request.
//! let mut listing = client.list_test_invocations().page_size(500).stream();
//! let first = listing.next().await.unwrap();
//! assert!(matches!(first, Err(Error::InvalidParameter { name: "page_size", .. })));
//! assert!(listing.next().await.is_none());
//! # }
//! ```

mod test_invocations;

use std::collections::HashSet;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use futures::Stream;
use futures::stream::FusedStream;
use futures::task::AtomicWaker;

use crate::{Error, PaginationError};

pub use test_invocations::{TestInvocationItems, TestInvocationPages, TestInvocationsQuery};

/// One page of a cursor-paginated listing.
pub trait CursorPage: Send + 'static {
    /// One listed item.
    type Item: Send + 'static;
    /// The page's `has_more`.
    fn has_more(&self) -> bool;
    /// The page's `next_cursor`.
    fn next_cursor(&self) -> Option<&str>;
    /// The page's items, in server order.
    fn into_items(self) -> Vec<Self::Item>;
}

/// A cursor-paginated operation with its filters fixed: fetches the page at a cursor.
///
/// The value is shared (`Arc`) by every request of one listing, so it owns what it needs
/// (a [`Client`](crate::Client) clone, the filters).
pub trait CursorOperation: Send + Sync + 'static {
    /// The page type.
    type Page: CursorPage;
    /// Fetches the page at `cursor` (`None`: the first page), with every filter.
    fn fetch(
        self: Arc<Self>,
        cursor: Option<String>,
    ) -> impl Future<Output = Result<Self::Page, Error>> + Send + 'static;
}

/// Paginates a request builder; implemented for the builders of cursor-paginated operations
/// (`client.list_test_invocations()`). Import it with `use elevenlabs_agent_tests::prelude::*;`.
pub trait Paginate: Sized {
    /// The operation the builder describes.
    type Operation: CursorOperation;

    /// Reads the builder: the operation with its filters, and the starting cursor (`None`:
    /// from the first page). Fails on an invalid parameter.
    fn into_operation(self) -> Result<(Self::Operation, Option<String>), Error>;

    /// A lazy stream of every page, starting at the builder's cursor.
    fn pages(self) -> Pages<Self::Operation> {
        match self.into_operation() {
            Ok((operation, cursor)) => Pages::new(operation, cursor),
            Err(e) => Pages::failed(e),
        }
    }

    /// A lazy stream of every item of every page, starting at the builder's cursor.
    fn stream(self) -> Items<Self::Operation> {
        self.pages().items()
    }
}

/// Checks an integer query parameter against the spec's bounds for `operation_id`, with the
/// request hook's check, so a listing fails before its first request exactly as `.send()` would.
pub(crate) fn check_bounds(operation_id: &str, name: &str, value: u64) -> Result<(), Error> {
    crate::hooks::check_param(operation_id, name, &value.to_string()).map_err(|message| {
        Error::from(
            progenitor_client::Error::<crate::types::HttpValidationError>::InvalidRequest(message),
        )
    })
}

type BoxFetch<P> = Pin<Box<dyn Future<Output = Result<P, Error>> + Send>>;

/// Aborts a spawned prefetch when dropped (the stream was dropped).
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

/// Set once a spawned prefetch has been polled for the first time (or dropped unpolled),
/// waking the stream that waits for it.
#[derive(Default)]
struct Started {
    done: AtomicBool,
    waker: AtomicWaker,
}

impl Started {
    fn fire(&self) {
        self.done.store(true, Ordering::Release);
        self.waker.wake();
    }

    /// Whether the prefetch has started; if not, `cx` is woken when it does.
    fn poll_started(&self, cx: &Context<'_>) -> bool {
        if self.done.load(Ordering::Acquire) {
            return true;
        }
        self.waker.register(cx.waker());
        self.done.load(Ordering::Acquire)
    }
}

/// The prefetch future as spawned: fires [`Started`] after its first poll, by which time
/// the request has been handed to the connection, and when dropped unpolled (runtime
/// shutting down), so that nothing waits for it forever.
struct Announced<P> {
    fetch: BoxFetch<P>,
    started: Arc<Started>,
}

impl<P> Future for Announced<P> {
    type Output = Result<P, Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let result = self.fetch.as_mut().poll(cx);
        self.started.fire();
        result
    }
}

impl<P> Drop for Announced<P> {
    fn drop(&mut self) {
        self.started.fire();
    }
}

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

enum Fetch<P> {
    /// Polled by the consumer's own task.
    Inline(BoxFetch<P>),
    /// Running in its own task (prefetch); `cursor` to re-issue it if the runtime
    /// cancelled the task.
    Spawned {
        task: AbortOnDrop<Result<P, Error>>,
        started: Arc<Started>,
        cursor: String,
    },
}

enum State<P> {
    /// Not polled yet: the starting cursor.
    NotStarted(Option<String>),
    /// The next page is fetched on the next poll (prefetch off).
    Next(String),
    /// A request is in flight.
    Fetching(Fetch<P>),
    /// Yielded next, then the stream ends.
    Failed(Error),
    /// Ended.
    Done,
}

/// A lazy stream of the pages of one listing; see the [module docs](self).
///
/// Yields `Result<Page, Error>`; ends after the last page or after the first error.
#[must_use = "streams do nothing unless polled"]
pub struct Pages<Op: CursorOperation> {
    operation: Option<Arc<Op>>,
    state: State<Op::Page>,
    /// A page held back until the spawned prefetch of the next one has started.
    held: Option<Op::Page>,
    prefetch: bool,
    /// Every cursor used in this listing, the starting one included.
    seen: HashSet<String>,
    /// Pages received so far.
    received: u64,
}

impl<Op: CursorOperation> Pages<Op> {
    /// A listing of `operation` starting at `cursor` (`None`: the first page).
    pub fn new(operation: Op, cursor: Option<String>) -> Self {
        let state = match cursor.as_deref() {
            Some("") => State::Failed(Error::InvalidParameter {
                name: "cursor",
                message: "must not be empty; leave it unset to start from the first page"
                    .to_owned(),
            }),
            _ => State::NotStarted(cursor),
        };
        Self::with_state(Some(Arc::new(operation)), state)
    }

    /// A stream whose only item is `error` (an invalid parameter found before any request).
    pub fn failed(error: Error) -> Self {
        Self::with_state(None, State::Failed(error))
    }

    fn with_state(operation: Option<Arc<Op>>, state: State<Op::Page>) -> Self {
        Self {
            operation,
            state,
            held: None,
            prefetch: true,
            seen: HashSet::new(),
            received: 0,
        }
    }

    /// Prefetch the next page while the current one is consumed (default `true`).
    pub fn prefetch(mut self, on: bool) -> Self {
        self.prefetch = on;
        self
    }

    /// The items of every page, flattened.
    pub fn items(self) -> Items<Op> {
        Items {
            pages: self,
            current: Vec::new().into_iter(),
        }
    }

    /// Pages received from the server so far.
    pub fn pages_received(&self) -> u64 {
        self.received
    }

    fn operation(&self) -> Arc<Op> {
        // `operation` is `None` only for `failed`, whose state never fetches.
        Arc::clone(
            self.operation
                .as_ref()
                .expect("a listing with an operation"),
        )
    }

    /// Whether the page in hand may be handed out: no prefetch is pending its first poll.
    fn prefetch_started(&self, cx: &Context<'_>) -> bool {
        match &self.state {
            State::Fetching(Fetch::Spawned { started, .. }) => started.poll_started(cx),
            _ => true,
        }
    }

    fn inline(&self, cursor: Option<String>) -> Fetch<Op::Page> {
        Fetch::Inline(Box::pin(self.operation().fetch(cursor)))
    }

    /// Checks a received page and decides what comes after it. Returns `true` when the
    /// next page was spawned (prefetch).
    fn after_page(&mut self, page: &Op::Page) -> bool {
        self.received += 1;
        if !page.has_more() {
            self.state = State::Done;
            return false;
        }
        let cursor = match page.next_cursor() {
            None | Some("") => {
                self.state = State::Failed(
                    PaginationError::MissingCursor {
                        page: self.received,
                    }
                    .into(),
                );
                return false;
            }
            Some(c) => c,
        };
        if self.seen.contains(cursor) {
            self.state = State::Failed(
                PaginationError::RepeatedCursor {
                    page: self.received,
                    cursor: cursor.to_owned(),
                }
                .into(),
            );
            return false;
        }
        let cursor = cursor.to_owned();
        self.seen.insert(cursor.clone());
        if self.prefetch
            && let Ok(handle) = tokio::runtime::Handle::try_current()
        {
            let started = Arc::new(Started::default());
            let task = handle.spawn(Announced {
                fetch: Box::pin(self.operation().fetch(Some(cursor.clone()))),
                started: Arc::clone(&started),
            });
            self.state = State::Fetching(Fetch::Spawned {
                task: AbortOnDrop(task),
                started,
                cursor,
            });
            return true;
        }
        self.state = State::Next(cursor);
        false
    }
}

// Nothing in a listing is pinned structurally (the in-flight future is boxed), so the
// streams can be polled by `&mut` whatever the page and item types.
impl<Op: CursorOperation> Unpin for Pages<Op> {}
impl<Op: CursorOperation> Unpin for Items<Op> {}

impl<Op: CursorOperation> Stream for Pages<Op> {
    type Item = Result<Op::Page, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if this.held.is_some() {
            if !this.prefetch_started(cx) {
                return Poll::Pending;
            }
            return Poll::Ready(this.held.take().map(Ok));
        }
        loop {
            match std::mem::replace(&mut this.state, State::Done) {
                State::Done => return Poll::Ready(None),
                State::Failed(e) => return Poll::Ready(Some(Err(e))),
                State::NotStarted(cursor) => {
                    if let Some(c) = &cursor {
                        this.seen.insert(c.clone());
                    }
                    // The first page is awaited right away: nothing to overlap it with.
                    this.state = State::Fetching(this.inline(cursor));
                }
                State::Next(cursor) => {
                    this.state = State::Fetching(this.inline(Some(cursor)));
                }
                State::Fetching(mut fetch) => {
                    let result = match &mut fetch {
                        Fetch::Inline(fut) => fut.as_mut().poll(cx),
                        Fetch::Spawned { task, cursor, .. } => match Pin::new(&mut task.0).poll(cx)
                        {
                            Poll::Pending => Poll::Pending,
                            Poll::Ready(Ok(result)) => Poll::Ready(result),
                            Poll::Ready(Err(join)) if join.is_panic() => {
                                std::panic::resume_unwind(join.into_panic())
                            }
                            Poll::Ready(Err(_cancelled)) => {
                                // The runtime is shutting down and cancelled the prefetch:
                                // ask again from this task.
                                let cursor = std::mem::take(cursor);
                                this.state = State::Fetching(this.inline(Some(cursor)));
                                continue;
                            }
                        },
                    };
                    match result {
                        Poll::Pending => {
                            this.state = State::Fetching(fetch);
                            return Poll::Pending;
                        }
                        Poll::Ready(Err(e)) => return Poll::Ready(Some(Err(e))),
                        Poll::Ready(Ok(page)) => {
                            drop(fetch);
                            // When the next request was just spawned, hand this page out
                            // only once a worker has polled that request: a consumer that
                            // then works on this page without yielding would otherwise
                            // keep it off the wire (a task spawned from a worker waits in
                            // that worker's LIFO slot, and one spawned from outside the
                            // runtime was seen to wait until the spawning thread parked).
                            if this.after_page(&page) && !this.prefetch_started(cx) {
                                this.held = Some(page);
                                return Poll::Pending;
                            }
                            return Poll::Ready(Some(Ok(page)));
                        }
                    }
                }
            }
        }
    }
}

impl<Op: CursorOperation> FusedStream for Pages<Op> {
    fn is_terminated(&self) -> bool {
        self.held.is_none() && matches!(self.state, State::Done)
    }
}

impl<Op: CursorOperation> std::fmt::Debug for Pages<Op> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = match &self.state {
            State::NotStarted(_) => "not started",
            State::Next(_) => "waiting for the next poll",
            State::Fetching(Fetch::Inline(_)) => "fetching",
            State::Fetching(Fetch::Spawned { .. }) => "prefetching",
            State::Failed(_) => "failed",
            State::Done => "done",
        };
        f.debug_struct("Pages")
            .field("state", &state)
            .field("prefetch", &self.prefetch)
            .field("pages_received", &self.received)
            .finish()
    }
}

/// A lazy stream of the items of one listing, page after page; see the [module docs](self).
///
/// Yields `Result<Item, Error>`; ends after the last item or after the first error.
#[must_use = "streams do nothing unless polled"]
pub struct Items<Op: CursorOperation> {
    pages: Pages<Op>,
    current: std::vec::IntoIter<<Op::Page as CursorPage>::Item>,
}

impl<Op: CursorOperation> Items<Op> {
    /// Prefetch the next page while the current one is consumed (default `true`).
    pub fn prefetch(mut self, on: bool) -> Self {
        self.pages.prefetch = on;
        self
    }

    /// Pages received from the server so far.
    pub fn pages_received(&self) -> u64 {
        self.pages.received
    }
}

impl<Op: CursorOperation> Stream for Items<Op> {
    type Item = Result<<Op::Page as CursorPage>::Item, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            if let Some(item) = this.current.next() {
                return Poll::Ready(Some(Ok(item)));
            }
            match Pin::new(&mut this.pages).poll_next(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(e))),
                Poll::Ready(Some(Ok(page))) => this.current = page.into_items().into_iter(),
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let here = self.current.len();
        if self.pages.is_terminated() {
            (here, Some(here))
        } else {
            (here, None)
        }
    }
}

impl<Op: CursorOperation> FusedStream for Items<Op> {
    fn is_terminated(&self) -> bool {
        self.current.as_slice().is_empty() && self.pages.is_terminated()
    }
}

impl<Op: CursorOperation> std::fmt::Debug for Items<Op> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Items")
            .field("pages", &self.pages)
            .field("buffered", &self.current.len())
            .finish()
    }
}
