//! The endpoints of the fake, one file per resource. Each handler gets a [`Ctx`] after
//! routing and authentication, and answers a complete response.

pub(crate) mod agent_testing;
pub(crate) mod agents;
pub(crate) mod folders;
pub(crate) mod invocations;

use std::sync::MutexGuard;

use super::Shared;
use super::state::Store;

/// What a handler sees of a request.
pub(crate) struct Ctx<'a> {
    pub(crate) shared: &'a Shared,
    pub(crate) query: &'a [(String, String)],
    pub(crate) body: &'a [u8],
}

impl Ctx<'_> {
    /// The store, locked (a poisoned lock is recovered: the store stays consistent because
    /// handlers do not panic half-way through a change).
    pub(crate) fn store(&self) -> MutexGuard<'_, Store> {
        self.shared.store.lock().unwrap_or_else(|p| p.into_inner())
    }
}
