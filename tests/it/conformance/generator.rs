//! proptest strategies that draw JSON instances from the OpenAPI 3.1 schemas themselves.

use std::collections::BTreeMap;
use std::sync::Mutex;

use proptest::prelude::*;
use proptest::strategy::{BoxedStrategy, SBoxedStrategy, Union};
use proptest::string::string_regex;
use serde_json::{Map, Value};

use super::schema::{properties_and_required, resolve};

/// What the generator may produce beyond what the schema allows.
#[derive(Clone, Copy, Debug)]
pub struct Opts {
    /// Sometimes put a string the spec does not list where a string enum is expected (the
    /// instance is then outside the schema: a forward-compatibility case).
    pub unknown_enums: bool,
    /// Sometimes add properties the schema does not declare (still valid: the schemas do
    /// not forbid additional properties).
    pub extra_properties: bool,
}

/// Nesting limit of `$ref`/subschema recursion (the fragment is not recursive; this only
/// guards against a future recursive schema looping forever).
const MAX_DEPTH: u32 = 24;

/// Instances of `schema`, `$ref`s resolved inside `root`.
pub fn arb_instance(schema: &Value, root: &Value, depth: u32, opts: Opts) -> BoxedStrategy<Value> {
    assert!(
        depth < MAX_DEPTH,
        "schema nesting deeper than {MAX_DEPTH}: recursive schema?"
    );
    let schema = resolve(schema, root);
    match schema {
        Value::Bool(true) => return arb_any_json(),
        Value::Bool(false) => panic!("no instance is valid under the schema `false`"),
        _ => {}
    }
    let Some(obj) = schema.as_object() else {
        panic!("unsupported schema {schema}");
    };
    if let Some(branches) = obj
        .get("anyOf")
        .or_else(|| obj.get("oneOf"))
        .and_then(Value::as_array)
    {
        // With a discriminator, a branch's instance carries its tag (the variants' tags are
        // optional, so an untagged instance would match every branch of the `oneOf`).
        let tag = obj
            .get("discriminator")
            .and_then(|d| d.get("propertyName"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        let mapping = obj
            .get("discriminator")
            .and_then(|d| d.get("mapping"))
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let strategies: Vec<_> = branches
            .iter()
            .map(|b| {
                let value = b.get("$ref").and_then(|r| {
                    mapping
                        .iter()
                        .find(|(_, target)| *target == r)
                        .map(|(v, _)| v.clone())
                });
                let inner = arb_instance(b, root, depth + 1, opts);
                match (tag.clone(), value) {
                    (Some(tag), Some(value)) => inner
                        .prop_map(move |mut v| {
                            if let Value::Object(m) = &mut v {
                                m.insert(tag.clone(), Value::String(value.clone()));
                            }
                            v
                        })
                        .boxed(),
                    _ => inner,
                }
            })
            .collect();
        return Union::new(strategies).boxed();
    }
    if let Some(value) = obj.get("const") {
        return Just(value.clone()).boxed();
    }
    if let Some(values) = obj.get("enum").and_then(Value::as_array) {
        assert!(!values.is_empty(), "empty enum in {schema}");
        let known = proptest::sample::select(values.clone()).boxed();
        let all_strings = values.iter().all(Value::is_string);
        if opts.unknown_enums && all_strings {
            let known_strings: Vec<String> = values
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect();
            return prop_oneof![
                1 => known,
                2 => arb_unknown_enum_string(known_strings).prop_map(Value::String),
            ]
            .boxed();
        }
        return known;
    }
    match obj.get("type") {
        Some(Value::String(t)) => arb_of_type(t, obj, root, depth, opts),
        Some(Value::Array(ts)) => {
            let strategies: Vec<_> = ts
                .iter()
                .map(|t| arb_of_type(t.as_str().expect("type names"), obj, root, depth, opts))
                .collect();
            Union::new(strategies).boxed()
        }
        None if obj.contains_key("properties") => arb_object(obj, root, depth, opts),
        None => arb_any_json(),
        Some(other) => panic!("unsupported type {other}"),
    }
}

fn arb_of_type(
    t: &str,
    obj: &Map<String, Value>,
    root: &Value,
    depth: u32,
    opts: Opts,
) -> BoxedStrategy<Value> {
    match t {
        "null" => Just(Value::Null).boxed(),
        "boolean" => any::<bool>().prop_map(Value::Bool).boxed(),
        "integer" => match (
            obj.get("minimum").and_then(Value::as_f64),
            obj.get("maximum").and_then(Value::as_f64),
        ) {
            (None, None) => arb_i64().prop_map(Value::from).boxed(),
            (min, max) => {
                let lo = min.map_or(i64::MIN, |m| m.ceil() as i64);
                let hi = max.map_or(i64::MAX, |m| m.floor() as i64);
                (lo..=hi).prop_map(Value::from).boxed()
            }
        },
        "number" => any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from)
            .boxed(),
        "string" => arb_string().prop_map(Value::String).boxed(),
        "array" => {
            let items = obj.get("items").cloned().unwrap_or(Value::Bool(true));
            let item = arb_instance(&items, root, depth + 1, opts);
            let min = obj.get("minItems").and_then(Value::as_u64).unwrap_or(0) as usize;
            let max = obj
                .get("maxItems")
                .and_then(Value::as_u64)
                .map_or(min + 4, |m| (m as usize).min(min + 4));
            let unique = obj.get("uniqueItems") == Some(&Value::Bool(true));
            proptest::collection::vec(item, min..=max)
                .prop_map(move |mut items| {
                    if unique {
                        let mut seen = Vec::new();
                        items.retain(|v| {
                            let new = !seen.contains(v);
                            if new {
                                seen.push(v.clone());
                            }
                            new
                        });
                    }
                    Value::Array(items)
                })
                .boxed()
        }
        "object" => arb_object(obj, root, depth, opts),
        other => panic!("unsupported type {other:?}"),
    }
}

fn arb_object(
    obj: &Map<String, Value>,
    root: &Value,
    depth: u32,
    opts: Opts,
) -> BoxedStrategy<Value> {
    let empty = Map::new();
    let (props, required) = properties_and_required(obj, &empty);
    let fields: Vec<BoxedStrategy<Option<(String, Value)>>> = props
        .iter()
        .map(|(name, sub)| {
            let name = name.clone();
            let value = arb_instance(sub, root, depth + 1, opts);
            if required.contains(&name.as_str()) {
                value.prop_map(move |v| Some((name.clone(), v))).boxed()
            } else {
                proptest::option::of(value)
                    .prop_map(move |v| v.map(|v| (name.clone(), v)))
                    .boxed()
            }
        })
        .collect();
    let declared: Vec<String> = props.keys().cloned().collect();
    let typed_extra = obj
        .get("additionalProperties")
        .filter(|a| a.is_object())
        .cloned();
    let extra = if let Some(schema) = typed_extra {
        // A map: its values follow `additionalProperties`.
        let value = arb_instance(&schema, root, depth + 1, opts);
        proptest::collection::btree_map(matching("[a-z][a-z0-9_]{0,11}"), value, 0..3)
            .prop_map(move |m| {
                m.into_iter()
                    .filter(|(k, _)| !declared.contains(k))
                    .collect::<Vec<_>>()
            })
            .boxed()
    } else if opts.extra_properties {
        proptest::collection::btree_map(matching("[a-z][a-z0-9_]{0,11}"), arb_any_json(), 0..3)
            .prop_map(move |m| {
                m.into_iter()
                    .filter(|(k, _)| !declared.contains(k))
                    .collect::<Vec<_>>()
            })
            .boxed()
    } else {
        Just(Vec::new()).boxed()
    };
    (fields, extra)
        .prop_map(|(fields, extra)| {
            let mut map = Map::new();
            for (k, v) in fields.into_iter().flatten() {
                map.insert(k, v);
            }
            for (k, v) in extra {
                map.insert(k, v);
            }
            Value::Object(map)
        })
        .boxed()
}

/// Strings matching `regex`, compiled once per test binary. Used as a strategy itself, a `&str`
/// regex is compiled again for every value drawn, and so is `any::<String>()` (it is the regex
/// `\PC*`, a large Unicode class): that was half of the generated-instance tests' time.
fn matching(regex: &'static str) -> BoxedStrategy<String> {
    static COMPILED: Mutex<BTreeMap<&str, SBoxedStrategy<String>>> = Mutex::new(BTreeMap::new());
    let mut compiled = COMPILED.lock().unwrap_or_else(|e| e.into_inner());
    compiled
        .entry(regex)
        .or_insert_with(|| string_regex(regex).expect("a valid regex").sboxed())
        .clone()
        .boxed()
}

/// Integers over the whole `i64` range, with the limits and small values over-represented.
pub fn arb_i64() -> BoxedStrategy<i64> {
    prop_oneof![
        Just(i64::MIN),
        Just(i64::MIN + 1),
        Just(-1i64),
        Just(0i64),
        Just(1i64),
        Just(i64::MAX - 1),
        Just(i64::MAX),
        0i64..1000,
        any::<i64>(),
    ]
    .boxed()
}

/// Strings: arbitrary Unicode, identifiers, and a few that stress JSON escaping.
pub fn arb_string() -> BoxedStrategy<String> {
    prop_oneof![
        // `any::<String>()`, compiled once.
        matching("\\PC*"),
        matching("[a-z_]{0,12}"),
        proptest::sample::select(vec![
            "",
            " ",
            "日本語",
            "ü/ß/é",
            "🎉 emoji",
            "quote\" back\\slash",
            "control \u{0} \u{1} \t \n \r",
            "\u{feff}bom",
            "line\u{2028}sep\u{2029}",
            "a&b=c#d+e f/%",
        ])
        .prop_map(str::to_owned),
    ]
    .boxed()
}

/// Strings that are not among `known` (case variants of known values included).
pub fn arb_unknown_enum_string(known: Vec<String>) -> BoxedStrategy<String> {
    let variants: Vec<String> = known
        .iter()
        .flat_map(|k| {
            [
                k.to_uppercase(),
                format!("{k} "),
                format!(" {k}"),
                format!("{k}_v2"),
            ]
        })
        .chain(["".to_owned(), "owner".to_owned(), "rôle-日本".to_owned()])
        .collect();
    prop_oneof![
        proptest::sample::select(variants),
        arb_string(),
        matching("[a-z_]{1,16}"),
    ]
    .prop_filter("a value the spec lists", move |s| !known.contains(s))
    .boxed()
}

/// Any JSON value (bounded depth), used for unknown extra properties.
pub fn arb_any_json() -> BoxedStrategy<Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        arb_i64().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        arb_string().prop_map(Value::String),
    ];
    leaf.prop_recursive(2, 12, 3, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
            proptest::collection::btree_map(matching("[a-z]{1,6}"), inner, 0..3)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
    .boxed()
}
