//! The remote side of a project: one `list_tests` stream (tests and folders), then one
//! `get_test` per test wanted, a bounded number at a time, through the client's retries (a
//! 429 slows the run down instead of failing it).

use std::collections::HashMap;

use futures::{StreamExt, TryStreamExt};
use serde_json::Value;

use elevenlabs_agent_tests::Client;
use elevenlabs_agent_tests::pagination::Paginate;
use elevenlabs_agent_tests::types::{AgentTestEntityType, UnitTestSummaryResponseModel};

use crate::failure::Failure;

/// Every test and folder of the workspace, as the listing gives them.
#[derive(Debug, Clone, Default)]
pub struct Listing {
    /// The tests, in the listing's order.
    pub tests: Vec<UnitTestSummaryResponseModel>,
    /// The folders.
    pub folders: Vec<UnitTestSummaryResponseModel>,
}

impl Listing {
    /// One `list_tests` stream over every page, folders included.
    pub async fn fetch(client: &Client) -> Result<Listing, Failure> {
        let mut listing = Listing::default();
        let mut items = client
            .list_tests()
            .include_folders(true)
            .page_size(100)
            .stream();
        while let Some(item) = items.try_next().await? {
            if item.entity_type == AgentTestEntityType::Folder {
                listing.folders.push(item);
            } else {
                listing.tests.push(item);
            }
        }
        Ok(listing)
    }

    /// The test with this id.
    pub fn test(&self, id: &str) -> Option<&UnitTestSummaryResponseModel> {
        self.tests.iter().find(|t| t.id == id)
    }

    /// Every folder by its path of names from the root.
    pub fn folders_by_path(&self) -> HashMap<Vec<String>, String> {
        self.folders
            .iter()
            .map(|f| {
                let mut path = folder_names(f);
                path.push(f.name.clone());
                (path, f.id.clone())
            })
            .collect()
    }
}

/// The names of the folders an item is in, from the root (without the item itself, should a
/// server list it last).
pub fn folder_names(item: &UnitTestSummaryResponseModel) -> Vec<String> {
    let mut path = item.folder_path.as_slice();
    if let Some((last, rest)) = path.split_last()
        && last.id == item.id
    {
        path = rest;
    }
    path.iter().map(|s| s.name.clone()).collect()
}

/// The id of the folder an item is in (`None`: the root).
pub fn folder_id(item: &UnitTestSummaryResponseModel) -> Option<String> {
    item.folder_parent_id.clone().or_else(|| {
        item.folder_path
            .iter()
            .rev()
            .find(|s| s.id != item.id)
            .map(|s| s.id.clone())
    })
}

/// `GET /v1/convai/agent-testing/{id}` for each id, `concurrency` at a time; the bodies as
/// JSON, in the order of `ids`.
pub async fn get_tests(
    client: &Client,
    ids: Vec<String>,
    concurrency: usize,
) -> Result<Vec<(String, Value)>, Failure> {
    futures::stream::iter(ids)
        .map(|id| async move {
            let test = client.get_test().test_id(id.as_str()).send().await?;
            let body = serde_json::to_value(test.into_inner())
                .map_err(|e| Failure::Io(format!("cannot encode test {id}: {e}")))?;
            Ok::<_, Failure>((id, body))
        })
        .buffered(concurrency.max(1))
        .try_collect()
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use elevenlabs_agent_tests::types::AgentTestFolderPathSegmentResponseModel as Segment;

    fn item(id: &str, parent: Option<&str>, path: &[(&str, &str)]) -> UnitTestSummaryResponseModel {
        serde_json::from_value(serde_json::json!({
            "id": id, "name": id, "type": "llm", "created_at_unix_secs": 0, "last_updated_at_unix_secs": 0,
            "folder_parent_id": parent,
            "folder_path": path.iter().map(|(id, name)| Segment { id: (*id).into(), name: (*name).into() }).collect::<Vec<_>>(),
        }))
        .unwrap()
    }

    #[test]
    fn folders_are_named_from_the_root_without_the_item() {
        let t = item("t1", Some("f2"), &[("f1", "A"), ("f2", "B")]);
        assert_eq!(folder_names(&t), ["A", "B"]);
        assert_eq!(folder_id(&t), Some("f2".to_owned()));
        // A server that lists the item itself last.
        let t = item("t1", None, &[("f1", "A"), ("t1", "t1")]);
        assert_eq!(folder_names(&t), ["A"]);
        assert_eq!(folder_id(&t), Some("f1".to_owned()));
        let root = item("t1", None, &[]);
        assert!(folder_names(&root).is_empty());
        assert_eq!(folder_id(&root), None);
    }

    #[test]
    fn folders_are_found_by_their_path() {
        let listing = Listing {
            tests: vec![],
            folders: vec![
                item("f1", None, &[]),
                item("f2", Some("f1"), &[("f1", "f1")]),
            ],
        };
        let by_path = listing.folders_by_path();
        assert_eq!(by_path[&vec!["f1".to_owned()]], "f1");
        assert_eq!(by_path[&vec!["f1".to_owned(), "f2".to_owned()]], "f2");
    }
}
