//! The whole CI loop against the embedded fake: the tests attached to an agent, run, waited
//! for, and read (`outcome`), with a failing and a passing suite; cancelling pending runs
//! (the wait treats `cancelled` as finished); renaming an invocation.

use std::time::{Duration, Instant};

use elevenlabs_agent_tests::fake::{FAIL_MARKER, FakeServer};
use elevenlabs_agent_tests::prelude::*;
use elevenlabs_agent_tests::types::{
    AdhocAgentConfigOverrideForTestRequestModel, GetTestSuiteInvocationResponseModel,
    SingleTestRunRequestModel, TestInvocationSummaryResponseModel, TestRunStatus,
};

/// Every test body runs under this limit: a test must fail, not hang.
const LIMIT: Duration = Duration::from_secs(60);

/// The tests attached to `agent`, as the requests that run them.
async fn attached(client: &Client, agent: &str) -> Vec<SingleTestRunRequestModel> {
    let details = client
        .get_agent()
        .agent_id(agent)
        .send()
        .await
        .expect("get_agent")
        .into_inner();
    details.attached_tests().iter().map(Into::into).collect()
}

/// Runs the tests attached to `agent` and returns the started invocation's id.
async fn run_attached(client: &Client, agent: &str) -> String {
    let tests = attached(client, agent).await;
    assert!(!tests.is_empty(), "{agent} has attached tests");
    let started = run(client, agent, tests).await;
    assert!(!started.is_finished(), "runs start pending");
    started.id
}

/// Runs `tests` on `agent`: the started invocation.
async fn run(
    client: &Client,
    agent: &str,
    tests: Vec<SingleTestRunRequestModel>,
) -> GetTestSuiteInvocationResponseModel {
    client
        .run_tests()
        .agent_id(agent)
        .body_map(|b| b.tests(tests))
        .send()
        .await
        .expect("run_tests")
        .into_inner()
}

/// Invocation `id` as the listing of `agent`'s invocations shows it (its first page).
async fn listed(client: &Client, agent: &str, id: &str) -> TestInvocationSummaryResponseModel {
    let page = client
        .list_test_invocations()
        .agent_id(agent)
        .send()
        .await
        .unwrap()
        .into_inner();
    page.results
        .into_iter()
        .find(|s| s.id == id)
        .unwrap_or_else(|| panic!("{id} is on the first page of {agent}'s invocations"))
}

/// The demo agents: one whose suite has a `[fail]` test, one whose suite passes.
async fn agents(server: &FakeServer, client: &Client) -> (String, String) {
    let mut failing = None;
    let mut passing = None;
    for agent in server.agent_ids() {
        let details = client
            .get_agent()
            .agent_id(agent)
            .send()
            .await
            .unwrap()
            .into_inner();
        let names: Vec<String> = server
            .tests()
            .iter()
            .filter(|t| details.attached_tests().iter().any(|a| a.test_id == t.id))
            .map(|t| t.name.clone())
            .collect();
        if names.is_empty() {
            continue;
        }
        if names.iter().any(|n| n.contains(FAIL_MARKER)) {
            failing.get_or_insert_with(|| agent.clone());
        } else {
            passing.get_or_insert_with(|| agent.clone());
        }
    }
    (
        failing.expect("a failing demo suite"),
        passing.expect("a passing demo suite"),
    )
}

#[tokio::test]
async fn run_wait_and_read_the_outcome_of_a_failing_and_a_passing_suite() {
    tokio::time::timeout(LIMIT, async {
        let server = FakeServer::builder()
            .run_duration(Duration::from_millis(300))
            .start()
            .await
            .unwrap();
        let client = server.client();
        let (failing, passing) = agents(&server, &client).await;

        let id = run_attached(&client, &failing).await;
        let finished = client
            .wait_for_test_invocation(&id)
            .poll_interval(Duration::from_millis(100))
            .await
            .expect("finishes");
        let outcome = finished.outcome();
        assert!(!outcome.all_passed());
        assert!(outcome.failed >= 1 && outcome.passed >= 1, "{outcome:?}");
        assert_eq!(outcome.pending, 0);
        for failed in &outcome.not_passed {
            assert!(failed.test_name.contains(FAIL_MARKER), "{failed:?}");
            let why = failed.rationale.as_deref().expect("a rationale");
            assert!(why.contains(FAIL_MARKER), "{why}");
        }
        // What the agent answered: a refusal where the run failed, help where it passed.
        for run in &finished.test_runs {
            let reply = &run
                .agent_responses
                .as_ref()
                .expect("a finished run's reply")[0];
            let refused = reply.message.as_deref().unwrap_or("").contains("sorry");
            assert_eq!(refused, run.status == TestRunStatus::Failed, "{reply:?}");
        }

        let id = run_attached(&client, &passing).await;
        let finished = client
            .wait_for_test_invocation(&id)
            .poll_interval(Duration::from_millis(100))
            .await
            .expect("finishes");
        assert!(finished.outcome().all_passed(), "{:?}", finished.outcome());

        // The listing counts what the runs came to.
        let listed = client
            .list_test_invocations()
            .agent_id(&passing)
            .send()
            .await
            .unwrap()
            .into_inner();
        let summary = listed.results.iter().find(|s| s.id == id).expect("listed");
        assert_eq!(summary.pending_count, 0);
        assert_eq!(summary.passed_count, summary.test_run_count);
    })
    .await
    .expect("no hang");
}

