//! The embedded fake server's behaviour: pagination, filters, validation, auth, routing, faults,
//! and its pages against the spec's JSON Schema.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use elevenlabs_agent_tests::fake::{DEFAULT_API_KEY, DEFAULT_INVOCATIONS, FakeServer};
use elevenlabs_agent_tests::prelude::*;
use elevenlabs_agent_tests::types::{
    ResourceAccessInfoAccessSource, ResourceAccessInfoAnonymousAccessLevelOverride,
    ResourceAccessInfoRole,
};
use elevenlabs_agent_tests::{Client, Error, RetryPolicy};
use serde_json::{Value, json};

use crate::fake_schema::{assert_valid, spec_schema};
use crate::support::{bounded, raw_fake_request};

const PATH: &str = "/v1/convai/test-invocations";

async fn raw_get(
    server: &FakeServer,
    query: &str,
    key: Option<&str>,
) -> (u16, reqwest::header::HeaderMap, Value) {
    raw_request(server, reqwest::Method::GET, PATH, query, key).await
}

async fn raw_request(
    server: &FakeServer,
    method: reqwest::Method,
    path: &str,
    query: &str,
    key: Option<&str>,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let path_and_query = if query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{query}")
    };
    raw_fake_request(server, method, &path_and_query, key, None).await
}

/// Walks a whole listing with raw requests, returning every page's JSON body.
async fn raw_walk(server: &FakeServer, base_query: &str) -> Vec<Value> {
    let mut pages = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut query = base_query.to_owned();
        if let Some(c) = &cursor {
            if !query.is_empty() {
                query.push('&');
            }
            query.push_str(&format!("cursor={c}"));
        }
        let (status, _, body) = raw_get(server, &query, Some(server.api_key())).await;
        assert_eq!(status, 200, "{body}");
        let has_more = body["has_more"].as_bool().unwrap();
        cursor = body["next_cursor"].as_str().map(str::to_owned);
        pages.push(body);
        if !has_more {
            break;
        }
        assert!(pages.len() <= 10_000, "the cursor chain does not end");
    }
    pages
}

/// Every item of a listing through the crate's pagination stream.
async fn client_walk(
    client: &Client,
    agent_id: Option<&str>,
    page_size: Option<u64>,
) -> Result<Vec<elevenlabs_agent_tests::types::TestInvocationSummaryResponseModel>, Error> {
    let mut request = client.list_test_invocations();
    if let Some(agent) = agent_id {
        request = request.agent_id(agent);
    }
    if let Some(size) = page_size {
        request = request.page_size(size);
    }
    request.stream().try_collect().await
}

#[tokio::test]
async fn pages_chain_over_the_whole_data_set_in_order() {
    bounded(async {
        let server = FakeServer::start().await.unwrap();
        let all: Vec<&str> = server.invocations().iter().map(|i| i.id.as_str()).collect();
        assert_eq!(all.len(), DEFAULT_INVOCATIONS);
        for (query, page_size) in [
            ("page_size=1", 1usize),
            ("page_size=7", 7),
            ("", 30), // the default
            ("page_size=100", 100),
        ] {
            let pages = raw_walk(&server, query).await;
            assert_eq!(pages.len(), all.len().div_ceil(page_size), "{query}");
            let mut ids = Vec::new();
            for (i, page) in pages.iter().enumerate() {
                let last = i + 1 == pages.len();
                let results = page["results"].as_array().unwrap();
                assert_eq!(
                    results.len(),
                    if last {
                        all.len() - i * page_size
                    } else {
                        page_size
                    }
                );
                assert_eq!(
                    page["meta"],
                    json!({"total": all.len(), "page": i + 1, "page_size": page_size}),
                    "{query}"
                );
                assert_eq!(page["has_more"], !last);
                if last {
                    // Present and null, as FastAPI serialises `None`.
                    assert_eq!(page.get("next_cursor"), Some(&Value::Null));
                } else {
                    assert!(page["next_cursor"].as_str().is_some_and(|c| !c.is_empty()));
                }
                ids.extend(results.iter().map(|r| r["id"].as_str().unwrap().to_owned()));
            }
            assert_eq!(ids, all, "{query}: every item once, newest first");
        }
        // Through the generated client too.
        let items = client_walk(&server.client(), None, Some(13)).await.unwrap();
        let ids: Vec<&str> = items.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(ids, all);
        let mut sorted = items
            .iter()
            .map(|i| i.created_at_unix_secs)
            .collect::<Vec<_>>();
        sorted.sort_unstable_by(|a, b| b.cmp(a));
        assert_eq!(
            sorted,
            items
                .iter()
                .map(|i| i.created_at_unix_secs)
                .collect::<Vec<_>>()
        );
    })
    .await
}

