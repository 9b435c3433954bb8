//! Conformance of the generated types with the effective OpenAPI 3.1 fragment
//! (`spec/effective.json`: the upstream fragment with `spec/overlay.json` applied), validated
//! with a JSON Schema validator (Draft 2020-12, `schema_validator`) against the fragment itself, never against the 3.0.3 translation the client is generated from.
//!
//! For every component schema: instances valid under it deserialise into the generated type
//! and re-serialise into an instance still valid under it, saying the same thing (see
//! [`schema::check_preserved`] for the documented exceptions). Instances come from the seed
//! page's example response, the spec's own examples, hand-made edge cases
//! (`tests/fixtures/edge_cases.json`) and proptest generation from the schemas. Unknown enum
//! values (forward compatibility) deserialise to `Unknown(raw)` and survive byte for byte.
//!
//! No network; everything read is inside the repository.

mod generator;
mod json_schema;
mod operations;
mod schema;

use elevenlabs_agent_tests::types::{
    self, ResourceAccessInfoAccessSource, ResourceAccessInfoAnonymousAccessLevelOverride,
    ResourceAccessInfoRole,
};
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRunner};
use proptest::{prop_assert, prop_assert_eq};
use serde_json::{Value, json};

use generator::{Opts, arb_instance};
use schema::{MAPPED, check_preserved, fixture, roundtrip, roundtrip_named, spec};

/// Which schema an instance must satisfy, before and after the round trip.
#[derive(Clone, Copy, Debug)]
enum Validity {
    /// The (effective) schema as it is.
    Strict,
    /// The schema with its enums opened (outside the schema only by unknown enum values).
    EnumsOpened,
}

/// `instance` of component `name`, valid under `validity`: deserialises, re-serialises still
/// valid, and says the same thing (every value kept). Returns the round-tripped JSON.
fn assert_roundtrip(validity: Validity, name: &str, instance: &Value, label: &str) -> Value {
    let spec = spec();
    let errors_of = |v: &Value| match validity {
        Validity::Strict => spec.strict_errors(name, v),
        Validity::EnumsOpened => spec.relaxed_errors(name, v),
    };
    let errors = errors_of(instance);
    assert!(
        errors.is_empty(),
        "{label}: the input is not valid under {name} ({validity:?}): {errors:?}\n{instance:#}"
    );
    let out = roundtrip_named(name, instance).unwrap_or_else(|e| panic!("{label}: {e}"));
    let errors = errors_of(&out);
    assert!(
        errors.is_empty(),
        "{label}: the re-serialised instance is not valid under {name} ({validity:?}): {errors:?}\n{out:#}"
    );
    check_preserved(spec.schema(name), &spec.root, instance, &out, "")
        .unwrap_or_else(|e| panic!("{label}: {e}\ninput:  {instance}\noutput: {out}"));
    assert_stable(name, &out, label);
    out
}

/// Schema-valid `instance` of component `name` round-trips valid and unchanged.
fn assert_valid_roundtrip(name: &str, instance: &Value, label: &str) -> Value {
    assert_roundtrip(Validity::Strict, name, instance, label)
}

/// Forward-compatible `instance` (outside the schema only by unknown enum values)
/// round-trips valid under the enum-free schema, every value kept.
fn assert_forward_compat_roundtrip(name: &str, instance: &Value, label: &str) -> Value {
    assert_roundtrip(Validity::EnumsOpened, name, instance, label)
}

/// A second round trip changes nothing.
fn assert_stable(name: &str, out: &Value, label: &str) {
    let again = roundtrip_named(name, out).unwrap_or_else(|e| panic!("{label}: second pass: {e}"));
    assert_eq!(&again, out, "{label}: a second round trip changed the JSON");
}

// ---------------------------------------------------------------------------------------
// The table of generated types.

#[test]
fn every_component_schema_has_a_generated_type() {
    let names = spec().names();
    assert!(!names.is_empty(), "no component schemas in the fragment");
    let unmapped: Vec<&String> = names
        .iter()
        .filter(|n| roundtrip(n, &Value::Null).is_none())
        .collect();
    assert!(
        unmapped.is_empty(),
        "component schemas without an entry in type_table! (tests/it/conformance/schema.rs): {unmapped:?}"
    );
    // The table comes from spec/openapi.json (build.rs): the fragment's schemas plus the
    // enums and unions the translation hoisted, and nothing else.
    let translated: Value =
        serde_json::from_str(include_str!("../../../spec/openapi.json")).unwrap();
    let mut expected: Vec<&str> = translated["components"]["schemas"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    expected.sort_unstable();
    let mut mapped = MAPPED.to_vec();
    mapped.sort_unstable();
    assert_eq!(mapped, expected);
}

// ---------------------------------------------------------------------------------------
// Open enums, every one of them.

/// One open enum of the crate, reached through its type.
struct OpenEnum {
    /// The component name in `spec/openapi.json` (the type's name).
    name: &'static str,
    /// The values the type knows (`KNOWN`), in spec order.
    known: &'static [&'static str],
    /// Deserialises a JSON string into the type.
    parse: fn(&str) -> Result<Parsed, String>,
}

