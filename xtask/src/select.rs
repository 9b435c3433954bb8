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
/// with exactly the schemas reached. Content is copied unchanged.
pub fn select(doc: &Value, selection: &Selection) -> Result<Value, Error> {
    let empty = Map::new();
    let paths = doc
        .get("paths")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let schemas = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .unwrap_or(&empty);

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
    let out_schemas: Map<String, Value> = names
        .into_iter()
        .filter_map(|n| schemas.get(&n).map(|s| (n, s.clone())))
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
                })
                .collect(),
            extra_schemas: extra.iter().map(|s| (*s).to_owned()).collect(),
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
    fn foreign_ref_is_an_error() {
        let mut d = doc();
        d["paths"]["/b"]["get"] = json!({"parameters": [{"$ref": "#/components/parameters/X"}]});
        let e = select(&d, &sel(&[("get", "/b")], &[])).unwrap_err();
        assert!(matches!(e, Error::UnsupportedRef { .. }), "{e}");
    }
}
