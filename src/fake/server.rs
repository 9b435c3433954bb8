//! The HTTP side of the fake: a hyper 1 HTTP/1.1 serve loop, the request handler (record,
//! latency, injected faults) and the routing table.

use std::convert::Infallible;
use std::pin::pin;
use std::sync::Arc;
use std::time::Instant;

use futures::future::{Either, select};

use bytes::Bytes;
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, StatusCode};
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;

use super::faults::failure_detail;
use super::http::{Resp, json_response};
use super::routes::{Ctx, agent_testing, agents, folders, invocations};
use super::{RecordedRequest, ServedRequest, Shared};

/// Request bodies larger than this are refused with `413`.
const MAX_BODY: usize = 8 * 1024 * 1024;

/// Accepts connections until `stop` turns `true` (or the task is aborted); one task per
/// connection. On `stop` it closes the listener, lets each connection answer the request it is
/// serving and close, and returns once they all have. Aborting this task drops the `JoinSet`,
/// which aborts every connection task too.
pub(crate) async fn serve(
    listener: TcpListener,
    shared: Arc<Shared>,
    mut stop: watch::Receiver<bool>,
) {
    let mut connections = JoinSet::new();
    loop {
        let accepted = match select(pin!(listener.accept()), pin!(stopped(&mut stop))).await {
            Either::Left((accepted, _)) => accepted,
            Either::Right(_) => break,
        };
        let stream = match accepted {
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
        let mut stop = stop.clone();
        connections.spawn(async move {
            let service = hyper::service::service_fn(move |req| {
                let shared = shared.clone();
                async move { Ok::<_, Infallible>(handle(&shared, req).await) }
            });
            let connection = hyper::server::conn::http1::Builder::new()
                .serve_connection(hyper_util::rt::TokioIo::new(stream), service);
            let mut connection = pin!(connection);
            // A client that goes away mid-request is not the fake's problem.
            let closed = match select(connection.as_mut(), pin!(stopped(&mut stop))).await {
                Either::Left(_) => true,
                Either::Right(_) => false,
            };
            if !closed {
                // Finishes the request in flight, if any, then closes.
                connection.as_mut().graceful_shutdown();
                let _ = connection.await;
            }
        });
    }
    drop(listener);
    while connections.join_next().await.is_some() {}
}

/// Resolves once `stop` is `true` (or its sender is gone: the server is being dropped).
async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|stop| *stop).await;
}

/// Handles one request: reads the body, then latency, injected failures, routing, auth and
/// the endpoint, in that order; records it with the status answered.
async fn handle(shared: &Shared, req: Request<Incoming>) -> Resp {
    let started = Instant::now();
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
        .get(crate::config::API_KEY_HEADER)
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

    let status = response.status().as_u16();
    if let Some(observer) = &shared.on_request {
        observer.call(&ServedRequest {
            method: method.as_str().to_owned(),
            path: path.clone(),
            query: query.clone(),
            status,
            elapsed: started.elapsed(),
        });
    }
    if shared.record {
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
                status,
            });
    }
    response
}

/// One path of the spec: its segments (`None` for a path parameter) and its operations.
#[derive(Clone, Debug)]
pub(crate) struct Route {
    segments: Vec<Option<String>>,
    operations: Vec<(Method, String)>,
}

/// The routes of the spec's operations ([`Tables::operations`](crate::spec::Tables)), one per
/// path, in Starlette's order as far as it matters: a path whose first differing segment is
/// literal comes before one with a parameter there (`/agent-testing/folders` before
/// `/agent-testing/{test_id}`), so the first route matching path and method serves the request.
pub(crate) fn routes(tables: &crate::spec::Tables) -> Vec<Route> {
    let mut routes: Vec<(String, Route)> = Vec::new();
    for op in &tables.operations {
        let Ok(method) = Method::from_bytes(op.method.as_bytes()) else {
            continue;
        };
        let index = match routes.iter().position(|(path, _)| *path == op.path) {
            Some(i) => i,
            None => {
                let segments = op
                    .path
                    .trim_start_matches('/')
                    .split('/')
                    .map(|s| {
                        let param = s.starts_with('{') && s.ends_with('}');
                        (!param).then(|| s.to_owned())
                    })
                    .collect();
                routes.push((
                    op.path.clone(),
                    Route {
                        segments,
                        operations: Vec::new(),
                    },
                ));
                routes.len() - 1
            }
        };
        routes[index].1.operations.push((method, op.id.clone()));
    }
    let mut routes: Vec<Route> = routes.into_iter().map(|(_, r)| r).collect();
    // The methods of a path in the order the fake's `Allow` header lists them.
    const ORDER: [Method; 5] = [
        Method::GET,
        Method::POST,
        Method::PUT,
        Method::PATCH,
        Method::DELETE,
    ];
    for route in &mut routes {
        route
            .operations
            .sort_by_key(|(m, _)| ORDER.iter().position(|o| o == m).unwrap_or(ORDER.len()));
    }
    // Literal segments before parameters, position by position.
    routes.sort_by(|a, b| {
        let key = |r: &Route| r.segments.iter().map(Option::is_none).collect::<Vec<_>>();
        key(a).cmp(&key(b))
    });
    routes
}