#[tokio::test]
async fn agent_filter_keeps_only_that_agent_and_cursors_keep_the_filter() {
    bounded(async {
        let server = FakeServer::builder()
            .invocations(90)
            .agents(3)
            .seed(5)
            .start()
            .await
            .unwrap();
        let client = server.client();
        let mut seen = 0;
        for agent in server.agent_ids() {
            let expected: Vec<&str> = server
                .invocations()
                .iter()
                .filter(|i| i.agent_id.as_deref() == Some(agent))
                .map(|i| i.id.as_str())
                .collect();
            assert!(!expected.is_empty());
            let items = client_walk(&client, Some(agent), Some(4)).await.unwrap();
            assert!(items.iter().all(|i| i.agent_id.as_deref() == Some(agent)));
            assert_eq!(
                items.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(),
                expected
            );
            seen += items.len();

            let (_, _, first) = raw_get(
                &server,
                &format!("agent_id={agent}&page_size=4"),
                Some(server.api_key()),
            )
            .await;
            assert_eq!(first["meta"]["total"], expected.len());
        }
        assert_eq!(seen, 90, "the agents partition the data set");

        // Every request of the filtered walks carried the filter.
        let requests = server.requests();
        assert!(
            requests
                .iter()
                .all(|r| r.path == PATH && r.param("agent_id").is_some())
        );
        assert!(
            requests
                .iter()
                .all(|r| r.header("xi-api-key") == Some(server.api_key()))
        );

        // An unknown agent: an empty last page.
        let (status, _, body) =
            raw_get(&server, "agent_id=agent_nobody", Some(server.api_key())).await;
        assert_eq!(status, 200);
        assert_eq!(body["results"], json!([]));
        assert_eq!(body["has_more"], false);
        assert_eq!(body["meta"]["total"], 0);

        // A cursor of a filtered listing is refused without the filter (and vice versa).
        let agent = &server.agent_ids()[0];
        let (_, _, page) = raw_get(
            &server,
            &format!("agent_id={agent}&page_size=2"),
            Some(server.api_key()),
        )
        .await;
        let cursor = page["next_cursor"].as_str().unwrap();
        let (status, _, body) =
            raw_get(&server, &format!("cursor={cursor}"), Some(server.api_key())).await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(body["detail"][0]["loc"], json!(["query", "cursor"]));
        // The same cursor with its filter works.
        let (status, _, _) = raw_get(
            &server,
            &format!("agent_id={agent}&cursor={cursor}"),
            Some(server.api_key()),
        )
        .await;
        assert_eq!(status, 200);
    })
    .await
}

#[tokio::test]
async fn garbled_cursors_get_a_422_naming_the_cursor() {
    bounded(async {
        let server = FakeServer::start().await.unwrap();
        let (_, _, page) = raw_get(&server, "page_size=10", Some(server.api_key())).await;
        let cursor = page["next_cursor"].as_str().unwrap().to_owned();
        let mut flipped = cursor.clone().into_bytes();
        flipped[0] = if flipped[0] == b'0' { b'1' } else { b'0' };
        let flipped = String::from_utf8(flipped).unwrap();
        for bad in [
            flipped.as_str(),
            "abc",
            "%FF%FE",
            &cursor[..cursor.len() - 1],
        ] {
            let (status, _, body) =
                raw_get(&server, &format!("cursor={bad}"), Some(server.api_key())).await;
            assert_eq!(status, 422, "cursor {bad:?}: {body}");
            assert_eq!(body["detail"][0]["loc"], json!(["query", "cursor"]));
            assert_eq!(body["detail"][0]["type"], "value_error");
            assert!(
                body["detail"][0]["msg"]
                    .as_str()
                    .unwrap()
                    .contains("cursor")
            );
        }
        // Another server's (another seed's) cursor is refused too.
        let other = FakeServer::builder().seed(43).start().await.unwrap();
        let (status, _, _) =
            raw_get(&other, &format!("cursor={cursor}"), Some(other.api_key())).await;
        assert_eq!(status, 422);
    })
    .await
}