/// A string deserialised into an open enum: its `as_str`, `is_unknown`, and re-serialised.
type Parsed = (String, bool, Value);

/// The table of open enums, generated by build.rs from the spec the client is generated
/// from (`__for_each_open_enum!`), so a new enum is covered without editing this test;
/// [`every_string_enum_of_the_spec_is_in_the_open_enum_table`] still cross-checks it against
/// `spec/openapi.json`. Every check below runs over the whole table.
macro_rules! open_enum_table {
    ($($name:literal => $ty:ty),* $(,)?) => {
        const OPEN_ENUMS: &[OpenEnum] = &[$(OpenEnum {
            name: $name,
            known: <$ty>::KNOWN,
            parse: |raw| {
                let v: $ty = serde_json::from_value(Value::String(raw.to_owned()))
                    .map_err(|e| format!("{}: {raw:?}: {e}", $name))?;
                let json = serde_json::to_value(&v).map_err(|e| e.to_string())?;
                Ok((v.as_str().to_owned(), v.is_unknown(), json))
            },
        }),*];
    };
}

elevenlabs_agent_tests::__for_each_open_enum!(open_enum_table);

/// Every string-enum component of `spec/openapi.json` (the document the client is generated
/// from; `build.rs` makes each of them an open enum): name → values, in spec order.
fn spec_string_enums() -> std::collections::BTreeMap<String, Vec<String>> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/spec/openapi.json");
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {path}: {e}"));
    let doc: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
    let schemas = doc["components"]["schemas"]
        .as_object()
        .unwrap_or_else(|| panic!("{path} has no components.schemas"));
    schemas
        .iter()
        .filter(|(_, s)| s["type"] == "string")
        .filter_map(|(name, s)| {
            let values = s.get("enum")?.as_array()?;
            let values = values
                .iter()
                .map(|v| {
                    v.as_str()
                        .unwrap_or_else(|| panic!("{name}: enum value {v} is not a string"))
                        .to_owned()
                })
                .collect();
            Some((name.clone(), values))
        })
        .collect()
}

fn table_entry(name: &str) -> Option<&'static OpenEnum> {
    OPEN_ENUMS.iter().find(|e| e.name == name)
}

#[test]
fn every_string_enum_of_the_spec_is_in_the_open_enum_table() {
    let spec = spec_string_enums();
    assert!(
        !spec.is_empty(),
        "no string enums found in spec/openapi.json"
    );
    let missing: Vec<&String> = spec.keys().filter(|n| table_entry(n).is_none()).collect();
    assert!(
        missing.is_empty(),
        "string enums of spec/openapi.json missing from open_enum_table! in \
         tests/it/conformance/mod.rs (add them there): {missing:?}"
    );
    let stale: Vec<&str> = OPEN_ENUMS
        .iter()
        .map(|e| e.name)
        .filter(|n| !spec.contains_key(*n))
        .collect();
    assert!(
        stale.is_empty(),
        "open_enum_table! names enums spec/openapi.json no longer has: {stale:?}"
    );
}

#[test]
fn open_enums_list_exactly_the_values_of_the_spec() {
    for (name, values) in spec_string_enums() {
        let Some(entry) = table_entry(&name) else {
            continue; // reported by every_string_enum_of_the_spec_is_in_the_open_enum_table
        };
        assert_eq!(entry.known, values.as_slice(), "{name}");
    }
}

