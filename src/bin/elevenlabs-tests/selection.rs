//! Which tests `run` runs: the sources (`--test`, `--folder`, `--rerun-failed`, and the ids of
//! another source such as a project's tests.json; the agent's attached tests when none is
//! given), narrowed by `--type` and `--search`. Every flag given intersects the rest, and a
//! selection that ends empty is a usage error naming the flag that emptied it.

use std::collections::{BTreeSet, HashMap};

use elevenlabs_agent_tests::prelude::*;
use elevenlabs_agent_tests::types::{AgentTestEntityType, TestRunStatus, TestType};

use crate::args::SelectArgs;
use crate::failure::Failure;

/// One selected test.
#[derive(Clone, Debug, PartialEq)]
pub struct Selected {
    /// The test's id.
    pub test_id: String,
    /// Its name, when a listing or an invocation gave it.
    pub name: Option<String>,
    /// The workflow node it runs on (attached tests and reruns carry it).
    pub workflow_node_id: Option<String>,
}

impl Selected {
    fn new(test_id: impl Into<String>, name: Option<String>, node: Option<String>) -> Self {
        Self {
            test_id: test_id.into(),
            name,
            workflow_node_id: node,
        }
    }
}

/// A set of tests named for the message when it empties the selection (`--folder fld_1`).
pub struct Source {
    /// The flag and its value, as the user wrote them.
    pub label: String,
    /// The tests, in the order to run them.
    pub tests: Vec<Selected>,
}

/// Ids given by another part of the program (`--project`: the ids in tests.json), named for
/// the messages.
pub struct ExtraIds<'a> {
    /// The flag that gave them, e.g. `--project`.
    pub label: &'a str,
    /// The test ids.
    pub ids: &'a [String],
}

/// Resolves the selection of `run`: asks the API for what the flags need, then [`combine`]s.
pub async fn select(
    client: &Client,
    agent: &str,
    args: &SelectArgs,
    extra: Option<ExtraIds<'_>>,
) -> Result<Vec<Selected>, Failure> {
    let mut sources = Vec::new();
    if !args.tests.is_empty() {
        sources.push(Source {
            label: "--test".to_owned(),
            tests: args
                .tests
                .iter()
                .map(|id| Selected::new(id.as_str(), None, None))
                .collect(),
        });
    }
    if let Some(folder) = &args.folder {
        sources.push(Source {
            label: format!("--folder {folder}"),
            tests: folder_tests(client, folder).await?,
        });
    }
    if let Some(invocation) = &args.rerun_failed {
        sources.push(Source {
            label: format!("--rerun-failed {invocation}"),
            tests: failed_tests(client, invocation).await?,
        });
    }
    if let Some(extra) = extra {
        sources.push(Source {
            label: extra.label.to_owned(),
            tests: extra
                .ids
                .iter()
                .map(|id| Selected::new(id.as_str(), None, None))
                .collect(),
        });
    }
    if sources.is_empty() {
        let tests = attached_tests(client, agent).await?;
        if tests.is_empty() {
            return Err(Failure::Usage(format!(
                "agent {agent} has no tests attached; attach some or pass --test TEST_ID"
            )));
        }
        sources.push(Source {
            label: format!("the tests attached to agent {agent}"),
            tests,
        });
    }
    if !args.types.is_empty() {
        let types: Vec<&str> = args.types.iter().map(TestType::as_str).collect();
        let request = client.list_tests().types(args.types.clone()).page_size(100);
        sources.push(Source {
            label: format!("--type {}", types.join(",")),
            tests: listed(request.stream()).await?,
        });
    }
    if let Some(search) = &args.search {
        let request = client.list_tests().search(search.as_str()).page_size(100);
        sources.push(Source {
            label: format!("--search {search:?}"),
            tests: listed(request.stream()).await?,
        });
    }
    let mut selected = combine(sources).map_err(Failure::Usage)?;
    fill_names(client, &mut selected).await;
    Ok(selected)
}