#[tokio::test]
async fn page_size_outside_1_to_100_or_not_an_integer_is_a_fastapi_422() {
    bounded(async {
        let server = FakeServer::start().await.unwrap();
        for (raw, type_, msg) in [
            (
                "0",
                "greater_than_equal",
                "Input should be greater than or equal to 1",
            ),
            (
                "-5",
                "greater_than_equal",
                "Input should be greater than or equal to 1",
            ),
            (
                "101",
                "less_than_equal",
                "Input should be less than or equal to 100",
            ),
            (
                "abc",
                "int_parsing",
                "Input should be a valid integer, unable to parse string as an integer",
            ),
            (
                "",
                "int_parsing",
                "Input should be a valid integer, unable to parse string as an integer",
            ),
            (
                "2.5",
                "int_parsing",
                "Input should be a valid integer, unable to parse string as an integer",
            ),
        ] {
            let (status, headers, body) =
                raw_get(&server, &format!("page_size={raw}"), Some(server.api_key())).await;
            assert_eq!(status, 422, "page_size={raw}");
            assert_eq!(headers["content-type"], "application/json");
            let detail = body["detail"].as_array().unwrap();
            assert_eq!(detail.len(), 1, "{body}");
            assert_eq!(detail[0]["loc"], json!(["query", "page_size"]));
            assert_eq!(detail[0]["type"], type_, "page_size={raw}");
            assert_eq!(detail[0]["msg"], msg, "page_size={raw}");
            assert_eq!(detail[0]["input"], raw);
        }
        // Bounds themselves are accepted.
        for ok in ["1", "100"] {
            let (status, _, _) =
                raw_get(&server, &format!("page_size={ok}"), Some(server.api_key())).await;
            assert_eq!(status, 200);
        }
        // Every invalid parameter is reported at once.
        let (status, _, body) =
            raw_get(&server, "page_size=abc&cursor=zz", Some(server.api_key())).await;
        assert_eq!(status, 422);
        let locs: Vec<&Value> = body["detail"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| &d["loc"])
            .collect();
        assert_eq!(
            locs,
            [&json!(["query", "page_size"]), &json!(["query", "cursor"])]
        );

        // Through the crate, page_size 101 never reaches the server: the client refuses it.
        let before = server.request_count();
        let err = server
            .client()
            .list_test_invocations()
            .page_size(101u64)
            .send()
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                Error::InvalidParameter {
                    name: "page_size",
                    ..
                }
            ),
            "{err:?}"
        );
        assert_eq!(server.request_count(), before, "nothing was sent");

        // A 422 the server does send (a cursor it never issued) is read as the typed
        // validation error, with each `loc: msg` in its Display.
        let err = server
            .client()
            .list_test_invocations()
            .cursor("not-a-cursor")
            .send()
            .await
            .unwrap_err();
        match &err {
            Error::Validation { body } => {
                assert_eq!(body.detail.len(), 1);
                assert_eq!(
                    body.detail[0]
                        .loc
                        .iter()
                        .map(|l| l.to_string())
                        .collect::<Vec<_>>(),
                    ["query", "cursor"]
                );
            }
            other => panic!("expected Error::Validation, got {other:?}"),
        }
        assert!(err.to_string().contains("query.cursor: "), "{err}");
    })
    .await
}

#[tokio::test]
async fn missing_or_wrong_key_is_401_invalid_api_key() {
    bounded(async {
        let server = FakeServer::builder()
            .api_key("sk_right")
            .start()
            .await
            .unwrap();
        let expected =
            json!({"detail": {"status": "invalid_api_key", "message": "Invalid API key"}});
        for key in [
            None,
            Some("sk_wrong"),
            Some(""),
            Some("sk_righ"),
            Some(DEFAULT_API_KEY),
        ] {
            let (status, _, body) = raw_get(&server, "", key).await;
            assert_eq!(status, 401, "key {key:?}");
            assert_eq!(body, expected);
        }
        // Auth comes before validation: a bad page size without a key is still a 401.
        let (status, _, _) = raw_get(&server, "page_size=0", None).await;
        assert_eq!(status, 401);

        // Through the crate: `Client::new` sends no key.
        let no_key = Client::new(server.url());
        let err = no_key.list_test_invocations().send().await.unwrap_err();
        assert!(
            matches!(&err, Error::Api { status, .. } if status.as_u16() == 401),
            "{err:?}"
        );
        let wrong = server.client_builder().api_key("sk_wrong").build().unwrap();
        let err = wrong.list_test_invocations().send().await.unwrap_err();
        assert!(
            matches!(&err, Error::Api { status, .. } if status.as_u16() == 401),
            "{err:?}"
        );
        assert!(server.client().list_test_invocations().send().await.is_ok());
        let statuses: Vec<u16> = server.requests().iter().map(|r| r.status).collect();
        assert_eq!(statuses, [401, 401, 401, 401, 401, 401, 401, 401, 200]);
    })
    .await
}

