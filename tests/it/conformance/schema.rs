//! The effective OpenAPI 3.1 fragment (upstream + overlay), validators built from it, the schema-name → generated
//! type table, the round trip through a generated type, and the semantic comparison of an
//! instance with its round-tripped form.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::{Serialize, de::DeserializeOwned};
use serde_json::{Map, Value, json};

use crate::schema_validator::Validator;

/// Path of the effective fragment (the upstream document with `spec/overlay.json` applied,
/// selected and pruned: what `spec/openapi.json` translates), inside the repository.
pub const EFFECTIVE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/spec/effective.json");

/// Directory of the JSON fixtures.
pub const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

/// Reads a fixture file as JSON.
pub fn fixture(name: &str) -> Value {
    let path = format!("{FIXTURES}/{name}");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path} is not JSON: {e}"))
}

/// The fragment and one validator per component schema, twice: as the spec states it, and
/// with every `enum` keyword removed (the schema as a forward-compatible reader sees it: any
/// string where the spec lists values).
pub struct Spec {
    /// The whole effective fragment (OpenAPI 3.1).
    pub doc: Value,
    /// A document holding only `components`, the resolution root of every `$ref`.
    pub root: Value,
    strict: BTreeMap<String, Validator>,
    relaxed: BTreeMap<String, Validator>,
}

impl Spec {
    /// Names of every component schema, in document order (sorted by serde_json).
    pub fn names(&self) -> Vec<String> {
        self.root["components"]["schemas"]
            .as_object()
            .expect("components.schemas is an object")
            .keys()
            .cloned()
            .collect()
    }

    /// The component schema `name`.
    pub fn schema(&self, name: &str) -> &Value {
        self.root["components"]["schemas"]
            .get(name)
            .unwrap_or_else(|| panic!("no component schema {name:?} in {EFFECTIVE}"))
    }

    /// Errors of `instance` under component `name`, exactly as the spec states it
    /// (empty when valid).
    pub fn strict_errors(&self, name: &str, instance: &Value) -> Vec<String> {
        self.strict[name].errors(instance)
    }

    /// Errors of `instance` under an arbitrary `schema` of the document (an operation's
    /// inline response schema), its `$ref`s resolved in the components.
    pub fn errors_under(&self, schema: &Value, instance: &Value) -> Vec<String> {
        let mut full = schema.clone();
        if let Value::Object(map) = &mut full {
            map.insert(
                "$schema".into(),
                json!("https://json-schema.org/draft/2020-12/schema"),
            );
            map.insert("components".into(), self.root["components"].clone());
        }
        Validator::new(full).errors(instance)
    }

    /// Errors of `instance` under component `name` with enums opened up.
    pub fn relaxed_errors(&self, name: &str, instance: &Value) -> Vec<String> {
        self.relaxed[name].errors(instance)
    }
}

/// The spec, loaded once per test binary.
pub fn spec() -> &'static Spec {
    static SPEC: OnceLock<Spec> = OnceLock::new();
    SPEC.get_or_init(|| {
        let text = std::fs::read_to_string(EFFECTIVE)
            .unwrap_or_else(|e| panic!("reading {EFFECTIVE}: {e}"));
        let doc: Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{EFFECTIVE} is not JSON: {e}"));
        assert!(
            doc["openapi"]
                .as_str()
                .is_some_and(|v| v.starts_with("3.1")),
            "{EFFECTIVE} is not an OpenAPI 3.1 document"
        );
        let components = doc["components"].clone();
        let root = json!({ "components": components });
        let mut relaxed_root = root.clone();
        for schema in relaxed_root["components"]["schemas"]
            .as_object_mut()
            .expect("components.schemas is an object")
            .values_mut()
        {
            strip_enums(schema);
        }
        let build = |root: &Value| -> BTreeMap<String, Validator> {
            let mut document = root.clone();
            document["$schema"] = json!("https://json-schema.org/draft/2020-12/schema");
            Validator::for_each_component(document)
        };
        let strict = build(&root);
        let relaxed = build(&relaxed_root);
        Spec {
            doc,
            root,
            strict,
            relaxed,
        }
    })
}

