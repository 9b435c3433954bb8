//! HTTP building blocks of the fake: JSON responses, ElevenLabs-shaped errors, and FastAPI /
//! pydantic v2-shaped 422 bodies for query parameters and JSON bodies.
//!
//! Parsers return the finished error response as their `Err`: it is built once per refused
//! request and returned straight away, so boxing it would buy nothing.
#![allow(clippy::result_large_err)]

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{self, HeaderValue};
use hyper::{Response, StatusCode};
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::spec::{Bound, Breach};
use crate::types::{LocationItem, ValidationError};

/// A response of the fake.
pub(crate) type Resp = Response<Full<Bytes>>;

/// A JSON response.
pub(crate) fn json_response(status: StatusCode, body: &Value) -> Resp {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    let mut response = Response::new(Full::new(Bytes::from(bytes)));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// `200` with `body` serialised.
pub(crate) fn ok<T: serde::Serialize>(body: &T) -> Resp {
    json_response(
        StatusCode::OK,
        &serde_json::to_value(body).unwrap_or(Value::Null),
    )
}

/// A response without a body (`204`).
pub(crate) fn empty(status: StatusCode) -> Resp {
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = status;
    response
}

/// ElevenLabs' error shape: `{"detail": {"status": code, "message": message}}`.
pub(crate) fn api_error(status: StatusCode, code: &str, message: String) -> Resp {
    json_response(
        status,
        &json!({"detail": {"status": code, "message": message}}),
    )
}

/// `404` for an unknown id of `what` (`test`, `folder`, `agent`, ...).
pub(crate) fn not_found(what: &str, id: &str) -> Resp {
    api_error(
        StatusCode::NOT_FOUND,
        &format!("{what}_not_found"),
        format!("The {what} with id {id:?} was not found."),
    )
}

/// `422` with FastAPI's body: `{"detail": [errors...]}`.
pub(crate) fn unprocessable(errors: Vec<Value>) -> Resp {
    json_response(
        StatusCode::UNPROCESSABLE_ENTITY,
        &json!({ "detail": errors }),
    )
}

/// One pydantic v2 validation error: the typed `ValidationError` plus pydantic's `input` and
/// (when given) `ctx`, which the spec's schema leaves open.
pub(crate) fn verr(
    loc: Vec<Value>,
    type_: &str,
    msg: String,
    input: Value,
    ctx: Option<Value>,
) -> Value {
    let typed = ValidationError {
        loc: loc
            .iter()
            .map(|l| match l {
                Value::Number(n) => LocationItem::Integer(n.as_i64().unwrap_or(0)),
                Value::String(s) => LocationItem::String(s.clone()),
                other => LocationItem::String(other.to_string()),
            })
            .collect(),
        msg,
        type_: type_.to_owned(),
    };
    let mut value = serde_json::to_value(&typed).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut value {
        map.insert("input".to_owned(), input);
        if let Some(ctx) = ctx {
            map.insert("ctx".to_owned(), ctx);
        }
    }
    value
}

/// A `["query", name]` error.
pub(crate) fn query_error(
    name: &str,
    type_: &str,
    msg: String,
    input: &str,
    ctx: Option<Value>,
) -> Value {
    verr(
        vec![json!("query"), json!(name)],
        type_,
        msg,
        Value::String(input.to_owned()),
        ctx,
    )
}

/// The last value of a query parameter (Starlette's `QueryParams.get` keeps the last).
pub(crate) fn param<'q>(query: &'q [(String, String)], name: &str) -> Option<&'q str> {
    query
        .iter()
        .rev()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Every value of a repeated query parameter, in order.
pub(crate) fn params<'q>(query: &'q [(String, String)], name: &str) -> Vec<&'q str> {
    query
        .iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .collect()
}

