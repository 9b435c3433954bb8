//! OpenAPI 3.1 → 3.0.3 translation of the selected fragment, one small rule per function.

use serde_json::{Map, Value, json};

use crate::error::Error;
use crate::hoist::hoist_enums;
use crate::selection::{METHODS, Selection};
use crate::unions::hoist_unions;

/// The version written into the translated document.
pub const OPENAPI_30: &str = "3.0.3";

/// The keywords of an OpenAPI 3.0 Schema Object (besides `x-*` extensions).
pub const SCHEMA_KEYWORDS_30: [&str; 36] = [
    "$ref",
    "title",
    "multipleOf",
    "maximum",
    "exclusiveMaximum",
    "minimum",
    "exclusiveMinimum",
    "maxLength",
    "minLength",
    "pattern",
    "maxItems",
    "minItems",
    "uniqueItems",
    "maxProperties",
    "minProperties",
    "required",
    "enum",
    "type",
    "allOf",
    "oneOf",
    "anyOf",
    "not",
    "items",
    "properties",
    "additionalProperties",
    "description",
    "format",
    "default",
    "nullable",
    "discriminator",
    "readOnly",
    "writeOnly",
    "xml",
    "externalDocs",
    "example",
    "deprecated",
];

/// Translates a whole selected fragment: version, operations (named as the selection says),
/// component schemas, then the hoisting of discriminated unions and of inline enums into
/// named components.
pub fn translate_document(fragment: &Value, selection: &Selection) -> Result<Value, Error> {
    let mut doc = fragment.clone();
    if let Value::Object(map) = &mut doc {
        set_openapi_version(map);
        if let Some(Value::Object(paths)) = map.get_mut("paths") {
            for item in paths.values_mut() {
                if let Value::Object(item) = item {
                    translate_path_item(item);
                }
            }
            name_operations(paths, selection);
        }
        if let Some(Value::Object(schemas)) =
            map.get_mut("components").and_then(|c| c.get_mut("schemas"))
        {
            for schema in schemas.values_mut() {
                *schema = translate_schema(schema.take());
            }
        }
    }
    hoist_unions(&mut doc)?;
    hoist_enums(&mut doc)?;
    Ok(doc)
}

/// Rule 13: each selected operation's `operationId` becomes its `Client` method name from
/// the selection (`list_chat_response_tests_route` → `list_tests`).
pub fn name_operations(paths: &mut Map<String, Value>, selection: &Selection) {
    for sel in &selection.operations {
        if let (Some(name), Some(Value::Object(op))) = (
            &sel.name,
            paths
                .get_mut(&sel.path)
                .and_then(|i| i.get_mut(&sel.method)),
        ) {
            op.insert("operationId".into(), Value::String(name.clone()));
        }
    }
}

/// Rule 1: `openapi` becomes `3.0.3`.
pub fn set_openapi_version(doc: &mut Map<String, Value>) {
    doc.insert("openapi".into(), Value::String(OPENAPI_30.into()));
}

/// Translates the operations of a path item and its shared parameters.
pub fn translate_path_item(item: &mut Map<String, Value>) {
    for (key, value) in item.iter_mut() {
        if let Value::Object(op) = value {
            if METHODS.contains(&key.as_str()) {
                translate_operation(op);
            }
        } else if key == "parameters" {
            translate_parameters(value);
        }
    }
}

/// Rules 9 and 10 plus schema translation everywhere in one operation (parameters, request
/// body, responses and their headers).
pub fn translate_operation(op: &mut Map<String, Value>) {
    remove_api_key_header(op);
    if let Some(Value::String(id)) = op.get_mut("operationId") {
        *id = strip_route_suffix(id);
    }
    if let Some(params) = op.get_mut("parameters") {
        translate_parameters(params);
    }
    if let Some(body) = op.get_mut("requestBody") {
        translate_content(body);
    }
    if let Some(Value::Object(responses)) = op.get_mut("responses") {
        for response in responses.values_mut() {
            translate_content(response);
            if let Some(Value::Object(headers)) = response.get_mut("headers") {
                for header in headers.values_mut() {
                    translate_parameter(header);
                }
            }
        }
    }
}

