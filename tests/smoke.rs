//! The generated client against the scripted server: the shape of one request.
mod support;
use support::{Reply, ScriptServer};

#[tokio::test]
async fn send_reaches_the_path_and_parses_the_page() {
    let server = ScriptServer::start(|_| {
        Reply::json(200, &serde_json::json!({"results": [], "has_more": false}))
    })
    .await;
    let client = elevenlabs_agent_tests::Client::new(&server.url);
    let page = client
        .list_test_invocations()
        .send()
        .await
        .unwrap()
        .into_inner();
    assert!(!page.has_more);
    let reqs = server.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].path, "/v1/convai/test-invocations");
    assert_eq!(reqs[0].raw_query, None);
}
