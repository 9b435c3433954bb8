//! The embedded fake serving the whole Tests family: every operation through the generated
//! client, state transitions, pagination of `list_tests`, simulated runs and their outcome
//! rule, resubmission, repeats, folders, 404/409/422 bodies against the spec, fault knobs on a
//! POST route.

use std::collections::BTreeSet;
use std::time::Duration;

use elevenlabs_agent_tests::fake::{FAIL_MARKER, FLAKY_MARKER, FakeServer, expected_status};
use elevenlabs_agent_tests::prelude::*;
use elevenlabs_agent_tests::types::{
    self, BucketingStatus, CreateTestBody, EvaluationSuccessResult, GetTestResponse,
    ListTestsSortMode, TestRunStatus, TestSharingMode, TestType,
};
use elevenlabs_agent_tests::{Error, RetryPolicy};
use serde_json::{Value, json};

use crate::fake_schema::{assert_valid, generated_spec_schema, spec_schema};
use crate::support::{bounded, raw_fake_request};

/// A raw request (reqwest, no crate logic) with the server's key: status, headers, JSON body
/// (`Null` when empty).
async fn raw(
    server: &FakeServer,
    method: reqwest::Method,
    path_and_query: &str,
    body: Option<&str>,
) -> (u16, reqwest::header::HeaderMap, Value) {
    raw_fake_request(server, method, path_and_query, Some(server.api_key()), body).await
}

fn create_body(value: Value) -> CreateTestBody {
    serde_json::from_value(value).expect("a valid create body")
}

fn llm(name: &str, folder: Option<&str>) -> CreateTestBody {
    create_body(json!({
        "type": "llm",
        "name": name,
        "parent_folder_id": folder,
        "success_condition": "The agent answers politely.",
        "chat_history": [{"role": "user", "message": "Hello?", "time_in_call_secs": 0}],
    }))
}

fn status_of(e: &Error) -> Option<u16> {
    match e {
        Error::Api { status, .. } => Some(status.as_u16()),
        Error::Validation { .. } => Some(422),
        _ => None,
    }
}

/// Polls an invocation until no run is pending (at most `limit`).
async fn settle(
    client: &elevenlabs_agent_tests::Client,
    id: &str,
    limit: Duration,
) -> types::GetTestSuiteInvocationResponseModel {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        let inv = client
            .get_test_invocation()
            .test_invocation_id(id)
            .send()
            .await
            .unwrap()
            .into_inner();
        if inv
            .test_runs
            .iter()
            .all(|r| r.status != TestRunStatus::Pending)
        {
            return inv;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "runs still pending after {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn tests_and_folders_crud_through_the_generated_client() {
    bounded(async {
        let server = FakeServer::start().await.unwrap();
        let client = server.client();
        let before = server.tests().len();

        // Folders.
        let folder = client
            .create_test_folder()
            .body_map(|b| b.name("Smoke"))
            .send()
            .await
            .unwrap()
            .into_inner();
        assert_eq!(folder.name, "Smoke");
        assert!(folder.id.starts_with("tfld_"), "{}", folder.id);
        let sub = client
            .create_test_folder()
            .body_map(|b| b.name("Nested").parent_folder_id(Some(folder.id.clone())))
            .send()
            .await
            .unwrap()
            .into_inner();
        let got = client
            .get_test_folder()
            .folder_id(&sub.id)
            .send()
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            got.folder_path.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(),
            ["Smoke", "Nested"]
        );
        assert_eq!(got.children_count, 0);

        // One test of each kind.
        let llm_id = client
            .create_test()
            .body(llm("Says hello", Some(&folder.id)))
            .send()
            .await
            .unwrap()
            .into_inner()
            .id;
        let tool_id = client
            .create_test()
            .body(create_body(json!({
                "type": "tool",
                "name": "Calls the CRM",
                "parent_folder_id": sub.id,
                "tool_call_parameters": {
                    "referenced_tool": {"id": "tool_crm", "type": "webhook"},
                    "parameters": [{"path": "email", "eval": {"type": "exact", "expected_value": "a@b.c"}}],
                },
            })))
            .send()
            .await
            .unwrap()
            .into_inner()
            .id;
        let sim_id = client
            .create_test()
            .body(create_body(json!({
                "type": "simulation",
                "name": "Long chat [fail]",
                "simulation_scenario": "An undecided caller.",
                "success_conditions": ["The caller books"],
                "simulation_max_turns": 50,
            })))
            .send()
            .await
            .unwrap()
            .into_inner()
            .id;
        assert_eq!(server.tests().len(), before + 3);

        // GET answers each kind's model, with its defaults filled in.
        match client.get_test().test_id(&llm_id).send().await.unwrap().into_inner() {
            GetTestResponse::Llm(t) => {
                assert_eq!(t.name, "Says hello");
                assert_eq!(t.id, llm_id);
                assert_eq!(t.success_condition, "The agent answers politely.");
                assert_eq!(t.chat_history.len(), 1);
            }
            other => panic!("expected an llm test, got {other:?}"),
        }
        match client.get_test().test_id(&tool_id).send().await.unwrap().into_inner() {
            GetTestResponse::Tool(t) => {
                let params = t.tool_call_parameters.unwrap();
                assert_eq!(params.referenced_tool.unwrap().id, "tool_crm");
                assert_eq!(params.parameters.len(), 1);
            }
            other => panic!("expected a tool test, got {other:?}"),
        }
        match client.get_test().test_id(&sim_id).send().await.unwrap().into_inner() {
            GetTestResponse::Simulation(t) => {
                assert_eq!(t.simulation_max_turns.get(), 50);
                assert!(t.evaluation_model.is_some(), "the spec's default");
            }
            other => panic!("expected a simulation test, got {other:?}"),
        }

        // Update: rename and move to the root (no parent_folder_id).
        let updated = client
            .update_test()
            .test_id(&llm_id)
            .body(
                serde_json::from_value::<types::UpdateTestBody>(json!({
                    "type": "llm",
                    "name": "Says hello twice",
                    "success_condition": "Two greetings.",
                }))
                .unwrap(),
            )
            .send()
            .await
            .unwrap()
            .into_inner();
        match updated {
            GetTestResponse::Llm(t) => {
                assert_eq!(t.name, "Says hello twice");
                assert_eq!(t.success_condition, "Two greetings.");
                assert!(t.chat_history.is_empty(), "PUT replaces the definition");
            }
            other => panic!("{other:?}"),
        }

        // Filters.
        let page = client
            .list_tests()
            .search("HELLO TWICE")
            .send()
            .await
            .unwrap()
            .into_inner();
        assert_eq!(page.tests.len(), 1);
        assert_eq!(page.tests[0].id, llm_id);
        assert_eq!(page.tests[0].folder_parent_id, None);
        let in_sub = client
            .list_tests()
            .parent_folder_id(&sub.id)
            .send()
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            in_sub.tests.iter().map(|t| t.id.as_str()).collect::<Vec<_>>(),
            [tool_id.as_str()]
        );
        assert_eq!(
            in_sub.tests[0].folder_path.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(),
            ["Smoke", "Nested"]
        );
        let root: Vec<_> = client
            .list_tests()
            .parent_folder_id("root")
            .types(vec![TestType::Folder, TestType::Simulation])
            .page_size(100u64)
            .stream()
            .try_collect()
            .await
            .unwrap();
        assert!(root.iter().all(|t| t.folder_parent_id.is_none()));
        assert!(root.iter().any(|t| t.id == folder.id && t.children_count == Some(1)));
        assert!(root.iter().any(|t| t.id == sim_id));
        assert!(
            root.iter()
                .all(|t| matches!(t.type_, TestType::Folder | TestType::Simulation))
        );
        // Folders only when asked for; folders first on request.
        let all: Vec<_> = client.list_tests().page_size(100u64).stream().try_collect().await.unwrap();
        assert!(all.iter().all(|t| t.type_ != TestType::Folder));
        assert_eq!(all.len(), server.tests().len());
        let ff: Vec<_> = client
            .list_tests()
            .include_folders(true)
            .sort_mode(ListTestsSortMode::FoldersFirst)
            .page_size(3u64)
            .stream()
            .try_collect()
            .await
            .unwrap();
        let first_test = ff.iter().position(|t| t.type_ != TestType::Folder).unwrap();
        assert_eq!(first_test, server.folders().len());
        assert!(ff[first_test..].iter().all(|t| t.type_ != TestType::Folder));
        let shared = client
            .list_tests()
            .sharing_mode(TestSharingMode::SharedWithMe)
            .send()
            .await
            .unwrap()
            .into_inner();
        assert!(!shared.tests.is_empty());
        assert!(shared.tests.iter().all(|t| !t.access_info.as_ref().unwrap().is_creator));

        // Summaries by ids: unknown ids are left out.
        let sums = client
            .get_test_summaries()
            .body_map(|b| b.test_ids(vec![llm_id.clone(), sim_id.clone(), "nope".to_owned()]))
            .send()
            .await
            .unwrap()
            .into_inner();
        assert_eq!(sums.tests.len(), 2);
        assert_eq!(sums.tests[&sim_id].name, "Long chat [fail]");

        // Bulk move into the sub-folder, then a folder into its own child is refused.
        client
            .move_tests()
            .body_map(|b| b.entity_ids(vec![llm_id.clone(), sim_id.clone()]).move_to(Some(sub.id.clone())))
            .send()
            .await
            .unwrap();
        let got = client.get_test_folder().folder_id(&sub.id).send().await.unwrap().into_inner();
        assert_eq!(got.children_count, 3);
        let err = client
            .move_tests()
            .body_map(|b| b.entity_ids(vec![folder.id.clone()]).move_to(Some(sub.id.clone())))
            .send()
            .await.unwrap_err();
        assert_eq!(status_of(&err), Some(409), "{err}");
        // A folder into a folder outside it is moved.
        let archive = client
            .create_test_folder()
            .body_map(|b| b.name("Archive"))
            .send()
            .await
            .unwrap()
            .into_inner();
        client
            .move_tests()
            .body_map(|b| b.entity_ids(vec![sub.id.clone()]).move_to(Some(archive.id.clone())))
            .send()
            .await
            .unwrap();
        let got = client.get_test_folder().folder_id(&archive.id).send().await.unwrap().into_inner();
        assert_eq!(got.children_count, 1);
        client
            .move_tests()
            .body_map(|b| b.entity_ids(vec![sub.id.clone()]).move_to(Some(folder.id.clone())))
            .send()
            .await
            .unwrap();

        // Rename a folder.
        let renamed = client
            .update_test_folder()
            .folder_id(&folder.id)
            .body_map(|b| b.name("Smoke tests"))
            .send()
            .await
            .unwrap()
            .into_inner();
        assert_eq!(renamed.name, "Smoke tests");
        assert_eq!(renamed.children_count, 1);

        // Delete a test: 200 {}, then 404.
        client.delete_test().test_id(&tool_id).send().await.unwrap();
        let err = client
            .get_test()
            .test_id(&tool_id)
            .send()
            .await.unwrap_err();
        match &err {
            Error::Api { status, code, .. } => {
                assert_eq!(status.as_u16(), 404);
                assert_eq!(code.as_deref(), Some("test_not_found"));
            }
            other => panic!("expected a 404, got {other:?}"),
        }
        let err = client.delete_test().test_id(&tool_id).send().await.unwrap_err();
        assert_eq!(status_of(&err), Some(404));
        assert_eq!(server.tests().len(), before + 2);
    })
    .await
}

