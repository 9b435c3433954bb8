//! The shape of the request the generated client sends, seen by an in-process server on
//! 127.0.0.1:0: method, path, query encoding, headers; and the typed 422 answer.

use std::time::Duration;

use crate::support::{Recorded, Reply, ScriptServer};
use elevenlabs_agent_tests::{Client, Error, types};
use serde_json::json;

const PATH: &str = "/v1/convai/test-invocations";
/// Every character that needs care in a query: separators, fragment, `+`, space, `/`,
/// non-ASCII, and `%` itself.
const NASTY: &str = "a&b=c#d+e f/ü/日本/%";

fn empty_page() -> serde_json::Value {
    json!({"results": [], "has_more": false})
}

async fn page_server() -> ScriptServer {
    ScriptServer::start(|_| Reply::json(200, &empty_page())).await
}

/// Sends the request; never hangs.
async fn send(
    builder: elevenlabs_agent_tests::builder::ListTestInvocations<'_>,
) -> Result<elevenlabs_agent_tests::ResponseValue<types::GetTestInvocationsPageResponseModel>, Error>
{
    tokio::time::timeout(Duration::from_secs(30), builder.send())
        .await
        .expect("the request did not complete")
}

/// The one request the server received.
fn only_request(server: &ScriptServer) -> Recorded {
    let reqs = server.requests();
    assert_eq!(reqs.len(), 1, "expected exactly one request: {reqs:?}");
    reqs.into_iter().next().unwrap()
}

/// Names of the query parameters, in order.
fn keys(req: &Recorded) -> Vec<&str> {
    req.query.iter().map(|(k, _)| k.as_str()).collect()
}

/// The raw query is plain ASCII with no character a URL or an HTTP request line would
/// misread (a literal `#`, space, or non-ASCII byte).
fn assert_raw_query_is_encoded(req: &Recorded) {
    let raw = req.raw_query.as_deref().expect("a query string");
    assert!(raw.is_ascii(), "raw query not percent-encoded: {raw:?}");
    assert!(
        !raw.contains('#') && !raw.contains(' '),
        "raw query has a literal # or space: {raw:?}"
    );
    assert_eq!(
        raw.split('&').count(),
        req.query.len(),
        "a value's `&` leaked into the separators: {raw:?}"
    );
}

#[tokio::test]
async fn nothing_set_sends_no_query_string() {
    let server = page_server().await;
    let client = Client::new(&server.url);
    send(client.list_test_invocations()).await.unwrap();
    let req = only_request(&server);
    assert_eq!(req.method, "GET");
    assert_eq!(req.path, PATH);
    assert_eq!(req.raw_query, None, "no parameter set, no `?`");
    assert!(req.query.is_empty());
}

#[tokio::test]
async fn agent_id_with_special_characters_arrives_intact() {
    let server = page_server().await;
    let client = Client::new(&server.url);
    send(client.list_test_invocations().agent_id(NASTY))
        .await
        .unwrap();
    let req = only_request(&server);
    assert_eq!(req.path, PATH);
    assert_eq!(keys(&req), ["agent_id"], "only the set parameter is sent");
    assert_eq!(req.param("agent_id"), Some(NASTY));
    assert_raw_query_is_encoded(&req);
}

#[tokio::test]
async fn cursor_with_special_characters_arrives_intact() {
    let server = page_server().await;
    let client = Client::new(&server.url);
    send(client.list_test_invocations().cursor(NASTY))
        .await
        .unwrap();
    let req = only_request(&server);
    assert_eq!(req.path, PATH);
    assert_eq!(keys(&req), ["cursor"], "only the set parameter is sent");
    assert_eq!(req.param("cursor"), Some(NASTY));
    assert_raw_query_is_encoded(&req);
}

#[tokio::test]
async fn page_size_is_sent_as_a_plain_integer() {
    let server = page_server().await;
    let client = Client::new(&server.url);
    send(client.list_test_invocations().page_size(7u64))
        .await
        .unwrap();
    let req = only_request(&server);
    assert_eq!(req.raw_query.as_deref(), Some("page_size=7"));
    assert_eq!(keys(&req), ["page_size"]);
    assert_eq!(req.param("page_size"), Some("7"));
}

