//! Every operation of the client, end to end against an in-process server on 127.0.0.1:0:
//! the request it sends (method, path with percent-encoded ids, query, JSON body), the typed
//! decoding of a realistic response (`tests/fixtures/operation_responses.json`, validated
//! against the operation's response schema in the upstream fragment and re-serialised
//! unchanged), empty success bodies (`{}` with 200, and 204), and the typed 422.

use std::time::Duration;

use elevenlabs_agent_tests::{Client, Error, types};
use serde_json::{Value, json};

use super::schema::{check_preserved, fixture, spec};
use crate::support::{Recorded, Reply, ScriptServer};

/// An id with every character a path segment must encode.
const NASTY_ID: &str = "id/ü #?%";
/// `NASTY_ID` as it must appear in the path.
const NASTY_ID_ENCODED: &str = "id%2F%C3%BC%20%23%3F%25";

/// What the client must send for one operation.
struct Expected {
    method: &'static str,
    path: String,
    query: Vec<(&'static str, &'static str)>,
    body: Option<Value>,
}

/// `template` with every `{param}` replaced by `NASTY_ID_ENCODED`.
fn fill(template: &str) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some((before, after)) = rest.split_once('{') {
        out.push_str(before);
        out.push_str(NASTY_ID_ENCODED);
        rest = after.split_once('}').expect("a closing brace").1;
    }
    out + rest
}

fn expect(method: &'static str, path: &str) -> Expected {
    Expected {
        method,
        path: fill(path),
        query: Vec::new(),
        body: None,
    }
}

impl Expected {
    fn query(mut self, pairs: &[(&'static str, &'static str)]) -> Self {
        self.query = pairs.to_vec();
        self
    }
    fn body(mut self, body: Value) -> Self {
        self.body = Some(body);
        self
    }
}

fn to_json<T: serde::Serialize>(value: T) -> Option<Value> {
    Some(serde_json::to_value(value).expect("a decoded response serialises"))
}