#[tokio::test]
async fn other_paths_are_404_and_other_methods_405() {
    bounded(async {
        let server = FakeServer::start().await.unwrap();
        let key = Some(server.api_key());
        for path in [
            "/",
            "/v1/convai/test-invocation",
            "/v1/convai/test-invocations/ti_1/nope",
            "/v1/convai/tests",
            "/v1/convai/agent-testing/folders/a/b",
        ] {
            let (status, _, body) = raw_request(&server, reqwest::Method::GET, path, "", key).await;
            assert_eq!(status, 404, "{path}");
            assert_eq!(body, json!({"detail": "Not Found"}));
        }
        for method in [
            reqwest::Method::POST,
            reqwest::Method::DELETE,
            reqwest::Method::PUT,
        ] {
            let (status, headers, body) = raw_request(&server, method.clone(), PATH, "", key).await;
            assert_eq!(status, 405, "{method}");
            assert_eq!(headers["allow"], "GET");
            assert_eq!(body, json!({"detail": "Method Not Allowed"}));
        }
    })
    .await
}

#[tokio::test]
async fn every_operation_of_the_spec_is_routed_to_its_handler() {
    bounded(async {
        let server = FakeServer::start().await.unwrap();
        let key = Some(server.api_key());
        let operations = &elevenlabs_agent_tests::spec::Tables::current().operations;
        assert!(operations.len() >= 18, "{operations:?}");
        for op in operations {
            // Unknown ids: each handler answers its own 404, never the router's.
            let mut path = op.path.clone();
            for name in &op.path_parameters {
                path = path.replace(&format!("{{{name}}}"), "nope");
            }
            let method = reqwest::Method::from_bytes(op.method.as_bytes()).unwrap();
            let (status, _, body) = raw_request(&server, method, &path, "", key).await;
            assert!(
                ![405, 501].contains(&status) && body != json!({"detail": "Not Found"}),
                "{} {path}: {status} {body}",
                op.method
            );
        }
        // A path of the spec that lacks the method: 405 naming the methods it has, in order.
        let (status, headers, _) = raw_request(
            &server,
            reqwest::Method::POST,
            "/v1/convai/agent-testing/folders/nope",
            "",
            key,
        )
        .await;
        assert_eq!(status, 405);
        assert_eq!(headers["allow"], "GET, PATCH, DELETE");
    })
    .await
}

#[tokio::test]
async fn fail_next_serves_k_failures_with_retry_after_then_recovers() {
    bounded(async {
        let server = FakeServer::start().await.unwrap();
        server.fail_next(2, 429, Some(3));
        assert_eq!(server.pending_failures(), 2);
        for left in [1, 0] {
            // Failures come before auth and routing: even a keyless request to any path.
            let (status, headers, body) = raw_get(&server, "page_size=0", None).await;
            assert_eq!(status, 429);
            assert_eq!(headers["retry-after"], "3");
            assert_eq!(body["detail"]["status"], "too_many_concurrent_requests");
            assert!(body["detail"]["message"].is_string());
            assert_eq!(server.pending_failures(), left);
        }
        let (status, headers, _) = raw_get(&server, "", Some(server.api_key())).await;
        assert_eq!(status, 200);
        assert!(headers.get("retry-after").is_none());

        // Without Retry-After, and through the client with retries off.
        server.fail_next(1, 503, None);
        let client = server
            .client_builder()
            .retry(RetryPolicy::disabled())
            .build()
            .unwrap();
        let err = client.list_test_invocations().send().await.unwrap_err();
        assert!(
            matches!(&err, Error::Api { status, .. } if status.as_u16() == 503),
            "{err:?}"
        );
        let (status, headers, _) = raw_get(&server, "", Some(server.api_key())).await;
        assert_eq!(status, 200);
        assert!(headers.get("retry-after").is_none());

        // A new call replaces the pending failures; k = 0 and clear_faults cancel them.
        server.fail_next(5, 500, None);
        server.fail_next(1, 502, None);
        assert_eq!(server.pending_failures(), 1);
        server.fail_next(0, 500, None);
        assert_eq!(raw_get(&server, "", Some(server.api_key())).await.0, 200);
        server.fail_next(3, 500, Some(1));
        server.clear_faults();
        assert_eq!(raw_get(&server, "", Some(server.api_key())).await.0, 200);

        let statuses: Vec<u16> = server.requests().iter().map(|r| r.status).collect();
        assert_eq!(statuses, [429, 429, 200, 503, 200, 200, 200]);
        assert_eq!(server.request_count(), 7);
        server.clear_requests();
        assert_eq!(server.request_count(), 0);
    })
    .await
}