fn translate_parameters(params: &mut Value) {
    if let Value::Array(params) = params {
        params.iter_mut().for_each(translate_parameter);
    }
}

/// A parameter or header object: its `schema` and `content.*.schema` (not its `examples` map,
/// which is a 3.0 construct too).
fn translate_parameter(param: &mut Value) {
    if let Some(schema) = param.get_mut("schema") {
        *schema = translate_schema(schema.take());
    }
    translate_content(param);
}

/// `content.*.schema` of a request body, response, or parameter.
fn translate_content(holder: &mut Value) {
    if let Some(Value::Object(content)) = holder.get_mut("content") {
        for media in content.values_mut() {
            if let Some(schema) = media.get_mut("schema") {
                *schema = translate_schema(schema.take());
            }
        }
    }
}

/// Rule 9: drops the `xi-api-key` header parameter (authentication is a client default header).
pub fn remove_api_key_header(op: &mut Map<String, Value>) {
    if let Some(Value::Array(params)) = op.get_mut("parameters") {
        params.retain(|p| {
            let is_header = p.get("in").and_then(Value::as_str) == Some("header");
            let is_key = p
                .get("name")
                .and_then(Value::as_str)
                .is_some_and(|n| n.eq_ignore_ascii_case("xi-api-key"));
            !(is_header && is_key)
        });
    }
}

/// Rule 10: `list_test_invocations_route` → `list_test_invocations`.
pub fn strip_route_suffix(operation_id: &str) -> String {
    operation_id
        .strip_suffix("_route")
        .filter(|s| !s.is_empty())
        .unwrap_or(operation_id)
        .to_owned()
}

/// Translates one schema and, first, all its sub-schemas (rules 2–8).
pub fn translate_schema(schema: Value) -> Value {
    let mut map = match schema {
        Value::Object(map) => map,
        Value::Bool(true) => return json!({}),
        Value::Bool(false) => return json!({"not": {}}),
        other => return other,
    };
    if let Some(Value::Object(props)) = map.get_mut("properties") {
        for p in props.values_mut() {
            *p = translate_schema(p.take());
        }
    }
    for key in ["items", "not"] {
        if let Some(sub) = map.get_mut(key)
            && (sub.is_object() || sub.is_boolean())
        {
            *sub = translate_schema(sub.take());
        }
    }
    if let Some(sub @ Value::Object(_)) = map.get_mut("additionalProperties") {
        *sub = translate_schema(sub.take());
    }
    for key in ["allOf", "anyOf", "oneOf"] {
        if let Some(Value::Array(branches)) = map.get_mut(key) {
            for b in branches.iter_mut() {
                *b = translate_schema(b.take());
            }
        }
    }
    let map = const_to_enum(map);
    let map = examples_to_example(map);
    let map = exclusive_bounds(map);
    let map = type_array(map);
    let map = nullable_union(map);
    let map = drop_non_standard(map);
    Value::Object(ref_siblings(map))
}

/// Whether a schema is the 3.1 null schema `{type: "null"}`.
pub fn is_null_schema(schema: &Value) -> bool {
    schema.get("type").and_then(Value::as_str) == Some("null")
}

/// Rule 2: `anyOf` (or `oneOf`) with a `{type: null}` branch becomes `nullable: true`; a single
/// remaining branch is merged into the schema (a bare `$ref` through `allOf`), several stay.
pub fn nullable_union(mut map: Map<String, Value>) -> Map<String, Value> {
    for key in ["anyOf", "oneOf"] {
        let Some(Value::Array(branches)) = map.get(key) else {
            continue;
        };
        if !branches.iter().any(is_null_schema) {
            continue;
        }
        let rest: Vec<Value> = branches
            .iter()
            .filter(|b| !is_null_schema(b))
            .cloned()
            .collect();
        map.remove(key);
        map.insert("nullable".into(), Value::Bool(true));
        match <[Value; 1]>::try_from(rest) {
            Ok([branch]) => merge_branch(&mut map, branch),
            Err(rest) if rest.is_empty() => {}
            Err(rest) => {
                map.insert(key.into(), Value::Array(rest));
            }
        }
    }
    map
}

