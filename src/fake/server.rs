//! The HTTP side of the fake: a hyper 1 HTTP/1.1 serve loop and the request handler.

use std::convert::Infallible;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::task::JoinSet;

use super::data::mix64;
use super::faults::failure_detail;
use super::{RecordedRequest, Shared};
use crate::types::{
    GetTestInvocationsPageResponseModel, ListResponseMeta, LocationItem, ValidationError,
};

/// The one path the fake serves.
pub(crate) const PATH: &str = "/v1/convai/test-invocations";
/// The API's `page_size` default (the spec's `default: 30`).
pub(crate) const DEFAULT_PAGE_SIZE: i64 = 30;

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

/// A JSON response.
fn json_response(status: StatusCode, body: &Value) -> Response<Full<Bytes>> {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    let mut response = Response::new(Full::new(Bytes::from(bytes)));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// Handles one request: records it, then latency, injected failures, routing, auth, query
/// validation and the page, in that order.
async fn handle<B>(shared: &Shared, req: Request<B>) -> Response<Full<Bytes>> {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let query: Vec<(String, String)> = req
        .uri()
        .query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    let headers: Vec<(String, String)> = req
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let api_key = req
        .headers()
        .get("xi-api-key")
        .map(|v| v.as_bytes().to_vec());

    let (latency, failure) = {
        let mut faults = shared.faults.lock().unwrap_or_else(|p| p.into_inner());
        (faults.latency, faults.take())
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
        route(shared, &method, &path, &query, api_key.as_deref())
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
            status: response.status().as_u16(),
        });
    response
}

/// Routing (Starlette's order: 404 and 405 come before authentication), then the endpoint.
fn route(
    shared: &Shared,
    method: &Method,
    path: &str,
    query: &[(String, String)],
    api_key: Option<&[u8]>,
) -> Response<Full<Bytes>> {
    if path != PATH {
        return json_response(StatusCode::NOT_FOUND, &json!({"detail": "Not Found"}));
    }
    if method != Method::GET && method != Method::HEAD {
        let mut response = json_response(
            StatusCode::METHOD_NOT_ALLOWED,
            &json!({"detail": "Method Not Allowed"}),
        );
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET"));
        return response;
    }
    if api_key != Some(shared.api_key.as_bytes()) {
        return json_response(
            StatusCode::UNAUTHORIZED,
            &json!({"detail": {"status": "invalid_api_key", "message": "Invalid API key"}}),
        );
    }
    match list(shared, query) {
        Ok(page) => json_response(StatusCode::OK, &page),
        Err(errors) => json_response(StatusCode::UNPROCESSABLE_ENTITY, &errors),
    }
}

/// The last value of a query parameter (Starlette's `QueryParams.get` keeps the last).
fn param<'q>(query: &'q [(String, String)], name: &str) -> Option<&'q str> {
    query
        .iter()
        .rev()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// One FastAPI/pydantic v2 validation error: the typed `ValidationError` plus pydantic's
/// `input` and (for bounds) `ctx`, which the spec's schema leaves open.
fn validation_error(
    name: &str,
    msg: String,
    type_: &str,
    input: &str,
    ctx: Option<Value>,
) -> Value {
    let typed = ValidationError {
        loc: vec![
            LocationItem::String("query".to_owned()),
            LocationItem::String(name.to_owned()),
        ],
        msg,
        type_: type_.to_owned(),
    };
    let mut value = serde_json::to_value(&typed).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut value {
        map.insert("input".to_owned(), Value::String(input.to_owned()));
        if let Some(ctx) = ctx {
            map.insert("ctx".to_owned(), ctx);
        }
    }
    value
}

/// The `page_size` bounds from the spec (generated into `PARAM_BOUNDS`).
fn page_size_bounds() -> (Option<i64>, Option<i64>) {
    crate::generated::PARAM_BOUNDS
        .iter()
        .find(|b| b.operation_id == "list_test_invocations" && b.name == "page_size")
        .map(|b| (b.minimum, b.maximum))
        .unwrap_or((None, None))
}

/// Validates `page_size` as pydantic does: an integer within the spec's bounds.
fn parse_page_size(raw: Option<&str>) -> Result<i64, Value> {
    let Some(raw) = raw else {
        return Ok(DEFAULT_PAGE_SIZE);
    };
    let Ok(value) = raw.trim().parse::<i64>() else {
        return Err(validation_error(
            "page_size",
            "Input should be a valid integer, unable to parse string as an integer".to_owned(),
            "int_parsing",
            raw,
            None,
        ));
    };
    let (min, max) = page_size_bounds();
    if let Some(min) = min.filter(|min| value < *min) {
        return Err(validation_error(
            "page_size",
            format!("Input should be greater than or equal to {min}"),
            "greater_than_equal",
            raw,
            Some(json!({"ge": min})),
        ));
    }
    if let Some(max) = max.filter(|max| value > *max) {
        return Err(validation_error(
            "page_size",
            format!("Input should be less than or equal to {max}"),
            "less_than_equal",
            raw,
            Some(json!({"le": max})),
        ));
    }
    Ok(value)
}

/// The fingerprint that makes a cursor valid only for this data set and this filter.
fn cursor_mac(seed: u64, agent_id: Option<&str>, offset: u64) -> u64 {
    // FNV-1a over the filter, then mixed with the seed and the offset.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in agent_id.unwrap_or("\u{0}").bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    mix64(seed ^ mix64(h ^ mix64(offset)))
}