#[tokio::test]
async fn folder_delete_needs_force_when_not_empty() {
    bounded(async {
        let server = FakeServer::start().await.unwrap();
        let client = server.client();
        let folder = client
            .create_test_folder()
            .body_map(|b| b.name("Doomed"))
            .send()
            .await
            .unwrap()
            .into_inner();
        let empty = client
            .create_test_folder()
            .body_map(|b| b.name("Empty"))
            .send()
            .await
            .unwrap()
            .into_inner();
        let test = client
            .create_test()
            .body(llm("Inside", Some(&folder.id)))
            .send()
            .await
            .unwrap()
            .into_inner();

        // An empty folder: 204 without force.
        let r = client
            .delete_test_folder()
            .folder_id(&empty.id)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 204);

        // A non-empty one: 409 folder_not_empty, nothing deleted.
        let err = client
            .delete_test_folder()
            .folder_id(&folder.id)
            .send()
            .await
            .unwrap_err();
        match &err {
            Error::Api {
                status,
                code,
                message,
                ..
            } => {
                assert_eq!(status.as_u16(), 409);
                assert_eq!(code.as_deref(), Some("folder_not_empty"));
                assert!(message.contains("force=true"), "{message}");
            }
            other => panic!("expected a 409, got {other:?}"),
        }
        let err = client
            .delete_test_folder()
            .folder_id(&folder.id)
            .force(false)
            .send()
            .await
            .unwrap_err();
        assert_eq!(status_of(&err), Some(409));
        assert!(client.get_test().test_id(&test.id).send().await.is_ok());

        // force=true deletes the folder and what is inside.
        let r = client
            .delete_test_folder()
            .folder_id(&folder.id)
            .force(true)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 204);
        for e in [
            client.get_test().test_id(&test.id).send().await.map(|_| ()),
            client
                .get_test_folder()
                .folder_id(&folder.id)
                .send()
                .await
                .map(|_| ()),
        ] {
            assert_eq!(status_of(&e.unwrap_err()), Some(404));
        }
        // A raw 204 has no body.
        let (status, _, body) = raw(
            &server,
            reqwest::Method::DELETE,
            &format!("/v1/convai/agent-testing/folders/{}", folder.id),
            None,
        )
        .await;
        assert_eq!(
            (status, body["detail"]["status"].as_str()),
            (404, Some("folder_not_found"))
        );
    })
    .await
}