/// Removes every `enum` keyword from a schema, visiting subschemas only (a property that
/// happens to be called `enum` is left alone).
pub fn strip_enums(schema: &mut Value) {
    let Some(obj) = schema.as_object_mut() else {
        return;
    };
    obj.remove("enum");
    for (key, sub) in obj.iter_mut() {
        match key.as_str() {
            "anyOf" | "oneOf" | "allOf" | "prefixItems" => {
                for s in sub.as_array_mut().into_iter().flatten() {
                    strip_enums(s);
                }
            }
            "properties" | "patternProperties" | "$defs" | "dependentSchemas" => {
                for s in sub.as_object_mut().into_iter().flat_map(|m| m.values_mut()) {
                    strip_enums(s);
                }
            }
            "items"
            | "additionalProperties"
            | "not"
            | "if"
            | "then"
            | "else"
            | "contains"
            | "propertyNames"
            | "unevaluatedItems"
            | "unevaluatedProperties" => strip_enums(sub),
            _ => {}
        }
    }
}

/// An object schema's `properties` (or `empty`) and its `required` names.
pub fn properties_and_required<'a>(
    schema: &'a Map<String, Value>,
    empty: &'a Map<String, Value>,
) -> (&'a Map<String, Value>, Vec<&'a str>) {
    let props = schema
        .get("properties")
        .and_then(Value::as_object)
        .unwrap_or(empty);
    let required = schema
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    (props, required)
}

/// Follows `$ref`s (local, `#/...`) until a schema without one.
pub fn resolve<'a>(mut schema: &'a Value, root: &'a Value) -> &'a Value {
    for _ in 0..32 {
        let Some(reference) = schema.get("$ref").and_then(Value::as_str) else {
            return schema;
        };
        let pointer = reference
            .strip_prefix('#')
            .unwrap_or_else(|| panic!("non-local $ref {reference:?}"));
        schema = root
            .pointer(pointer)
            .unwrap_or_else(|| panic!("$ref {reference:?} does not resolve"));
    }
    panic!("$ref chain longer than 32");
}

/// Whether the schema (or anything it refers to) contains an `enum` keyword.
pub fn has_enum(schema: &Value, root: &Value, depth: u32) -> bool {
    if depth > 16 {
        return false;
    }
    let schema = resolve(schema, root);
    let Some(obj) = schema.as_object() else {
        return false;
    };
    if obj.contains_key("enum") {
        return true;
    }
    let subs: Vec<&Value> = ["anyOf", "oneOf", "allOf"]
        .iter()
        .filter_map(|k| obj.get(*k).and_then(Value::as_array))
        .flatten()
        .chain(
            obj.get("properties")
                .and_then(Value::as_object)
                .into_iter()
                .flat_map(|m| m.values()),
        )
        .chain(obj.get("items"))
        .collect();
    subs.into_iter().any(|s| has_enum(s, root, depth + 1))
}

// ---------------------------------------------------------------------------------------
// Schema name → generated type.

macro_rules! type_table {
    ($($name:literal => $ty:ty),* $(,)?) => {
        /// Every component name that has a generated type.
        pub const MAPPED: &[&str] = &[$($name),*];

        /// `value` → the generated type of component `name` → JSON again; `None` when the
        /// component has no entry in the table.
        pub fn roundtrip(name: &str, value: &Value) -> Option<Result<Value, String>> {
            match name {
                $($name => Some(roundtrip_as::<$ty>(value)),)*
                _ => None,
            }
        }
    };
}

// The table is generated by build.rs from the spec the client is generated from: every
// component schema with its Rust type, hoisted enums and unions included.
elevenlabs_agent_tests::__for_each_component!(type_table);