/// Every value of every open enum of the spec is a typed (known) variant and serialises to
/// the same string; values the spec does not list are `Unknown`, keep their raw string and
/// serialise back unchanged.
#[test]
fn every_open_enum_is_open_and_knows_every_spec_value() {
    let mut checked = 0;
    for (name, values) in spec_string_enums() {
        let Some(entry) = table_entry(&name) else {
            continue; // reported by every_string_enum_of_the_spec_is_in_the_open_enum_table
        };
        for value in &values {
            let (raw, unknown, json) = (entry.parse)(value).unwrap();
            assert!(!unknown, "{name}: known value {value:?} became Unknown");
            assert_eq!(&raw, value, "{name}");
            assert_eq!(json, Value::String(value.clone()), "{name}");
            checked += 1;
        }
        let novel = [
            format!("{}_added_later", values[0]),
            values[0].to_uppercase(),
            "Owner ü".to_owned(),
            String::new(),
        ];
        for value in novel.iter().filter(|v| !values.contains(v)) {
            let (raw, unknown, json) = (entry.parse)(value).unwrap();
            assert!(
                unknown,
                "{name}: {value:?} is not in the spec but was not Unknown"
            );
            assert_eq!(&raw, value, "{name}");
            assert_eq!(json, Value::String(value.clone()), "{name}");
        }
    }
    let total: usize = spec_string_enums().values().map(Vec::len).sum();
    assert_eq!(checked, total);
}

/// The checks themselves can fail: the validators reject what the schema forbids, and the
/// comparison catches changed, lost and invented values.
#[test]
fn the_checks_reject_what_they_must() {
    let spec = spec();
    let info = spec.schema("ResourceAccessInfo")["example"].clone();
    let invalid = [
        ("ResourceAccessInfo", json!({"is_creator": true})),
        ("ResourceAccessInfo", {
            let mut i = info.clone();
            i["role"] = json!("owner");
            i
        }),
        ("ResourceAccessInfo", {
            let mut i = info.clone();
            i["is_creator"] = json!("yes");
            i
        }),
        ("ListResponseMeta", json!({"total": "1"})),
        ("ListResponseMeta", json!({"page": 1.5})),
        (
            "ValidationError",
            json!({"loc": [true], "msg": "m", "type": "t"}),
        ),
        ("HTTPValidationError", json!({"detail": [{}]})),
        (
            "GetTestInvocationsPageResponseModel",
            json!({"results": [{"id": "x"}], "has_more": false}),
        ),
        (
            "GetTestInvocationsPageResponseModel",
            json!({"results": [], "has_more": false, "next_cursor": 3}),
        ),
    ];
    for (name, instance) in &invalid {
        assert!(
            !spec.strict_errors(name, instance).is_empty(),
            "{name} accepted {instance}"
        );
    }
    // An error names where in the instance it is and what is wrong there.
    let errors = spec.strict_errors(invalid[7].0, &invalid[7].1);
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("/results/0: ") && e.contains("missing properties")),
        "{errors:#?}"
    );
    // Only the enum is opened up in the relaxed schema.
    assert!(
        spec.relaxed_errors("ResourceAccessInfo", &invalid[1].1)
            .is_empty()
    );
    assert!(
        !spec
            .relaxed_errors("ResourceAccessInfo", &invalid[2].1)
            .is_empty()
    );

    let schema = spec.schema("TestInvocationSummaryResponseModel");
    let input = json!({"id": "a", "created_at_unix_secs": 1, "test_run_count": 1,
        "passed_count": 1, "failed_count": 1, "pending_count": 1, "title": "t", "agent_id": "g"});
    let ok = |out: Value| check_preserved(schema, &spec.root, &input, &out, "");
    let mut out = input.clone();
    out["repeat_count"] = json!(1);
    assert!(ok(out.clone()).is_ok(), "default filled in");
    out["repeat_count"] = json!(2);
    assert!(ok(out.clone()).is_err(), "a non-default value invented");
    let mut out = input.clone();
    out["agent_id"] = json!("G");
    assert!(ok(out).is_err(), "a changed string");
    let mut out = input.clone();
    out.as_object_mut().unwrap().remove("agent_id");
    assert!(ok(out).is_err(), "a lost non-null optional");
    let mut out = input.clone();
    out["branch_id"] = json!("b");
    assert!(ok(out).is_err(), "an invented optional");
    let mut out = input.clone();
    out["created_at_unix_secs"] = json!(1.0);
    assert!(ok(out).is_err(), "an integer turned float");
}

// ---------------------------------------------------------------------------------------
// Fixed instances.