#[tokio::test]
async fn all_parameters_together_each_once() {
    let server = page_server().await;
    let client = Client::new(&server.url);
    let cursor = format!("{NASTY}&cursor=evil");
    send(
        client
            .list_test_invocations()
            .agent_id(NASTY)
            .cursor(cursor.as_str())
            .page_size(100u64),
    )
    .await
    .unwrap();
    let req = only_request(&server);
    let mut names = keys(&req);
    names.sort_unstable();
    assert_eq!(names, ["agent_id", "cursor", "page_size"]);
    assert_eq!(req.param("agent_id"), Some(NASTY));
    assert_eq!(req.param("cursor"), Some(cursor.as_str()));
    assert_eq!(req.param("page_size"), Some("100"));
    assert_raw_query_is_encoded(&req);
}

#[tokio::test]
async fn an_empty_string_is_set_not_unset() {
    let server = page_server().await;
    let client = Client::new(&server.url);
    send(client.list_test_invocations().agent_id(""))
        .await
        .unwrap();
    let req = only_request(&server);
    assert_eq!(keys(&req), ["agent_id"]);
    assert_eq!(req.param("agent_id"), Some(""));
}

#[tokio::test]
async fn client_new_sends_no_api_key_and_the_crate_user_agent() {
    let server = page_server().await;
    let client = Client::new(&server.url);
    send(client.list_test_invocations()).await.unwrap();
    let req = only_request(&server);
    assert!(
        !req.headers.contains_key("xi-api-key"),
        "Client::new must not send a key: {:?}",
        req.headers
    );
    let ua = req.headers.get("user-agent").expect("a user-agent header");
    assert!(
        ua.starts_with("elevenlabs-agent-tests/"),
        "user-agent {ua:?}"
    );
    assert_eq!(
        req.headers.get("accept").map(String::as_str),
        Some("application/json")
    );
}

#[tokio::test]
async fn builder_with_api_key_sends_it() {
    let server = page_server().await;
    let client = Client::builder()
        .base_url(&server.url)
        .api_key("k")
        .build()
        .unwrap();
    send(client.list_test_invocations().page_size(1u64))
        .await
        .unwrap();
    let req = only_request(&server);
    assert_eq!(req.path, PATH);
    assert_eq!(req.headers.get("xi-api-key").map(String::as_str), Some("k"));
    let ua = req.headers.get("user-agent").expect("a user-agent header");
    assert!(
        ua.starts_with("elevenlabs-agent-tests/"),
        "user-agent {ua:?}"
    );
}

#[tokio::test]
async fn a_422_answer_is_the_typed_validation_error() {
    let body = json!({"detail": [
        {"loc": ["query", "page_size"], "msg": "Input should be less than or equal to 100",
         "type": "less_than_equal", "input": "1000", "ctx": {"le": 100}},
        {"loc": ["query", "cursor", 0, -1, i64::MAX], "msg": "bad", "type": "value_error"}
    ]});
    let server = ScriptServer::start(move |_| Reply::json(422, &body)).await;
    let client = Client::new(&server.url);
    let err = send(client.list_test_invocations().page_size(5u64))
        .await
        .expect_err("a 422 is an error");
    assert_eq!(err.status().map(|s| s.as_u16()), Some(422));
    let Error::Validation { body: error } = err else {
        panic!("expected Error::Validation, got {err:?}");
    };
    assert_eq!(error.detail.len(), 2);
    let first = &error.detail[0];
    assert_eq!(first.type_, "less_than_equal");
    assert_eq!(first.msg, "Input should be less than or equal to 100");
    let loc: Vec<String> = first.loc.iter().map(ToString::to_string).collect();
    assert_eq!(loc, ["query", "page_size"]);
    assert!(matches!(&first.loc[0], types::LocationItem::String(s) if s == "query"));
    let second = &error.detail[1].loc;
    assert!(matches!(&second[1], types::LocationItem::String(s) if s == "cursor"));
    assert!(matches!(second[2], types::LocationItem::Integer(0)));
    assert!(matches!(second[3], types::LocationItem::Integer(-1)));
    assert!(matches!(second[4], types::LocationItem::Integer(i64::MAX)));
    assert_eq!(only_request(&server).param("page_size"), Some("5"));
}
