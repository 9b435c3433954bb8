//! The JSON Schema that `schemars` derives from each generated Rust type agrees with the
//! spec's component (`spec/openapi.json`, the document the client is generated from) on
//! property names, the required set, enum values, nullability and union kinds. So a type
//! that drops, renames or mistypes a field fails here, not only when a sample happens to
//! exercise it.

use std::collections::BTreeSet;

use schemars::schema::RootSchema;
use serde_json::Value;

macro_rules! schema_table {
    ($($name:literal => $ty:ty),* $(,)?) => {
        /// (component name, the schema schemars derives for its Rust type).
        fn rust_schemas() -> Vec<(&'static str, RootSchema)> {
            vec![$(($name, schemars::schema_for!($ty)),)*]
        }
    };
}
elevenlabs_agent_tests::__for_each_component!(schema_table);

fn translated() -> Value {
    serde_json::from_str(include_str!("../../../spec/openapi.json")).unwrap()
}

/// The schema behind `allOf: [{$ref}]` wrappers, in `defs` (schemars) or the spec.
fn names(v: Option<&Value>) -> BTreeSet<String> {
    match v {
        Some(Value::Object(m)) => m.keys().cloned().collect(),
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|x| {
                x.as_str()
                    .map(str::to_owned)
                    .or_else(|| Some(x.to_string()))
            })
            .collect(),
        _ => BTreeSet::new(),
    }
}

/// Whether a schemars property schema accepts `null`.
fn rust_allows_null(schema: &Value) -> bool {
    let type_has_null = match schema.get("type") {
        Some(Value::String(t)) => t == "null",
        Some(Value::Array(ts)) => ts.iter().any(|t| t == "null"),
        _ => false,
    };
    type_has_null
        || schema.get("nullable") == Some(&Value::Bool(true))
        || ["anyOf", "oneOf"].iter().any(|k| {
            schema
                .get(*k)
                .and_then(Value::as_array)
                .is_some_and(|bs| bs.iter().any(rust_allows_null))
        })
        // `{}`: any value, null included.
        || schema.as_object().is_some_and(|m| {
            m.keys()
                .all(|k| matches!(k.as_str(), "description" | "title" | "default"))
        })
}

/// The last path segment of a `$ref`.
fn ref_name(v: &Value) -> Option<String> {
    let r = v
        .get("$ref")
        .or_else(|| v.pointer("/allOf/0/$ref"))?
        .as_str()?;
    Some(r.rsplit('/').next()?.to_owned())
}

/// The Rust type name of a spec component, as the conformance table spells it.
fn rust_name(table: &[(&str, RootSchema)], spec_name: &str) -> String {
    let (_, schema) = table
        .iter()
        .find(|(n, _)| *n == spec_name)
        .unwrap_or_else(|| panic!("{spec_name} not in the table"));
    schema
        .schema
        .metadata
        .as_ref()
        .and_then(|m| m.title.clone())
        .unwrap_or_else(|| spec_name.to_owned())
}

