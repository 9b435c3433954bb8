//! Nothing is lost in translation: every schema, property, required list, enum value set,
//! nullability, description, title and default of the 3.1 fragment is found in the 3.0.3
//! document (following hoisted enums through their `$ref`).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use crate::common;
use xtask::overlay::Verdict;
use xtask::selection::METHODS;
use xtask::translate::translate_document;

/// What a schema means, independent of how 3.1 or 3.0 spells it.
#[derive(Debug, PartialEq)]
struct Shape {
    nullable: bool,
    ty: Option<Value>,
    enum_values: Option<BTreeSet<String>>,
    target: Option<String>,
    required: BTreeSet<String>,
    properties: BTreeSet<String>,
    description: Option<Value>,
    title: Option<Value>,
    default: Option<Value>,
}

fn is_null(s: &Value) -> bool {
    s.get("type").and_then(Value::as_str) == Some("null")
}

fn ref_name(s: &Value) -> Option<String> {
    s.get("$ref")
        .and_then(Value::as_str)
        .and_then(xtask::select::schema_name)
}

fn values(v: Option<&Value>) -> Option<BTreeSet<String>> {
    v.and_then(Value::as_array)
        .map(|a| a.iter().map(Value::to_string).collect())
}

fn names(v: Option<&Value>) -> BTreeSet<String> {
    match v {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .map(String::from)
            .collect(),
        Some(Value::Object(m)) => m.keys().cloned().collect(),
        _ => BTreeSet::new(),
    }
}

/// The 3.1 schema's meaning and its core (non-null part).
fn shape31(s: &Value) -> (Shape, Value) {
    let mut nullable = false;
    let mut core = s.clone();
    for k in ["anyOf", "oneOf"] {
        if let Some(bs) = s.get(k).and_then(Value::as_array)
            && bs.iter().any(is_null)
        {
            nullable = true;
            let rest: Vec<&Value> = bs.iter().filter(|b| !is_null(b)).collect();
            if let [only] = rest.as_slice() {
                core = (*only).clone();
            }
        }
    }
    let pick = |k: &str| s.get(k).or_else(|| core.get(k)).cloned();
    let enum_values = values(core.get("enum"))
        .or_else(|| core.get("const").map(|c| BTreeSet::from([c.to_string()])));
    (
        Shape {
            nullable,
            ty: core.get("type").cloned(),
            enum_values,
            target: ref_name(&core),
            required: names(core.get("required")),
            properties: names(core.get("properties")),
            description: pick("description"),
            title: pick("title"),
            default: pick("default"),
        },
        core,
    )
}

/// The 3.0 schema's meaning and its core, looking through `allOf: [x]` wrappers and into
/// hoisted enums (components that are not in the upstream fragment).
fn shape30(
    s: &Value,
    components: &Map<String, Value>,
    upstream: &Map<String, Value>,
) -> (Shape, Value) {
    let mut core = match s.get("allOf").and_then(Value::as_array).map(Vec::as_slice) {
        Some([only]) => only.clone(),
        _ => s.clone(),
    };
    if let Some(name) = ref_name(&core)
        && !upstream.contains_key(&name)
    {
        core = components.get(&name).cloned().expect("hoisted enum exists");
    }
    let pick = |k: &str| s.get(k).or_else(|| core.get(k)).cloned();
    (
        Shape {
            nullable: s.get("nullable") == Some(&Value::Bool(true))
                || core.get("nullable") == Some(&Value::Bool(true)),
            ty: core.get("type").cloned(),
            enum_values: values(core.get("enum")),
            target: ref_name(&core),
            required: names(core.get("required")),
            properties: names(core.get("properties")),
            description: pick("description"),
            title: pick("title"),
            default: pick("default"),
        },
        core,
    )
}

struct Checker<'a> {
    up: &'a Map<String, Value>,
    tr: &'a Map<String, Value>,
    checked: usize,
}

impl Checker<'_> {
    fn compare(&mut self, at: &str, old: &Value, new: &Value) {
        let (so, co) = shape31(old);
        let (sn, cn) = shape30(new, self.tr, self.up);
        assert_eq!(so, sn, "meaning differs at {at}");
        self.checked += 1;
        for p in &so.properties {
            self.compare(
                &format!("{at}.{p}"),
                &co["properties"][p],
                &cn["properties"][p],
            );
        }
        if let (Some(a), Some(b)) = (co.get("items"), cn.get("items")) {
            self.compare(&format!("{at}[]"), a, b);
        }
        if let (Some(a @ Value::Object(_)), Some(b)) = (
            co.get("additionalProperties"),
            cn.get("additionalProperties"),
        ) {
            self.compare(&format!("{at}{{}}"), a, b);
        }
        for k in ["anyOf", "oneOf", "allOf"] {
            if let (Some(a), Some(b)) = (
                co.get(k).and_then(Value::as_array),
                cn.get(k).and_then(Value::as_array),
            ) {
                let a: Vec<&Value> = a.iter().filter(|x| !is_null(x)).collect();
                assert_eq!(a.len(), b.len(), "{at}.{k} branch count");
                for (i, (x, y)) in a.iter().zip(b).enumerate() {
                    self.compare(&format!("{at}.{k}[{i}]"), x, y);
                }
            }
        }
    }
}