/// Most ids in one `POST /agent-testing/summaries` (the API's advice: "at most 1000").
const SUMMARY_IDS: usize = 1000;

/// Names the tests no source named (`--test`, the agent's attached tests), from the API's
/// summaries of them, so the selection is printed by name. Only for the printout: an id the
/// API does not know, or a failed look-up, leaves the id shown instead (the run itself then
/// says what is wrong).
async fn fill_names(client: &Client, selected: &mut [Selected]) {
    let unnamed: Vec<String> = selected
        .iter()
        .filter(|t| t.name.is_none())
        .map(|t| t.test_id.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    for ids in unnamed.chunks(SUMMARY_IDS) {
        let body = elevenlabs_agent_tests::types::ListTestsByIdsRequestModel {
            test_ids: ids.to_vec(),
        };
        let Ok(found) = client.get_test_summaries().body(body).send().await else {
            return;
        };
        let found = found.into_inner().tests;
        for t in selected.iter_mut().filter(|t| t.name.is_none()) {
            t.name = found.get(&t.test_id).map(|s| s.name.clone());
        }
    }
}

/// The intersection of `sources`, in the first one's order, without repeats; names and
/// workflow nodes filled from any source that has them. An empty result names the source
/// that emptied it.
pub fn combine(sources: Vec<Source>) -> Result<Vec<Selected>, String> {
    let mut sources = sources.into_iter();
    let Some(first) = sources.next() else {
        return Err("no tests selected".to_owned());
    };
    let mut seen = BTreeSet::new();
    let mut selected: Vec<Selected> = first
        .tests
        .into_iter()
        .filter(|t| seen.insert(t.test_id.clone()))
        .collect();
    if selected.is_empty() {
        return Err(format!("no tests selected: {} has none", first.label));
    }
    let mut labels = vec![first.label];
    for source in sources {
        let by_id: HashMap<&str, &Selected> = source
            .tests
            .iter()
            .map(|t| (t.test_id.as_str(), t))
            .collect();
        let before = selected.len();
        selected.retain_mut(|t| match by_id.get(t.test_id.as_str()) {
            Some(other) => {
                if t.name.is_none() {
                    t.name.clone_from(&other.name);
                }
                if t.workflow_node_id.is_none() {
                    t.workflow_node_id.clone_from(&other.workflow_node_id);
                }
                true
            }
            None => false,
        });
        if selected.is_empty() {
            return Err(format!(
                "no tests selected: {} left none of the {before} test{} of {}",
                source.label,
                if before == 1 { "" } else { "s" },
                labels.join(" and ")
            ));
        }
        labels.push(source.label);
    }
    Ok(selected)
}

/// Every test of a listing, all pages.
async fn listed<S>(mut items: S) -> Result<Vec<Selected>, Failure>
where
    S: futures::Stream<
            Item = Result<
                elevenlabs_agent_tests::types::UnitTestSummaryResponseModel,
                elevenlabs_agent_tests::Error,
            >,
        > + Unpin,
{
    let mut tests = Vec::new();
    while let Some(item) = items.try_next().await? {
        if item.entity_type != AgentTestEntityType::Folder {
            tests.push(Selected::new(item.id, Some(item.name), None));
        }
    }
    Ok(tests)
}

/// The tests in `folder` and its subfolders, all pages, folder by folder.
async fn folder_tests(client: &Client, folder: &str) -> Result<Vec<Selected>, Failure> {
    // Every type the spec knows, `folder` included, so that subfolders are listed too.
    let every_type: Vec<TestType> = TestType::KNOWN.iter().map(|t| TestType::from(*t)).collect();
    let mut queue = vec![folder.to_owned()];
    let mut visited = BTreeSet::new();
    let mut tests = Vec::new();
    while let Some(folder) = queue.pop() {
        if !visited.insert(folder.clone()) {
            continue;
        }
        let mut items = client
            .list_tests()
            .parent_folder_id(folder.as_str())
            .types(every_type.clone())
            .page_size(100)
            .stream();
        while let Some(item) = items.try_next().await? {
            if item.entity_type == AgentTestEntityType::Folder {
                queue.push(item.id);
            } else {
                tests.push(Selected::new(item.id, Some(item.name), None));
            }
        }
    }
    Ok(tests)
}

/// The tests whose runs finished without passing in `invocation` (failed, cancelled, unknown).
async fn failed_tests(client: &Client, invocation: &str) -> Result<Vec<Selected>, Failure> {
    let invocation = client
        .get_test_invocation()
        .test_invocation_id(invocation)
        .send()
        .await?
        .into_inner();
    Ok(invocation
        .test_runs
        .into_iter()
        .filter(|r| !matches!(r.status, TestRunStatus::Passed | TestRunStatus::Pending))
        .map(|r| Selected::new(r.test_id, Some(r.test_name), r.workflow_node_id))
        .collect())
}

/// The tests attached to the agent (`platform_settings.testing.attached_tests`).
async fn attached_tests(client: &Client, agent: &str) -> Result<Vec<Selected>, Failure> {
    let config = client
        .get_agent()
        .agent_id(agent)
        .send()
        .await?
        .into_inner();
    Ok(config
        .platform_settings
        .and_then(|p| p.testing)
        .map(|t| t.attached_tests)
        .unwrap_or_default()
        .into_iter()
        .map(|t| Selected::new(t.test_id, None, t.workflow_node_id))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(label: &str, ids: &[(&str, Option<&str>)]) -> Source {
        Source {
            label: label.to_owned(),
            tests: ids
                .iter()
                .map(|(id, name)| Selected::new(*id, name.map(str::to_owned), None))
                .collect(),
        }
    }

    #[test]
    fn sources_intersect_in_the_first_ones_order_with_names_filled() {
        let got = combine(vec![
            source(
                "--test",
                &[("t3", None), ("t1", None), ("t2", None), ("t1", None)],
            ),
            source(
                "--type llm",
                &[("t1", Some("One")), ("t2", None), ("t3", Some("Three"))],
            ),
            source(
                "--search \"o\"",
                &[("t2", Some("Two")), ("t1", Some("Other"))],
            ),
        ])
        .unwrap();
        let ids: Vec<_> = got
            .iter()
            .map(|t| (t.test_id.as_str(), t.name.as_deref()))
            .collect();
        assert_eq!(ids, [("t1", Some("One")), ("t2", Some("Two"))]);
    }

    #[test]
    fn an_empty_selection_names_the_flag_that_emptied_it() {
        let err = combine(vec![
            source("--folder f", &[("t1", None), ("t2", None)]),
            source("--type tool", &[("t2", None), ("t9", None)]),
            source("--search \"x\"", &[("t1", None)]),
        ])
        .unwrap_err();
        assert_eq!(
            err,
            "no tests selected: --search \"x\" left none of the 1 test of --folder f and --type tool"
        );
        let err = combine(vec![source("--rerun-failed inv_1", &[])]).unwrap_err();
        assert_eq!(err, "no tests selected: --rerun-failed inv_1 has none");
        let err = combine(vec![
            source("--test", &[("a", None), ("b", None)]),
            source("--type llm", &[]),
        ])
        .unwrap_err();
        assert!(
            err.contains("--type llm left none of the 2 tests of --test"),
            "{err}"
        );
        assert!(combine(Vec::new()).is_err());
    }

    #[test]
    fn a_workflow_node_comes_from_whichever_source_has_it() {
        let mut attached = source("attached", &[("t1", None)]);
        attached.tests[0].workflow_node_id = Some("node".into());
        let got = combine(vec![source("--test", &[("t1", None)]), attached]).unwrap();
        assert_eq!(got[0].workflow_node_id.as_deref(), Some("node"));
    }
}
