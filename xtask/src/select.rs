//! Copies the selected operations out of the upstream document, with the transitive closure
//! of every component schema they (or the extra schemas) refer to.

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

use crate::error::Error;
use crate::selection::{METHODS, Selection};

/// Prefix of the only kind of `$ref` supported.
pub const SCHEMA_REF_PREFIX: &str = "#/components/schemas/";

/// Every `$ref` string found anywhere in `value` (nested objects and arrays included), plus
/// the schema references held in `discriminator.mapping` values.
pub fn collect_refs(value: &Value, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                match (k.as_str(), v) {
                    ("$ref", Value::String(r)) => {
                        out.insert(r.clone());
                    }
                    ("discriminator", Value::Object(d)) => {
                        if let Some(Value::Object(mapping)) = d.get("mapping") {
                            out.extend(
                                mapping
                                    .values()
                                    .filter_map(Value::as_str)
                                    .filter(|r| r.starts_with('#'))
                                    .map(str::to_owned),
                            );
                        }
                    }
                    _ => collect_refs(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

/// The component schema name a `$ref` designates (JSON-pointer unescaped), or `None` when it
/// points anywhere else.
pub fn schema_name(reference: &str) -> Option<String> {
    let rest = reference.strip_prefix(SCHEMA_REF_PREFIX)?;
    if rest.is_empty() || rest.contains('/') {
        return None;
    }
    Some(rest.replace("~1", "/").replace("~0", "~"))
}

/// What an opaque schema becomes: a free-form JSON object keeping its title and description.
pub fn opaque_stub(schema: &Value) -> Value {
    let mut out = Map::new();
    out.insert("type".into(), json!("object"));
    out.insert("additionalProperties".into(), json!(true));
    if let Some(t) = schema.get("title") {
        out.insert("title".into(), t.clone());
    }
    let description = schema
        .get("description")
        .and_then(Value::as_str)
        .map(|d| format!("{d}\n\n"))
        .unwrap_or_default();
    out.insert(
        "description".into(),
        json!(format!(
            "{description}Not typed by this client (an `opaque` rule of spec/selection.json): free-form JSON."
        )),
    );
    Value::Object(out)
}

/// What a property of a shallow schema that refers to other schemas becomes: any JSON value,
/// keeping the property's title, description and default.
pub fn shallow_stub(property: &Value) -> Value {
    let mut out = Map::new();
    for key in ["title", "description", "default"] {
        if let Some(v) = property.get(key) {
            out.insert(key.into(), v.clone());
        }
    }
    Value::Object(out)
}

/// A shallow copy of `schema`: every property that refers to another schema becomes
/// [`shallow_stub`], except those named in `keep` (each must exist).
pub fn shallow_schema(name: &str, schema: &Value, keep: &[String]) -> Result<Value, Error> {
    let mut out = schema.clone();
    let Some(Value::Object(props)) = out.get_mut("properties") else {
        return Err(Error::StalePruning(format!(
            "shallow schema `{name}` has no properties"
        )));
    };
    if let Some(k) = keep.iter().find(|k| !props.contains_key(*k)) {
        return Err(Error::StalePruning(format!(
            "shallow schema `{name}` has no property `{k}` to keep"
        )));
    }
    for (p, v) in props.iter_mut() {
        let mut refs = BTreeSet::new();
        collect_refs(v, &mut refs);
        if !refs.is_empty() && !keep.contains(p) {
            *v = shallow_stub(v);
        }
    }
    Ok(out)
}

/// The source's component schemas with the selection's pruning rules applied.
pub fn pruned_schemas(
    schemas: &Map<String, Value>,
    selection: &Selection,
) -> Result<Map<String, Value>, Error> {
    let mut out = schemas.clone();
    for name in &selection.opaque {
        let schema = out.get_mut(name).ok_or_else(|| {
            Error::StalePruning(format!("opaque schema `{name}` is not in the source"))
        })?;
        *schema = opaque_stub(schema);
    }
    for (name, keep) in &selection.shallow {
        let schema = out.get_mut(name).ok_or_else(|| {
            Error::StalePruning(format!("shallow schema `{name}` is not in the source"))
        })?;
        *schema = shallow_schema(name, schema, keep)?;
    }
    Ok(out)
}

/// The names of `roots` and every schema they reach through `$ref`s, transitively.
/// `roots` are `(name, where it was asked for)`; each must exist in `schemas`.
pub fn schema_closure(
    schemas: &Map<String, Value>,
    roots: impl IntoIterator<Item = (String, String)>,
) -> Result<BTreeSet<String>, Error> {
    let mut seen = BTreeSet::new();
    let mut todo: Vec<(String, String)> = roots.into_iter().collect();
    while let Some((name, from)) = todo.pop() {
        if seen.contains(&name) {
            continue;
        }
        let Some(schema) = schemas.get(&name) else {
            return Err(Error::DanglingRef {
                reference: format!("{SCHEMA_REF_PREFIX}{name}"),
                from,
            });
        };
        seen.insert(name.clone());
        let from = format!("schema `{name}`");
        for r in refs_to_schemas(schema, &from)? {
            todo.push((r, from.clone()));
        }
    }
    Ok(seen)
}

/// The schema names `value` refers to; an error for refs outside `#/components/schemas/`.
fn refs_to_schemas(value: &Value, from: &str) -> Result<BTreeSet<String>, Error> {
    let mut refs = BTreeSet::new();
    collect_refs(value, &mut refs);
    refs.iter()
        .map(|r| {
            schema_name(r).ok_or_else(|| Error::UnsupportedRef {
                reference: r.clone(),
                from: from.to_owned(),
            })
        })
        .collect()
}

/// The selected fragment of `doc`: `openapi`, `info`, the selected operations (each path item
/// keeps only its selected methods and its non-operation fields) and `components.schemas`
/// with exactly the schemas reached. Content is copied unchanged, except what the pruning
/// rules replace ([`pruned_schemas`]); the closure does not go past a pruned part.
pub fn select(doc: &Value, selection: &Selection) -> Result<Value, Error> {
    select_with(doc, selection, true)
}

/// [`select`] without applying the pruning rules' replacements: the schemas reached by the
/// pruned closure, as upstream has them. This is what a trimmed test fixture of the source
/// needs to hold (`cargo xtask trim-fixture`).
pub fn trim(doc: &Value, selection: &Selection) -> Result<Value, Error> {
    select_with(doc, selection, false)
}

fn select_with(doc: &Value, selection: &Selection, replace: bool) -> Result<Value, Error> {
    let empty = Map::new();
    let paths = doc
        .get("paths")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let source_schemas = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let pruned = pruned_schemas(source_schemas, selection)?;
    let schemas = &pruned;

    let mut out_paths = Map::new();
    let mut roots = Vec::new();
    for sel in &selection.operations {
        let unknown = || Error::UnknownOperation {
            method: sel.method.clone(),
            path: sel.path.clone(),
        };
        let item = paths
            .get(&sel.path)
            .and_then(Value::as_object)
            .ok_or_else(unknown)?;
        let op = item.get(&sel.method).ok_or_else(unknown)?;
        if let Some(expected) = &sel.operation_id {
            let found = op.get("operationId").and_then(Value::as_str).unwrap_or("");
            if found != expected {
                return Err(Error::OperationIdChanged {
                    method: sel.method.clone(),
                    path: sel.path.clone(),
                    expected: expected.clone(),
                    found: found.to_owned(),
                });
            }
        }
        let from = format!("operation `{} {}`", sel.method.to_uppercase(), sel.path);
        roots.extend(
            refs_to_schemas(op, &from)?
                .into_iter()
                .map(|n| (n, from.clone())),
        );
        let entry = out_paths
            .entry(sel.path.clone())
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(entry) = entry {
            // Path-level fields (shared `parameters`, `summary`...) apply to the operation.
            for (k, v) in item {
                if !METHODS.contains(&k.as_str()) {
                    let from = format!("path item `{}`", sel.path);
                    roots.extend(
                        refs_to_schemas(v, &from)?
                            .into_iter()
                            .map(|n| (n, from.clone())),
                    );
                    entry.insert(k.clone(), v.clone());
                }
            }
            entry.insert(sel.method.clone(), op.clone());
        }
    }
    for name in &selection.extra_schemas {
        if !schemas.contains_key(name) {
            return Err(Error::UnknownSchema(name.clone()));
        }
        roots.push((name.clone(), "extra_schemas".to_owned()));
    }
    let names = schema_closure(schemas, roots)?;
    let kept = if replace { schemas } else { source_schemas };
    let out_schemas: Map<String, Value> = names
        .into_iter()
        .filter_map(|n| kept.get(&n).map(|s| (n, s.clone())))
        .collect();

    let mut out = Map::new();
    for key in ["openapi", "info"] {
        if let Some(v) = doc.get(key) {
            out.insert(key.to_owned(), v.clone());
        }
    }
    out.insert("paths".into(), Value::Object(out_paths));
    out.insert("components".into(), json!({ "schemas": out_schemas }));
    Ok(Value::Object(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::selection::OperationSel;

    fn doc() -> Value {
        json!({
            "openapi": "3.1.0",
            "info": {"title": "t", "version": "1"},
            "paths": {
                "/a": {
                    "get": {"responses": {"200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/A"}}}}}},
                    "post": {"parameters": [{"name": "p", "in": "query", "schema": {"anyOf": [{"$ref": "#/components/schemas/P"}, {"type": "null"}]}}]}
                },
                "/b": {"get": {}}
            },
            "components": {"schemas": {
                "A": {"properties": {"b": {"anyOf": [{"items": {"$ref": "#/components/schemas/B"}, "type": "array"}, {"type": "null"}]}}},
                "B": {"allOf": [{"$ref": "#/components/schemas/C"}]},
                "C": {"properties": {"self": {"$ref": "#/components/schemas/C"}}},
                "P": {"enum": ["x"]},
                "Unused": {},
                "E": {"properties": {"d": {"$ref": "#/components/schemas/D"}}},
                "D": {}
            }}
        })
    }

    fn sel(ops: &[(&str, &str)], extra: &[&str]) -> Selection {
        Selection {
            operations: ops
                .iter()
                .map(|(m, p)| OperationSel {
                    method: (*m).into(),
                    path: (*p).into(),
                    ..Default::default()
                })
                .collect(),
            extra_schemas: extra.iter().map(|s| (*s).to_owned()).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn collects_nested_refs() {
        let mut refs = BTreeSet::new();
        collect_refs(&doc()["components"]["schemas"]["A"], &mut refs);
        assert_eq!(refs, BTreeSet::from(["#/components/schemas/B".to_owned()]));
    }

    #[test]
    fn collects_discriminator_mapping() {
        let mut refs = BTreeSet::new();
        collect_refs(
            &json!({"discriminator": {"propertyName": "t", "mapping": {"x": "#/components/schemas/X"}}}),
            &mut refs,
        );
        assert!(refs.contains("#/components/schemas/X"));
    }

    #[test]
    fn schema_names() {
        assert_eq!(schema_name("#/components/schemas/A"), Some("A".into()));
        assert_eq!(schema_name("#/components/schemas/a~1b"), Some("a/b".into()));
        assert_eq!(schema_name("#/components/parameters/A"), None);
        assert_eq!(schema_name("other.json#/A"), None);
        // Not one schema: nothing after the prefix, or a pointer into a schema.
        assert_eq!(schema_name("#/components/schemas/"), None);
        assert_eq!(schema_name("#/components/schemas/A/properties/b"), None);
    }

    #[test]
    fn closure_is_transitive_and_handles_cycles() {
        let d = doc();
        let schemas = d["components"]["schemas"].as_object().unwrap();
        let names = schema_closure(schemas, [("A".to_owned(), "test".to_owned())]).unwrap();
        assert_eq!(names, BTreeSet::from(["A", "B", "C"].map(String::from)));
    }

    #[test]
    fn selects_only_chosen_methods_and_reached_schemas() {
        let out = select(&doc(), &sel(&[("get", "/a")], &["E"])).unwrap();
        assert_eq!(out["openapi"], "3.1.0");
        assert_eq!(out["info"]["title"], "t");
        let item = out["paths"]["/a"].as_object().unwrap();
        assert_eq!(item.keys().collect::<Vec<_>>(), vec!["get"]);
        assert!(out["paths"].get("/b").is_none());
        let names: Vec<_> = out["components"]["schemas"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        assert_eq!(names, vec!["A", "B", "C", "D", "E"]);
        assert_eq!(out["paths"]["/a"]["get"], doc()["paths"]["/a"]["get"]);
    }

    #[test]
    fn refs_in_parameters_are_followed() {
        let out = select(&doc(), &sel(&[("post", "/a")], &[])).unwrap();
        let schemas = out["components"]["schemas"].as_object().unwrap();
        assert_eq!(schemas.keys().collect::<Vec<_>>(), vec!["P"]);
    }

    #[test]
    fn unknown_operation_is_an_error() {
        let e = select(&doc(), &sel(&[("delete", "/a")], &[])).unwrap_err();
        assert!(matches!(e, Error::UnknownOperation { .. }));
        let e = select(&doc(), &sel(&[("get", "/zzz")], &[])).unwrap_err();
        assert!(matches!(e, Error::UnknownOperation { .. }));
    }

    #[test]
    fn unknown_extra_schema_is_an_error() {
        let e = select(&doc(), &sel(&[("get", "/a")], &["Nope"])).unwrap_err();
        assert_eq!(e, Error::UnknownSchema("Nope".into()));
    }

    #[test]
    fn dangling_ref_is_an_error_naming_it() {
        let mut d = doc();
        d["components"]["schemas"]
            .as_object_mut()
            .unwrap()
            .remove("C");
        let e = select(&d, &sel(&[("get", "/a")], &[])).unwrap_err();
        assert_eq!(
            e,
            Error::DanglingRef {
                reference: "#/components/schemas/C".into(),
                from: "schema `B`".into()
            }
        );
    }

    #[test]
    fn opaque_schemas_stop_the_closure() {
        let mut s = sel(&[("get", "/a")], &[]);
        s.opaque = vec!["B".into()];
        let out = select(&doc(), &s).unwrap();
        let schemas = out["components"]["schemas"].as_object().unwrap();
        assert_eq!(schemas.keys().collect::<Vec<_>>(), vec!["A", "B"]);
        assert_eq!(schemas["B"]["type"], "object");
        assert_eq!(schemas["B"]["additionalProperties"], true);
        assert!(
            schemas["B"]["description"]
                .as_str()
                .unwrap()
                .contains("opaque")
        );
        // The trimmed fixture keeps B as upstream has it, and still not C.
        let trimmed = trim(&doc(), &s).unwrap();
        let schemas = trimmed["components"]["schemas"].as_object().unwrap();
        assert_eq!(schemas.keys().collect::<Vec<_>>(), vec!["A", "B"]);
        assert_eq!(schemas["B"], doc()["components"]["schemas"]["B"]);
    }

    #[test]
    fn shallow_schemas_keep_listed_and_plain_properties() {
        let schema = json!({"properties": {
            "id": {"type": "string"},
            "deep": {"anyOf": [{"$ref": "#/components/schemas/X"}, {"type": "null"}], "title": "Deep", "description": "d"},
            "kept": {"$ref": "#/components/schemas/Y"},
        }});
        let out = shallow_schema("S", &schema, &["kept".into()]).unwrap();
        assert_eq!(out["properties"]["id"], json!({"type": "string"}));
        assert_eq!(
            out["properties"]["deep"],
            json!({"title": "Deep", "description": "d"})
        );
        assert_eq!(out["properties"]["kept"], schema["properties"]["kept"]);
        let e = shallow_schema("S", &schema, &["gone".into()]).unwrap_err();
        assert!(e.to_string().contains("no property `gone`"), "{e}");
    }

    #[test]
    fn pruning_rules_naming_missing_schemas_are_errors() {
        let mut s = sel(&[("get", "/a")], &[]);
        s.opaque = vec!["Nope".into()];
        assert!(matches!(select(&doc(), &s), Err(Error::StalePruning(_))));
        let mut s = sel(&[("get", "/a")], &[]);
        s.shallow.insert("Nope".into(), vec![]);
        assert!(matches!(select(&doc(), &s), Err(Error::StalePruning(_))));
    }

    #[test]
    fn a_changed_operation_id_is_reported() {
        let mut d = doc();
        d["paths"]["/a"]["get"]["operationId"] = json!("new_name");
        let mut s = sel(&[("get", "/a")], &[]);
        s.operations[0].operation_id = Some("old_name".into());
        let e = select(&d, &s).unwrap_err();
        assert!(
            e.to_string().contains("`old_name`") && e.to_string().contains("`new_name`"),
            "{e}"
        );
        s.operations[0].operation_id = Some("new_name".into());
        assert!(select(&d, &s).is_ok());
    }

    #[test]
    fn foreign_ref_is_an_error() {
        let mut d = doc();
        d["paths"]["/b"]["get"] = json!({"parameters": [{"$ref": "#/components/parameters/X"}]});
        let e = select(&d, &sel(&[("get", "/b")], &[])).unwrap_err();
        assert!(matches!(e, Error::UnsupportedRef { .. }), "{e}");
    }
}