#[test]
fn seed_page_example_round_trips() {
    let page = fixture("seed_page_example.json");
    let out = assert_valid_roundtrip("GetTestInvocationsPageResponseModel", &page, "seed example");
    // Everything in the example is explicit, so nothing may change at all, except the booleans
    // upstream added later (2026-09), which the example predates: they come back as the
    // spec's default.
    let mut expected = page.clone();
    let item = spec().schema("TestInvocationSummaryResponseModel");
    for field in ["ran_against_draft", "runs_diverged_from_version"] {
        assert!(page["results"][0].get(field).is_none());
        expected["results"][0][field] = item["properties"][field]["default"].clone();
    }
    assert_eq!(out, expected);
    let typed: types::GetTestInvocationsPageResponseModel = serde_json::from_value(page).unwrap();
    let info = typed.results[0].access_info.as_ref().unwrap();
    assert_eq!(info.role, ResourceAccessInfoRole::Admin);
    assert_eq!(
        info.access_source,
        Some(ResourceAccessInfoAccessSource::Creator)
    );
    assert_eq!(typed.meta.total, Some(1));
    assert_eq!(typed.next_cursor.as_deref(), Some("next_cursor"));
}

/// Every `example`/`examples` of a component schema, and of a response media type that
/// refers to a component schema.
fn spec_examples() -> Vec<(String, Value, String)> {
    let spec = spec();
    let mut out = Vec::new();
    for name in spec.names() {
        let schema = spec.schema(&name);
        if let Some(e) = schema.get("example") {
            out.push((name.clone(), e.clone(), format!("{name}.example")));
        }
        for (i, e) in schema
            .get("examples")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            out.push((name.clone(), e.clone(), format!("{name}.examples[{i}]")));
        }
    }
    let paths = spec.doc["paths"].as_object().cloned().unwrap_or_default();
    for (path, item) in &paths {
        for (method, op) in item.as_object().into_iter().flatten() {
            for (status, response) in op["responses"].as_object().into_iter().flatten() {
                for (media, content) in response["content"].as_object().into_iter().flatten() {
                    let Some(target) = content["schema"]["$ref"].as_str() else {
                        continue;
                    };
                    let name = target.rsplit('/').next().unwrap().to_owned();
                    let label = format!("{method} {path} {status} {media}");
                    if let Some(e) = content.get("example") {
                        out.push((name.clone(), e.clone(), format!("{label} example")));
                    }
                    for (key, e) in content
                        .get("examples")
                        .and_then(Value::as_object)
                        .into_iter()
                        .flatten()
                    {
                        if let Some(v) = e.get("value") {
                            out.push((name.clone(), v.clone(), format!("{label} examples.{key}")));
                        }
                    }
                }
            }
        }
    }
    out
}

#[test]
fn spec_examples_round_trip() {
    let examples = spec_examples();
    // The fragment has `ResourceAccessInfo.example`; finding none means the walk is broken.
    assert!(
        examples.iter().any(|(n, _, _)| n == "ResourceAccessInfo"),
        "the ResourceAccessInfo example was not found"
    );
    // Examples the upstream document contradicts itself: they are not valid under their own
    // schema, so they cannot be used as valid input. Each is listed with the reason; the
    // test fails if one becomes valid (upstream fixed it) so the entry can go.
    const INVALID_UPSTREAM: &[(&str, &str)] = &[(
        "GetAgentResponseModel.example",
        "lacks the required conversation_config and metadata",
    )];
    let spec = spec();
    for (name, example, label) in &examples {
        if let Some((_, why)) = INVALID_UPSTREAM.iter().find(|(l, _)| l == label) {
            assert!(
                !spec.strict_errors(name, example).is_empty(),
                "{label} is valid now (it {why}): remove it from INVALID_UPSTREAM"
            );
            continue;
        }
        assert_valid_roundtrip(name, example, label);
    }
}

#[test]
fn hand_made_edge_cases() {
    let spec = spec();
    let cases = fixture("edge_cases.json");
    let cases = cases.as_array().expect("edge_cases.json is an array");
    let mut counts = std::collections::BTreeMap::<&str, usize>::new();
    for case in cases {
        let name = case["schema"].as_str().expect("schema");
        let label = case["name"].as_str().expect("name");
        let instance = &case["instance"];
        let expect = case["expect"].as_str().expect("expect");
        *counts.entry(expect).or_default() += 1;
        match expect {
            "valid" => {
                assert_valid_roundtrip(name, instance, label);
            }
            "forward_compat" => {
                assert!(
                    !spec.strict_errors(name, instance).is_empty(),
                    "{label}: meant as a forward-compatibility case but valid under the spec"
                );
                assert_forward_compat_roundtrip(name, instance, label);
            }
            "rejected" => {
                // Known limit of the generated types, pinned so that it stays visible:
                // valid under the schema, refused with an error (never a panic, never a
                // silently altered value).
                let errors = spec.strict_errors(name, instance);
                assert!(
                    errors.is_empty(),
                    "{label}: expected schema-valid: {errors:?}"
                );
                let err = roundtrip_named(name, instance).expect_err(&format!(
                    "{label}: expected the generated type to refuse it"
                ));
                assert!(
                    err.contains("deserialising") && err.contains(" at "),
                    "{label}: error does not name the field: {err}"
                );
            }
            other => panic!("{label}: unknown expectation {other:?}"),
        }
    }
    assert!(
        counts.get("valid").copied().unwrap_or(0) >= 20,
        "{counts:?}"
    );
    assert!(
        counts.get("forward_compat").copied().unwrap_or(0) >= 5,
        "{counts:?}"
    );
}

