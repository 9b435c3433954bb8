//! The spec's schemas as strict JSON Schemas, shared by the fake's test files.
#![allow(dead_code)]

use serde_json::{Value, json};

use crate::schema_validator::Validator;

/// A validator of the spec's schema `root`, as JSON Schema (2020-12): OpenAPI 3.0's `nullable: true` becomes
/// `anyOf [schema, null]`, and the response objects get `additionalProperties: false`, so
/// the fake can serve no field the spec does not declare. The upstream spec
/// (`spec/effective.json`: upstream plus the overlay) is used when present, the trimmed `spec/openapi.json` otherwise.
pub fn spec_schema(root: &str) -> Validator {
    spec_schema_for(json!(root))
}

/// [`spec_schema`] for `root`: a component name (a JSON string), or a whole schema that
/// refers to the components (the unnamed `oneOf` of an operation's response).
pub fn spec_schema_for(root: Value) -> Validator {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("spec");
    let path = [dir.join("effective.json"), dir.join("openapi.json")]
        .into_iter()
        .find(|p| p.exists())
        .expect("spec/openapi.json");
    spec_schema_in(&path, root)
}

/// [`spec_schema`] from the document the client is generated from, `spec/openapi.json`, where
/// the schemas the crate leaves free-form (an agent's `conversation_config`, ...) are open.
pub fn generated_spec_schema(root: &str) -> Validator {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("spec/openapi.json");
    spec_schema_in(&path, json!(root))
}

fn spec_schema_in(path: &std::path::Path, root: Value) -> Validator {
    let spec: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();

    fn convert(schema: &Value, strict: bool) -> Value {
        match schema {
            Value::Object(map) => {
                let mut out = serde_json::Map::new();
                for (k, v) in map {
                    match k.as_str() {
                        "nullable" | "example" | "discriminator" => {}
                        "properties" => {
                            let props = v
                                .as_object()
                                .unwrap()
                                .iter()
                                .map(|(name, s)| (name.clone(), convert(s, strict)))
                                .collect();
                            out.insert(k.clone(), Value::Object(props));
                        }
                        _ => {
                            out.insert(k.clone(), convert(v, strict));
                        }
                    }
                }
                if strict
                    && out.get("type") == Some(&json!("object"))
                    && out.contains_key("properties")
                {
                    out.entry("additionalProperties").or_insert(json!(false));
                }
                let out = Value::Object(out);
                if map.get("nullable") == Some(&json!(true)) {
                    json!({"anyOf": [out, {"type": "null"}]})
                } else {
                    out
                }
            }
            Value::Array(items) => Value::Array(items.iter().map(|v| convert(v, strict)).collect()),
            other => other.clone(),
        }
    }

    let mut schemas = serde_json::Map::new();
    for (name, schema) in spec["components"]["schemas"].as_object().unwrap() {
        // pydantic adds `input` and `ctx` to validation errors; the schema leaves them open.
        let strict = name != "ValidationError";
        schemas.insert(name.clone(), convert(schema, strict));
    }
    let mut document = match root {
        Value::String(name) => json!({"$ref": format!("#/components/schemas/{name}")}),
        other => other,
    };
    document["$schema"] = json!("https://json-schema.org/draft/2020-12/schema");
    document["components"] = json!({"schemas": schemas});
    Validator::new(document)
}

/// Fails, with every violation and the instance, unless `instance` is valid.
pub fn assert_valid(validator: &Validator, instance: &Value, what: &str) {
    let errors = validator.errors(instance);
    assert!(
        errors.is_empty(),
        "{what} violates the schema: {errors:#?}\n{instance}"
    );
}