#[tokio::test]
async fn list_tests_pages_with_stream_and_cursors_survive_creation() {
    bounded(async {
        let server = FakeServer::start().await.unwrap();
        let client = server.client();
        let expected: BTreeSet<String> = server.tests().into_iter().map(|t| t.id).collect();
        assert!(expected.len() >= 10);

        let items: Vec<_> = client
            .list_tests()
            .page_size(2u64)
            .stream()
            .try_collect()
            .await
            .unwrap();
        let ids: Vec<String> = items.iter().map(|t| t.id.clone()).collect();
        assert_eq!(ids.len(), expected.len(), "every test once");
        assert_eq!(ids.iter().cloned().collect::<BTreeSet<_>>(), expected);
        // Newest first.
        let created: Vec<i64> = items.iter().map(|t| t.created_at_unix_secs).collect();
        let mut sorted = created.clone();
        sorted.sort_unstable_by(|a, b| b.cmp(a));
        assert_eq!(created, sorted);
        let requests = server.requests();
        assert_eq!(requests.len(), expected.len().div_ceil(2));
        assert!(requests.iter().all(|r| r.param("page_size") == Some("2")));

        // A test created between two pages does not shift the rest of the listing.
        let first = client
            .list_tests()
            .page_size(3u64)
            .send()
            .await
            .unwrap()
            .into_inner();
        client
            .create_test()
            .body(llm("Newcomer", None))
            .send()
            .await
            .unwrap();
        let mut seen: Vec<String> = first.tests.iter().map(|t| t.id.clone()).collect();
        let mut cursor = first.next_cursor.clone();
        while let Some(c) = cursor {
            let page = client
                .list_tests()
                .page_size(3u64)
                .cursor(c)
                .send()
                .await
                .unwrap()
                .into_inner();
            seen.extend(page.tests.iter().map(|t| t.id.clone()));
            cursor = page.next_cursor;
        }
        assert_eq!(seen.len(), expected.len(), "no duplicates, nothing skipped");
        assert_eq!(seen.into_iter().collect::<BTreeSet<_>>(), expected);

        // A cursor is bound to its filters.
        let c = client
            .list_tests()
            .page_size(1u64)
            .send()
            .await
            .unwrap()
            .into_inner()
            .next_cursor
            .unwrap();
        let err = client
            .list_tests()
            .search("refund")
            .cursor(c)
            .send()
            .await
            .unwrap_err();
        assert_eq!(status_of(&err), Some(422), "{err}");
    })
    .await
}

#[tokio::test]
async fn runs_start_pending_finish_by_the_rule_and_resubmit_reruns_them() {
    bounded(async {
        // Long enough for the listing below to see the runs pending on a loaded machine.
        let server = FakeServer::builder()
            .run_duration(Duration::from_millis(1000))
            .start()
            .await
            .unwrap();
        let client = server.client();
        let agent = server.demo_agent_id().unwrap().to_owned();
        let agent_model = client
            .get_agent()
            .agent_id(&agent)
            .send()
            .await
            .unwrap()
            .into_inner();
        let attached: Vec<String> = agent_model
            .platform_settings
            .unwrap()
            .testing
            .unwrap()
            .attached_tests
            .into_iter()
            .map(|t| t.test_id)
            .collect();
        assert_eq!(attached, server.attached_tests(&agent));
        let names: Vec<String> = server
            .tests()
            .into_iter()
            .filter(|t| attached.contains(&t.id))
            .map(|t| t.name)
            .collect();
        assert!(names.iter().any(|n| n.contains(FAIL_MARKER)));

        let tests: Vec<types::SingleTestRunRequestModel> = attached
            .iter()
            .map(|id| serde_json::from_value(json!({"test_id": id})).unwrap())
            .collect();
        let inv = client
            .run_tests()
            .agent_id(&agent)
            .body_map(|b| b.tests(tests.clone()))
            .send()
            .await
            .unwrap()
            .into_inner();
        assert_eq!(inv.test_runs.len(), attached.len());
        assert!(
            inv.test_runs
                .iter()
                .all(|r| r.status == TestRunStatus::Pending)
        );
        assert_eq!(inv.repeat_count, 1);
        assert_eq!(inv.bucketing_status, None);
        assert_eq!(inv.agent_id.as_deref(), Some(agent.as_str()));

        // Newest first in the listing, pending, with the live-only fields.
        let (_, _, page) = raw(
            &server,
            reqwest::Method::GET,
            "/v1/convai/test-invocations?page_size=1",
            None,
        )
        .await;
        let top = &page["results"][0];
        assert_eq!(top["id"], json!(inv.id));
        assert_eq!(top["pending_count"], json!(attached.len()));
        assert_eq!(top["test_run_count"], json!(attached.len()));
        assert_eq!(top["cancelled_count"], json!(0));
        assert!(top["credits_used"].is_number());
        assert_eq!(server.all_invocations()[0].id, inv.id);
        assert_eq!(server.created_invocations().len(), 1);

        // After the duration: outcomes by the rule.
        let done = settle(&client, &inv.id, Duration::from_secs(10)).await;
        for run in &done.test_runs {
            assert_eq!(
                run.status,
                expected_status(&run.test_name),
                "{}",
                run.test_name
            );
            let cond = run.condition_result.as_ref().unwrap();
            if run.status == TestRunStatus::Failed {
                assert_eq!(cond.result, EvaluationSuccessResult::Failure);
                assert!(
                    cond.rationale
                        .as_ref()
                        .unwrap()
                        .summary
                        .contains(FAIL_MARKER)
                );
            } else {
                assert_eq!(cond.result, EvaluationSuccessResult::Success);
            }
            assert!(run.test_info.is_some());
            assert_eq!(run.metadata.as_ref().unwrap().test_name, run.test_name);
        }
        let failed: Vec<String> = done
            .test_runs
            .iter()
            .filter(|r| r.status == TestRunStatus::Failed)
            .map(|r| r.test_run_id.clone())
            .collect();
        assert_eq!(
            failed.len(),
            names.iter().filter(|n| n.contains(FAIL_MARKER)).count()
        );
        // The listing's counts follow the runs.
        let listed = client
            .list_test_invocations()
            .page_size(1u64)
            .send()
            .await
            .unwrap()
            .into_inner();
        let s = &listed.results[0];
        assert_eq!(
            (s.passed_count, s.failed_count, s.pending_count),
            (
                (attached.len() - failed.len()) as i64,
                failed.len() as i64,
                0
            )
        );

        // Resubmit the failed runs: pending again, then failed again.
        client
            .resubmit_test_invocation()
            .test_invocation_id(&inv.id)
            .body_map(|b| b.test_run_ids(failed.clone()).agent_id(agent.clone()))
            .send()
            .await
            .unwrap();
        let again = client
            .get_test_invocation()
            .test_invocation_id(&inv.id)
            .send()
            .await
            .unwrap()
            .into_inner();
        for run in &again.test_runs {
            let pending = run.status == TestRunStatus::Pending;
            assert_eq!(
                pending,
                failed.contains(&run.test_run_id),
                "{}",
                run.test_name
            );
        }
        let done = settle(&client, &inv.id, Duration::from_secs(10)).await;
        assert_eq!(
            done.test_runs
                .iter()
                .filter(|r| r.status == TestRunStatus::Failed)
                .count(),
            failed.len()
        );

        // Fix the failing test (drop the marker) and resubmit: it passes.
        let failing = done
            .test_runs
            .iter()
            .find(|r| r.status == TestRunStatus::Failed)
            .unwrap();
        let GetTestResponse::Llm(def) = client
            .get_test()
            .test_id(&failing.test_id)
            .send()
            .await
            .unwrap()
            .into_inner()
        else {
            panic!("the demo agent's failing test is an llm test");
        };
        let mut body = serde_json::to_value(&def).unwrap();
        body["name"] = json!(def.name.replace(FAIL_MARKER, "(fixed)"));
        client
            .update_test()
            .test_id(&failing.test_id)
            .body(serde_json::from_value::<types::UpdateTestBody>(body).unwrap())
            .send()
            .await
            .unwrap();
        client
            .resubmit_test_invocation()
            .test_invocation_id(&inv.id)
            .body_map(|b| {
                b.test_run_ids(vec![failing.test_run_id.clone()])
                    .agent_id(agent.clone())
            })
            .send()
            .await
            .unwrap();
        let done = settle(&client, &inv.id, Duration::from_secs(10)).await;
        let rerun = done
            .test_runs
            .iter()
            .find(|r| r.test_run_id == failing.test_run_id)
            .unwrap();
        assert_eq!(rerun.status, TestRunStatus::Passed);
        assert!(rerun.test_name.contains("(fixed)"));

        // Unknown run ids, invocations, agents and tests: 404.
        for (path, body) in [
            (
                format!("/v1/convai/test-invocations/{}/resubmit", inv.id),
                json!({"test_run_ids": ["tr_nope"], "agent_id": agent}),
            ),
            (
                "/v1/convai/test-invocations/ti_nope/resubmit".to_owned(),
                json!({"test_run_ids": ["x"], "agent_id": agent}),
            ),
            (
                format!("/v1/convai/test-invocations/{}/resubmit", inv.id),
                json!({"test_run_ids": [failed[0]], "agent_id": "agent_nope"}),
            ),
            (
                format!("/v1/convai/agents/{agent}/run-tests"),
                json!({"tests": [{"test_id": "nope"}]}),
            ),
            (
                "/v1/convai/agents/agent_nope/run-tests".to_owned(),
                json!({"tests": [{"test_id": attached[0]}]}),
            ),
        ] {
            let (status, _, body) = raw(
                &server,
                reqwest::Method::POST,
                &path,
                Some(&body.to_string()),
            )
            .await;
            assert_eq!(status, 404, "{path}: {body}");
            assert!(
                body["detail"]["status"]
                    .as_str()
                    .unwrap()
                    .ends_with("_not_found"),
                "{body}"
            );
        }
    })
    .await
}