/// Merges the only non-null branch into its parent; a bare `$ref`, or a branch whose keys
/// conflict with the parent's, goes into `allOf` instead. So does an inline enum when the
/// parent has its own keywords (title, description...): they document the property, not the
/// enum, and the enum hoisting (rule 11) keeps them apart.
fn merge_branch(map: &mut Map<String, Value>, branch: Value) {
    let merge = match &branch {
        Value::Object(b) => {
            let bare_ref = b.len() == 1 && b.contains_key("$ref");
            let documented_enum = b.contains_key("enum") && map.keys().any(|k| k != "nullable");
            !bare_ref
                && !documented_enum
                && b.iter().all(|(k, v)| map.get(k).is_none_or(|mv| mv == v))
        }
        _ => false,
    };
    match branch {
        Value::Object(b) if merge => map.extend(b),
        other => push_all_of(map, other, false),
    }
}

/// Adds `schema` to `allOf` (first or last), creating it if needed.
fn push_all_of(map: &mut Map<String, Value>, schema: Value, first: bool) {
    match map.get_mut("allOf") {
        Some(Value::Array(all)) => {
            if first {
                all.insert(0, schema);
            } else {
                all.push(schema);
            }
        }
        _ => {
            map.insert("allOf".into(), Value::Array(vec![schema]));
        }
    }
}

/// Rule 3: a `$ref` with sibling keywords becomes `{allOf: [{$ref}], ...siblings}`.
pub fn ref_siblings(mut map: Map<String, Value>) -> Map<String, Value> {
    if map.len() > 1
        && let Some(r) = map.remove("$ref")
    {
        push_all_of(&mut map, json!({ "$ref": r }), true);
    }
    map
}

/// Rule 4: `const: v` becomes `enum: [v]` (an existing `enum` wins).
pub fn const_to_enum(mut map: Map<String, Value>) -> Map<String, Value> {
    if let Some(v) = map.remove("const") {
        map.entry("enum").or_insert_with(|| Value::Array(vec![v]));
    }
    map
}

/// Rule 5: a schema's `examples: [a, ...]` becomes `example: a` (an existing `example` wins).
pub fn examples_to_example(mut map: Map<String, Value>) -> Map<String, Value> {
    if let Some(Value::Array(examples)) = map.get("examples") {
        let first = examples.first().cloned();
        map.remove("examples");
        if let Some(first) = first {
            map.entry("example").or_insert(first);
        }
    }
    map
}

/// Rule 6: numeric `exclusiveMinimum: n` becomes `minimum: n, exclusiveMinimum: true` (same
/// for the maximum); an existing, stricter inclusive bound is kept instead.
pub fn exclusive_bounds(mut map: Map<String, Value>) -> Map<String, Value> {
    // Whether an inclusive bound `b` is stricter than the exclusive bound `n`.
    let min_stricter: fn(f64, f64) -> bool = |b, n| b > n;
    let max_stricter: fn(f64, f64) -> bool = |b, n| b < n;
    for (exclusive, bound, stricter) in [
        ("exclusiveMinimum", "minimum", min_stricter),
        ("exclusiveMaximum", "maximum", max_stricter),
    ] {
        let Some(n @ Value::Number(_)) = map.get(exclusive).cloned() else {
            continue;
        };
        map.remove(exclusive);
        let existing = map.get(bound).and_then(Value::as_f64);
        let limit = n.as_f64().unwrap_or(0.0);
        match existing {
            Some(b) if stricter(b, limit) => {}
            _ => {
                map.insert(bound.into(), n);
                map.insert(exclusive.into(), Value::Bool(true));
            }
        }
    }
    map
}

/// Rule 7: `type: [t, "null"]` becomes `type: t, nullable: true`; several non-null types
/// become an `anyOf` of one schema per type.
pub fn type_array(mut map: Map<String, Value>) -> Map<String, Value> {
    let Some(Value::Array(types)) = map.get("type").cloned() else {
        return map;
    };
    map.remove("type");
    let null = Value::String("null".into());
    if types.contains(&null) {
        map.insert("nullable".into(), Value::Bool(true));
    }
    let rest: Vec<Value> = types.into_iter().filter(|t| *t != null).collect();
    match <[Value; 1]>::try_from(rest) {
        Ok([single]) => {
            map.insert("type".into(), single);
        }
        Err(rest) if rest.is_empty() => {}
        Err(rest) => {
            let branches: Vec<Value> = rest.into_iter().map(|t| json!({ "type": t })).collect();
            if let Some(existing) = map.remove("anyOf") {
                push_all_of(&mut map, json!({ "anyOf": existing }), false);
                push_all_of(&mut map, json!({ "anyOf": branches }), false);
            } else {
                map.insert("anyOf".into(), Value::Array(branches));
            }
        }
    }
    map
}

