//! Waiting for a test invocation to finish.
//!
//! `run_tests` answers at once with every run `pending`; the runs finish later.
//! [`TestInvocationWaitExt::wait_for_test_invocation`] polls `get_test_invocation` until the
//! invocation [is finished](crate::types::GetTestSuiteInvocationResponseModel::is_finished):
//!
//! - `.await` gives the finished invocation; [`WaitForTestInvocation::updates`] gives every
//!   snapshot as it is polled, ending with the finished one;
//! - it polls every [`poll_interval`](WaitForTestInvocation::poll_interval) (default 5 s),
//!   never faster: the next poll starts at least one interval after the previous one
//!   started, however long that one took (retries and `Retry-After` waits included);
//! - each poll goes through the client's retries, so a 429 is retried after its
//!   `Retry-After` and a 5xx with backoff; an error that remains ends the wait with it;
//! - after [`timeout`](WaitForTestInvocation::timeout) (default 10 min) it gives up with
//!   [`Error::WaitTimedOut`], which keeps the last snapshot (report what did finish);
//! - a `cancelled` run counts as finished, and so does a run status this version of the
//!   crate does not know: a wait never hangs on a value added later;
//! - dropping the future or the stream stops polling.
//!
//! ```
//! use std::time::Duration;
//! use elevenlabs_agent_tests::prelude::*;
//!
//! # async fn ci(client: Client, agent_id: &str, test_ids: Vec<String>) -> Result<bool, Error> {
//! let tests = test_ids
//!     .into_iter()
//!     .map(|id| elevenlabs_agent_tests::types::SingleTestRunRequestModel::builder().test_id(id))
//!     .map(|b| b.try_into().expect("test_id is set"))
//!     .collect::<Vec<_>>();
//! let started = client.run_tests().agent_id(agent_id).body_map(|b| b.tests(tests)).send().await?;
//! let finished = client
//!     .wait_for_test_invocation(&started.id)
//!     .poll_interval(Duration::from_secs(3))
//!     .timeout(Duration::from_secs(300))
//!     .await?;
//! let outcome = finished.outcome();
//! for run in &outcome.not_passed {
//!     eprintln!("{}: {}", run.test_name, run.rationale.as_deref().unwrap_or("no rationale"));
//! }
//! Ok(outcome.all_passed())
//! # }
//! ```

use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::time::Duration;

use futures::Stream;
use futures::StreamExt as _;
use tokio::time::Instant;

use crate::types::GetTestSuiteInvocationResponseModel;
use crate::{Client, Error};

/// Default time between two polls.
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(5);
/// Default time after which a wait gives up.
pub const DEFAULT_WAIT_TIMEOUT: Duration = Duration::from_secs(600);

/// `client.wait_for_test_invocation(id)`; import it with
/// `use elevenlabs_agent_tests::prelude::*;`.
pub trait TestInvocationWaitExt {
    /// Waits for test invocation `id` to finish (see the [module docs](self)).
    fn wait_for_test_invocation(&self, id: impl Into<String>) -> WaitForTestInvocation;
}

impl TestInvocationWaitExt for Client {
    fn wait_for_test_invocation(&self, id: impl Into<String>) -> WaitForTestInvocation {
        WaitForTestInvocation {
            client: self.clone(),
            id: id.into(),
            poll_interval: DEFAULT_POLL_INTERVAL,
            timeout: DEFAULT_WAIT_TIMEOUT,
        }
    }
}

/// A wait for one test invocation: configure it, then `.await` it or take its
/// [`updates`](Self::updates). Nothing is sent before that.
#[derive(Clone, Debug)]
#[must_use = "a wait does nothing until it is awaited or its updates are polled"]
pub struct WaitForTestInvocation {
    client: Client,
    id: String,
    poll_interval: Duration,
    timeout: Duration,
}

impl WaitForTestInvocation {
    /// Time between the starts of two polls (default 5 s). Zero is taken as 1 ms.
    pub fn poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = interval.max(Duration::from_millis(1));
        self
    }

    /// Time after which the wait gives up with [`Error::WaitTimedOut`] (default 10 min).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Every snapshot as it is polled, the finished one last; or, last, the error that ended
    /// the wait ([`Error::WaitTimedOut`] with the last snapshot, or the poll's error).
    pub fn updates(
        self,
    ) -> impl Stream<Item = Result<GetTestSuiteInvocationResponseModel, Error>> + Send + Unpin + 'static
    {
        let state = Poller {
            deadline: Instant::now() + self.timeout,
            wait: self,
            next_poll: None,
            polls: 0,
            last: None,
            done: false,
        };
        Box::pin(futures::stream::unfold(state, |mut state| async move {
            if state.done {
                return None;
            }
            let item = state.step().await;
            Some((item, state))
        }))
    }
}

/// The polling loop's state between two snapshots.
struct Poller {
    wait: WaitForTestInvocation,
    deadline: Instant,
    /// When the next poll may start (`None`: at once).
    next_poll: Option<Instant>,
    polls: u32,
    last: Option<GetTestSuiteInvocationResponseModel>,
    done: bool,
}

impl Poller {
    /// Waits for the next poll time, polls, and says what to yield.
    async fn step(&mut self) -> Result<GetTestSuiteInvocationResponseModel, Error> {
        if let Some(at) = self.next_poll {
            if at >= self.deadline {
                tokio::time::sleep_until(self.deadline).await;
                return Err(self.timed_out());
            }
            tokio::time::sleep_until(at).await;
        }
        let started = Instant::now();
        self.next_poll = Some(started + self.wait.poll_interval);
        self.polls += 1;
        let poll = self
            .wait
            .client
            .get_test_invocation()
            .test_invocation_id(self.wait.id.as_str())
            .send();
        let answer = match tokio::time::timeout_at(self.deadline, poll).await {
            Err(_) => return Err(self.timed_out()),
            Ok(Err(e)) => {
                self.done = true;
                return Err(e);
            }
            Ok(Ok(answer)) => answer.into_inner(),
        };
        if answer.is_finished() {
            self.done = true;
        }
        self.last = Some(answer.clone());
        Ok(answer)
    }

    fn timed_out(&mut self) -> Error {
        self.done = true;
        Error::WaitTimedOut {
            invocation_id: self.wait.id.clone(),
            timeout: self.wait.timeout,
            polls: self.polls,
            last: self.last.take().map(Box::new),
        }
    }
}

impl IntoFuture for WaitForTestInvocation {
    type Output = Result<GetTestSuiteInvocationResponseModel, Error>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send + 'static>>;

    fn into_future(self) -> Self::IntoFuture {
        let mut updates = self.updates();
        Box::pin(async move {
            let mut last = None;
            while let Some(item) = updates.next().await {
                last = Some(item?);
            }
            // The stream ends only after a finished snapshot or an error.
            last.ok_or_else(|| Error::Unexpected {
                message: "the wait ended without a snapshot".into(),
            })
        })
    }
}