#[tokio::test]
async fn a_flaky_test_fails_its_first_run_in_an_invocation_only() {
    bounded(async {
        let server = FakeServer::builder()
            .run_duration(Duration::from_millis(50))
            .start()
            .await
            .unwrap();
        let client = server.client();
        let agent = server.demo_agent_id().unwrap().to_owned();
        let name = format!("Books a slot {FLAKY_MARKER}");
        assert_eq!(expected_status(&name), TestRunStatus::Failed);
        let id = client
            .create_test()
            .body(llm(&name, None))
            .send()
            .await
            .unwrap()
            .into_inner()
            .id;
        let tests: Vec<types::SingleTestRunRequestModel> =
            vec![serde_json::from_value(json!({"test_id": id})).unwrap()];
        let inv = client
            .run_tests()
            .agent_id(&agent)
            .body_map(|b| {
                b.tests(tests.clone())
                    .repeat_count(std::num::NonZeroU64::new(2).unwrap())
            })
            .send()
            .await
            .unwrap()
            .into_inner();
        let done = settle(&client, &inv.id, Duration::from_secs(10)).await;
        let statuses: Vec<_> = done.test_runs.iter().map(|r| r.status.clone()).collect();
        assert_eq!(statuses, [TestRunStatus::Failed, TestRunStatus::Passed]);
        let first = &done.test_runs[0];
        let rationale = first.condition_result.as_ref().unwrap().rationale.as_ref();
        assert!(rationale.unwrap().summary.contains(FLAKY_MARKER));

        // Resubmitted, the failed run passes: it is no longer the first run.
        client
            .resubmit_test_invocation()
            .test_invocation_id(&inv.id)
            .body_map(|b| {
                b.test_run_ids(vec![first.test_run_id.clone()])
                    .agent_id(agent.clone())
            })
            .send()
            .await
            .unwrap();
        let again = settle(&client, &inv.id, Duration::from_secs(10)).await;
        assert!(
            again
                .test_runs
                .iter()
                .all(|r| r.status == TestRunStatus::Passed)
        );

        // A new invocation: its first run fails again.
        let next = client
            .run_tests()
            .agent_id(&agent)
            .body_map(|b| b.tests(tests))
            .send()
            .await
            .unwrap()
            .into_inner();
        let next = settle(&client, &next.id, Duration::from_secs(10)).await;
        assert_eq!(next.test_runs[0].status, TestRunStatus::Failed);
    })
    .await
}

#[tokio::test]
async fn repeat_count_gives_result_groups_once_bucketing_completes() {
    bounded(async {
        let server = FakeServer::builder()
            .run_duration(Duration::from_millis(100))
            .start()
            .await
            .unwrap();
        let client = server.client();
        // The third agent: a [fail] test and passing ones.
        let agent = server.agent_ids()[2].clone();
        let attached = server.attached_tests(&agent);
        let tests: Vec<types::SingleTestRunRequestModel> = attached
            .iter()
            .map(|id| serde_json::from_value(json!({"test_id": id})).unwrap())
            .collect();
        let inv = client
            .run_tests()
            .agent_id(&agent)
            .body_map(|b| {
                b.tests(tests)
                    .repeat_count(std::num::NonZeroU64::new(3).unwrap())
            })
            .send()
            .await
            .unwrap()
            .into_inner();
        assert_eq!(inv.repeat_count, 3);
        assert_eq!(inv.test_runs.len(), attached.len() * 3);
        assert_eq!(inv.bucketing_status, Some(BucketingStatus::Pending));
        assert!(inv.result_groups.is_empty());

        let done = settle(&client, &inv.id, Duration::from_secs(10)).await;
        assert_eq!(done.bucketing_status, Some(BucketingStatus::Completed));
        assert_eq!(done.result_groups.len(), attached.len());
        for group in &done.result_groups {
            assert_eq!(
                group.buckets.len(),
                1,
                "a deterministic rule: one outcome per test"
            );
            let bucket = &group.buckets[0];
            assert_eq!(bucket.status, expected_status(&group.test_name));
            assert_eq!(bucket.test_run_ids.len(), 3);
            for id in &bucket.test_run_ids {
                let run = done
                    .test_runs
                    .iter()
                    .find(|r| &r.test_run_id == id)
                    .unwrap();
                assert_eq!(run.test_id, group.test_id);
            }
        }
        assert!(
            done.result_groups
                .iter()
                .any(|g| g.buckets[0].status == TestRunStatus::Failed)
        );
        let summary = &client
            .list_test_invocations()
            .agent_id(&agent)
            .page_size(1u64)
            .send()
            .await
            .unwrap()
            .into_inner()
            .results[0];
        assert_eq!(summary.repeat_count, 3);
        assert_eq!(summary.test_run_count, attached.len() as i64 * 3);
    })
    .await
}