/// The demo history is consistent in time: every seeded test was created before the oldest
/// seeded invocation that could have run it.
#[tokio::test]
async fn seeded_tests_are_older_than_the_seeded_invocations() {
    bounded(async {
        let server = FakeServer::start().await.unwrap();
        let client = server.client();
        let tests: Vec<_> = client
            .list_tests()
            .page_size(100)
            .stream()
            .try_collect()
            .await
            .unwrap();
        let invocations = client_walk(&client, None, Some(100)).await.unwrap();
        let newest_test = tests.iter().map(|t| t.created_at_unix_secs).max().unwrap();
        let oldest_invocation = invocations
            .iter()
            .map(|i| i.created_at_unix_secs)
            .min()
            .unwrap();
        assert!(
            newest_test < oldest_invocation,
            "{newest_test} >= {oldest_invocation}"
        );
    })
    .await
}

/// A seeded invocation run with `repeat_count` r lists each test's r runs together, and as
/// many runs as its summary counts.
#[tokio::test]
async fn seeded_repeated_invocations_group_the_runs_of_each_test() {
    bounded(async {
        let server = FakeServer::start().await.unwrap();
        let client = server.client();
        let invocations = client_walk(&client, None, Some(100)).await.unwrap();
        let repeated: Vec<_> = invocations.iter().filter(|i| i.repeat_count > 1).collect();
        assert!(
            !repeated.is_empty(),
            "the demo data has repeated invocations"
        );
        for summary in repeated {
            let invocation = client
                .get_test_invocation()
                .test_invocation_id(&summary.id)
                .send()
                .await
                .unwrap()
                .into_inner();
            assert_eq!(invocation.test_runs.len() as i64, summary.test_run_count);
            let r = summary.repeat_count as usize;
            for group in invocation.test_runs.chunks(r) {
                assert!(
                    group.iter().all(|run| run.test_id == group[0].test_id),
                    "{}: {:?}",
                    summary.id,
                    group.iter().map(|run| &run.test_id).collect::<Vec<_>>()
                );
            }
            let distinct: BTreeSet<_> = invocation.test_runs.iter().map(|r| &r.test_id).collect();
            assert!(
                distinct.len() > 1 || invocation.test_runs.len() <= r,
                "{}",
                summary.id
            );
        }
    })
    .await
}

/// Each injected status comes with the code ElevenLabs sends with it, so a client sees
/// what it would see from the real API.
#[tokio::test]
async fn injected_failures_carry_elevenlabs_codes() {
    bounded(async {
        let server = FakeServer::start().await.unwrap();
        for (status, code) in [
            (429, "too_many_concurrent_requests"),
            (408, "request_timeout"),
            (500, "internal_server_error"),
            (502, "bad_gateway"),
            (503, "system_busy"),
            (504, "gateway_timeout"),
            (401, "invalid_api_key"),
            (403, "forbidden"),
            (418, "injected_failure"),
        ] {
            server.fail_next(1, status, None);
            let (got, _, body) = raw_get(&server, "", Some(server.api_key())).await;
            assert_eq!(got, status);
            assert_eq!(body["detail"]["status"], code, "{status}");
            assert!(body["detail"]["message"].is_string(), "{status}");
        }
    })
    .await
}