/// The path parameters of `segments` if they match `pattern`.
fn matches<'p>(pattern: &[Option<String>], segments: &[&'p str]) -> Option<Vec<&'p str>> {
    if pattern.len() != segments.len() {
        return None;
    }
    let mut params = Vec::new();
    for (p, s) in pattern.iter().zip(segments) {
        match p {
            None if s.is_empty() => return None,
            None => params.push(*s),
            Some(p) if p != s => return None,
            Some(_) => {}
        }
    }
    Some(params)
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
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    // HEAD is served wherever GET is, as Starlette does.
    let effective = if method == Method::HEAD {
        &Method::GET
    } else {
        method
    };
    let mut partial: Option<&Route> = None;
    let mut found = None;
    for route in &shared.routes {
        if let Some(params) = matches(&route.segments, &segments) {
            if let Some((_, id)) = route.operations.iter().find(|(m, _)| m == effective) {
                found = Some((id.as_str(), params));
                break;
            }
            partial.get_or_insert(route);
        }
    }
    let Some((operation, params)) = found else {
        return match partial {
            Some(route) => {
                let allow: Vec<&str> = route.operations.iter().map(|(m, _)| m.as_str()).collect();
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
        operation,
        query,
        body,
    };
    // Every operation of the spec has one path parameter at most.
    let id = params.first().copied().unwrap_or("");
    match operation {
        "list_tests" => agent_testing::list(&ctx),
        "create_test" => agent_testing::create(&ctx),
        "get_test_summaries" => agent_testing::summaries(&ctx),
        "move_tests" => agent_testing::bulk_move(&ctx),
        "create_test_folder" => folders::create(&ctx),
        "get_test_folder" => folders::get(&ctx, id),
        "update_test_folder" => folders::update(&ctx, id),
        "delete_test_folder" => folders::delete(&ctx, id),
        "get_test" => agent_testing::get(&ctx, id),
        "update_test" => agent_testing::update(&ctx, id),
        "delete_test" => agent_testing::delete(&ctx, id),
        "get_agent" => agents::get(&ctx, id),
        "run_tests" => agents::run_tests(&ctx, id),
        "list_test_invocations" => invocations::list(&ctx),
        "update_test_invocation" => invocations::rename(&ctx, id),
        "get_test_invocation" => invocations::get(&ctx, id),
        "resubmit_test_invocation" => invocations::resubmit(&ctx, id),
        "cancel_test_invocation" => invocations::cancel(&ctx, id),
        other => not_implemented(other),
    }
}

/// `501` for an operation of the spec the fake has no handler for (one a refresh added):
/// routed, so a client sees it exists, and named.
fn not_implemented(operation: &str) -> Resp {
    json_response(
        StatusCode::NOT_IMPLEMENTED,
        &json!({"detail": {"status": "not_implemented", "message": format!("The fake does not implement the operation {operation:?} yet.")}}),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fake::FakeServer;
    use crate::fake::http::parse_int_param;
    use crate::spec::Tables;
    use std::sync::Mutex;
    use std::time::Duration;

    const LIMIT: Duration = Duration::from_secs(10);

    #[tokio::test]
    async fn shutdown_answers_the_request_in_flight_then_refuses_connections() {
        let server = FakeServer::start().await.unwrap();
        server.set_latency(Duration::from_millis(300));
        let client = server
            .client_builder()
            .retry(crate::RetryPolicy::disabled())
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
        tables.operations.push(crate::spec::Operation {
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
        let http = crate::config::http_client_builder().build().unwrap();
        let response = http
            .get(format!("{}/v1/convai/brand-new/x1", server.url()))
            .header(crate::config::API_KEY_HEADER, server.api_key())
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
}
