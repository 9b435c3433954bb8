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
pub struct Route {
    pub segments: Vec<Option<String>>,
    pub operations: Vec<(Method, String)>,
}

/// The routes of the spec's operations ([`Tables::operations`](crate::spec::Tables)), one per
/// path, in Starlette's order as far as it matters: a path whose first differing segment is
/// literal comes before one with a parameter there (`/agent-testing/folders` before
/// `/agent-testing/{test_id}`), so the first route matching path and method serves the request.
pub fn routes(tables: &crate::spec::Tables) -> Vec<Route> {
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
pub fn matches<'p>(pattern: &[Option<String>], segments: &[&'p str]) -> Option<Vec<&'p str>> {
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
