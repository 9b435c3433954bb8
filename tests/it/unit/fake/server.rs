//! `src/fake/server.rs`: its own items, hidden or public.

use elevenlabs_agent_tests::fake::FakeServer;
use elevenlabs_agent_tests::fake::http::parse_int_param;
use elevenlabs_agent_tests::fake::server::*;
use elevenlabs_agent_tests::spec::Tables;
use serde_json::json;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(10);

#[tokio::test]
async fn shutdown_answers_the_request_in_flight_then_refuses_connections() {
    let server = FakeServer::start().await.unwrap();
    server.set_latency(Duration::from_millis(300));
    let client = server
        .client_builder()
        .retry(elevenlabs_agent_tests::RetryPolicy::disabled())
        .build()
        .unwrap();
    let addr = server.addr();
    let in_flight = tokio::spawn({
        let client = client.clone();
        async move { client.list_tests().page_size(1).send().await }
    });
    // An idle keep-alive connection does not hold the shutdown up.
    let idle = tokio::net::TcpStream::connect(addr).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = std::time::Instant::now();
    tokio::time::timeout(LIMIT, server.shutdown())
        .await
        .expect("the shutdown ends");
    // It waited for the request's latency.
    assert!(
        started.elapsed() >= Duration::from_millis(150),
        "{:?}",
        started.elapsed()
    );
    let page = tokio::time::timeout(LIMIT, in_flight)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(page.expect("answered").tests.len(), 1);
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
    drop(idle);
}

#[tokio::test]
async fn the_observer_sees_each_request_even_when_none_is_recorded() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let server = FakeServer::builder()
        .record_requests(false)
        .on_request({
            let seen = seen.clone();
            move |r| seen.lock().unwrap().push(r.clone())
        })
        .start()
        .await
        .unwrap();
    let client = server.client();
    let _ = client.list_tests().page_size(3).send().await.unwrap();
    let _ = client.get_test().test_id("nope").send().await.unwrap_err();
    assert!(server.requests().is_empty());
    assert_eq!(server.request_count(), 0);
    let seen = seen.lock().unwrap().clone();
    let shown: Vec<(&str, &str, u16)> = seen
        .iter()
        .map(|r| (r.method.as_str(), r.path.as_str(), r.status))
        .collect();
    assert_eq!(
        shown,
        [
            ("GET", "/v1/convai/agent-testing", 200),
            ("GET", "/v1/convai/agent-testing/nope", 404)
        ]
    );
    assert_eq!(seen[0].query, [("page_size".to_owned(), "3".to_owned())]);
}

#[tokio::test]
async fn host_and_port_are_where_it_listens() {
    let free = std::net::TcpListener::bind("127.0.0.2:0").unwrap();
    let port = free.local_addr().unwrap().port();
    drop(free);
    let host = std::net::IpAddr::from([127, 0, 0, 2]);
    let server = FakeServer::builder()
        .host(host)
        .port(port)
        .start()
        .await
        .unwrap();
    assert_eq!(server.addr(), std::net::SocketAddr::new(host, port));
    assert_eq!(server.url(), format!("http://127.0.0.2:{port}"));
    let again = FakeServer::builder().host(host).port(port).start().await;
    assert_eq!(again.unwrap_err().kind(), std::io::ErrorKind::AddrInUse);
    let default = FakeServer::start().await.unwrap();
    assert_eq!(default.addr().ip(), std::net::IpAddr::from([127, 0, 0, 1]));
}

#[tokio::test]
async fn an_operation_of_the_spec_without_a_handler_is_501_named() {
    let mut tables = Tables::current().clone();
    tables
        .operations
        .push(elevenlabs_agent_tests::spec::Operation {
            id: "brand_new_operation".to_owned(),
            method: "GET".to_owned(),
            path: "/v1/convai/brand-new/{thing_id}".to_owned(),
            path_parameters: vec!["thing_id".to_owned()],
            body: None,
        });
    let server = FakeServer::builder()
        .spec_tables(Box::leak(Box::new(tables)))
        .start()
        .await
        .unwrap();
    let http = elevenlabs_agent_tests::config::http_client_builder()
        .build()
        .unwrap();
    let response = http
        .get(format!("{}/v1/convai/brand-new/x1", server.url()))
        .header(
            elevenlabs_agent_tests::config::API_KEY_HEADER,
            server.api_key(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 501);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["detail"]["status"], "not_implemented");
    assert!(
        body["detail"]["message"]
            .as_str()
            .unwrap()
            .contains("\"brand_new_operation\""),
        "{body}"
    );
}

#[test]
fn page_size_validation_matches_pydantic() {
    let facts = Tables::current().parameter("list_test_invocations", "page_size");
    let p = |raw| parse_int_param(&facts, "page_size", raw);
    assert_eq!(p(None).unwrap(), Some(30));
    assert_eq!(p(Some("1")).unwrap(), Some(1));
    assert_eq!(p(Some("100")).unwrap(), Some(100));
    let e = p(Some("0")).unwrap_err();
    assert_eq!(e["type"], "greater_than_equal");
    assert_eq!(e["loc"], json!(["query", "page_size"]));
    assert_eq!(e["ctx"], json!({"ge": 1}));
    let e = p(Some("101")).unwrap_err();
    assert_eq!(e["type"], "less_than_equal");
    assert_eq!(e["msg"], "Input should be less than or equal to 100");
    let e = p(Some("abc")).unwrap_err();
    assert_eq!(e["type"], "int_parsing");
    assert_eq!(e["input"], "abc");
}

#[test]
fn routes_match_starlette_order() {
    let segs = |p: &'static str| p.split('/').collect::<Vec<_>>();
    let test = [Some("agent-testing".to_owned()), None];
    assert_eq!(
        matches(&test, &segs("agent-testing/abc")),
        Some(vec!["abc"])
    );
    assert_eq!(matches(&test, &segs("agent-testing/")), None);
    assert_eq!(matches(&test[..1], &segs("agent-testing/x")), None);
    assert_eq!(matches(&test[..1], &segs("agent-testing")), Some(vec![]));
    assert_eq!(matches(&test, &segs("agent-testin/abc")), None);
    // Literal segments first: `folders` before `{test_id}`, `create` before `{test_id}`.
    let routes = routes(Tables::current());
    let position = |path: &str| {
        let want: Vec<_> = path.trim_start_matches('/').split('/').collect();
        routes.iter().position(|r| {
            matches(&r.segments, &want).is_some()
                && r.segments
                    .iter()
                    .zip(&want)
                    .all(|(s, w)| s.as_deref().is_none_or(|s| s == *w))
        })
    };
    let folder = position("/v1/convai/agent-testing/folders").unwrap();
    let by_id = routes
        .iter()
        .position(|r| r.operations.iter().any(|(_, id)| id == "get_test"))
        .unwrap();
    assert!(folder < by_id, "{routes:?}");
    // One route per path, every method of it.
    let invocation = routes
        .iter()
        .find(|r| {
            r.operations
                .iter()
                .any(|(_, id)| id == "get_test_invocation")
        })
        .unwrap();
    let methods: Vec<&str> = invocation
        .operations
        .iter()
        .map(|(m, _)| m.as_str())
        .collect();
    assert_eq!(methods, ["GET", "PATCH"]);
}
