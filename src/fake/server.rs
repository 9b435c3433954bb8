//! The HTTP side of the fake: a hyper 1 HTTP/1.1 serve loop, the request handler (record,
//! latency, injected faults) and the routing table.

use std::convert::Infallible;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, StatusCode};
use serde_json::json;
use tokio::net::TcpListener;
use tokio::task::JoinSet;

use super::faults::failure_detail;
use super::http::{Resp, json_response};
use super::routes::{Ctx, agent_testing, agents, folders, invocations};
use super::{RecordedRequest, Shared};

/// Request bodies larger than this are refused with `413`.
const MAX_BODY: usize = 8 * 1024 * 1024;

/// Accepts connections until the task is aborted; one task per connection. Aborting this task
/// drops the `JoinSet`, which aborts every connection task too.
pub(crate) async fn serve(listener: TcpListener, shared: Arc<Shared>) {
    let mut connections = JoinSet::new();
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            // Out of file descriptors and the like: wait a little instead of spinning.
            Err(_) => {
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                continue;
            }
        };
        // Reap finished connection tasks so the set does not grow without bound.
        while connections.try_join_next().is_some() {}
        let _ = stream.set_nodelay(true);
        let shared = shared.clone();
        connections.spawn(async move {
            let service = hyper::service::service_fn(move |req| {
                let shared = shared.clone();
                async move { Ok::<_, Infallible>(handle(&shared, req).await) }
            });
            // A client that goes away mid-request is not the fake's problem.
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                .await;
        });
    }
}

/// Handles one request: reads the body, then latency, injected failures, routing, auth and
/// the endpoint, in that order; records it with the status answered.
async fn handle(shared: &Shared, req: Request<Incoming>) -> Resp {
    let (parts, body) = req.into_parts();
    let method = parts.method.clone();
    let path = parts.uri.path().to_owned();
    let query: Vec<(String, String)> = parts
        .uri
        .query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    let headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let api_key = parts
        .headers
        .get("xi-api-key")
        .map(|v| v.as_bytes().to_vec());
    let body: Result<Bytes, ()> = Limited::new(body, MAX_BODY)
        .collect()
        .await
        .map(|b| b.to_bytes())
        .map_err(|_| ());

    let (latency, failure) = {
        let mut faults = shared.faults.lock().unwrap_or_else(|p| p.into_inner());
        (faults.latency, faults.take(method != Method::GET))
    };
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }

    let response = if let Some(failure) = failure {
        let status =
            StatusCode::from_u16(failure.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let (code, message) = failure_detail(status.as_u16());
        let mut response = json_response(
            status,
            &json!({"detail": {"status": code, "message": message}}),
        );
        if let Some(secs) = failure.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    } else {
        match &body {
            Ok(body) => route(shared, &method, &path, &query, api_key.as_deref(), body),
            Err(()) => json_response(
                StatusCode::PAYLOAD_TOO_LARGE,
                &json!({"detail": {"status": "payload_too_large", "message": "The request body is too large."}}),
            ),
        }
    };

    shared
        .log
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push(RecordedRequest {
            method: method.as_str().to_owned(),
            path,
            query,
            headers,
            body: body
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_default(),
            status: response.status().as_u16(),
        });
    response
}

/// An endpoint, with its path parameter.
#[derive(Clone, Copy, Debug)]
enum Endpoint {
    ListTests,
    CreateTest,
    TestSummaries,
    BulkMove,
    CreateFolder,
    Folder,
    Test,
    Agent,
    RunTests,
    ListInvocations,
    Invocation,
    Resubmit,
    Cancel,
}

/// The routes in Starlette's order: a path pattern (`*` is a path parameter), its endpoint
/// and methods. The first route matching path and method serves the request.
const ROUTES: &[(&[&str], Endpoint, &[Method])] = &[
    (&["agent-testing"], Endpoint::ListTests, &[Method::GET]),
    (
        &["agent-testing", "create"],
        Endpoint::CreateTest,
        &[Method::POST],
    ),
    (
        &["agent-testing", "summaries"],
        Endpoint::TestSummaries,
        &[Method::POST],
    ),
    (
        &["agent-testing", "bulk-move"],
        Endpoint::BulkMove,
        &[Method::POST],
    ),
    (
        &["agent-testing", "folders"],
        Endpoint::CreateFolder,
        &[Method::POST],
    ),
    (
        &["agent-testing", "folders", "*"],
        Endpoint::Folder,
        &[Method::GET, Method::PATCH, Method::DELETE],
    ),
    (
        &["agent-testing", "*"],
        Endpoint::Test,
        &[Method::GET, Method::PUT, Method::DELETE],
    ),
    (&["agents", "*"], Endpoint::Agent, &[Method::GET]),
    (
        &["agents", "*", "run-tests"],
        Endpoint::RunTests,
        &[Method::POST],
    ),
    (
        &["test-invocations"],
        Endpoint::ListInvocations,
        &[Method::GET],
    ),
    (
        &["test-invocations", "*"],
        Endpoint::Invocation,
        &[Method::GET, Method::PATCH],
    ),
    (
        &["test-invocations", "*", "resubmit"],
        Endpoint::Resubmit,
        &[Method::POST],
    ),
    (
        &["test-invocations", "*", "cancel"],
        Endpoint::Cancel,
        &[Method::POST],
    ),
];