/// Deserialises into `T` and serialises back. Both ways the JSON can reach the type are
/// taken, and must agree: from the text (borrowed strings), exactly as the client reads a
/// response body (`serde_json::from_slice`, in progenitor-client), and from a
/// `serde_json::Value` (owned strings; the error names the JSON path).
///
/// The text is read with the client's own call, not through `serde_path_to_error`: for a
/// response type the test build then reuses the library's compiled deserializer instead of
/// compiling a second one per type (the text's error gives a line and column instead).
pub fn roundtrip_as<T: DeserializeOwned + Serialize>(value: &Value) -> Result<Value, String> {
    let type_name = std::any::type_name::<T>();
    let text = serde_json::to_string(value).map_err(|e| format!("printing the input: {e}"))?;
    let from_text: T = serde_json::from_slice(text.as_bytes())
        .map_err(|e| format!("deserialising into {type_name} from text: {e}"))?;
    let from_value: T = serde_path_to_error::deserialize(value.clone()).map_err(|e| {
        format!(
            "deserialising into {type_name} from a Value: at {}: {}",
            e.path(),
            e.inner()
        )
    })?;
    let out =
        serde_json::to_value(&from_text).map_err(|e| format!("serialising {type_name}: {e}"))?;
    let out_value =
        serde_json::to_value(&from_value).map_err(|e| format!("serialising {type_name}: {e}"))?;
    if out != out_value {
        return Err(format!(
            "{type_name}: deserialising from text gives {out}, from a Value gives {out_value}"
        ));
    }
    Ok(out)
}

/// [`roundtrip`] that panics on a missing mapping.
pub fn roundtrip_named(name: &str, value: &Value) -> Result<Value, String> {
    roundtrip(name, value)
        .unwrap_or_else(|| panic!("component schema {name} has no generated type in type_table!"))
}

// ---------------------------------------------------------------------------------------
// Semantic comparison.

/// Checks that `output` (an instance after the round trip) says what `input` said, reading
/// both through `schema` (refs resolved in `root`). Equal except for these documented
/// exceptions, and no others:
///
/// - (a) a property that is not `required` and whose input value is `null` may be absent in
///   the output (`Option::None` is not serialised);
/// - (b) a property absent in the input that has a schema `default` may appear in the output,
///   with exactly that default (`repeat_count: 1`, `meta: {}`);
/// - (c) a property the schema does not declare (an unknown extra field) may be dropped;
/// - (d) a property that is not `required`, has no `default`, and whose input value is an
///   empty array or object may be absent in the output (typify serialises an optional array
///   or map as an
///   empty `Vec` and skips it when empty: `HTTPValidationError.detail`).
///
/// - (e) a property that is not `required` whose input value is an empty array or object
///   equal to its schema `default` may be absent in the output (it means the same).
///
/// Scalars, and so enum strings known or unknown, must be byte-for-byte equal.
pub fn check_preserved(
    schema: &Value,
    root: &Value,
    input: &Value,
    output: &Value,
    path: &str,
) -> Result<(), String> {
    let schema = pick_branch(resolve(schema, root), root, input);
    match (input, output) {
        (Value::Object(inp), Value::Object(out)) => check_object(schema, root, inp, out, path),
        (Value::Array(inp), Value::Array(out)) => {
            if inp.len() != out.len() {
                return Err(format!(
                    "{path}: array of {} items became {} items",
                    inp.len(),
                    out.len()
                ));
            }
            let items = schema.get("items").unwrap_or(&Value::Bool(true));
            for (i, (a, b)) in inp.iter().zip(out).enumerate() {
                check_preserved(items, root, a, b, &format!("{path}/{i}"))?;
            }
            Ok(())
        }
        (a, b) if a == b => Ok(()),
        (a, b) => Err(format!("{path}: {a} became {b}")),
    }
}