/// Calls operation `op` with sample arguments; the decoded response as JSON (`None` for an
/// empty 204), and what the request must look like.
async fn call(client: &Client, op: &str) -> (Result<Option<Value>, Error>, Expected) {
    let id = NASTY_ID;
    let result = match op {
        "list_tests" => client
            .list_tests()
            .search("refund & co")
            .types(vec![types::TestType::Llm, types::TestType::Tool])
            .page_size(2u64)
            .parent_folder_id("root")
            .send()
            .await
            .map(|r| to_json(r.into_inner())),
        "create_test" => client
            .create_test()
            .body(types::CreateTestBody::Tool(
                types::CreateToolCallUnitTestRequest::builder()
                    .name("Looks up the order")
                    .check_any_tool_matches(Some(true))
                    .try_into()
                    .unwrap(),
            ))
            .send()
            .await
            .map(|r| to_json(r.into_inner())),
        "get_test" => client
            .get_test()
            .test_id(id)
            .send()
            .await
            .map(|r| to_json(r.into_inner())),
        "update_test" => client
            .update_test()
            .test_id(id)
            .body(types::UpdateTestBody::Simulation(
                types::UpdateSimulationTestRequest::builder()
                    .name("Refund conversation")
                    .simulation_scenario("A frustrated customer")
                    .try_into()
                    .unwrap(),
            ))
            .send()
            .await
            .map(|r| to_json(r.into_inner())),
        "delete_test" => client
            .delete_test()
            .test_id(id)
            .send()
            .await
            .map(|r| to_json(r.into_inner())),
        "get_test_summaries" => client
            .get_test_summaries()
            .body_map(|b| b.test_ids(vec!["t1".to_owned(), "t2".to_owned()]))
            .send()
            .await
            .map(|r| to_json(r.into_inner())),
        "run_tests" => client
            .run_tests()
            .agent_id(id)
            .body_map(|b| {
                b.tests(vec![
                    types::SingleTestRunRequestModel::builder()
                        .test_id("t1")
                        .try_into()
                        .unwrap(),
                ])
                .repeat_count(std::num::NonZeroU64::new(3).unwrap())
            })
            .send()
            .await
            .map(|r| to_json(r.into_inner())),
        "list_test_invocations" => client
            .list_test_invocations()
            .agent_id("agent 1")
            .send()
            .await
            .map(|r| to_json(r.into_inner())),
        "get_test_invocation" => client
            .get_test_invocation()
            .test_invocation_id(id)
            .send()
            .await
            .map(|r| to_json(r.into_inner())),
        "update_test_invocation" => client
            .update_test_invocation()
            .test_invocation_id(id)
            .body_map(|b| b.name(None))
            .send()
            .await
            .map(|r| to_json(r.into_inner())),
        "cancel_test_invocation" => client
            .cancel_test_invocation()
            .test_invocation_id(id)
            .send()
            .await
            .map(|r| to_json(r.into_inner())),
        "resubmit_test_invocation" => client
            .resubmit_test_invocation()
            .test_invocation_id(id)
            .body_map(|b| {
                b.agent_id("agent_1")
                    .test_run_ids(vec!["run_02".to_owned()])
            })
            .send()
            .await
            .map(|r| to_json(r.into_inner())),
        "create_test_folder" => client
            .create_test_folder()
            .body_map(|b| {
                b.name("Refunds")
                    .parent_folder_id(Some("tfld_1".to_owned()))
            })
            .send()
            .await
            .map(|r| to_json(r.into_inner())),
        "get_test_folder" => client
            .get_test_folder()
            .folder_id(id)
            .send()
            .await
            .map(|r| to_json(r.into_inner())),
        "update_test_folder" => client
            .update_test_folder()
            .folder_id(id)
            .body_map(|b| b.name("Refunds (EU)"))
            .send()
            .await
            .map(|r| to_json(r.into_inner())),
        "delete_test_folder" => client
            .delete_test_folder()
            .folder_id(id)
            .force(true)
            .send()
            .await
            .map(|_| None),
        "move_tests" => client
            .move_tests()
            .body_map(|b| {
                b.entity_ids(vec!["t1".to_owned()])
                    .move_to(Some("tfld_1".to_owned()))
            })
            .send()
            .await
            .map(|r| to_json(r.into_inner())),
        "get_agent" => client
            .get_agent()
            .agent_id(id)
            .version_id("v 2")
            .send()
            .await
            .map(|r| to_json(r.into_inner())),
        other => panic!("operation `{other}` has no case in tests/it/conformance/operations.rs"),
    };
    let expected = match op {
        "list_tests" => expect("GET", "/v1/convai/agent-testing").query(&[
            ("page_size", "2"),
            ("parent_folder_id", "root"),
            ("search", "refund & co"),
            // FastAPI reads an array as repeated keys.
            ("types", "llm"),
            ("types", "tool"),
        ]),
        "create_test" => expect("POST", "/v1/convai/agent-testing/create").body(json!({
            "name": "Looks up the order", "type": "tool", "check_any_tool_matches": true
        })),
        "get_test" => expect("GET", "/v1/convai/agent-testing/{id}"),
        "update_test" => expect("PUT", "/v1/convai/agent-testing/{id}").body(json!({
            "name": "Refund conversation", "type": "simulation",
            "simulation_scenario": "A frustrated customer", "simulation_max_turns": 5,
            // The schema's defaults, filled in by the typed builder.
            "evaluation_model": "claude-sonnet-4-6", "simulated_user_model": "claude-sonnet-4-6"
        })),
        "delete_test" => expect("DELETE", "/v1/convai/agent-testing/{id}"),
        "get_test_summaries" => expect("POST", "/v1/convai/agent-testing/summaries")
            .body(json!({"test_ids": ["t1", "t2"]})),
        "run_tests" => expect("POST", "/v1/convai/agents/{id}/run-tests")
            .body(json!({"tests": [{"test_id": "t1"}], "repeat_count": 3})),
        "list_test_invocations" => {
            expect("GET", "/v1/convai/test-invocations").query(&[("agent_id", "agent 1")])
        }
        "get_test_invocation" => expect("GET", "/v1/convai/test-invocations/{id}"),
        // `null` restores the generated title: it must be sent, not left out.
        "update_test_invocation" => {
            expect("PATCH", "/v1/convai/test-invocations/{id}").body(json!({"name": null}))
        }
        "cancel_test_invocation" => expect("POST", "/v1/convai/test-invocations/{id}/cancel"),
        "resubmit_test_invocation" => expect("POST", "/v1/convai/test-invocations/{id}/resubmit")
            .body(json!({"agent_id": "agent_1", "test_run_ids": ["run_02"]})),
        "create_test_folder" => expect("POST", "/v1/convai/agent-testing/folders")
            .body(json!({"name": "Refunds", "parent_folder_id": "tfld_1"})),
        "get_test_folder" => expect("GET", "/v1/convai/agent-testing/folders/{id}"),
        "update_test_folder" => expect("PATCH", "/v1/convai/agent-testing/folders/{id}")
            .body(json!({"name": "Refunds (EU)"})),
        "delete_test_folder" => {
            expect("DELETE", "/v1/convai/agent-testing/folders/{id}").query(&[("force", "true")])
        }
        "move_tests" => expect("POST", "/v1/convai/agent-testing/bulk-move")
            .body(json!({"entity_ids": ["t1"], "move_to": "tfld_1"})),
        "get_agent" => expect("GET", "/v1/convai/agents/{id}").query(&[("version_id", "v 2")]),
        _ => unreachable!(),
    };
    (result, expected)
}