/// The path parameter of `segments` if they match `pattern` (`Some("")` when the pattern has
/// none).
fn matches<'p>(pattern: &[&str], segments: &[&'p str]) -> Option<&'p str> {
    if pattern.len() != segments.len() {
        return None;
    }
    let mut id = "";
    for (p, s) in pattern.iter().zip(segments) {
        if *p == "*" {
            if s.is_empty() {
                return None;
            }
            id = s;
        } else if p != s {
            return None;
        }
    }
    Some(id)
}

/// Routing (Starlette's order: 404 and 405 come before authentication), then the endpoint.
fn route(
    shared: &Shared,
    method: &Method,
    path: &str,
    query: &[(String, String)],
    api_key: Option<&[u8]>,
    body: &[u8],
) -> Resp {
    let segments: Vec<&str> = match path.strip_prefix("/v1/convai/") {
        Some(rest) => rest.split('/').collect(),
        None => Vec::new(),
    };
    // HEAD is served wherever GET is, as Starlette does.
    let effective = if method == Method::HEAD {
        &Method::GET
    } else {
        method
    };
    let mut partial: Option<&[Method]> = None;
    let mut found = None;
    for (pattern, endpoint, methods) in ROUTES {
        if let Some(id) = matches(pattern, &segments) {
            if methods.contains(effective) {
                found = Some((*endpoint, id));
                break;
            }
            partial.get_or_insert(methods);
        }
    }
    let Some((endpoint, id)) = found else {
        return match partial {
            Some(methods) => {
                let allow: Vec<&str> = methods.iter().map(Method::as_str).collect();
                let mut response = json_response(
                    StatusCode::METHOD_NOT_ALLOWED,
                    &json!({"detail": "Method Not Allowed"}),
                );
                if let Ok(v) = HeaderValue::from_str(&allow.join(", ")) {
                    response.headers_mut().insert(header::ALLOW, v);
                }
                response
            }
            None => json_response(StatusCode::NOT_FOUND, &json!({"detail": "Not Found"})),
        };
    };
    if api_key != Some(shared.api_key.as_bytes()) {
        return json_response(
            StatusCode::UNAUTHORIZED,
            &json!({"detail": {"status": "invalid_api_key", "message": "Invalid API key"}}),
        );
    }
    let ctx = Ctx {
        shared,
        query,
        body,
    };
    match (endpoint, effective.clone()) {
        (Endpoint::ListTests, _) => agent_testing::list(&ctx),
        (Endpoint::CreateTest, _) => agent_testing::create(&ctx),
        (Endpoint::TestSummaries, _) => agent_testing::summaries(&ctx),
        (Endpoint::BulkMove, _) => agent_testing::bulk_move(&ctx),
        (Endpoint::CreateFolder, _) => folders::create(&ctx),
        (Endpoint::Folder, Method::GET) => folders::get(&ctx, id),
        (Endpoint::Folder, Method::PATCH) => folders::update(&ctx, id),
        (Endpoint::Folder, _) => folders::delete(&ctx, id),
        (Endpoint::Test, Method::GET) => agent_testing::get(&ctx, id),
        (Endpoint::Test, Method::PUT) => agent_testing::update(&ctx, id),
        (Endpoint::Test, _) => agent_testing::delete(&ctx, id),
        (Endpoint::Agent, _) => agents::get(&ctx, id),
        (Endpoint::RunTests, _) => agents::run_tests(&ctx, id),
        (Endpoint::ListInvocations, _) => invocations::list(&ctx),
        (Endpoint::Invocation, Method::PATCH) => invocations::rename(&ctx, id),
        (Endpoint::Invocation, _) => invocations::get(&ctx, id),
        (Endpoint::Resubmit, _) => invocations::resubmit(&ctx, id),
        (Endpoint::Cancel, _) => invocations::cancel(&ctx, id),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fake::http::parse_int_param;

    #[test]
    fn page_size_validation_matches_pydantic() {
        let p = |raw| parse_int_param("list_test_invocations", "page_size", raw, 30);
        assert_eq!(p(None).unwrap(), 30);
        assert_eq!(p(Some("1")).unwrap(), 1);
        assert_eq!(p(Some("100")).unwrap(), 100);
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
        assert_eq!(
            matches(&["agent-testing", "*"], &segs("agent-testing/abc")),
            Some("abc")
        );
        assert_eq!(
            matches(&["agent-testing", "*"], &segs("agent-testing/")),
            None
        );
        assert_eq!(matches(&["agent-testing"], &segs("agent-testing/x")), None);
    }
}