/// Rule 8: keeps only OpenAPI 3.0 Schema Object keywords and `x-*` extensions.
pub fn drop_non_standard(mut map: Map<String, Value>) -> Map<String, Value> {
    map.retain(|k, _| k.starts_with("x-") || SCHEMA_KEYWORDS_30.contains(&k.as_str()));
    map
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => panic!("not an object"),
        }
    }

    #[test]
    fn rule1_version() {
        let mut d = obj(json!({"openapi": "3.1.0"}));
        set_openapi_version(&mut d);
        assert_eq!(d["openapi"], "3.0.3");
    }

    #[test]
    fn rule2_nullable_scalar_keeps_siblings() {
        let m = nullable_union(obj(json!({
            "anyOf": [{"type": "string"}, {"type": "null"}],
            "title": "Cursor", "description": "d", "default": null
        })));
        assert_eq!(
            Value::Object(m),
            json!({"type": "string", "nullable": true, "title": "Cursor", "description": "d", "default": null})
        );
    }

    #[test]
    fn rule2_null_first() {
        let m = nullable_union(obj(
            json!({"anyOf": [{"type": "null"}, {"type": "integer"}]}),
        ));
        assert_eq!(
            Value::Object(m),
            json!({"type": "integer", "nullable": true})
        );
    }

    #[test]
    fn rule2_nullable_ref_goes_through_all_of() {
        let m = nullable_union(obj(json!({
            "anyOf": [{"$ref": "#/components/schemas/R"}, {"type": "null"}],
            "description": "d"
        })));
        assert_eq!(
            Value::Object(m),
            json!({"allOf": [{"$ref": "#/components/schemas/R"}], "nullable": true, "description": "d"})
        );
    }

    #[test]
    fn rule2_several_branches_stay_any_of() {
        let m = nullable_union(obj(json!({
            "anyOf": [{"type": "string"}, {"type": "integer"}, {"type": "null"}]
        })));
        assert_eq!(
            Value::Object(m),
            json!({"anyOf": [{"type": "string"}, {"type": "integer"}], "nullable": true})
        );
    }

    #[test]
    fn rule2_conflicting_branch_goes_through_all_of() {
        let m = nullable_union(obj(json!({
            "anyOf": [{"type": "string", "description": "inner"}, {"type": "null"}],
            "description": "outer"
        })));
        assert_eq!(
            Value::Object(m),
            json!({"allOf": [{"type": "string", "description": "inner"}], "nullable": true, "description": "outer"})
        );
    }

    #[test]
    fn rule2_documented_enum_goes_through_all_of() {
        let m = nullable_union(obj(json!({
            "anyOf": [{"type": "string", "enum": ["a"]}, {"type": "null"}],
            "description": "d"
        })));
        assert_eq!(
            Value::Object(m),
            json!({"allOf": [{"type": "string", "enum": ["a"]}], "nullable": true, "description": "d"})
        );
        let m = nullable_union(obj(json!({"anyOf": [{"type": "null"}, {"enum": ["a"]}]})));
        assert_eq!(Value::Object(m), json!({"enum": ["a"], "nullable": true}));
    }

    #[test]
    fn rule2_without_null_is_untouched() {
        let v = json!({"anyOf": [{"type": "string"}, {"type": "integer"}]});
        assert_eq!(Value::Object(nullable_union(obj(v.clone()))), v);
    }

    #[test]
    fn rule3_ref_siblings() {
        let m = ref_siblings(obj(
            json!({"$ref": "#/components/schemas/M", "default": {}}),
        ));
        assert_eq!(
            Value::Object(m),
            json!({"allOf": [{"$ref": "#/components/schemas/M"}], "default": {}})
        );
        let bare = json!({"$ref": "#/components/schemas/M"});
        assert_eq!(Value::Object(ref_siblings(obj(bare.clone()))), bare);
    }

    #[test]
    fn rule4_const() {
        let m = const_to_enum(obj(json!({"type": "string", "const": "llm"})));
        assert_eq!(Value::Object(m), json!({"type": "string", "enum": ["llm"]}));
    }

    #[test]
    fn rule5_examples() {
        let m = examples_to_example(obj(json!({"examples": ["a", "b"]})));
        assert_eq!(Value::Object(m), json!({"example": "a"}));
        let m = examples_to_example(obj(json!({"examples": []})));
        assert_eq!(Value::Object(m), json!({}));
    }

    #[test]
    fn rule6_exclusive_bounds() {
        let m = exclusive_bounds(obj(json!({"exclusiveMinimum": 0.0, "exclusiveMaximum": 1})));
        assert_eq!(
            Value::Object(m),
            json!({"minimum": 0.0, "exclusiveMinimum": true, "maximum": 1, "exclusiveMaximum": true})
        );
        // Already 3.0 style: untouched.
        let v = json!({"minimum": 1, "exclusiveMinimum": true});
        assert_eq!(Value::Object(exclusive_bounds(obj(v.clone()))), v);
        // A stricter inclusive bound wins.
        let m = exclusive_bounds(obj(json!({"minimum": 5, "exclusiveMinimum": 0})));
        assert_eq!(Value::Object(m), json!({"minimum": 5}));
        let m = exclusive_bounds(obj(json!({"maximum": 3, "exclusiveMaximum": 10})));
        assert_eq!(Value::Object(m), json!({"maximum": 3}));
        // A looser or equal inclusive bound gives way to the exclusive one.
        for (given, expected) in [
            (
                json!({"minimum": 2, "exclusiveMinimum": 4}),
                json!({"minimum": 4, "exclusiveMinimum": true}),
            ),
            (
                json!({"minimum": 4, "exclusiveMinimum": 4}),
                json!({"minimum": 4, "exclusiveMinimum": true}),
            ),
            (
                json!({"maximum": 10, "exclusiveMaximum": 3}),
                json!({"maximum": 3, "exclusiveMaximum": true}),
            ),
            (
                json!({"maximum": -3, "exclusiveMaximum": -3}),
                json!({"maximum": -3, "exclusiveMaximum": true}),
            ),
        ] {
            assert_eq!(
                Value::Object(exclusive_bounds(obj(given.clone()))),
                expected,
                "{given}"
            );
        }
    }

    #[test]
    fn rule7_type_arrays() {
        let m = type_array(obj(json!({"type": ["string", "null"]})));
        assert_eq!(
            Value::Object(m),
            json!({"type": "string", "nullable": true})
        );
        let m = type_array(obj(
            json!({"type": ["string", "integer", "null"], "title": "T"}),
        ));
        assert_eq!(
            Value::Object(m),
            json!({"anyOf": [{"type": "string"}, {"type": "integer"}], "nullable": true, "title": "T"})
        );
        let m = type_array(obj(json!({"type": ["boolean"]})));
        assert_eq!(Value::Object(m), json!({"type": "boolean"}));
        let m = type_array(obj(json!({"type": ["null"]})));
        assert_eq!(Value::Object(m), json!({"nullable": true}));
        // An `anyOf` already there: both go into `allOf`, the existing one first.
        let m = type_array(obj(json!({
            "type": ["string", "integer"],
            "anyOf": [{"minLength": 1}, {"minimum": 0}]
        })));
        assert_eq!(
            Value::Object(m),
            json!({"allOf": [
                {"anyOf": [{"minLength": 1}, {"minimum": 0}]},
                {"anyOf": [{"type": "string"}, {"type": "integer"}]}
            ]})
        );
    }

    #[test]
    fn rule8_non_standard_keys() {
        let m = drop_non_standard(obj(
            json!({"type": "string", "embed": true, "x-fern": 1, "$defs": {}}),
        ));
        assert_eq!(Value::Object(m), json!({"type": "string", "x-fern": 1}));
    }

    #[test]
    fn rule9_api_key_header() {
        let mut op = obj(json!({"parameters": [
            {"name": "xi-api-key", "in": "header"},
            {"name": "xi-api-key", "in": "query"},
            {"name": "cursor", "in": "query"}
        ]}));
        remove_api_key_header(&mut op);
        assert_eq!(
            op["parameters"],
            json!([{"name": "xi-api-key", "in": "query"}, {"name": "cursor", "in": "query"}])
        );
    }

    #[test]
    fn rule10_route_suffix() {
        assert_eq!(
            strip_route_suffix("list_test_invocations_route"),
            "list_test_invocations"
        );
        assert_eq!(strip_route_suffix("get_thing"), "get_thing");
        assert_eq!(strip_route_suffix("_route"), "_route");
    }

    #[test]
    fn schema_translation_is_recursive_and_ordered() {
        let s = translate_schema(json!({
            "type": "object",
            "properties": {
                "meta": {"$ref": "#/components/schemas/M", "default": {}},
                "kind": {"type": "string", "const": "x", "examples": ["x"]},
                "n": {"anyOf": [{"type": "number", "exclusiveMinimum": 0.0}, {"type": "null"}]},
                "id": {"type": "string", "embed": true, "examples": ["abc"]},
                "r": {"anyOf": [{"$ref": "#/components/schemas/R"}, {"type": "null"}], "embed": true},
                "list": {"items": {"anyOf": [{"type": "string"}, {"type": "integer"}]}, "type": "array"}
            }
        }));
        assert_eq!(
            s,
            json!({
                "type": "object",
                "properties": {
                    "meta": {"allOf": [{"$ref": "#/components/schemas/M"}], "default": {}},
                    "kind": {"type": "string", "enum": ["x"], "example": "x"},
                    "n": {"type": "number", "minimum": 0.0, "exclusiveMinimum": true, "nullable": true},
                    "id": {"type": "string", "example": "abc"},
                    "r": {"allOf": [{"$ref": "#/components/schemas/R"}], "nullable": true},
                    "list": {"items": {"anyOf": [{"type": "string"}, {"type": "integer"}]}, "type": "array"}
                }
            })
        );
    }

    #[test]
    fn boolean_and_object_subschemas_are_translated() {
        assert_eq!(
            translate_schema(json!({"type": "array", "items": true})),
            json!({"type": "array", "items": {}})
        );
        assert_eq!(
            translate_schema(json!({"not": false})),
            json!({"not": {"not": {}}})
        );
        assert_eq!(
            translate_schema(json!({"type": "array", "items": {"type": ["string", "null"]}})),
            json!({"type": "array", "items": {"type": "string", "nullable": true}})
        );
        // A union of null alone: nothing but nullable (no empty `anyOf`).
        assert_eq!(
            translate_schema(json!({"anyOf": [{"type": "null"}]})),
            json!({"nullable": true})
        );
    }

    #[test]
    fn path_item_translates_its_operations_and_shared_parameters() {
        let mut item = obj(json!({
            "summary": "s",
            "parameters": [
                {"name": "id", "in": "path", "required": true, "schema": {"type": ["string", "null"]}}
            ],
            "get": {"operationId": "get_route", "responses": {}}
        }));
        translate_path_item(&mut item);
        assert_eq!(
            Value::Object(item),
            json!({
                "summary": "s",
                "parameters": [
                    {"name": "id", "in": "path", "required": true,
                     "schema": {"type": "string", "nullable": true}}
                ],
                "get": {"operationId": "get", "responses": {}}
            })
        );
    }

    #[test]
    fn operation_translation() {
        let mut op = obj(json!({
            "operationId": "x_route",
            "parameters": [
                {"name": "q", "in": "query", "schema": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                 "examples": {"one": {"value": "a"}}},
                {"name": "xi-api-key", "in": "header", "schema": {"type": "string"}}
            ],
            "responses": {"200": {"content": {"application/json": {"schema": {"const": 1}}}}}
        }));
        translate_operation(&mut op);
        assert_eq!(
            Value::Object(op),
            json!({
                "operationId": "x",
                "parameters": [
                    {"name": "q", "in": "query", "schema": {"type": "string", "nullable": true},
                     "examples": {"one": {"value": "a"}}}
                ],
                "responses": {"200": {"content": {"application/json": {"schema": {"enum": [1]}}}}}
            })
        );
    }
}