#[tokio::test]
async fn the_wait_never_polls_faster_than_its_interval() {
    tokio::time::timeout(LIMIT, async {
        let server = FakeServer::builder()
            .run_duration(Duration::from_millis(400))
            .start()
            .await
            .unwrap();
        let client = server.client();
        let (_, passing) = agents(&server, &client).await;
        let id = run_attached(&client, &passing).await;
        let started = Instant::now();
        server.clear_requests();
        let interval = Duration::from_millis(150);
        let finished = client
            .wait_for_test_invocation(&id)
            .poll_interval(interval)
            .await
            .unwrap();
        let waited = started.elapsed();
        assert!(finished.is_finished());
        let polls = server
            .requests()
            .iter()
            .filter(|r| r.path.ends_with(&id))
            .count();
        // Never faster than the interval: at most one poll per interval waited, plus the
        // first. (How promptly it notices the finish is measured by `cargo bench --bench
        // wait`, not asserted on the clock here.)
        let most = (waited.as_millis() / interval.as_millis()) as usize + 1;
        assert!(polls <= most, "{polls} polls in {waited:?} at {interval:?}");
    })
    .await
    .expect("no hang");
}

#[tokio::test]
async fn cancelling_ends_the_pending_runs_and_the_wait_sees_them_finished() {
    tokio::time::timeout(LIMIT, async {
        let server = FakeServer::builder()
            .run_duration(Duration::from_secs(30))
            .start()
            .await
            .unwrap();
        let client = server.client();
        let (failing, _) = agents(&server, &client).await;
        let id = run_attached(&client, &failing).await;
        client
            .cancel_test_invocation()
            .test_invocation_id(&id)
            .send()
            .await
            .expect("cancel");
        // Far sooner than the 30 s runs: cancelled counts as finished.
        let finished = client
            .wait_for_test_invocation(&id)
            .poll_interval(Duration::from_millis(50))
            .timeout(Duration::from_secs(5))
            .await
            .expect("a cancelled invocation is finished");
        assert!(
            finished
                .test_runs
                .iter()
                .all(|r| r.status == TestRunStatus::Cancelled)
        );
        assert_eq!(finished.cancelled, Some(true));
        let outcome = finished.outcome();
        assert_eq!(outcome.cancelled, finished.test_runs.len());
        assert!(!outcome.all_passed());
        assert!(outcome.not_passed.iter().all(|r| r.rationale.is_none()));

        let listed = client
            .list_test_invocations()
            .agent_id(&failing)
            .send()
            .await
            .unwrap()
            .into_inner();
        let summary = listed.results.iter().find(|s| s.id == id).unwrap();
        assert_eq!(summary.cancelled_count, Some(summary.test_run_count));
        assert_eq!(summary.cancelled, Some(true));
        assert_eq!(summary.pending_count, 0);

        // An unknown invocation is a 404.
        let err = client
            .cancel_test_invocation()
            .test_invocation_id("nope")
            .send()
            .await
            .unwrap_err();
        assert_eq!(err.status().map(|s| s.as_u16()), Some(404));
    })
    .await
    .expect("no hang");
}

#[tokio::test]
async fn renaming_an_invocation_and_restoring_its_title() {
    tokio::time::timeout(LIMIT, async {
        let server = FakeServer::start().await.unwrap();
        let client = server.client();
        let (_, passing) = agents(&server, &client).await;
        let id = run_attached(&client, &passing).await;
        let title_of = |client: Client, id: String, agent: String| async move {
            let s = listed(&client, &agent, &id).await;
            (s.title, s.name)
        };
        let (generated, name) = title_of(client.clone(), id.clone(), passing.clone()).await;
        assert_eq!(name, None);

        let renamed = client
            .update_test_invocation()
            .test_invocation_id(&id)
            .body_map(|b| b.name(Some("Nightly".to_owned())))
            .send()
            .await
            .unwrap()
            .into_inner();
        assert_eq!(renamed.name.as_deref(), Some("Nightly"));
        let (title, name) = title_of(client.clone(), id.clone(), passing.clone()).await;
        assert_eq!(
            (title.as_str(), name.as_deref()),
            ("Nightly", Some("Nightly"))
        );

        // `null` restores the generated title.
        client
            .update_test_invocation()
            .test_invocation_id(&id)
            .body_map(|b| b.name(None))
            .send()
            .await
            .unwrap();
        let (title, name) = title_of(client.clone(), id.clone(), passing.clone()).await;
        assert_eq!((title, name), (generated, None));
    })
    .await
    .expect("no hang");
}