/// With a paused clock, the runtime auto-advances to the next timer whenever it is idle (the
/// client's pool and request timers among them): the run duration and the request timeout are
/// far beyond any of those, and the bound on the test is longer than every advance.
#[tokio::test(start_paused = true)]
async fn a_paused_clock_drives_the_runs() {
    const DAY: Duration = Duration::from_secs(86_400);
    let test = async {
        let server = FakeServer::builder()
            .run_duration(DAY)
            .start()
            .await
            .unwrap();
        let client = server.client_builder().timeout(100 * DAY).build().unwrap();
        let agent = server.agent_ids()[1].clone(); // every test passes
        let tests: Vec<types::SingleTestRunRequestModel> = server
            .attached_tests(&agent)
            .iter()
            .map(|id| serde_json::from_value(json!({"test_id": id})).unwrap())
            .collect();
        let inv = client
            .run_tests()
            .agent_id(&agent)
            .body_map(|b| b.tests(tests))
            .send()
            .await
            .unwrap()
            .into_inner();
        let get = || {
            client
                .get_test_invocation()
                .test_invocation_id(&inv.id)
                .send()
        };
        let now = get().await.unwrap().into_inner();
        assert!(
            now.test_runs
                .iter()
                .all(|r| r.status == TestRunStatus::Pending)
        );
        tokio::time::advance(server.max_run_duration()).await;
        let later = get().await.unwrap().into_inner();
        assert!(
            later
                .test_runs
                .iter()
                .all(|r| r.status == TestRunStatus::Passed)
        );
    };
    tokio::time::timeout(1000 * DAY, test)
        .await
        .expect("test timed out");
}

#[tokio::test]
async fn resubmitting_a_seeded_run_brings_it_to_life() {
    bounded(async {
        let server = FakeServer::builder()
            .run_duration(Duration::from_millis(50))
            .start()
            .await
            .unwrap();
        let client = server.client();
        // A seeded invocation with a failed run.
        let seeded = server
            .invocations()
            .iter()
            .find(|i| i.failed_count > 0 && i.pending_count == 0)
            .unwrap()
            .clone();
        let inv = client
            .get_test_invocation()
            .test_invocation_id(&seeded.id)
            .send()
            .await
            .unwrap()
            .into_inner();
        // Seeded history is stable across requests.
        let again = client
            .get_test_invocation()
            .test_invocation_id(&seeded.id)
            .send()
            .await
            .unwrap();
        assert_eq!(
            serde_json::to_value(&inv).unwrap(),
            serde_json::to_value(again.into_inner()).unwrap()
        );
        let failed = inv
            .test_runs
            .iter()
            .find(|r| r.status == TestRunStatus::Failed)
            .unwrap();
        client
            .resubmit_test_invocation()
            .test_invocation_id(&seeded.id)
            .body_map(|b| {
                b.test_run_ids(vec![failed.test_run_id.clone()])
                    .agent_id(seeded.agent_id.clone().unwrap())
            })
            .send()
            .await
            .unwrap();
        let summary = server
            .all_invocations()
            .into_iter()
            .find(|i| i.id == seeded.id)
            .unwrap();
        assert_eq!(summary.pending_count, 1);
        assert_eq!(summary.failed_count, seeded.failed_count - 1);
        let done = settle(&client, &seeded.id, Duration::from_secs(10)).await;
        let rerun = done
            .test_runs
            .iter()
            .find(|r| r.test_run_id == failed.test_run_id)
            .unwrap();
        assert_eq!(rerun.status, expected_status(&rerun.test_name));
        assert_eq!(done.test_runs.len() as i64, seeded.test_run_count);
    })
    .await
}