/// An integer query parameter as pydantic validates it: an integer within the spec's bounds
/// (`facts`); absent, the spec's default (`None` when it has none).
pub fn parse_int_param(
    facts: &crate::spec::Facts,
    name: &str,
    raw: Option<&str>,
) -> Result<Option<i64>, Value> {
    let Some(raw) = raw else {
        return Ok(facts.default.as_ref().and_then(Value::as_i64));
    };
    let Ok(value) = raw.trim().parse::<i64>() else {
        return Err(query_error(
            name,
            "int_parsing",
            "Input should be a valid integer, unable to parse string as an integer".to_owned(),
            raw,
            None,
        ));
    };
    let Some((min, max)) = facts.int_range() else {
        return Ok(Some(value));
    };
    match (crate::spec::Bound::Int { min, max }).side_of(i128::from(value)) {
        Some(crate::spec::Breach::Below) => Err(query_error(
            name,
            "greater_than_equal",
            format!("Input should be greater than or equal to {min}"),
            raw,
            Some(json!({"ge": min})),
        )),
        Some(crate::spec::Breach::Above) => Err(query_error(
            name,
            "less_than_equal",
            format!("Input should be less than or equal to {max}"),
            raw,
            Some(json!({"le": max})),
        )),
        None => Ok(Some(value)),
    }
}

/// A boolean query parameter as pydantic parses it.
pub(crate) fn parse_bool_param(name: &str, raw: Option<&str>) -> Result<Option<bool>, Value> {
    let Some(raw) = raw else { return Ok(None) };
    match raw.to_ascii_lowercase().as_str() {
        "1" | "true" | "t" | "yes" | "y" | "on" => Ok(Some(true)),
        "0" | "false" | "f" | "no" | "n" | "off" => Ok(Some(false)),
        _ => Err(query_error(
            name,
            "bool_parsing",
            "Input should be a valid boolean, unable to interpret input".to_owned(),
            raw,
            None,
        )),
    }
}

/// A string-enum query parameter: one of `known`, else pydantic's `enum` error.
pub(crate) fn parse_enum_param<'a>(
    name: &str,
    raw: &'a str,
    known: &[&str],
) -> Result<&'a str, Value> {
    if known.contains(&raw) {
        return Ok(raw);
    }
    let quoted: Vec<String> = known.iter().map(|k| format!("'{k}'")).collect();
    let expected = match quoted.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    };
    Err(query_error(
        name,
        "enum",
        format!("Input should be {expected}"),
        raw,
        Some(json!({ "expected": expected })),
    ))
}

/// The body as JSON, or FastAPI's 422: `missing` for an empty body, `json_invalid` for bad
/// JSON.
pub(crate) fn parse_json(body: &[u8]) -> Result<Value, Resp> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(unprocessable(vec![verr(
            vec![json!("body")],
            "missing",
            "Field required".to_owned(),
            Value::Null,
            None,
        )]));
    }
    serde_json::from_slice(body).map_err(|e| {
        // FastAPI reports the character offset of the failure (Python's `JSONDecodeError.pos`:
        // the end of the input for a truncated document).
        let byte = if e.is_eof() {
            body.len()
        } else {
            crate::error::byte_offset(body, e.line(), e.column())
        };
        let offset = String::from_utf8_lossy(&body[..byte]).chars().count();
        unprocessable(vec![verr(
            vec![json!("body"), json!(offset)],
            "json_invalid",
            "JSON decode error".to_owned(),
            json!({}),
            Some(json!({"error": e.to_string()})),
        )])
    })
}

/// Parses `value` (found at `loc`) as `T`, turning serde's first error into pydantic's shape.
pub(crate) fn parse_typed<T: DeserializeOwned + JsonSchema>(
    value: &Value,
    loc: &[Value],
) -> Result<T, Vec<Value>> {
    // Pydantic reports every missing field of an object at once: do so for the top level,
    // whose required fields the generated type's schema lists (serde stops at the first).
    if let Value::Object(map) = value {
        let schema = schemars::schema_for!(T);
        let missing: Vec<Value> = schema
            .schema
            .object
            .iter()
            .flat_map(|o| o.required.iter())
            .filter(|name| !map.contains_key(name.as_str()))
            .map(|name| {
                let mut at = loc.to_vec();
                at.push(json!(name));
                verr(
                    at,
                    "missing",
                    "Field required".to_owned(),
                    value.clone(),
                    None,
                )
            })
            .collect();
        if !missing.is_empty() {
            return Err(missing);
        }
    }
    serde_path_to_error::deserialize::<_, T>(value.clone()).map_err(|e| {
        let mut path: Vec<Value> = loc.to_vec();
        let mut at = value;
        for seg in e.path().iter() {
            match seg {
                serde_path_to_error::Segment::Seq { index } => {
                    path.push(json!(index));
                    at = at.get(*index).unwrap_or(&Value::Null);
                }
                serde_path_to_error::Segment::Map { key } => {
                    path.push(json!(key));
                    at = at.get(key.as_str()).unwrap_or(&Value::Null);
                }
                _ => {}
            }
        }
        let message = e.inner().to_string();
        // serde_json appends " at line L column C" only for text input; a Value has none.
        vec![serde_error(path, at, &message)]
    })
}

