//! The endpoints of the fake, one file per resource. Each handler gets a [`Ctx`] after
//! routing and authentication, and answers a complete response.

pub(crate) mod agent_testing;
pub(crate) mod agents;
pub(crate) mod folders;
pub(crate) mod invocations;

use std::sync::MutexGuard;

use super::Shared;
use super::state::Store;
use crate::spec::Bound;
use crate::spec::{Facts, Tables};

/// What a handler sees of a request.
pub(crate) struct Ctx<'a> {
    pub(crate) shared: &'a Shared,
    /// The spec's id of the operation the request was routed to.
    pub(crate) operation: &'a str,
    pub(crate) query: &'a [(String, String)],
    pub(crate) body: &'a [u8],
}

impl Ctx<'_> {
    /// The store, locked (a poisoned lock is recovered: the store stays consistent because
    /// handlers do not panic half-way through a change).
    pub(crate) fn store(&self) -> MutexGuard<'_, Store> {
        self.shared.store.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The spec's facts the fake runs by.
    pub(crate) fn tables(&self) -> &'static Tables {
        self.shared.tables
    }

    /// What the spec says of the operation's parameter `name`.
    pub(crate) fn param_facts(&self, name: &str) -> Facts {
        self.tables().parameter(self.operation, name)
    }

    /// The string values the spec allows for the operation's parameter `name`.
    pub(crate) fn param_values(&self, name: &str) -> Vec<&'static str> {
        let tables = self.tables();
        tables
            .parameters
            .iter()
            .find(|p| p.operation_id == self.operation && p.name == name)
            .map(|p| p.facts.string_values())
            .unwrap_or_default()
    }

    /// The spec's default of the operation's string parameter `name` (`""` when it has none).
    pub(crate) fn str_default(&self, name: &str) -> String {
        self.tables()
            .str_default(self.operation, name)
            .unwrap_or_default()
    }

    /// The component schema of the operation's body.
    fn body_schema(&self) -> Option<&'static str> {
        self.tables().operation(self.operation)?.body.as_deref()
    }

    /// The spec's bounds on the top-level fields of the operation's body.
    pub(crate) fn body_rules(&self) -> Vec<(&'static str, Bound)> {
        self.body_schema()
            .map(|schema| self.tables().bounds(schema))
            .unwrap_or_default()
    }

    /// The tags of the operation's body when it is a discriminated union (the test kinds).
    pub(crate) fn kinds(&self) -> Vec<&'static str> {
        let tables = self.tables();
        self.body_schema()
            .and_then(|schema| tables.union(schema))
            .map(|u| u.variants.iter().map(|v| v.tag.as_str()).collect())
            .unwrap_or_default()
    }

    /// The spec's bounds on the top-level fields of the kind `tag` of the operation's body.
    pub(crate) fn kind_rules(&self, tag: &str) -> Vec<(&'static str, Bound)> {
        let tables = self.tables();
        self.body_schema()
            .and_then(|schema| tables.union(schema))
            .and_then(|u| u.variants.iter().find(|v| v.tag == tag))
            .map(|v| tables.bounds(&v.schema))
            .unwrap_or_default()
    }
}