fn check_object(
    schema: &Value,
    root: &Value,
    inp: &Map<String, Value>,
    out: &Map<String, Value>,
    path: &str,
) -> Result<(), String> {
    let empty = Map::new();
    let (props, required) = properties_and_required(schema.as_object().unwrap_or(&empty), &empty);
    for (key, value) in inp {
        let here = format!("{path}/{key}");
        let Some(prop) = props.get(key) else {
            // A map entry: read through the `additionalProperties` schema.
            if let Some(values) = schema.get("additionalProperties").filter(|a| a.is_object()) {
                match out.get(key) {
                    Some(o) => check_preserved(values, root, value, o, &here)?,
                    None => return Err(format!("{here}: map entry {value} was lost")),
                }
                continue;
            }
            // (c) unknown extra field: may be dropped; if kept, it must be unchanged.
            match out.get(key) {
                None => continue,
                Some(o) if o == value => continue,
                Some(o) => return Err(format!("{here}: unknown field {value} became {o}")),
            }
        };
        let optional = !required.contains(&key.as_str());
        match out.get(key) {
            Some(o) => check_preserved(prop, root, value, o, &here)?,
            // (a)
            None if optional && value.is_null() => {}
            // (d)
            None if optional
                && prop.get("default").is_none()
                && (value.as_array().is_some_and(Vec::is_empty)
                    || value.as_object().is_some_and(Map::is_empty)) => {}
            // (e)
            None if optional
                && prop.get("default") == Some(value)
                && (value.as_array().is_some_and(Vec::is_empty)
                    || value.as_object().is_some_and(Map::is_empty)) => {}
            None => return Err(format!("{here}: {value} was lost")),
        }
    }
    for (key, value) in out {
        if inp.contains_key(key) {
            continue;
        }
        let here = format!("{path}/{key}");
        match props.get(key).and_then(|p| p.get("default")) {
            // (b)
            Some(default) if default == value => {}
            Some(default) => {
                return Err(format!(
                    "{here}: absent in the input, filled with {value} instead of the default {default}"
                ));
            }
            None => return Err(format!("{here}: {value} appeared from nowhere")),
        }
    }
    Ok(())
}

/// For `anyOf`/`oneOf`, the first branch whose type fits the JSON kind of `value`.
fn pick_branch<'a>(schema: &'a Value, root: &'a Value, value: &Value) -> &'a Value {
    let Some(branches) = schema
        .get("anyOf")
        .or_else(|| schema.get("oneOf"))
        .and_then(Value::as_array)
    else {
        return schema;
    };
    // A discriminated union: the branch the value's tag maps to.
    let tag = schema
        .pointer("/discriminator/propertyName")
        .and_then(Value::as_str)
        .and_then(|p| value.get(p))
        .and_then(Value::as_str);
    if let Some(target) = tag.and_then(|t| schema.pointer("/discriminator/mapping")?.get(t))
        && let Some(b) = branches.iter().find(|b| b.get("$ref") == Some(target))
    {
        return pick_branch(resolve(b, root), root, value);
    }
    branches
        .iter()
        .map(|b| resolve(b, root))
        .find(|b| kind_fits(b, value))
        .map(|b| pick_branch(b, root, value))
        .unwrap_or(schema)
}

fn kind_fits(schema: &Value, value: &Value) -> bool {
    let fits = |t: &str| match t {
        "null" => value.is_null(),
        "boolean" => value.is_boolean(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "string" => value.is_string(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        _ => false,
    };
    match schema.get("type") {
        Some(Value::String(t)) => fits(t),
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).any(fits),
        _ if schema.get("properties").is_some() => value.is_object(),
        _ => ["anyOf", "oneOf"]
            .iter()
            .filter_map(|k| schema.get(k).and_then(Value::as_array))
            .flatten()
            .any(|b| kind_fits(b, value) || b.get("$ref").is_some() && value.is_object()),
    }
}