/// Maps one serde message to pydantic's type, message and input.
fn serde_error(mut loc: Vec<Value>, at: &Value, message: &str) -> Value {
    if let Some(field) = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next())
    {
        loc.push(json!(field));
        return verr(
            loc,
            "missing",
            "Field required".to_owned(),
            at.clone(),
            None,
        );
    }
    // A number below a positive integer's minimum; any other input is not an integer at all.
    if (message.contains("expected a nonzero") && at.is_number())
        || message.starts_with("invalid value: integer `-")
    {
        return verr(
            loc,
            "greater_than_equal",
            "Input should be greater than or equal to 1".to_owned(),
            at.clone(),
            Some(json!({"ge": 1})),
        );
    }
    let (type_, msg) = if message.contains("expected a string") {
        ("string_type", "Input should be a valid string")
    } else if message.contains("expected a sequence") {
        ("list_type", "Input should be a valid list")
    } else if message.contains("expected a boolean") {
        ("bool_type", "Input should be a valid boolean")
    } else if message.contains("expected i64")
        || message.contains("expected u64")
        || message.contains("expected a nonzero")
    {
        ("int_type", "Input should be a valid integer")
    } else if message.contains("expected a map")
        || message.contains("expected struct")
        || message.contains("expected an object")
    {
        (
            "model_attributes_type",
            "Input should be a valid dictionary or object to extract fields from",
        )
    } else {
        return verr(
            loc,
            "value_error",
            format!("Value error, {message}"),
            at.clone(),
            Some(json!({"error": message})),
        );
    };
    verr(loc, type_, msg.to_owned(), at.clone(), None)
}

/// Checks the spec's bounds on the top-level fields of `body` (found at `loc`), every
/// violation at once.
pub(crate) fn body_bound_errors(
    body: &Value,
    loc: &[Value],
    rules: &[(&str, Bound)],
) -> Vec<Value> {
    let mut errors = Vec::new();
    for (field, bound) in rules {
        let Some(value) = body.get(*field) else {
            continue;
        };
        let mut at = loc.to_vec();
        at.push(json!(field));
        let Some(side) = bound.breach(value) else {
            continue;
        };
        let error = match (*bound, side) {
            (Bound::Int { min, .. }, Breach::Below) => verr(
                at,
                "greater_than_equal",
                format!("Input should be greater than or equal to {min}"),
                value.clone(),
                Some(json!({"ge": min})),
            ),
            (Bound::Int { max, .. }, Breach::Above) => verr(
                at,
                "less_than_equal",
                format!("Input should be less than or equal to {max}"),
                value.clone(),
                Some(json!({"le": max})),
            ),
            (Bound::Items { min, .. }, Breach::Below) => {
                let n = value.as_array().map_or(0, Vec::len);
                verr(
                    at,
                    "too_short",
                    format!(
                        "List should have at least {min} item{} after validation, not {n}",
                        if min == 1 { "" } else { "s" }
                    ),
                    value.clone(),
                    Some(json!({"field_type": "List", "min_length": min, "actual_length": n})),
                )
            }
            (Bound::Items { max, .. }, Breach::Above) => {
                let n = value.as_array().map_or(0, Vec::len);
                verr(
                    at,
                    "too_long",
                    format!("List should have at most {max} items after validation, not {n}"),
                    value.clone(),
                    Some(json!({"field_type": "List", "max_length": max, "actual_length": n})),
                )
            }
        };
        errors.push(error);
    }
    errors
}