fn assert_nothing_lost(fragment: &Value, translated: &Value) -> usize {
    let up = fragment["components"]["schemas"]
        .as_object()
        .expect("schemas");
    let tr = translated["components"]["schemas"]
        .as_object()
        .expect("schemas");
    let mut c = Checker { up, tr, checked: 0 };
    for (name, schema) in up {
        let t = tr
            .get(name)
            .unwrap_or_else(|| panic!("schema {name} missing"));
        c.compare(name, schema, t);
    }
    let paths = fragment["paths"].as_object().expect("paths");
    for (path, item) in paths {
        for m in METHODS {
            let Some(op) = item.get(m) else { continue };
            let top = &translated["paths"][path][m];
            let at = format!("{m} {path}");
            let params: BTreeMap<String, &Value> = top["parameters"]
                .as_array()
                .map(|ps| {
                    ps.iter()
                        .map(|p| (p["name"].as_str().unwrap_or("").to_owned(), p))
                        .collect()
                })
                .unwrap_or_default();
            for p in op["parameters"].as_array().into_iter().flatten() {
                let name = p["name"].as_str().unwrap_or("");
                if name == "xi-api-key" {
                    assert!(!params.contains_key(name), "{at}: api key header kept");
                    continue;
                }
                let q = params
                    .get(name)
                    .unwrap_or_else(|| panic!("{at}: parameter {name} missing"));
                assert_eq!(p["required"], q["required"], "{at}: {name} required");
                assert_eq!(p["in"], q["in"], "{at}: {name} in");
                assert_eq!(
                    p["description"], q["description"],
                    "{at}: {name} description"
                );
                c.compare(
                    &format!("{at} parameter {name}"),
                    &p["schema"],
                    &q["schema"],
                );
            }
            let codes: BTreeSet<String> = names(op.get("responses"));
            assert_eq!(codes, names(top.get("responses")), "{at}: responses");
            for code in &codes {
                for (media, body) in op["responses"][code]["content"]
                    .as_object()
                    .into_iter()
                    .flatten()
                {
                    c.compare(
                        &format!("{at} response {code}"),
                        &body["schema"],
                        &top["responses"][code]["content"][media]["schema"],
                    );
                }
            }
            if let Some(body) = op.get("requestBody") {
                for (media, b) in body["content"].as_object().into_iter().flatten() {
                    c.compare(
                        &format!("{at} request body"),
                        &b["schema"],
                        &top["requestBody"]["content"][media]["schema"],
                    );
                }
            }
        }
    }
    c.checked
}

#[test]
fn fixture_translation_loses_nothing() {
    let doc = common::fixture();
    // The committed selection (operations, names, pruning rules) and overlay over the
    // committed fixture.
    let spec_dir = common::workspace_root().join("spec");
    let selection = xtask::read_selection(&spec_dir).expect("selection");
    let overlay = xtask::read_overlay(&spec_dir).expect("overlay");
    let mut fixture_ops = 0;
    for item in doc["paths"].as_object().expect("paths").values() {
        fixture_ops += METHODS.iter().filter(|m| item.get(**m).is_some()).count();
    }
    assert_eq!(fixture_ops, selection.restricted_to(&doc).operations.len());
    let generated = xtask::generate(&doc, &selection, overlay.as_ref()).expect("generate");
    assert!(
        !generated.reports.is_empty(),
        "the committed overlay has actions"
    );
    for r in &generated.reports {
        assert_eq!(r.verdict, Verdict::Applies, "{r}");
    }
    let keys = |v: &Value| -> BTreeSet<String> { v.as_object().unwrap().keys().cloned().collect() };
    let fixture_schemas = keys(&doc["components"]["schemas"]);
    assert!(
        keys(&generated.fragment["components"]["schemas"]).is_subset(&fixture_schemas),
        "the fixture holds the upstream closure"
    );
    assert_eq!(
        keys(&generated.effective_fragment["components"]["schemas"])
            .intersection(&fixture_schemas)
            .cloned()
            .collect::<BTreeSet<_>>(),
        fixture_schemas,
        "the pruned closure of all selected ops, overlay applied, reaches the whole fixture"
    );
    let translated: Value = serde_json::from_str(&generated.openapi).expect("json");
    let checked = assert_nothing_lost(&generated.effective_fragment, &translated);
    assert!(checked > 60, "only {checked} schemas compared");
    // Parameter enum hoisted under the operation's (selection-given) name.
    assert!(translated["components"]["schemas"]["ListTestsSortMode"]["enum"].is_array());
    assert_eq!(translated["openapi"], "3.0.3");
}

#[test]
fn committed_spec_loses_nothing() {
    let root = common::workspace_root();
    let read = |name: &str| -> Value {
        serde_json::from_str(&std::fs::read_to_string(root.join("spec").join(name)).expect("read"))
            .expect("json")
    };
    // openapi.json translates the effective fragment (upstream + overlay).
    let effective = read("effective.json");
    let openapi = read("openapi.json");
    let selection = xtask::read_selection(&root.join("spec")).expect("selection");
    assert_eq!(
        translate_document(&effective, &selection).expect("translate"),
        openapi
    );
    assert_nothing_lost(&effective, &openapi);
    let s = &openapi["components"]["schemas"];
    assert_eq!(
        s["ResourceAccessInfo"]["properties"]["anonymous_access_level_override"]["allOf"][0]["$ref"],
        "#/components/schemas/ResourceAccessInfoAnonymousAccessLevelOverride"
    );
    assert_eq!(
        s["ResourceAccessInfo"]["properties"]["anonymous_access_level_override"]["nullable"],
        true
    );
    for name in [
        "ResourceAccessInfoRole",
        "ResourceAccessInfoAnonymousAccessLevelOverride",
        "ResourceAccessInfoAccessSource",
    ] {
        assert_eq!(s[name]["type"], "string", "{name}");
    }
}