#[tokio::test]
async fn validation_errors_are_fastapi_shaped_and_follow_the_spec() {
    bounded(async {
        let server = FakeServer::start().await.unwrap();
        let error_schema =
            spec_schema("HTTPValidationError");
        let agent = server.demo_agent_id().unwrap().to_owned();
        let test_id = server.attached_tests(&agent)[0].clone();
        let create = "/v1/convai/agent-testing/create";
        let run = format!("/v1/convai/agents/{agent}/run-tests");
        let cases: Vec<(reqwest::Method, String, Option<String>, Value, &str)> = vec![
            (
                reqwest::Method::POST,
                create.into(),
                Some(json!({"type": "llm"}).to_string()),
                json!(["body", "llm", "name"]),
                "missing",
            ),
            (
                reqwest::Method::POST,
                create.into(),
                Some(json!({"name": "x"}).to_string()),
                json!(["body"]),
                "union_tag_not_found",
            ),
            (
                reqwest::Method::POST,
                create.into(),
                Some(json!({"type": "voice", "name": "x"}).to_string()),
                json!(["body"]),
                "union_tag_invalid",
            ),
            (
                reqwest::Method::POST,
                create.into(),
                Some(
                    json!({"type": "simulation", "name": "x", "simulation_max_turns": 51})
                        .to_string(),
                ),
                json!(["body", "simulation", "simulation_max_turns"]),
                "less_than_equal",
            ),
            (
                reqwest::Method::POST,
                create.into(),
                Some(
                    json!({"type": "simulation", "name": "x", "simulation_max_turns": 0})
                        .to_string(),
                ),
                json!(["body", "simulation", "simulation_max_turns"]),
                "greater_than_equal",
            ),
            (
                reqwest::Method::POST,
                create.into(),
                Some(
                    json!({"type": "llm", "name": "x",
                           "success_examples": vec![json!({"response": "a", "type": "success"}); 6]})
                    .to_string(),
                ),
                json!(["body", "llm", "success_examples"]),
                "too_long",
            ),
            (
                reqwest::Method::POST,
                create.into(),
                Some(json!({"type": "llm", "name": 5}).to_string()),
                json!(["body", "llm", "name"]),
                "string_type",
            ),
            (
                reqwest::Method::POST,
                create.into(),
                Some("{\"type\": \"llm\",".into()),
                json!(["body", 15]),
                "json_invalid",
            ),
            (
                // Not at the end, on the second line: the character offset of the `x`.
                reqwest::Method::POST,
                create.into(),
                Some("{\n  \"type\": x\n}".into()),
                json!(["body", 12]),
                "json_invalid",
            ),
            (
                reqwest::Method::POST,
                create.into(),
                None,
                json!(["body"]),
                "missing",
            ),
            (
                reqwest::Method::POST,
                run.clone(),
                Some(json!({"tests": [{"test_id": test_id}], "repeat_count": 51}).to_string()),
                json!(["body", "repeat_count"]),
                "less_than_equal",
            ),
            (
                reqwest::Method::POST,
                create.into(),
                Some(
                    json!({"type": "simulation", "name": "x", "simulation_max_turns": [1]})
                        .to_string(),
                ),
                json!(["body", "simulation", "simulation_max_turns"]),
                "int_type",
            ),
            (
                reqwest::Method::POST,
                create.into(),
                Some(
                    json!({"type": "llm", "name": "x", "chat_history": [
                        {"role": "user", "time_in_call_secs": [1]}
                    ]})
                    .to_string(),
                ),
                json!(["body", "llm", "chat_history", 0, "time_in_call_secs"]),
                "int_type",
            ),
            (
                reqwest::Method::POST,
                run.clone(),
                Some(json!({"tests": []}).to_string()),
                json!(["body", "tests"]),
                "too_short",
            ),
            (
                reqwest::Method::POST,
                run.clone(),
                Some(json!({"tests": [{}]}).to_string()),
                json!(["body", "tests", 0, "test_id"]),
                "missing",
            ),
            (
                reqwest::Method::POST,
                "/v1/convai/agent-testing/summaries".into(),
                Some(json!({"test_ids": ["a", "a"]}).to_string()),
                json!(["body", "test_ids"]),
                "value_error",
            ),
            (
                reqwest::Method::POST,
                "/v1/convai/agent-testing/bulk-move".into(),
                Some(json!({"entity_ids": []}).to_string()),
                json!(["body", "entity_ids"]),
                "too_short",
            ),
            (
                reqwest::Method::POST,
                "/v1/convai/agent-testing/folders".into(),
                Some(json!({}).to_string()),
                json!(["body", "name"]),
                "missing",
            ),
            (
                reqwest::Method::GET,
                "/v1/convai/agent-testing?page_size=0".into(),
                None,
                json!(["query", "page_size"]),
                "greater_than_equal",
            ),
            (
                reqwest::Method::GET,
                "/v1/convai/agent-testing?types=llm&types=bogus".into(),
                None,
                json!(["query", "types", 1]),
                "enum",
            ),
            (
                reqwest::Method::GET,
                "/v1/convai/agent-testing?sort_mode=newest".into(),
                None,
                json!(["query", "sort_mode"]),
                "enum",
            ),
            (
                reqwest::Method::GET,
                "/v1/convai/agent-testing?include_folders=maybe".into(),
                None,
                json!(["query", "include_folders"]),
                "bool_parsing",
            ),
            (
                reqwest::Method::DELETE,
                "/v1/convai/agent-testing/folders/x?force=sure".into(),
                None,
                json!(["query", "force"]),
                "bool_parsing",
            ),
        ];
        for (method, path, body, loc, type_) in cases {
            let (status, headers, json) =
                raw(&server, method.clone(), &path, body.as_deref()).await;
            assert_eq!(status, 422, "{method} {path} {body:?}: {json}");
            assert_eq!(headers["content-type"], "application/json");
            assert_valid(&error_schema, &json, &path);
            let first = &json["detail"][0];
            assert_eq!(first["loc"], loc, "{path} {body:?}: {json}");
            assert_eq!(first["type"], type_, "{path} {body:?}: {json}");
            assert!(first["msg"].as_str().is_some_and(|m| !m.is_empty()));
            assert!(first.get("input").is_some(), "pydantic's input: {json}");
        }

        // Every missing field of the top level at once, as pydantic does.
        let (status, _, json) = raw(
            &server,
            reqwest::Method::POST,
            "/v1/convai/test-invocations/x/resubmit",
            Some("{}"),
        )
        .await;
        assert_eq!(status, 422);
        let locs: Vec<&Value> = json["detail"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| &d["loc"])
            .collect();
        assert_eq!(
            locs,
            [
                &json!(["body", "agent_id"]),
                &json!(["body", "test_run_ids"])
            ]
        );
        assert_valid(&error_schema, &json, "resubmit {}");

        // Through the crate, a 422 is the typed validation error.
        let err = server
            .client()
            .run_tests()
            .agent_id(&agent)
            .body_map(|b| b.tests(vec![]))
            .send()
            .await.unwrap_err();
        match &err {
            Error::Validation { body } => {
                assert_eq!(body.detail[0].type_, "too_short");
                assert_eq!(
                    body.detail[0]
                        .loc
                        .iter()
                        .map(|l| l.to_string())
                        .collect::<Vec<_>>(),
                    ["body", "tests"]
                );
            }
            other => panic!("expected a 422, got {other:?}"),
        }
        // Nothing was created by the refused requests.
        assert!(server.created_invocations().is_empty());

        // Routes in Starlette's order: `/agent-testing/create` is a test id for GET, and a
        // method a route lacks is a 405 listing the ones it has.
        let (status, _, body) = raw(&server, reqwest::Method::GET, create, None).await;
        assert_eq!(
            (status, body["detail"]["status"].as_str()),
            (404, Some("test_not_found"))
        );
        let (status, headers, body) = raw(
            &server,
            reqwest::Method::POST,
            &format!("/v1/convai/agent-testing/{test_id}"),
            Some("{}"),
        )
        .await;
        assert_eq!(status, 405);
        assert_eq!(headers["allow"], "GET, PUT, DELETE");
        assert_eq!(body, json!({"detail": "Method Not Allowed"}));
        // Unknown ids: 404 with ElevenLabs' detail object.
        for path in [
            "/v1/convai/agent-testing/nope",
            "/v1/convai/agent-testing/folders/nope",
            "/v1/convai/agents/nope",
            "/v1/convai/test-invocations/nope",
        ] {
            let (status, _, body) = raw(&server, reqwest::Method::GET, path, None).await;
            assert_eq!(status, 404, "{path}");
            assert!(
                body["detail"]["message"].as_str().unwrap().contains("nope"),
                "{body}"
            );
        }
    })
    .await
}