/// Every operation of the spec: (operationId = method name, method, path, its responses).
fn operations() -> Vec<(String, String, String, Value)> {
    let translated: Value =
        serde_json::from_str(include_str!("../../../spec/openapi.json")).unwrap();
    let upstream = &spec().doc;
    let mut out = Vec::new();
    for (path, item) in translated["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let name = op["operationId"].as_str().unwrap().to_owned();
            // The responses as upstream states them (3.1), for validation.
            let responses = upstream["paths"][path][method]["responses"].clone();
            out.push((name, method.to_uppercase(), path.clone(), responses));
        }
    }
    assert!(out.len() >= 16, "only {} operations", out.len());
    out
}

fn assert_request(req: &Recorded, expected: &Expected, op: &str) {
    assert_eq!(req.method, expected.method, "{op}: method");
    assert_eq!(req.path, expected.path, "{op}: path (ids percent-encoded)");
    let mut query: Vec<(&str, &str)> = req
        .query
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    query.sort_unstable();
    let mut want = expected.query.clone();
    want.sort_unstable();
    assert_eq!(query, want, "{op}: query");
    match &expected.body {
        None => assert!(req.body.is_empty(), "{op}: unexpected body"),
        Some(body) => {
            assert_eq!(
                req.headers.get("content-type").map(String::as_str),
                Some("application/json"),
                "{op}: content-type"
            );
            let sent: Value = serde_json::from_slice(&req.body)
                .unwrap_or_else(|e| panic!("{op}: body is not JSON: {e}"));
            assert_eq!(&sent, body, "{op}: body");
        }
    }
}

#[tokio::test]
async fn every_operation_sends_its_request_and_decodes_a_realistic_response() {
    let responses = fixture("operation_responses.json");
    for (op, method, path, upstream_responses) in operations() {
        let case = responses.get(&op).unwrap_or_else(|| {
            panic!("no realistic response for `{op}` in operation_responses.json")
        });
        let status = case["status"].as_u64().unwrap() as u16;
        let body = match case["body_file"].as_str() {
            Some(file) => fixture(file),
            None => case["body"].clone(),
        };
        let reply = if status == 204 {
            Reply::raw(204, Vec::new())
        } else {
            Reply::json(status, &body)
        };
        let declared = &upstream_responses[status.to_string()];
        assert!(
            declared.is_object(),
            "{op}: {status} is not a declared response"
        );
        let schema = declared
            .pointer("/content/application~1json/schema")
            .cloned();
        if let Some(schema) = &schema {
            let errors = spec().errors_under(schema, &body);
            assert!(
                errors.is_empty(),
                "{op}: fixture invalid under the spec: {errors:?}"
            );
        }

        let server = ScriptServer::start(move |_| reply.clone()).await;
        let client = Client::new(&server.url);
        let (result, expected) = tokio::time::timeout(Duration::from_secs(30), call(&client, &op))
            .await
            .unwrap_or_else(|_| panic!("{op}: the request did not complete"));
        assert_eq!(expected.method, method, "{op}: the case's method");
        assert_eq!(expected.path, fill(&path), "{op}: the case's path");
        let decoded = result.unwrap_or_else(|e| panic!("{op}: {e}"));
        let requests = server.requests();
        assert_eq!(requests.len(), 1, "{op}: one request");
        assert_request(&requests[0], &expected, &op);

        match (status, decoded) {
            (204, None) => {}
            (_, Some(out)) => {
                let schema = schema.expect("a JSON response has a schema");
                check_preserved(&schema, &spec().root, &body, &out, "")
                    .unwrap_or_else(|e| panic!("{op}: {e}\ninput:  {body}\noutput: {out}"));
            }
            (s, None) => panic!("{op}: no body decoded for status {s}"),
        }
    }
}

#[tokio::test]
async fn every_operation_answers_a_422_with_the_typed_validation_error() {
    let body =
        json!({"detail": [{"loc": ["body", "name"], "msg": "Field required", "type": "missing"}]});
    for (op, _, _, upstream_responses) in operations() {
        assert!(
            upstream_responses["422"].is_object(),
            "{op}: the spec declares no 422"
        );
        let reply = Reply::json(422, &body);
        let server = ScriptServer::start(move |_| reply.clone()).await;
        let client = Client::new(&server.url);
        let (result, _) = tokio::time::timeout(Duration::from_secs(30), call(&client, &op))
            .await
            .unwrap_or_else(|_| panic!("{op}: the request did not complete"));
        let err = result.expect_err("a 422 is an error");
        assert_eq!(err.status().map(|s| s.as_u16()), Some(422), "{op}");
        let Error::Validation { body } = err else {
            panic!("{op}: expected a typed error response, got {err:?}");
        };
        assert_eq!(body.detail.len(), 1, "{op}");
        assert_eq!(body.detail[0].msg, "Field required", "{op}");
    }
}