/// An opaque cursor: 24 hex digits, the offset and a fingerprint of the filter.
pub(crate) fn encode_cursor(seed: u64, agent_id: Option<&str>, offset: u64) -> String {
    let offset32 = offset as u32;
    format!(
        "{offset32:08x}{:016x}",
        cursor_mac(seed, agent_id, u64::from(offset32))
    )
}

/// The offset of a cursor issued by this server for this filter, or `None`.
fn decode_cursor(seed: u64, agent_id: Option<&str>, cursor: &str) -> Option<u64> {
    if cursor.len() != 24 || !cursor.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let offset = u64::from_str_radix(&cursor[..8], 16).ok()?;
    let mac = u64::from_str_radix(&cursor[8..], 16).ok()?;
    (mac == cursor_mac(seed, agent_id, offset)).then_some(offset)
}

/// `GET /v1/convai/test-invocations`: validation, filter, one page.
fn list(shared: &Shared, query: &[(String, String)]) -> Result<Value, Value> {
    // An empty `agent_id` means no filter, as `if agent_id:` does upstream.
    let agent_id = param(query, "agent_id").filter(|a| !a.is_empty());
    let page_size = parse_page_size(param(query, "page_size"));
    let cursor = param(query, "cursor").filter(|c| !c.is_empty());

    // FastAPI reports every invalid parameter at once.
    let mut errors = Vec::new();
    let page_size = page_size
        .map_err(|e| errors.push(e))
        .unwrap_or(DEFAULT_PAGE_SIZE);
    let offset = match cursor {
        None => 0,
        Some(c) => match decode_cursor(shared.seed, agent_id, c) {
            Some(offset) => offset,
            None => {
                errors.push(validation_error(
                    "cursor",
                    "Invalid cursor: it was not issued by this server for this agent_id \
                     filter; pass next_cursor from the previous page unchanged"
                        .to_owned(),
                    "value_error",
                    c,
                    None,
                ));
                0
            }
        },
    };
    if !errors.is_empty() {
        // The shape of `HttpValidationError` (a unit test checks it parses as one).
        return Err(json!({ "detail": errors }));
    }

    let matching: Vec<_> = shared
        .data
        .invocations
        .iter()
        .filter(|inv| agent_id.is_none() || inv.agent_id.as_deref() == agent_id)
        .collect();
    let total = matching.len() as u64;
    let start = offset.min(total) as usize;
    let end = (offset + page_size as u64).min(total) as usize;
    let has_more = (end as u64) < total;
    let page = GetTestInvocationsPageResponseModel {
        has_more,
        meta: ListResponseMeta {
            page: Some((offset / page_size as u64) as i64 + 1),
            page_size: Some(page_size),
            total: Some(total as i64),
        },
        next_cursor: has_more.then(|| encode_cursor(shared.seed, agent_id, end as u64)),
        results: matching[start..end]
            .iter()
            .map(|inv| (*inv).clone())
            .collect(),
    };
    let mut body = serde_json::to_value(&page).unwrap_or(Value::Null);
    with_nulls(&mut body);
    Ok(body)
}

/// FastAPI serialises `None` as `null` rather than leaving the key out; the generated types
/// skip `None`, so put the nulls back for the nullable fields the spec declares.
fn with_nulls(page: &mut Value) {
    fn fill(object: &mut Value, keys: &[&str]) {
        if let Value::Object(map) = object {
            for key in keys {
                map.entry(*key).or_insert(Value::Null);
            }
        }
    }
    fill(page, &["next_cursor"]);
    if let Some(Value::Array(results)) = page.get_mut("results") {
        for item in results {
            fill(item, &["access_info", "agent_id", "branch_id"]);
            if let Some(access) = item.get_mut("access_info").filter(|a| a.is_object()) {
                fill(
                    access,
                    &["access_source", "anonymous_access_level_override"],
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trips_and_is_bound_to_filter_and_seed() {
        let c = encode_cursor(42, Some("agent_a"), 30);
        assert_eq!(c.len(), 24);
        assert_eq!(decode_cursor(42, Some("agent_a"), &c), Some(30));
        assert_eq!(decode_cursor(42, Some("agent_b"), &c), None);
        assert_eq!(decode_cursor(42, None, &c), None);
        assert_eq!(decode_cursor(43, Some("agent_a"), &c), None);
        let mut garbled = c.clone().into_bytes();
        garbled[3] = if garbled[3] == b'0' { b'1' } else { b'0' };
        assert_eq!(
            decode_cursor(42, Some("agent_a"), std::str::from_utf8(&garbled).unwrap()),
            None
        );
        assert_eq!(decode_cursor(42, None, "not a cursor"), None);
        assert_eq!(decode_cursor(42, None, "ééééééééééééé"), None);
    }

    #[test]
    fn page_size_validation_matches_pydantic() {
        assert_eq!(parse_page_size(None).unwrap(), 30);
        assert_eq!(parse_page_size(Some("1")).unwrap(), 1);
        assert_eq!(parse_page_size(Some("100")).unwrap(), 100);
        let e = parse_page_size(Some("0")).unwrap_err();
        assert_eq!(e["type"], "greater_than_equal");
        assert_eq!(e["loc"], json!(["query", "page_size"]));
        assert_eq!(e["ctx"], json!({"ge": 1}));
        let e = parse_page_size(Some("101")).unwrap_err();
        assert_eq!(e["type"], "less_than_equal");
        assert_eq!(e["msg"], "Input should be less than or equal to 100");
        let e = parse_page_size(Some("abc")).unwrap_err();
        assert_eq!(e["type"], "int_parsing");
        assert_eq!(e["input"], "abc");
    }
}