/// An invocation's generated title: the folder's name when every test ran from one folder
/// (the name sent with the tests, else the folder's own), the test's name for a single test,
/// else how many tests ran.
#[tokio::test]
async fn an_invocation_is_titled_by_its_folder_its_one_test_or_its_test_count() {
    tokio::time::timeout(LIMIT, async {
        let server = FakeServer::start().await.unwrap();
        let client = server.client();
        let (_, agent) = agents(&server, &client).await;
        let folder = server.folders().into_iter().next().expect("a demo folder");
        let test = server.tests().into_iter().next().expect("a demo test");
        let single =
            |folder_id: Option<&str>, folder_name: Option<&str>| SingleTestRunRequestModel {
                test_id: test.id.clone(),
                root_folder_id: folder_id.map(str::to_owned),
                root_folder_name: folder_name.map(str::to_owned),
                workflow_node_id: None,
            };
        let title_of_run = |tests: Vec<SingleTestRunRequestModel>| {
            let (client, agent) = (client.clone(), agent.clone());
            async move {
                let id = run(&client, &agent, tests).await.id;
                listed(&client, &agent, &id).await.title
            }
        };
        let from_folder = vec![single(Some(&folder.id), None); 2];
        assert_eq!(title_of_run(from_folder).await, folder.name);
        let named = vec![single(Some(&folder.id), Some("Refunds")); 2];
        assert_eq!(title_of_run(named).await, "Refunds");
        assert_eq!(title_of_run(vec![single(None, None)]).await, test.name);
        let two = vec![single(None, None), single(Some(&folder.id), None)];
        assert_eq!(title_of_run(two).await, "2 tests");
    })
    .await
    .expect("no hang");
}

/// Runs submitted with an `agent_config_override` ran against a draft of the agent: each of
/// them says so, and so does their invocation; runs without one did not.
#[tokio::test]
async fn an_agent_config_override_makes_the_runs_ran_against_draft() {
    tokio::time::timeout(LIMIT, async {
        let server = FakeServer::start().await.unwrap();
        let client = server.client();
        let (_, agent) = agents(&server, &client).await;
        let tests = attached(&client, &agent).await;
        let mut config = serde_json::Map::new();
        config.insert("tts".to_owned(), serde_json::json!({"voice_id": "v1"}));
        let draft = client
            .run_tests()
            .agent_id(&agent)
            .body_map(|b| {
                b.tests(tests.clone()).agent_config_override(Some(
                    AdhocAgentConfigOverrideForTestRequestModel(config),
                ))
            })
            .send()
            .await
            .unwrap()
            .into_inner();
        assert!(draft.ran_against_draft);
        assert!(draft.test_runs.iter().all(|r| r.ran_against_draft));
        let published = run(&client, &agent, tests).await;
        assert!(!published.ran_against_draft);
        assert!(published.test_runs.iter().all(|r| !r.ran_against_draft));
    })
    .await
    .expect("no hang");
}

/// Invocations started on the fake come first in the listing, newest first, before the
/// seeded history; paging through both, small pages, gives each invocation exactly once.
#[tokio::test]
async fn started_invocations_page_before_the_history_each_once() {
    tokio::time::timeout(LIMIT, async {
        let server = FakeServer::start().await.unwrap();
        let client = server.client();
        let (agent, _) = agents(&server, &client).await;
        let mut started = Vec::new();
        for _ in 0..3 {
            started.push(run_attached(&client, &agent).await);
        }
        started.reverse();
        let listed: Vec<String> = client
            .list_test_invocations()
            .agent_id(&agent)
            .page_size(2)
            .stream()
            .map_ok(|i| i.id)
            .try_collect()
            .await
            .unwrap();
        assert_eq!(listed[..3], started[..], "the new ones first, newest first");
        let mut unique = listed.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), listed.len(), "each invocation once");
        assert!(listed.len() > 3, "then the seeded history");

        // Unfiltered, at every page size, across the boundary between the started and the
        // seeded ones: the same listing, each once.
        let server = FakeServer::builder().invocations(4).start().await.unwrap();
        let client = server.client();
        let (agent, _) = agents(&server, &client).await;
        for _ in 0..2 {
            run_attached(&client, &agent).await;
        }
        let walk = |size: u64| {
            client
                .list_test_invocations()
                .page_size(size)
                .stream()
                .map_ok(|i| i.id)
                .try_collect::<Vec<String>>()
        };
        let whole = walk(100).await.unwrap();
        assert_eq!(whole.len(), 6, "{whole:?}");
        for size in 1..=5 {
            assert_eq!(walk(size).await.unwrap(), whole, "page_size {size}");
        }
    })
    .await
    .expect("within the limit");
}