/// Every value of every enum property of every upstream component that has an `example`,
/// set one at a time on that example, round-trips valid and unchanged through the generated
/// type (the typed side is checked per enum type above).
#[test]
fn every_enum_value_round_trips_in_its_object() {
    let spec = spec();
    let mut checked = 0;
    for name in spec.names() {
        let schema = spec.schema(&name);
        let (Some(base), Some(props)) = (
            schema.get("example"),
            schema.get("properties").and_then(Value::as_object),
        ) else {
            continue;
        };
        for (prop, sub) in props {
            let enums: Vec<&Value> = std::iter::once(sub)
                .chain(
                    sub.get("anyOf")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten(),
                )
                .filter_map(|s| s.get("enum"))
                .collect();
            for value in enums.into_iter().flat_map(|e| e.as_array().unwrap()) {
                let mut instance = base.clone();
                instance[prop.as_str()] = value.clone();
                let label = format!("{name}.{prop} = {value}");
                let out = assert_valid_roundtrip(&name, &instance, &label);
                assert_eq!(out[prop.as_str()], *value, "{label}");
                checked += 1;
            }
        }
    }
    // ResourceAccessInfo alone has 4 roles + 4 anonymous levels + 4 access sources.
    assert!(
        checked >= 12,
        "only {checked} enum values found in the examples"
    );
}

// ---------------------------------------------------------------------------------------
// Forward compatibility, typed.

#[test]
fn unknown_enum_values_keep_the_raw_string() {
    let page = json!({
        "results": [{
            "id": "x", "created_at_unix_secs": 0, "test_run_count": 0, "passed_count": 0,
            "failed_count": 0, "pending_count": 0, "title": "t",
            "access_info": {
                "is_creator": false, "creator_name": "n", "creator_email": "e",
                "role": "Owner ü", "anonymous_access_level_override": "ADMIN",
                "access_source": "sso_group", "brand_new_field": {"x": [1, 2]}
            },
            "another_new_field": 3
        }],
        "has_more": false,
        "meta": {},
        "yet_another": null
    });
    let out = assert_forward_compat_roundtrip("GetTestInvocationsPageResponseModel", &page, "page");
    // From the text, as the client reads a response body.
    let typed: types::GetTestInvocationsPageResponseModel = serde_json::from_str(&page.to_string())
        .expect("an unknown enum value must not fail the page");
    let info = typed.results[0].access_info.as_ref().unwrap();
    assert!(
        matches!(&info.role, ResourceAccessInfoRole::Unknown(raw) if raw.as_str() == "Owner ü"),
        "{:?}",
        info.role
    );
    assert!(
        matches!(
            &info.anonymous_access_level_override,
            Some(ResourceAccessInfoAnonymousAccessLevelOverride::Unknown(raw)) if raw.as_str() == "ADMIN"
        ),
        "{:?}",
        info.anonymous_access_level_override
    );
    assert_eq!(
        info.access_source,
        Some(ResourceAccessInfoAccessSource::from("sso_group"))
    );
    assert!(info.access_source.as_ref().unwrap().is_unknown());
    // Byte for byte, in the serialised text too.
    let text = serde_json::to_string(&typed).unwrap();
    for raw in [r#""role":"Owner ü""#, r#""ADMIN""#, r#""sso_group""#] {
        assert!(text.contains(raw), "{raw} missing from {text}");
    }
    let access = &out["results"][0]["access_info"];
    assert_eq!(access["role"], "Owner ü");
    assert_eq!(access["anonymous_access_level_override"], "ADMIN");
    assert_eq!(access["access_source"], "sso_group");
    assert!(access.get("brand_new_field").is_none());
}

// ---------------------------------------------------------------------------------------
// Generated instances.

