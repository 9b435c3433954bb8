//! `GET /v1/convai/test-invocations` ("List test invocations") as a cursor-paginated
//! operation. This file is the whole description the engine needs.

use std::num::NonZeroU64;
use std::sync::Arc;

use super::{CursorOperation, CursorPage, Items, Pages, Paginate, check_bounds};
use crate::types::{GetTestInvocationsPageResponseModel, TestInvocationSummaryResponseModel};
use crate::{Client, Error, builder::ListTestInvocations};

/// The pages of a test-invocation listing ([`Paginate::pages`]).
pub type TestInvocationPages = Pages<TestInvocationsQuery>;
/// The items of a test-invocation listing ([`Paginate::stream`]).
pub type TestInvocationItems = Items<TestInvocationsQuery>;

impl CursorPage for GetTestInvocationsPageResponseModel {
    type Item = TestInvocationSummaryResponseModel;
    fn has_more(&self) -> bool {
        self.has_more
    }
    fn next_cursor(&self) -> Option<&str> {
        self.next_cursor.as_deref()
    }
    fn into_items(self) -> Vec<Self::Item> {
        self.results
    }
}

/// `list_test_invocations` with its filters fixed, as read from the builder.
#[derive(Clone, Debug)]
pub struct TestInvocationsQuery {
    client: Client,
    agent_id: Option<String>,
    page_size: Option<NonZeroU64>,
}

impl CursorOperation for TestInvocationsQuery {
    type Page = GetTestInvocationsPageResponseModel;

    async fn fetch(self: Arc<Self>, cursor: Option<String>) -> Result<Self::Page, Error> {
        let mut request = self.client.list_test_invocations();
        if let Some(cursor) = cursor {
            request = request.cursor(cursor);
        }
        if let Some(agent_id) = &self.agent_id {
            request = request.agent_id(agent_id.clone());
        }
        if let Some(page_size) = self.page_size {
            request = request.page_size(page_size);
        }
        Ok(request.send().await?.into_inner())
    }
}

impl Paginate for ListTestInvocations<'_> {
    type Operation = TestInvocationsQuery;

    fn into_operation(self) -> Result<(TestInvocationsQuery, Option<String>), Error> {
        let invalid = |name| move |message| Error::InvalidParameter { name, message };
        let page_size = self
            .page_size
            .map_err(|e| invalid("page_size")(format!("{e}; expected a positive integer")))?;
        if let Some(n) = page_size {
            check_bounds("list_test_invocations", "page_size", n.get())?;
        }
        let query = TestInvocationsQuery {
            client: self.client.clone(),
            agent_id: self.agent_id.map_err(invalid("agent_id"))?,
            page_size,
        };
        Ok((query, self.cursor.map_err(invalid("cursor"))?))
    }
}