#[test]
fn schemars_schemas_agree_with_the_spec() {
    let doc = translated();
    let components = doc["components"]["schemas"].as_object().unwrap();
    let table = rust_schemas();
    assert_eq!(table.len(), components.len());
    let mut problems = Vec::new();
    let (mut enums, mut unions, mut objects, mut compared) = (0, 0, 0, 0);
    for (name, root) in &table {
        let rust = serde_json::to_value(&root.schema).unwrap();
        let spec = &components[*name];
        compared += 1;

        // Enums: the same values.
        if let Some(values) = spec.get("enum") {
            enums += 1;
            if names(rust.get("enum")) != names(Some(values)) {
                problems.push(format!(
                    "{name}: enum {:?} vs spec {values}",
                    rust.get("enum")
                ));
            }
            continue;
        }
        // Unions: the same kinds.
        if let Some(branches) = spec.get("oneOf").and_then(Value::as_array) {
            unions += 1;
            let want: BTreeSet<String> = branches
                .iter()
                .filter_map(ref_name)
                .map(|n| rust_name(&table, &n))
                .collect();
            let got: BTreeSet<String> = rust["oneOf"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(ref_name)
                .collect();
            if want != got {
                problems.push(format!("{name}: kinds {got:?} vs spec {want:?}"));
            }
            continue;
        }
        // Objects: property names, required set, nullability.
        let spec_props = spec.get("properties").and_then(Value::as_object);
        let rust_props = rust.get("properties").and_then(Value::as_object);
        if names(spec.get("properties")) != names(rust.get("properties")) {
            problems.push(format!(
                "{name}: properties {:?} vs spec {:?}",
                names(rust.get("properties")),
                names(spec.get("properties"))
            ));
            continue;
        }
        objects += usize::from(spec_props.is_some_and(|p| !p.is_empty()));
        let spec_required = names(spec.get("required"));
        let rust_required = names(rust.get("required"));
        // A required property that is also nullable is an `Option` in Rust, which serde (and
        // so schemars) reads as absent-means-null; it is still always serialised.
        let nullable = |prop: &String| {
            spec_props
                .and_then(|p| p.get(prop))
                .and_then(|p| p.get("nullable"))
                == Some(&Value::Bool(true))
        };
        let spec_required_non_null: BTreeSet<String> = spec_required
            .iter()
            .filter(|p| !nullable(p))
            .cloned()
            .collect();
        let rust_required_non_null: BTreeSet<String> = rust_required
            .iter()
            .filter(|p| !nullable(p))
            .cloned()
            .collect();
        if spec_required_non_null != rust_required_non_null {
            problems.push(format!(
                "{name}: required {rust_required:?} vs spec {spec_required:?}"
            ));
        }
        for (prop, p) in spec_props.into_iter().flatten() {
            let r = &rust_props.unwrap()[prop];
            let spec_nullable = p.get("nullable") == Some(&Value::Bool(true));
            // Nullable in the spec: the Rust type takes null. Required and not nullable: it
            // does not (an optional property is an `Option`, which takes null too).
            if spec_nullable && !rust_allows_null(r) {
                problems.push(format!(
                    "{name}.{prop}: nullable in the spec, not in Rust: {r}"
                ));
            }
            if !spec_nullable && spec_required.contains(prop) && rust_allows_null(r) {
                let free_form = p.as_object().is_some_and(|m| {
                    m.keys()
                        .all(|k| matches!(k.as_str(), "description" | "title" | "default"))
                });
                if !free_form {
                    problems.push(format!("{name}.{prop}: required and not nullable in the spec, nullable in Rust: {r}"));
                }
            }
        }
    }
    assert!(compared > 90, "only {compared} components compared");
    assert!(
        enums >= 30 && unions >= 5 && objects >= 50,
        "enums {enums}, unions {unions}, objects with properties {objects}"
    );
    assert!(
        problems.is_empty(),
        "{} disagreements:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn the_comparison_catches_a_dropped_field() {
    // The check itself: a schema missing a property, or with another required set, differs.
    let spec: Value = serde_json::json!({"properties": {"a": {}, "b": {}}, "required": ["a"]});
    let dropped: Value = serde_json::json!({"properties": {"a": {}}, "required": ["a"]});
    assert_ne!(
        names(spec.get("properties")),
        names(dropped.get("properties"))
    );
    let not_required: Value = serde_json::json!({"properties": {"a": {}, "b": {}}});
    assert_ne!(
        names(spec.get("required")),
        names(not_required.get("required"))
    );
    assert!(rust_allows_null(
        &serde_json::json!({"type": ["string", "null"]})
    ));
    assert!(rust_allows_null(
        &serde_json::json!({"anyOf": [{"$ref": "#/definitions/X"}, {"type": "null"}]})
    ));
    assert!(!rust_allows_null(&serde_json::json!({"type": "string"})));
}