/// Cases per component schema and test (proptest's default is 256). 64 keeps the power that
/// matters at a quarter of the cost, because every choice the generator makes per field is
/// common: an optional field is present in half the cases, a variant of a union (at most 5 in
/// the spec) in one in 5, an integer edge value (`i64::MIN`, 0, `i64::MAX`, ...) in one in 9. In
/// 64 cases a given optional field or union variant is never drawn with probability at most
/// 0.8^64 < 10^-6, a given edge value of an integer field (8/9)^64 < 10^-3. Rarer draws, the
/// JSON-escaping strings (one in 30 per string field), still come up hundreds of times a run
/// over the ~120 schemas; every enum value is covered exhaustively by
/// `every_enum_value_round_trips_in_its_object`, not by chance; and each run draws new seeds.
const CASES: u32 = 64;

/// XorShift, not proptest's default ChaCha: unoptimised, ChaCha's SIMD rounds were a quarter of
/// these tests' time, and a test generator needs no cryptographic stream.
fn runner() -> TestRunner {
    TestRunner::new(Config {
        cases: CASES,
        failure_persistence: None,
        rng_algorithm: RngAlgorithm::XorShift,
        ..Config::default()
    })
}

/// Instances drawn from each component schema (extra properties sometimes, enum values all
/// known) are valid (generator sanity), deserialise, and re-serialise valid and unchanged
/// up to the documented exceptions.
#[test]
fn generated_valid_instances_round_trip() {
    let spec = spec();
    for name in spec.names() {
        let strategy = arb_instance(
            spec.schema(&name),
            &spec.root,
            0,
            Opts {
                unknown_enums: false,
                extra_properties: true,
            },
        );
        runner()
            .run(&strategy, |instance| {
                let errors = spec.strict_errors(&name, &instance);
                if !errors.is_empty() {
                    return Err(TestCaseError::fail(format!(
                        "generator produced an instance invalid under {name}: {errors:?}"
                    )));
                }
                let out = roundtrip_named(&name, &instance).map_err(TestCaseError::fail)?;
                let errors = spec.strict_errors(&name, &out);
                if !errors.is_empty() {
                    return Err(TestCaseError::fail(format!(
                        "re-serialised {name} invalid: {errors:?}; output {out}"
                    )));
                }
                check_preserved(spec.schema(&name), &spec.root, &instance, &out, "")
                    .map_err(|e| TestCaseError::fail(format!("{name}: {e}; output {out}")))?;
                let again = roundtrip_named(&name, &out).map_err(TestCaseError::fail)?;
                prop_assert_eq!(&again, &out, "{}: second round trip changed the JSON", name);
                Ok(())
            })
            .unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

/// Instances with unknown enum values (and extra properties) deserialise, keep every value,
/// and re-serialise valid under the schema with its enums opened. For schemas that contain
/// an enum, some generated instances must actually be outside the strict schema.
#[test]
fn generated_forward_compat_instances_round_trip() {
    let spec = spec();
    for name in spec.names() {
        let strategy = arb_instance(
            spec.schema(&name),
            &spec.root,
            0,
            Opts {
                unknown_enums: true,
                extra_properties: true,
            },
        );
        let outside = std::cell::Cell::new(0u32);
        runner()
            .run(&strategy, |instance| {
                let errors = spec.relaxed_errors(&name, &instance);
                if !errors.is_empty() {
                    return Err(TestCaseError::fail(format!(
                        "generator produced an instance invalid under {name} (enums opened): {errors:?}"
                    )));
                }
                let strictly_valid = spec.strict_errors(&name, &instance).is_empty();
                if !strictly_valid {
                    outside.set(outside.get() + 1);
                }
                let out = roundtrip_named(&name, &instance).map_err(TestCaseError::fail)?;
                let errors = spec.relaxed_errors(&name, &out);
                if !errors.is_empty() {
                    return Err(TestCaseError::fail(format!(
                        "re-serialised {name} invalid (enums opened): {errors:?}; output {out}"
                    )));
                }
                if strictly_valid {
                    let errors = spec.strict_errors(&name, &out);
                    prop_assert!(errors.is_empty(), "{}: {:?}", name, errors);
                }
                check_preserved(spec.schema(&name), &spec.root, &instance, &out, "")
                    .map_err(|e| TestCaseError::fail(format!("{name}: {e}; output {out}")))?;
                Ok(())
            })
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        if schema::has_enum(spec.schema(&name), &spec.root, 0) {
            assert!(
                outside.get() > 0,
                "{name}: no generated instance had an unknown enum value"
            );
        }
    }
}