#[tokio::test]
async fn responses_validate_against_the_spec_schema() {
    bounded(async {
        let server = FakeServer::builder()
            .run_duration(Duration::from_millis(50))
            .start()
            .await
            .unwrap();
        let agent = server.demo_agent_id().unwrap().to_owned();
        let validator = spec_schema;
        let get = |path: String| {
            let server = &server;
            async move {
                let (status, _, body) = raw(server, reqwest::Method::GET, &path, None).await;
                assert_eq!(status, 200, "{path}: {body}");
                body
            }
        };

        // Every test kind.
        for t in server.tests() {
            let body = get(format!("/v1/convai/agent-testing/{}", t.id)).await;
            let root = match body["type"].as_str() {
                Some("llm") => "GetResponseUnitTestResponseModel",
                Some("tool") => "GetToolCallUnitTestResponseModel",
                Some("simulation") => "GetSimulationTestResponseModel",
                other => panic!("no kind: {other:?}"),
            };
            assert_valid(&validator(root), &body, &t.name);
        }
        // Listings, with folders.
        let page_schema = validator("GetTestsPageResponseModel");
        for q in [
            "page_size=3",
            "types=folder&types=llm&sort_mode=folders_first",
            "include_folders=true&parent_folder_id=root",
        ] {
            let body = get(format!("/v1/convai/agent-testing?{q}")).await;
            assert_valid(&page_schema, &body, q);
        }
        let folder_schema = validator("GetAgentTestFolderResponseModel");
        for f in server.folders() {
            let body = get(format!("/v1/convai/agent-testing/folders/{}", f.id)).await;
            assert_valid(&folder_schema, &body, &f.name);
        }
        let ids: Vec<String> = server.tests().into_iter().map(|t| t.id).collect();
        let (_, _, sums) = raw(
            &server,
            reqwest::Method::POST,
            "/v1/convai/agent-testing/summaries",
            Some(&json!({"test_ids": ids}).to_string()),
        )
        .await;
        assert_valid(
            &validator("GetTestsSummariesByIdsResponseModel"),
            &sums,
            "summaries",
        );
        // The agent, against the document the client is generated from (its
        // `conversation_config` is free-form there).
        let agent_schema = generated_spec_schema("GetAgentResponseModel");
        for a in server.agent_ids() {
            let body = get(format!("/v1/convai/agents/{a}")).await;
            assert_valid(&agent_schema, &body, a);
            assert!(
                !body["platform_settings"]["testing"]["attached_tests"]
                    .as_array()
                    .unwrap()
                    .is_empty()
            );
            // A field the fake leaves to the spec's default.
            let default = elevenlabs_agent_tests::spec::Tables::current()
                .field("GetAgentResponseModel", "default_hold_audio_url")
                .default
                .expect("the spec's default");
            assert_eq!(body["default_hold_audio_url"], default);
        }
        // Invocations: pending, finished, repeated, seeded.
        let inv_schema = validator("GetTestSuiteInvocationResponseModel");
        let tests: Vec<Value> = server
            .attached_tests(&agent)
            .iter()
            .map(|t| json!({"test_id": t}))
            .collect();
        let (status, _, created) = raw(
            &server,
            reqwest::Method::POST,
            &format!("/v1/convai/agents/{agent}/run-tests"),
            Some(&json!({"tests": tests, "repeat_count": 2}).to_string()),
        )
        .await;
        assert_eq!(status, 200);
        // The agent version the invocation runs on: one for all its runs.
        let versions: std::collections::BTreeSet<&str> = created["test_runs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["version_id"].as_str().expect("a version_id"))
            .collect();
        assert_eq!(versions.len(), 1, "{versions:?}");
        assert!(
            versions.iter().all(|v| v.starts_with("agtvrsn_")),
            "{versions:?}"
        );
        assert_valid(&inv_schema, &created, "created");
        tokio::time::sleep(server.max_run_duration() + Duration::from_millis(50)).await;
        let id = created["id"].as_str().unwrap();
        let done = get(format!("/v1/convai/test-invocations/{id}")).await;
        assert_eq!(done["bucketing_status"], "completed");
        assert_valid(&inv_schema, &done, "finished");
        for seeded in server.invocations().iter().take(10) {
            let body = get(format!("/v1/convai/test-invocations/{}", seeded.id)).await;
            assert_valid(&inv_schema, &body, &seeded.id);
            assert_eq!(
                body["test_runs"].as_array().unwrap().len() as i64,
                seeded.test_run_count
            );
            let versions: std::collections::BTreeSet<&str> = body["test_runs"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|r| r["version_id"].as_str())
                .collect();
            assert!(versions.len() <= 1, "{}: {versions:?}", seeded.id);
            let count = |s: &str| {
                body["test_runs"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|r| r["status"] == s)
                    .count() as i64
            };
            assert_eq!(
                (count("passed"), count("failed"), count("pending")),
                (
                    seeded.passed_count,
                    seeded.failed_count,
                    seeded.pending_count
                )
            );
        }
        let page = get("/v1/convai/test-invocations?page_size=5".to_owned()).await;
        assert_valid(
            &validator("GetTestInvocationsPageResponseModel"),
            &page,
            "listing",
        );
    })
    .await
}

#[tokio::test]
async fn fault_knobs_apply_to_post_routes() {
    bounded(async {
        let server = FakeServer::start().await.unwrap();
        let before = server.tests().len();
        let no_retry = server
            .client_builder()
            .retry(RetryPolicy::disabled())
            .build()
            .unwrap();

        // 429 with Retry-After on a POST: nothing is created.
        server.fail_next(1, 429, Some(2));
        let err = no_retry
            .create_test()
            .body(llm("Rate limited", None))
            .send()
            .await
            .unwrap_err();
        match &err {
            Error::Api { status, code, .. } => {
                assert_eq!(status.as_u16(), 429);
                assert_eq!(code.as_deref(), Some("too_many_concurrent_requests"));
            }
            other => panic!("expected a 429, got {other:?}"),
        }
        assert_eq!(server.tests().len(), before);
        let last = server.requests().pop().unwrap();
        assert_eq!(
            (last.method.as_str(), last.path.as_str(), last.status),
            ("POST", "/v1/convai/agent-testing/create", 429)
        );
        assert!(last.body.contains("Rate limited"), "the body is recorded");

        // 5xx on run-tests, then served.
        let agent = server.demo_agent_id().unwrap().to_owned();
        let tests: Vec<types::SingleTestRunRequestModel> = server
            .attached_tests(&agent)
            .iter()
            .map(|id| serde_json::from_value(json!({"test_id": id})).unwrap())
            .collect();
        server.fail_next(1, 503, None);
        let err = no_retry
            .run_tests()
            .agent_id(&agent)
            .body_map(|b| b.tests(tests.clone()))
            .send()
            .await
            .unwrap_err();
        assert_eq!(status_of(&err), Some(503));
        assert!(server.created_invocations().is_empty());
        // A POST is retried only when the policy opts in.
        server.fail_next(1, 503, Some(0));
        let retrying = server
            .client_builder()
            .retry(RetryPolicy::default().with_retry_non_idempotent(true))
            .build()
            .unwrap();
        retrying
            .run_tests()
            .agent_id(&agent)
            .body_map(|b| b.tests(tests.clone()))
            .send()
            .await
            .unwrap();
        assert_eq!(server.created_invocations().len(), 1);

        // Latency on a POST.
        server.set_latency(Duration::from_millis(200));
        let start = std::time::Instant::now();
        no_retry
            .create_test_folder()
            .body_map(|b| b.name("Slow"))
            .send()
            .await
            .unwrap();
        assert!(start.elapsed() >= Duration::from_millis(200));
        server.clear_faults();
        assert_eq!(server.pending_failures(), 0);
    })
    .await
}

#[tokio::test]
async fn demo_data_has_suites_for_every_agent() {
    bounded(async {
        let server = FakeServer::start().await.unwrap();
        let tests = server.tests();
        let kinds: BTreeSet<&str> = tests.iter().map(|t| t.type_.as_str()).collect();
        assert_eq!(kinds, ["llm", "simulation", "tool"].into_iter().collect());
        assert!(tests.iter().any(|t| t.folder_parent_id.is_some()));
        assert!(
            tests.iter().any(|t| t.folder_path.len() == 2),
            "a nested folder"
        );
        let by_agent: Vec<Vec<String>> = server
            .agent_ids()
            .iter()
            .map(|a| {
                let ids = server.attached_tests(a);
                tests
                    .iter()
                    .filter(|t| ids.contains(&t.id))
                    .map(|t| t.name.clone())
                    .collect()
            })
            .collect();
        assert!(by_agent.iter().all(|names| !names.is_empty()));
        assert!(
            by_agent[0].iter().any(|n| n.contains(FAIL_MARKER)),
            "the demo agent fails one"
        );
        assert!(
            by_agent[1]
                .iter()
                .all(|n| expected_status(n) == TestRunStatus::Passed),
            "the second passes all"
        );
        assert_eq!(server.demo_agent_id(), Some(server.agent_ids()[0].as_str()));

        // Deterministic for a seed.
        let again = FakeServer::start().await.unwrap();
        let ids = |s: &FakeServer| s.tests().into_iter().map(|t| t.id).collect::<Vec<_>>();
        assert_eq!(ids(&server), ids(&again));
        let other = FakeServer::builder().seed(7).start().await.unwrap();
        assert_ne!(ids(&server), ids(&other));
    })
    .await
}

#[tokio::test]
async fn garbage_never_breaks_the_server() {
    bounded(async {
        let server = FakeServer::builder()
            .run_duration(Duration::MAX)
            .start()
            .await
            .unwrap();
        let agent = server.demo_agent_id().unwrap().to_owned();
        let test = server.attached_tests(&agent)[0].clone();
        let folder = server.folders()[0].id.clone();
        let seeded = server.invocations()[0].id.clone();
        let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
        let bodies: Vec<Option<String>> = vec![
            None,
            Some(String::new()),
            Some("null".into()),
            Some("[]".into()),
            Some("{}".into()),
            Some("\"x\"".into()),
            Some("1e999".into()),
            Some(deep),
            Some("{\"type\": null, \"name\": []}".into()),
            Some("{\"type\": \"llm\", \"name\": \"n\", \"chat_history\": [{\"role\": 5}]}".into()),
            Some("{\"type\": \"tool\", \"name\": \"n\", \"tool_call_parameters\": {\"parameters\": [{\"path\": \"p\", \"eval\": {\"type\": \"nope\"}}]}}".into()),
            Some(format!("{{\"tests\": [{{\"test_id\": \"{test}\"}}], \"repeat_count\": 18446744073709551615}}")),
            Some(format!("{{\"tests\": [{{\"test_id\": \"{test}\"}}], \"repeat_count\": -1}}")),
            Some("{\"test_run_ids\": [\"x\"], \"agent_id\": 1}".into()),
            Some("{\"entity_ids\": [\"é\"], \"move_to\": \"\u{0}\"}".into()),
            Some("\u{feff}{}".into()),
        ];
        let routes: Vec<(reqwest::Method, String)> = vec![
            (reqwest::Method::GET, "/v1/convai/agent-testing?page_size=-0&types=&cursor=%00".into()),
            (reqwest::Method::POST, "/v1/convai/agent-testing/create".into()),
            (reqwest::Method::PUT, format!("/v1/convai/agent-testing/{test}")),
            (reqwest::Method::POST, "/v1/convai/agent-testing/summaries".into()),
            (reqwest::Method::POST, "/v1/convai/agent-testing/bulk-move".into()),
            (reqwest::Method::POST, "/v1/convai/agent-testing/folders".into()),
            (reqwest::Method::PATCH, format!("/v1/convai/agent-testing/folders/{folder}")),
            (reqwest::Method::POST, format!("/v1/convai/agents/{agent}/run-tests")),
            (reqwest::Method::GET, format!("/v1/convai/agents/{agent}?branch_id=%FF")),
            (reqwest::Method::POST, format!("/v1/convai/test-invocations/{seeded}/resubmit")),
            (reqwest::Method::GET, "/v1/convai/test-invocations?page_size=1&cursor=zzzzzzzzzzzzzzzzzzzzzzzz".into()),
            (reqwest::Method::HEAD, format!("/v1/convai/test-invocations/{seeded}")),
            (reqwest::Method::GET, "/v1/convai/agent-testing/%2F..%2F".into()),
        ];
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::new();
        for (method, path) in &routes {
            for body in &bodies {
                let mut request = http
                    .request(method.clone(), format!("{}{path}", server.url()))
                    .header("xi-api-key", server.api_key());
                if let Some(body) = body {
                    request = request.body(body.clone());
                }
                let response = request.send().await.expect("the server answers");
                let status = response.status().as_u16();
                assert!(
                    [200, 204, 404, 405, 409, 422].contains(&status),
                    "{method} {path} {body:?}: {status}"
                );
            }
        }
        // Nothing was run: every run-tests body above is refused.
        assert!(server.created_invocations().is_empty());
        // Still serving, and the longest duration saturates instead of overflowing.
        let (status, _, page) = raw(&server, reqwest::Method::GET, "/v1/convai/test-invocations", None).await;
        assert_eq!(status, 200);
        assert!(page["results"].as_array().is_some_and(|r| !r.is_empty()));
        assert_eq!(server.max_run_duration(), Duration::MAX);
        let body = json!({"tests": [{"test_id": test}]}).to_string();
        let (status, _, inv) = raw(&server, reqwest::Method::POST, &format!("/v1/convai/agents/{agent}/run-tests"), Some(&body)).await;
        assert_eq!(status, 200, "{inv}");
        let (_, _, inv) = raw(&server, reqwest::Method::GET, &format!("/v1/convai/test-invocations/{}", inv["id"].as_str().unwrap()), None).await;
        assert_eq!(inv["test_runs"][0]["status"], "pending");
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_runs_get_distinct_invocations() {
    bounded(async {
        let server = FakeServer::builder()
            .run_duration(Duration::from_millis(30))
            .start()
            .await
            .unwrap();
        let client = server.client();
        let tasks: Vec<_> = server
            .agent_ids()
            .iter()
            .cycle()
            .take(8)
            .map(|agent| {
                let client = client.clone();
                let agent = agent.clone();
                let tests: Vec<types::SingleTestRunRequestModel> = server
                    .attached_tests(&agent)
                    .iter()
                    .map(|id| serde_json::from_value(json!({"test_id": id})).unwrap())
                    .collect();
                tokio::spawn(async move {
                    client
                        .run_tests()
                        .agent_id(&agent)
                        .body_map(|b| b.tests(tests))
                        .send()
                        .await
                        .map(|r| r.into_inner().id)
                })
            })
            .collect();
        let mut ids = BTreeSet::new();
        for task in tasks {
            ids.insert(task.await.unwrap().unwrap());
        }
        assert_eq!(ids.len(), 8);
        let page = client
            .list_test_invocations()
            .page_size(8u64)
            .send()
            .await
            .unwrap()
            .into_inner();
        let listed: BTreeSet<String> = page.results.into_iter().map(|i| i.id).collect();
        assert_eq!(listed, ids, "the created invocations come first");
        for id in &ids {
            let done = settle(&client, id, Duration::from_secs(10)).await;
            assert!(
                done.test_runs
                    .iter()
                    .all(|r| r.status == expected_status(&r.test_name))
            );
        }
        let runs: BTreeSet<String> = server
            .created_invocations()
            .iter()
            .flat_map(|i| i.test_runs.iter().map(|r| r.test_run_id.clone()))
            .collect();
        let total: usize = server
            .created_invocations()
            .iter()
            .map(|i| i.test_runs.len())
            .sum();
        assert_eq!(runs.len(), total, "run ids are unique");
    })
    .await
}