/// Parses a JSON body as `T` and checks `rules`; any failure is FastAPI's 422.
pub(crate) fn parse_body<T: DeserializeOwned + JsonSchema>(
    body: &[u8],
    rules: &[(&str, Bound)],
) -> Result<(T, Value), Resp> {
    let value = parse_json(body)?;
    let loc = [json!("body")];
    let typed = parse_typed::<T>(&value, &loc).map_err(unprocessable)?;
    let errors = body_bound_errors(&value, &loc, rules);
    if !errors.is_empty() {
        return Err(unprocessable(errors));
    }
    Ok((typed, value))
}

/// Parses a body tagged by `type` into the union `T` the way pydantic's discriminated unions
/// do: a missing or unknown tag is `union_tag_not_found` / `union_tag_invalid`, and errors
/// inside a kind are located under the tag (`["body", "llm", "name"]`). `rules` are keyed by
/// the tag.
pub(crate) fn parse_tagged_body<T: DeserializeOwned + JsonSchema + crate::union::TaggedUnion>(
    body: &[u8],
    known: &[&str],
    rules: &dyn Fn(&str) -> Vec<(&'static str, Bound)>,
) -> Result<(T, String, Value), Resp> {
    let value = parse_json(body)?;
    let expected = known
        .iter()
        .map(|k| format!("'{k}'"))
        .collect::<Vec<_>>()
        .join(", ");
    if !value.is_object() {
        return Err(unprocessable(vec![verr(
            vec![json!("body")],
            "model_attributes_type",
            "Input should be a valid dictionary or object to extract fields from".to_owned(),
            value,
            None,
        )]));
    }
    let tag = match value.get("type") {
        None => {
            return Err(unprocessable(vec![verr(
                vec![json!("body")],
                "union_tag_not_found",
                "Unable to extract tag using discriminator 'type'".to_owned(),
                value.clone(),
                Some(json!({"discriminator": "'type'"})),
            )]));
        }
        Some(Value::String(tag)) if known.contains(&tag.as_str()) => tag.clone(),
        Some(other) => {
            let tag = other
                .as_str()
                .map(str::to_owned)
                .unwrap_or_else(|| other.to_string());
            return Err(unprocessable(vec![verr(
                vec![json!("body")],
                "union_tag_invalid",
                format!(
                    "Input tag '{tag}' found using 'type' does not match any of the expected tags: {expected}"
                ),
                value.clone(),
                Some(json!({"discriminator": "'type'", "tag": tag, "expected_tags": expected})),
            )]));
        }
    };
    let loc = [json!("body"), json!(tag)];
    // The union's deserialiser loses the path of an error inside a kind: re-derive it.
    let Ok(typed) = parse_typed::<T>(&value, &[]) else {
        return Err(unprocessable(tagged_errors::<T>(&value, &tag, &loc)));
    };
    let errors = body_bound_errors(&value, &loc, &rules(&tag));
    if !errors.is_empty() {
        return Err(unprocessable(errors));
    }
    Ok((typed, tag, value))
}

/// The located errors of a body of the union `T` whose kind `tag` failed to parse: parsed
/// again as that kind's own type (the union's), which keeps the path.
fn tagged_errors<T: crate::union::TaggedUnion>(
    value: &Value,
    tag: &str,
    loc: &[Value],
) -> Vec<Value> {
    struct Located<'a> {
        value: &'a Value,
        loc: &'a [Value],
    }
    impl crate::union::KindVisitor for Located<'_> {
        type Output = Option<Vec<Value>>;
        fn visit<K: DeserializeOwned + JsonSchema>(self) -> Self::Output {
            parse_typed::<K>(self.value, self.loc).err()
        }
    }
    let errors = T::visit_kind(tag, Located { value, loc }).flatten();
    errors.unwrap_or_else(|| {
        vec![verr(
            loc.to_vec(),
            "value_error",
            "Value error, invalid test definition".to_owned(),
            value.clone(),
            None,
        )]
    })
}