#[tokio::test]
async fn latency_delays_every_response() {
    bounded(async {
        let server = FakeServer::start().await.unwrap();
        let client = server.client();
        // Warm the connection so only the injected delay is measured below.
        client.list_test_invocations().send().await.unwrap();
        server.set_latency(Duration::from_millis(300));
        for _ in 0..2 {
            let start = Instant::now();
            client.list_test_invocations().send().await.unwrap();
            // Only a lower bound: a slow machine may take longer, never shorter.
            assert!(
                start.elapsed() >= Duration::from_millis(300),
                "{:?}",
                start.elapsed()
            );
        }
        // Latency applies to injected failures too.
        server.fail_next(1, 500, None);
        let start = Instant::now();
        assert_eq!(raw_get(&server, "", Some(server.api_key())).await.0, 500);
        assert!(start.elapsed() >= Duration::from_millis(300));
        server.set_latency(Duration::ZERO);
        client.list_test_invocations().send().await.unwrap();
    })
    .await
}

#[tokio::test]
async fn data_is_seeded_consistent_and_covers_every_enum_value() {
    bounded(async {
        let a = FakeServer::builder().seed(9).start().await.unwrap();
        let b = FakeServer::builder().seed(9).start().await.unwrap();
        let c = FakeServer::builder().seed(10).start().await.unwrap();
        let (_, _, pa) = raw_get(&a, "page_size=100", Some(a.api_key())).await;
        let (_, _, pb) = raw_get(&b, "page_size=100", Some(b.api_key())).await;
        let (_, _, pc) = raw_get(&c, "page_size=100", Some(c.api_key())).await;
        assert_eq!(pa["results"], pb["results"], "same seed, same pages");
        assert_ne!(pa["results"], pc["results"], "another seed, other data");
        assert_ne!(a.url(), b.url());

        // The default data, as served.
        let server = FakeServer::start().await.unwrap();
        let items = client_walk(&server.client(), None, Some(100))
            .await
            .unwrap();
        let ids: BTreeSet<&str> = items.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(ids.len(), items.len(), "unique ids");
        let agents: BTreeSet<&str> = items.iter().filter_map(|i| i.agent_id.as_deref()).collect();
        assert_eq!(agents.len(), server.agent_ids().len());
        for i in &items {
            assert!(i.id.starts_with("ti_"), "{}", i.id);
            assert!(i.agent_id.as_deref().unwrap().starts_with("agent_"));
            assert_eq!(
                i.passed_count + i.failed_count + i.pending_count,
                i.test_run_count
            );
            assert!(i.repeat_count >= 1 && i.test_run_count >= 1 && !i.title.is_empty());
        }
        assert!(items.iter().any(|i| i.failed_count > 0));
        assert!(items.iter().any(|i| i.pending_count > 0));
        assert!(items.iter().any(|i| i.repeat_count > 1));
        assert!(items.iter().any(|i| i.access_info.is_none()));
        assert!(items.iter().any(|i| i.branch_id.is_some()));
        let infos: Vec<_> = items
            .iter()
            .filter_map(|i| i.access_info.as_ref())
            .collect();
        let roles: BTreeSet<&str> = infos.iter().map(|a| a.role.as_str()).collect();
        assert_eq!(
            roles,
            ResourceAccessInfoRole::KNOWN.iter().copied().collect()
        );
        let sources: BTreeSet<Option<&str>> = infos
            .iter()
            .map(|a| a.access_source.as_ref().map(|s| s.as_str()))
            .collect();
        let mut want: BTreeSet<Option<&str>> = ResourceAccessInfoAccessSource::KNOWN
            .iter()
            .map(|s| Some(*s))
            .collect();
        want.insert(None);
        assert_eq!(sources, want);
        let overrides: BTreeSet<Option<&str>> = infos
            .iter()
            .map(|a| {
                a.anonymous_access_level_override
                    .as_ref()
                    .map(|s| s.as_str())
            })
            .collect();
        let mut want: BTreeSet<Option<&str>> =
            ResourceAccessInfoAnonymousAccessLevelOverride::KNOWN
                .iter()
                .map(|s| Some(*s))
                .collect();
        want.insert(None);
        assert_eq!(overrides, want);
    })
    .await
}

