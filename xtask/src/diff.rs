//! A readable summary of what changed between two selected upstream (3.1) fragments.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use crate::select::schema_name;
use crate::selection::METHODS;

/// One line per change, from `old` (the committed `spec/upstream.json`, if any) to `new`.
/// Empty when nothing that the summary knows about changed. Numbers are compared by value
/// (`50.0` is `50`), wherever they are: bounds, enum values, defaults, examples.
pub fn summarize(old: Option<&Value>, new: &Value) -> Vec<String> {
    let old = old.map(numbers_by_value);
    let new = &numbers_by_value(new);
    let empty = Value::Object(Map::new());
    let mut lines = Vec::new();
    if let Some(old) = &old {
        for key in ["openapi", "info"] {
            if old.get(key) != new.get(key) {
                lines.push(format!("top-level `{key}` changed"));
            }
        }
    }
    let old = old.as_ref().unwrap_or(&empty);
    diff_operations(&operations(old), &operations(new), &mut lines);
    diff_schemas(&schemas(old), &schemas(new), &mut lines);
    lines
}

/// Below 2^53 every integer has an exact `f64`; beyond it, a float is left as written.
const EXACT_INTEGERS: f64 = 9_007_199_254_740_992.0;

/// `value` with every number that is a whole number written as an integer (`50.0` → `50`,
/// `-0.0` → `0`), so that two documents that write the same numbers differently compare
/// equal and show the same text. Other numbers are unchanged.
pub fn numbers_by_value(value: &Value) -> Value {
    match value {
        // Whole and in range: the cast is exact (an integer comes back as itself).
        Value::Number(n) => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < EXACT_INTEGERS => Value::from(f as i64),
            _ => value.clone(),
        },
        Value::Array(items) => Value::Array(items.iter().map(numbers_by_value).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), numbers_by_value(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn operations(doc: &Value) -> BTreeMap<(String, usize, String), &Value> {
    let mut out = BTreeMap::new();
    if let Some(paths) = doc.get("paths").and_then(Value::as_object) {
        for (path, item) in paths {
            for (i, m) in METHODS.iter().enumerate() {
                if let Some(op) = item.get(*m) {
                    out.insert((path.clone(), i, m.to_uppercase()), op);
                }
            }
        }
    }
    out
}

fn schemas(doc: &Value) -> BTreeMap<String, &Value> {
    doc.pointer("/components/schemas")
        .and_then(Value::as_object)
        .map(|s| s.iter().map(|(k, v)| (k.clone(), v)).collect())
        .unwrap_or_default()
}

fn diff_operations(
    old: &BTreeMap<(String, usize, String), &Value>,
    new: &BTreeMap<(String, usize, String), &Value>,
    lines: &mut Vec<String>,
) {
    let keys: BTreeSet<_> = old.keys().chain(new.keys()).collect();
    for key in keys {
        let label = format!("operation {} {}", key.2, key.0);
        match (old.get(key), new.get(key)) {
            (None, Some(_)) => lines.push(format!("{label} added")),
            (Some(_), None) => lines.push(format!("{label} removed")),
            (Some(o), Some(n)) => diff_operation(&label, o, n, lines),
            (None, None) => {}
        }
    }
}

/// Parameters of an operation by `(in, name)`.
fn parameters(op: &Value) -> BTreeMap<(String, String), &Value> {
    op.get("parameters")
        .and_then(Value::as_array)
        .map(|ps| {
            ps.iter()
                .map(|p| {
                    let s = |k: &str| p.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
                    ((s("in"), s("name")), p)
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The lines for one operation present on both sides; none when the two are equal.
fn diff_operation(label: &str, old: &Value, new: &Value, lines: &mut Vec<String>) {
    let (op_old, op_new) = (parameters(old), parameters(new));
    let keys: BTreeSet<_> = op_old.keys().chain(op_new.keys()).collect();
    for key in keys {
        let plabel = format!("{label}: parameter `{}` ({})", key.1, key.0);
        match (op_old.get(key), op_new.get(key)) {
            (None, Some(p)) => lines.push(format!(
                "{plabel} added ({}, {})",
                required_word(is_required_param(p)),
                describe(p.get("schema").unwrap_or(&Value::Null))
            )),
            (Some(_), None) => lines.push(format!("{plabel} removed")),
            (Some(o), Some(n)) if o != n => {
                let before_param = lines.len();
                let (ro, rn) = (is_required_param(o), is_required_param(n));
                if ro != rn {
                    lines.push(format!(
                        "{plabel}: {} → {}",
                        required_word(ro),
                        required_word(rn)
                    ));
                }
                let null = Value::Null;
                let (so, sn) = (
                    o.get("schema").unwrap_or(&null),
                    n.get("schema").unwrap_or(&null),
                );
                diff_node(&plabel, so, sn, lines);
                if lines.len() == before_param {
                    lines.push(format!("{plabel} changed ({})", changed_keys(o, n)));
                }
            }
            _ => {}
        }
    }
    let mut other = BTreeSet::new();
    for key in keys_of(old).union(&keys_of(new)) {
        if key != "parameters" && old.get(key) != new.get(key) {
            other.insert(key.clone());
        }
    }
    if other.contains("responses") {
        diff_responses(label, old, new, lines);
        other.remove("responses");
    }
    if !other.is_empty() {
        let list: Vec<String> = other.iter().map(|k| format!("`{k}`")).collect();
        lines.push(format!("{label}: {} changed", list.join(", ")));
    }
}

fn diff_responses(label: &str, old: &Value, new: &Value, lines: &mut Vec<String>) {
    let get = |v: &Value| v.get("responses").and_then(Value::as_object).cloned();
    let (o, n) = (get(old).unwrap_or_default(), get(new).unwrap_or_default());
    let codes: BTreeSet<&String> = o.keys().chain(n.keys()).collect();
    for code in codes {
        match (o.get(code), n.get(code)) {
            (None, Some(_)) => lines.push(format!("{label}: response {code} added")),
            (Some(_), None) => lines.push(format!("{label}: response {code} removed")),
            (Some(a), Some(b)) if a != b => {
                lines.push(format!(
                    "{label}: response {code} changed ({})",
                    changed_keys(a, b)
                ));
            }
            _ => {}
        }
    }
}

fn keys_of(v: &Value) -> BTreeSet<String> {
    v.as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

/// The top-level keys whose values differ, as "`a`, `b`".
fn changed_keys(old: &Value, new: &Value) -> String {
    let keys: Vec<String> = keys_of(old)
        .union(&keys_of(new))
        .filter(|k| old.get(k.as_str()) != new.get(k.as_str()))
        .map(|k| format!("`{k}`"))
        .collect();
    if keys.is_empty() {
        "value".into()
    } else {
        keys.join(", ")
    }
}

fn is_required_param(p: &Value) -> bool {
    p.get("required").and_then(Value::as_bool).unwrap_or(false)
}

fn required_word(required: bool) -> &'static str {
    if required { "required" } else { "optional" }
}

fn diff_schemas(
    old: &BTreeMap<String, &Value>,
    new: &BTreeMap<String, &Value>,
    lines: &mut Vec<String>,
) {
    let names: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    for name in names {
        match (old.get(name), new.get(name)) {
            (None, Some(_)) => lines.push(format!("schema {name} added")),
            (Some(_), None) => lines.push(format!("schema {name} removed")),
            (Some(o), Some(n)) if o != n => {
                let before = lines.len();
                diff_node(&format!("schema {name}"), o, n, lines);
                if lines.len() == before {
                    lines.push(format!("schema {name}: {} changed", changed_keys(o, n)));
                }
            }
            _ => {}
        }
    }
}

/// Compares two schemas at `label`: type, nullability, enum values, fields (recursively),
/// array items.
fn diff_node(label: &str, old: &Value, new: &Value, lines: &mut Vec<String>) {
    if old == new {
        return;
    }
    let before = lines.len();
    let (bo, bn) = (base_type(old), base_type(new));
    if bo != bn {
        lines.push(format!("{label}: type {bo} → {bn}"));
    }
    match (is_nullable(old), is_nullable(new)) {
        (false, true) => lines.push(format!("{label}: now nullable")),
        (true, false) => lines.push(format!("{label}: no longer nullable")),
        _ => {}
    }
    let (eo, en) = (enum_values(old), enum_values(new));
    if let (Some(eo), Some(en)) = (&eo, &en) {
        for v in en.difference(eo) {
            lines.push(format!("{label}: enum value {v} added"));
        }
        for v in eo.difference(en) {
            lines.push(format!("{label}: enum value {v} removed"));
        }
        let listed = |s: &Value| s.get("enum").and_then(Value::as_array).map(Vec::len);
        let (lo, ln) = (non_null(old), non_null(new));
        if eo == en && lo.get("enum") != ln.get("enum") && listed(lo) == listed(ln) {
            lines.push(format!("{label}: enum values reordered"));
        }
    }
    let (no, nn) = (non_null(old), non_null(new));
    let (po, pn) = (properties(no), properties(nn));
    let (ro, rn) = (required(no), required(nn));
    let fields: BTreeSet<&String> = po.keys().chain(pn.keys()).collect();
    // Field-level lines (added, removed, required ↔ optional) first, then inside each field.
    for f in &fields {
        match (po.get(*f), pn.get(*f)) {
            (None, Some(s)) => lines.push(format!(
                "{label}: field `{f}` added ({}, {})",
                required_word(rn.contains(*f)),
                describe(s)
            )),
            (Some(_), None) => lines.push(format!("{label}: field `{f}` removed")),
            (Some(_), Some(_)) if ro.contains(*f) != rn.contains(*f) => {
                lines.push(format!(
                    "{label}: field `{f}` {} → {}",
                    required_word(ro.contains(*f)),
                    required_word(rn.contains(*f))
                ));
            }
            _ => {}
        }
    }
    for f in &fields {
        if let (Some(a), Some(b)) = (po.get(*f), pn.get(*f)) {
            let before_field = lines.len();
            diff_node(&format!("{label}.{f}"), a, b, lines);
            if lines.len() == before_field && a != b {
                lines.push(format!(
                    "{label}: field `{f}` changed ({})",
                    changed_keys(a, b)
                ));
            }
        }
    }
    if let (Some(io), Some(inn)) = (no.get("items"), nn.get("items")) {
        diff_node(&format!("{label}[]"), io, inn, lines);
    }
    // With lines above, the callers' catch-all is skipped: name here what else changed (an
    // example, a bound, a default) so that it is not lost.
    if lines.len() > before {
        let (ko, kn) = (uncovered(old, no), uncovered(new, nn));
        let other: Vec<String> = keys_of_map(&ko)
            .union(&keys_of_map(&kn))
            .filter(|k| ko.get(k.as_str()) != kn.get(k.as_str()))
            .map(|k| format!("`{k}`"))
            .collect();
        if !other.is_empty() {
            lines.push(format!("{label}: {} changed", other.join(", ")));
        }
    }
}

/// The keys [`diff_node`] compares itself: type, nullability, enum values, fields, items.
const COVERED: [&str; 9] = [
    "type",
    "anyOf",
    "oneOf",
    "nullable",
    "enum",
    "const",
    "properties",
    "required",
    "items",
];

/// The keys of a schema other than [`COVERED`] ones, with their values: those of the schema
/// itself and of its non-null part (`non_null`; the same schema when it is not a nullable
/// union), so that a keyword written beside the union in one document and inside it in the
/// other compares equal.
fn uncovered(schema: &Value, non_null: &Value) -> Map<String, Value> {
    let mut out = Map::new();
    for part in [schema, non_null] {
        for (k, v) in part.as_object().into_iter().flatten() {
            if !COVERED.contains(&k.as_str()) {
                out.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
    }
    out
}

fn keys_of_map(map: &Map<String, Value>) -> BTreeSet<String> {
    map.keys().cloned().collect()
}

fn properties(schema: &Value) -> Map<String, Value> {
    schema
        .get("properties")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default()
}

fn required(schema: &Value) -> BTreeSet<String> {
    schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| {
            r.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

fn is_null(schema: &Value) -> bool {
    schema.get("type").and_then(Value::as_str) == Some("null")
}

/// Whether a 3.1 (or 3.0) schema admits null.
pub fn is_nullable(schema: &Value) -> bool {
    let union_null = ["anyOf", "oneOf"].iter().any(|k| {
        schema
            .get(*k)
            .and_then(Value::as_array)
            .is_some_and(|bs| bs.iter().any(is_null))
    });
    let type_null = schema
        .get("type")
        .and_then(Value::as_array)
        .is_some_and(|ts| ts.iter().any(|t| t == "null"));
    let flag = schema.get("nullable").and_then(Value::as_bool) == Some(true);
    union_null || type_null || flag
}

/// The schema without its null alternative: the single non-null branch of a nullable union,
/// or the schema itself.
fn non_null(schema: &Value) -> &Value {
    for k in ["anyOf", "oneOf"] {
        if let Some(bs) = schema.get(k).and_then(Value::as_array) {
            let rest: Vec<&Value> = bs.iter().filter(|b| !is_null(b)).collect();
            if rest.len() == 1 && rest.len() < bs.len() {
                return rest[0];
            }
        }
    }
    schema
}

/// Enum values (from `enum` or `const`) of the non-null part, formatted for display.
fn enum_values(schema: &Value) -> Option<BTreeSet<String>> {
    let s = non_null(schema);
    let values: Vec<Value> = if let Some(e) = s.get("enum").and_then(Value::as_array) {
        e.clone()
    } else {
        vec![s.get("const")?.clone()]
    };
    Some(
        values
            .iter()
            .map(|v| match v {
                Value::String(s) => format!("`{s}`"),
                other => format!("`{other}`"),
            })
            .collect(),
    )
}

/// The type of a schema, without nullability: `string`, `string enum`, `array of X`, a
/// referenced schema's name...
pub fn base_type(schema: &Value) -> String {
    let s = non_null(schema);
    if let Some(r) = s.get("$ref").and_then(Value::as_str) {
        return schema_name(r).unwrap_or_else(|| r.to_owned());
    }
    if let Some([only]) = s.get("allOf").and_then(Value::as_array).map(Vec::as_slice) {
        return base_type(only);
    }
    for k in ["anyOf", "oneOf"] {
        if let Some(bs) = s.get(k).and_then(Value::as_array) {
            let parts: Vec<String> = bs.iter().filter(|b| !is_null(b)).map(describe).collect();
            return format!("one of {}", parts.join(" | "));
        }
    }
    let ty = match s.get("type") {
        Some(Value::String(t)) => t.clone(),
        Some(Value::Array(ts)) => ts
            .iter()
            .filter(|t| *t != "null")
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(" | "),
        _ if s.get("properties").is_some() => "object".into(),
        _ => String::new(),
    };
    if s.get("enum").is_some() || s.get("const").is_some() {
        return if ty.is_empty() {
            "enum".into()
        } else {
            format!("{ty} enum")
        };
    }
    match ty.as_str() {
        "array" => match s.get("items") {
            Some(items) => format!("array of {}", describe(items)),
            None => "array".into(),
        },
        "object" => match s.get("additionalProperties") {
            Some(extra @ Value::Object(_)) if s.get("properties").is_none() => {
                format!("map of {}", describe(extra))
            }
            _ => "object".into(),
        },
        "" => "any".into(),
        _ => ty,
    }
}

/// [`base_type`] with a `nullable ` prefix when the schema admits null.
pub fn describe(schema: &Value) -> String {
    let base = base_type(schema);
    if is_nullable(schema) {
        format!("nullable {base}")
    } else {
        base
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc(schemas: Value, params: Value) -> Value {
        json!({
            "openapi": "3.1.0",
            "paths": {"/t": {"get": {"operationId": "t", "parameters": params}}},
            "components": {"schemas": schemas}
        })
    }

    fn base() -> Value {
        doc(
            json!({
                "R": {"properties": {
                    "role": {"type": "string", "enum": ["admin", "viewer"]},
                    "name": {"type": "string"}
                }, "required": ["role", "name"]},
                "Gone": {}
            }),
            json!([{"name": "agent_id", "in": "query", "required": true, "schema": {"type": "string"}}]),
        )
    }

    #[test]
    fn identical_is_empty() {
        assert!(summarize(Some(&base()), &base()).is_empty());
    }

    #[test]
    fn reports_schema_and_field_changes() {
        let new = doc(
            json!({
                "R": {"properties": {
                    "role": {"type": "string", "enum": ["admin", "owner"]},
                    "name": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                    "access_source": {"anyOf": [{"type": "string", "enum": ["creator"]}, {"type": "null"}]}
                }, "required": ["role"]},
                "New": {}
            }),
            json!([
                {"name": "agent_id", "in": "query", "required": false, "schema": {"type": "string"}},
                {"name": "search", "in": "query", "schema": {"anyOf": [{"type": "string"}, {"type": "null"}]}}
            ]),
        );
        let lines = summarize(Some(&base()), &new);
        assert_eq!(
            lines,
            vec![
                "operation GET /t: parameter `agent_id` (query): required → optional",
                "operation GET /t: parameter `search` (query) added (optional, nullable string)",
                "schema Gone removed",
                "schema New added",
                "schema R: field `access_source` added (optional, nullable string enum)",
                "schema R: field `name` required → optional",
                "schema R.name: now nullable",
                "schema R.role: enum value `owner` added",
                "schema R.role: enum value `viewer` removed",
            ]
        );
    }

    #[test]
    fn operations_added_removed_and_other_changes() {
        let mut new = base();
        new["paths"]["/u"] = json!({"post": {}});
        new["paths"]["/t"]["get"]["summary"] = json!("S");
        let lines = summarize(Some(&base()), &new);
        assert_eq!(
            lines,
            vec![
                "operation GET /t: `summary` changed",
                "operation POST /u added"
            ]
        );
        let lines = summarize(Some(&new), &base());
        assert!(lines.contains(&"operation POST /u removed".to_owned()));
    }

    #[test]
    fn no_committed_fragment_lists_everything_as_added() {
        let lines = summarize(None, &base());
        assert!(lines.contains(&"operation GET /t added".to_owned()));
        assert!(lines.contains(&"schema R added".to_owned()));
    }

    #[test]
    fn type_change_and_catch_all() {
        let mut new = base();
        new["components"]["schemas"]["R"]["properties"]["name"] = json!({"type": "integer"});
        new["components"]["schemas"]["Gone"] = json!({"description": "now documented"});
        let lines = summarize(Some(&base()), &new);
        assert_eq!(
            lines,
            vec![
                "schema Gone: `description` changed",
                "schema R.name: type string → integer"
            ]
        );
    }

    #[test]
    fn parameters_responses_fields_and_nullability_removed() {
        let mut old = base();
        old["paths"]["/t"]["get"]["responses"] = json!({
            "200": {"description": "ok"},
            "404": {"description": "not found"},
            "500": {"description": "same on both sides"}
        });
        old["components"]["schemas"]["R"]["properties"]["name"] =
            json!({"type": ["string", "null"]});
        let mut new = base();
        new["paths"]["/t"]["get"]["parameters"] = json!([]);
        new["paths"]["/t"]["get"]["responses"] = json!({
            "200": {"description": "fine"},
            "422": {"description": "invalid"},
            "500": {"description": "same on both sides"}
        });
        new["components"]["schemas"]["R"]["properties"]
            .as_object_mut()
            .expect("properties")
            .remove("role");
        assert_eq!(
            summarize(Some(&old), &new),
            vec![
                "operation GET /t: parameter `agent_id` (query) removed",
                "operation GET /t: response 200 changed (`description`)",
                "operation GET /t: response 404 removed",
                "operation GET /t: response 422 added",
                "schema R: field `role` removed",
                "schema R.name: no longer nullable",
            ]
        );
        // Equal operations say nothing, whatever else changed.
        let mut same_ops = base();
        same_ops["components"]["schemas"]["New"] = json!({});
        assert_eq!(
            summarize(Some(&base()), &same_ops),
            vec!["schema New added"]
        );
    }

    #[test]
    fn describes_unions_and_3_0_nullability() {
        assert_eq!(
            describe(&json!({"type": "string", "nullable": true})),
            "nullable string"
        );
        assert_eq!(
            describe(&json!({"type": "string", "nullable": false})),
            "string"
        );
        assert_eq!(
            describe(&json!({"type": ["string", "integer"]})),
            "string | integer"
        );
        assert_eq!(
            describe(&json!({"anyOf": [{"type": "string"}]})),
            "one of string"
        );
        assert_eq!(
            describe(
                &json!({"anyOf": [{"type": "string"}, {"type": "integer"}, {"type": "null"}]})
            ),
            "nullable one of string | integer"
        );
        assert_eq!(describe(&json!({"properties": {}})), "object");
        assert_eq!(
            describe(&json!({"type": "object", "additionalProperties": {"type": "integer"}})),
            "map of integer"
        );
        assert_eq!(
            describe(&json!({"type": "object", "properties": {},
                             "additionalProperties": {"type": "integer"}})),
            "object"
        );
        assert_eq!(
            describe(&json!({"type": "object", "additionalProperties": true})),
            "object"
        );
    }

    #[test]
    fn numbers_are_compared_by_value_everywhere() {
        let with = |max: Value, values: Value, default: Value, example: Value| {
            doc(
                json!({"R": {"properties": {
                    "n": {"type": "integer", "maximum": max, "minimum": 1.0},
                    "e": {"type": "number", "enum": values, "default": default,
                          "examples": [example]}
                }}}),
                json!([{"name": "limit", "in": "query",
                        "schema": {"type": "integer", "maximum": 100.0, "default": 30}}]),
            )
        };
        let old = with(
            json!(50.0),
            json!([0.5, 1.0, -2.0]),
            json!(1.0),
            json!({"x": 0.0}),
        );
        let mut same = with(json!(50), json!([0.5, 1, -2]), json!(1), json!({"x": 0}));
        same["components"]["schemas"]["R"]["properties"]["n"]["minimum"] = json!(1);
        same["paths"]["/t"]["get"]["parameters"][0]["schema"]["maximum"] = json!(100);
        same["paths"]["/t"]["get"]["parameters"][0]["schema"]["default"] = json!(30.0);
        assert_eq!(summarize(Some(&old), &same), Vec::<String>::new());
        assert_eq!(summarize(Some(&same), &old), Vec::<String>::new());
        // A number that did change still says so, as the value it is.
        let mut moved = with(json!(20), json!([0.5, 1, -3]), json!(1), json!({"x": 0}));
        moved["components"]["schemas"]["R"]["properties"]["n"]["minimum"] = json!(2);
        assert_eq!(
            summarize(Some(&old), &moved),
            vec![
                "schema R.e: enum value `-3` added",
                "schema R.e: enum value `-2` removed",
                "schema R: field `n` changed (`maximum`, `minimum`)",
            ]
        );
        let moved = with(
            json!(50),
            json!([0.5, 1, -2]),
            json!(1.5),
            json!({"x": 0.25}),
        );
        assert_eq!(
            summarize(Some(&old), &moved),
            vec!["schema R: field `e` changed (`default`, `examples`)"]
        );
    }

    #[test]
    fn whole_numbers_become_integers_and_others_stay() {
        assert_eq!(
            numbers_by_value(&json!([
                50.0,
                -2.0,
                -0.0,
                0.5,
                7,
                -7,
                "50.0",
                1e300,
                9.007199254740992e15
            ])),
            json!([50, -2, 0, 0.5, 7, -7, "50.0", 1e300, 9.007199254740992e15])
        );
        assert!(numbers_by_value(&json!(50.0)).is_u64());
        assert!(numbers_by_value(&json!(-2.0)).is_i64());
        assert!(numbers_by_value(&json!(9.007199254740991e15)).is_u64());
        // Integers beyond what a float holds exactly are kept as written.
        assert_eq!(numbers_by_value(&json!(u64::MAX)), json!(u64::MAX));
        assert_eq!(numbers_by_value(&json!(i64::MIN)), json!(i64::MIN));
        assert_eq!(
            numbers_by_value(&json!({"a": {"b": [1.0]}, "c": null, "d": true})),
            json!({"a": {"b": [1]}, "c": null, "d": true})
        );
    }

    #[test]
    fn other_changes_beside_detailed_lines_are_not_lost() {
        let mut new = base();
        let r = &mut new["components"]["schemas"]["R"];
        r["example"] = json!({"role": "admin"});
        r["properties"]["extra"] = json!({"type": "string"});
        r["properties"]["role"]["enum"] = json!(["admin", "viewer", "owner"]);
        r["properties"]["role"]["default"] = json!("viewer");
        r["properties"]["name"] =
            json!({"anyOf": [{"type": "string", "maxLength": 9}, {"type": "null"}]});
        assert_eq!(
            summarize(Some(&base()), &new),
            vec![
                "schema R: field `extra` added (optional, string)",
                "schema R.name: now nullable",
                "schema R.name: `maxLength` changed",
                "schema R.role: enum value `owner` added",
                "schema R.role: `default` changed",
                "schema R: `example` changed",
            ]
        );
        // A keyword that only moves into (or out of) a nullable union did not change.
        let mut old = base();
        old["components"]["schemas"]["R"]["properties"]["name"] =
            json!({"type": "string", "maxLength": 9, "title": "N"});
        let mut new = base();
        new["components"]["schemas"]["R"]["properties"]["name"] = json!(
            {"anyOf": [{"type": "string", "maxLength": 9}, {"type": "null"}], "title": "N"}
        );
        assert_eq!(
            summarize(Some(&old), &new),
            vec!["schema R.name: now nullable"]
        );
        assert_eq!(
            summarize(Some(&new), &old),
            vec!["schema R.name: no longer nullable"]
        );
    }

    #[test]
    fn reordered_enum_values_are_named() {
        let mut new = base();
        new["components"]["schemas"]["R"]["properties"]["role"]["enum"] =
            json!(["viewer", "admin"]);
        assert_eq!(
            summarize(Some(&base()), &new),
            vec!["schema R.role: enum values reordered"]
        );
        // A repeated value is not a reordering: the catch-all says the enum changed.
        new["components"]["schemas"]["R"]["properties"]["role"]["enum"] =
            json!(["admin", "viewer", "admin"]);
        assert_eq!(
            summarize(Some(&base()), &new),
            vec!["schema R: field `role` changed (`enum`)"]
        );
    }

    #[test]
    fn describes_types() {
        assert_eq!(describe(&json!({"$ref": "#/components/schemas/X"})), "X");
        assert_eq!(
            describe(&json!({"anyOf": [{"$ref": "#/components/schemas/X"}, {"type": "null"}]})),
            "nullable X"
        );
        assert_eq!(
            describe(&json!({"type": "array", "items": {"$ref": "#/components/schemas/X"}})),
            "array of X"
        );
        assert_eq!(
            describe(&json!({"type": ["integer", "null"]})),
            "nullable integer"
        );
        assert_eq!(describe(&json!({})), "any");
    }
}