#[tokio::test]
async fn builder_settings_are_checked_and_an_empty_data_set_works() {
    bounded(async {
        // A builder prints, its callback as a placeholder.
        let builder = format!("{:?}", FakeServer::builder().on_request(|_| {}));
        assert!(builder.contains("Some(RequestObserver(..))"), "{builder}");
        let err = FakeServer::builder()
            .invocations(5)
            .agents(0)
            .start()
            .await
            .unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
        assert!(err.to_string().contains("agents(0)"), "{err}");
        for key in ["", "has space", "new\nline"] {
            let err = FakeServer::builder()
                .api_key(key)
                .start()
                .await
                .unwrap_err();
            assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
            assert!(err.to_string().contains("api_key"), "{err}");
        }
        let err = FakeServer::builder()
            .invocations(usize::MAX)
            .start()
            .await
            .unwrap_err();
        assert!(err.to_string().contains("maximum"), "{err}");

        let empty = FakeServer::builder()
            .invocations(0)
            .agents(0)
            .start()
            .await
            .unwrap();
        let (status, _, body) = raw_get(&empty, "", Some(empty.api_key())).await;
        assert_eq!(status, 200);
        assert_eq!(body["results"], json!([]));
        assert_eq!(body["has_more"], false);
        assert_eq!(
            body["meta"],
            json!({"total": 0, "page": 1, "page_size": 30})
        );
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_clients_and_shutdown_on_drop() {
    bounded(async {
        let server = FakeServer::start().await.unwrap();
        let client = server.client();
        let tasks: Vec<_> = (0..16u64)
            .map(|i| {
                let client = client.clone();
                tokio::spawn(async move {
                    client
                        .list_test_invocations()
                        .page_size(i + 1)
                        .send()
                        .await
                        .map(|r| r.into_inner().results.len())
                })
            })
            .collect();
        for (i, task) in tasks.into_iter().enumerate() {
            assert_eq!(task.await.unwrap().unwrap(), i + 1, "page_size {}", i + 1);
        }
        assert_eq!(server.request_count(), 16);

        let addr = server.addr();
        drop(server);
        // The listener is closed: a new connection is refused (give the abort a moment).
        let mut refused = false;
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(addr).await.is_err() {
                refused = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(refused, "the fake still accepts connections after drop");
    })
    .await
}

#[tokio::test]
async fn pages_and_errors_validate_against_the_spec_schema() {
    bounded(async {
        let page_schema = spec_schema("GetTestInvocationsPageResponseModel");
        let error_schema = spec_schema("HTTPValidationError");

        // The schema check is not vacuous: it refuses a wrong page.
        assert!(!page_schema.is_valid(&json!({"results": [{"id": 1}], "has_more": false})));
        assert!(!page_schema.is_valid(&json!({"results": [], "has_more": false, "extra": 1})));

        let server = FakeServer::builder()
            .invocations(250)
            .agents(5)
            .seed(3)
            .start()
            .await
            .unwrap();
        let mut pages = raw_walk(&server, "page_size=100").await;
        pages.extend(
            raw_walk(
                &server,
                &format!("agent_id={}&page_size=9", server.agent_ids()[1]),
            )
            .await,
        );
        pages.extend(raw_walk(&server, "agent_id=agent_nobody").await);
        let mut items = 0;
        for (i, page) in pages.iter().enumerate() {
            // The fields the live API sends beyond upstream (declared by spec/overlay.json)
            // are there, and nothing the spec lacks is.
            for item in page["results"].as_array().unwrap() {
                assert!(item["credits_used"].is_i64(), "{item}");
                assert!(item["cancelled_count"].is_i64(), "{item}");
            }
            assert_valid(&page_schema, page, &format!("page {i}"));
            items += page["results"].as_array().unwrap().len();
        }
        assert!(items > 250);
        // Credits are charged for the finished runs only, at one rate.
        let results = || pages.iter().flat_map(|p| p["results"].as_array().unwrap());
        let finished = |i: &Value| {
            i["test_run_count"].as_i64().unwrap() - i["pending_count"].as_i64().unwrap()
        };
        let rate = results()
            .find(|i| i["pending_count"] == 0 && finished(i) > 0)
            .map(|i| i["credits_used"].as_i64().unwrap() / finished(i))
            .expect("a finished invocation");
        assert!(results().any(|i| i["pending_count"].as_i64() > Some(0) && finished(i) > 0));
        for item in results() {
            assert_eq!(item["credits_used"], finished(item) * rate, "{item}");
        }
        // Nullable fields are served as null, as FastAPI does: the schema must allow them.
        assert!(pages.iter().any(|p| {
            p["results"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r["branch_id"].is_null())
        }));

        for query in [
            "page_size=0",
            "page_size=101",
            "page_size=x",
            "cursor=nope",
            "page_size=x&cursor=nope",
        ] {
            let (status, _, body) = raw_get(&server, query, Some(server.api_key())).await;
            assert_eq!(status, 422);
            assert_valid(&error_schema, &body, query);
        }
    })
    .await
}
