//! Rule 11: every inline `enum` becomes a named component schema, so that the code generator
//! sees all enums as components (and can make each one open / forward-compatible).
//! Rule 12 (in [`crate::unions`]) hoists discriminated unions the same way; both use the one
//! walker here, [`hoist_with`], with a [`Rule`] saying what to hoist.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};

use crate::error::Error;
use crate::selection::METHODS;

/// Keys that define the enum and move to the hoisted schema.
const MOVED: [&str; 3] = ["type", "enum", "format"];
/// Keys documenting the enum: copied to the hoisted schema and kept on the property.
const COPIED: [&str; 2] = ["title", "description"];

/// `anonymous_access_level_override` → `AnonymousAccessLevelOverride`; any non-alphanumeric
/// character separates words.
pub fn pascal_case(name: &str) -> String {
    name.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut chars = w.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// Splits an inline enum schema into the schema to hoist (`type`, `enum`, `format`, and its
/// `title`/`description`) and what stays in place: a `$ref` to `name`, wrapped as
/// `{allOf: [{$ref}], ...}` when other keywords (description, default, nullable...) remain.
pub fn split_enum(mut schema: Map<String, Value>, name: &str) -> (Value, Value) {
    let mut hoisted = Map::new();
    for key in MOVED {
        if let Some(v) = schema.remove(key) {
            hoisted.insert(key.into(), v);
        }
    }
    for key in COPIED {
        if let Some(v) = schema.get(key) {
            hoisted.insert(key.into(), v.clone());
        }
    }
    let reference = schema_ref(name);
    let in_place = if schema.is_empty() {
        reference
    } else {
        let mut wrapper = Map::new();
        wrapper.insert("allOf".into(), Value::Array(vec![reference]));
        wrapper.extend(schema);
        Value::Object(wrapper)
    };
    (Value::Object(hoisted), in_place)
}

/// What a hoisting pass hoists.
pub trait Rule {
    /// What is hoisted, for messages (`enum`, `union`).
    const WHAT: &'static str;
    /// When the schema at this position is to be hoisted as `name`: the schema to hoist and
    /// what stays in its place. `None` leaves it where it is.
    fn split(&self, schema: &Map<String, Value>, name: &str) -> Option<(Value, Value)>;
    /// Whether a schema identical to one already hoisted reuses that one's name.
    fn reuse_identical(&self) -> bool {
        false
    }
}

/// Rule 11: inline enums.
pub struct Enums;

impl Rule for Enums {
    const WHAT: &'static str = "enum";
    fn split(&self, schema: &Map<String, Value>, name: &str) -> Option<(Value, Value)> {
        schema
            .contains_key("enum")
            .then(|| split_enum(schema.clone(), name))
    }
}

/// Names already used (`name` → who owns it, for collision messages).
struct Names {
    taken: BTreeMap<String, String>,
    hoisted: Vec<(String, Value)>,
}

impl Names {
    fn claim(&mut self, name: &str, origin: &str, what: &str) -> Result<(), Error> {
        if let Some(existing) = self.taken.get(name) {
            return Err(Error::NameCollision {
                name: name.to_owned(),
                hoisted_from: origin.to_owned(),
                existing: existing.clone(),
            });
        }
        self.taken
            .insert(name.to_owned(), format!("the {what} hoisted from {origin}"));
        Ok(())
    }

    /// The name of an already hoisted schema equal to `schema`.
    fn identical(&self, schema: &Value) -> Option<String> {
        self.hoisted
            .iter()
            .find(|(_, s)| s == schema)
            .map(|(n, _)| n.clone())
    }
}

/// `{$ref}` to component `name`.
pub fn schema_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

/// Walks a schema, hoisting what `rule` picks below it (and itself when `hoistable`).
/// `name` is the name a schema hoisted at this position gets; `origin` says where it is.
fn walk<R: Rule>(
    rule: &R,
    node: &mut Value,
    name: &str,
    origin: &str,
    hoistable: bool,
    names: &mut Names,
) -> Result<(), Error> {
    let Value::Object(map) = node else {
        return Ok(());
    };
    if let Some(Value::Object(props)) = map.get_mut("properties") {
        for (p, child) in props.iter_mut() {
            walk(
                rule,
                child,
                &format!("{name}{}", pascal_case(p)),
                &format!("{origin}.{p}"),
                true,
                names,
            )?;
        }
    }
    if let Some(items) = map.get_mut("items") {
        walk(
            rule,
            items,
            &format!("{name}Item"),
            &format!("{origin}[]"),
            true,
            names,
        )?;
    }
    if let Some(extra) = map.get_mut("additionalProperties") {
        walk(
            rule,
            extra,
            &format!("{name}Value"),
            &format!("{origin}{{}}"),
            true,
            names,
        )?;
    }
    if let Some(not) = map.get_mut("not") {
        walk(
            rule,
            not,
            &format!("{name}Not"),
            &format!("{origin}.not"),
            true,
            names,
        )?;
    }
    for key in ["allOf", "anyOf", "oneOf"] {
        if let Some(Value::Array(branches)) = map.get_mut(key) {
            let single = branches.len() == 1;
            for (i, b) in branches.iter_mut().enumerate() {
                let sub = if single {
                    name.to_owned()
                } else {
                    format!("{name}Variant{i}")
                };
                walk(rule, b, &sub, &format!("{origin}.{key}[{i}]"), true, names)?;
            }
        }
    }
    if !hoistable {
        return Ok(());
    }
    if let Some((hoisted, in_place)) = rule.split(map, name) {
        if rule.reuse_identical()
            && let Some(existing) = names.identical(&hoisted)
        {
            let (_, in_place) = rule
                .split(map, &existing)
                .expect("the rule picked this schema a moment ago");
            *node = in_place;
            return Ok(());
        }
        names.claim(name, origin, R::WHAT)?;
        names.hoisted.push((name.to_owned(), hoisted));
        *node = in_place;
    }
    Ok(())
}

/// Hoists every inline enum of a (3.0-translated) document into `components.schemas`.
///
/// Names: PascalCase(component name) + PascalCase(property) (array items add `Item`); for
/// parameters PascalCase(operationId) + PascalCase(parameter name); request bodies add `Body`,
/// responses `Response` (plus the status code unless it is 200). Every name is a valid Rust
/// type name. A name already taken is an error.
pub fn hoist_enums(doc: &mut Value) -> Result<(), Error> {
    hoist_with(doc, &Enums)
}

/// Hoists what `rule` picks, anywhere in the document, into `components.schemas` (see
/// [`hoist_enums`] for the names).
pub fn hoist_with<R: Rule>(doc: &mut Value, rule: &R) -> Result<(), Error> {
    let Value::Object(root) = doc else {
        return Ok(());
    };
    let mut schemas = match root
        .get_mut("components")
        .and_then(|c| c.get_mut("schemas"))
    {
        Some(Value::Object(s)) => std::mem::take(s),
        _ => Map::new(),
    };
    let mut names = Names {
        taken: schemas
            .keys()
            .map(|n| (n.clone(), format!("the component schema `{n}`")))
            .collect(),
        hoisted: Vec::new(),
    };
    let sorted: BTreeSet<String> = schemas.keys().cloned().collect();
    for name in &sorted {
        if let Some(schema) = schemas.get_mut(name) {
            walk(
                rule,
                schema,
                &pascal_case(name),
                &format!("`{name}`"),
                false,
                &mut names,
            )?;
        }
    }
    if let Some(Value::Object(paths)) = root.get_mut("paths") {
        let sorted_paths: BTreeSet<String> = paths.keys().cloned().collect();
        for path in &sorted_paths {
            let Some(Value::Object(item)) = paths.get_mut(path) else {
                continue;
            };
            for method in METHODS {
                let Some(op) = item.get_mut(method) else {
                    continue;
                };
                let label = format!("{} {path}", method.to_uppercase());
                let base = op
                    .get("operationId")
                    .and_then(Value::as_str)
                    .map(pascal_case)
                    .unwrap_or_else(|| pascal_case(&format!("{method} {path}")));
                hoist_in_operation(rule, op, &base, &label, &mut names)?;
            }
        }
    }
    for (name, schema) in names.hoisted {
        schemas.insert(name, schema);
    }
    if let Value::Object(components) = root
        .entry("components")
        .or_insert_with(|| Value::Object(Map::new()))
    {
        components.insert("schemas".into(), Value::Object(schemas));
    }
    Ok(())
}

fn hoist_in_operation<R: Rule>(
    rule: &R,
    op: &mut Value,
    base: &str,
    label: &str,
    names: &mut Names,
) -> Result<(), Error> {
    if let Some(Value::Array(params)) = op.get_mut("parameters") {
        for param in params.iter_mut() {
            let pname = param
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            let name = format!("{base}{}", pascal_case(&pname));
            let origin = format!("parameter `{pname}` of `{label}`");
            hoist_in_content(rule, param, &name, &origin, names)?;
        }
    }
    if let Some(body) = op.get_mut("requestBody") {
        hoist_in_content(
            rule,
            body,
            &format!("{base}Body"),
            &format!("request body of `{label}`"),
            names,
        )?;
    }
    if let Some(Value::Object(responses)) = op.get_mut("responses") {
        for (code, response) in responses.iter_mut() {
            let code_part = if code == "200" { "" } else { code.as_str() };
            hoist_in_content(
                rule,
                response,
                &format!("{base}Response{}", pascal_case(code_part)),
                &format!("response {code} of `{label}`"),
                names,
            )?;
        }
    }
    Ok(())
}

/// `schema` and `content.*.schema` of a parameter, request body or response.
fn hoist_in_content<R: Rule>(
    rule: &R,
    holder: &mut Value,
    name: &str,
    origin: &str,
    names: &mut Names,
) -> Result<(), Error> {
    if let Some(schema) = holder.get_mut("schema") {
        walk(rule, schema, name, origin, true, names)?;
    }
    if let Some(Value::Object(content)) = holder.get_mut("content") {
        let single = content.len() == 1;
        for (media, m) in content.iter_mut() {
            if let Some(schema) = m.get_mut("schema") {
                let name = if single {
                    name.to_owned()
                } else {
                    format!("{name}{}", pascal_case(media))
                };
                walk(
                    rule,
                    schema,
                    &name,
                    &format!("{origin} ({media})"),
                    true,
                    names,
                )?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pascal() {
        assert_eq!(
            pascal_case("anonymous_access_level_override"),
            "AnonymousAccessLevelOverride"
        );
        assert_eq!(pascal_case("role"), "Role");
        assert_eq!(pascal_case("xi-api-key"), "XiApiKey");
        assert_eq!(pascal_case("pageSize"), "PageSize");
        assert_eq!(pascal_case("list_test_invocations"), "ListTestInvocations");
    }

    #[test]
    fn split_plain_enum_keeps_docs_in_both() {
        let (h, p) = split_enum(
            json!({"type": "string", "enum": ["a"], "title": "Role", "description": "d"})
                .as_object()
                .cloned()
                .unwrap_or_default(),
            "XRole",
        );
        assert_eq!(
            h,
            json!({"type": "string", "enum": ["a"], "title": "Role", "description": "d"})
        );
        assert_eq!(
            p,
            json!({"allOf": [{"$ref": "#/components/schemas/XRole"}], "title": "Role", "description": "d"})
        );
    }

    #[test]
    fn split_bare_enum_is_a_plain_ref() {
        let (h, p) = split_enum(
            json!({"type": "string", "enum": ["a"]})
                .as_object()
                .cloned()
                .unwrap_or_default(),
            "E",
        );
        assert_eq!(h, json!({"type": "string", "enum": ["a"]}));
        assert_eq!(p, json!({"$ref": "#/components/schemas/E"}));
    }

    fn doc() -> Value {
        json!({
            "openapi": "3.0.3",
            "paths": {"/t": {"get": {
                "operationId": "list_tests",
                "parameters": [{"name": "sort_mode", "in": "query",
                    "schema": {"type": "string", "enum": ["default", "folders_first"], "default": "default"}}]
            }}},
            "components": {"schemas": {
                "Kind": {"type": "string", "enum": ["x", "y"]},
                "R": {"type": "object", "properties": {
                    "role": {"type": "string", "enum": ["admin", "viewer"], "description": "The role"},
                    "other": {"type": "string", "enum": ["admin", "viewer"], "nullable": true},
                    "tags": {"type": "array", "items": {"type": "string", "enum": ["t"]}},
                    "level": {"allOf": [{"type": "string", "enum": ["admin", "viewer"]}], "nullable": true, "description": "Level"},
                    "kind": {"$ref": "#/components/schemas/Kind"}
                }}
            }}
        })
    }

    #[test]
    fn hoists_properties_items_and_parameters() {
        let mut d = doc();
        hoist_enums(&mut d).unwrap();
        let s = &d["components"]["schemas"];
        assert_eq!(s["Kind"], json!({"type": "string", "enum": ["x", "y"]}));
        assert_eq!(
            s["RRole"],
            json!({"type": "string", "enum": ["admin", "viewer"], "description": "The role"})
        );
        // Same values, different meaning: its own name.
        assert_eq!(
            s["ROther"],
            json!({"type": "string", "enum": ["admin", "viewer"]})
        );
        assert_eq!(s["RTagsItem"], json!({"type": "string", "enum": ["t"]}));
        // A nullable enum (rule 2 leaves it in `allOf`): the property keeps its own docs.
        assert_eq!(
            s["RLevel"],
            json!({"type": "string", "enum": ["admin", "viewer"]})
        );
        assert_eq!(
            s["R"]["properties"]["level"],
            json!({"allOf": [{"$ref": "#/components/schemas/RLevel"}], "nullable": true, "description": "Level"})
        );
        assert_eq!(
            s["R"]["properties"]["role"],
            json!({"allOf": [{"$ref": "#/components/schemas/RRole"}], "description": "The role"})
        );
        assert_eq!(
            s["R"]["properties"]["other"],
            json!({"allOf": [{"$ref": "#/components/schemas/ROther"}], "nullable": true})
        );
        assert_eq!(
            s["R"]["properties"]["tags"]["items"],
            json!({"$ref": "#/components/schemas/RTagsItem"})
        );
        assert_eq!(
            s["R"]["properties"]["kind"],
            json!({"$ref": "#/components/schemas/Kind"})
        );
        assert_eq!(
            s["ListTestsSortMode"],
            json!({"type": "string", "enum": ["default", "folders_first"]})
        );
        assert_eq!(
            d["paths"]["/t"]["get"]["parameters"][0]["schema"],
            json!({"allOf": [{"$ref": "#/components/schemas/ListTestsSortMode"}], "default": "default"})
        );
    }

    #[test]
    fn hoisted_names_are_rust_type_names() {
        let mut d = json!({"components": {"schemas": {
            "Transcript-Input": {"properties": {"role": {"type": "string", "enum": ["user", "agent"]}}}
        }}});
        hoist_enums(&mut d).unwrap();
        assert_eq!(
            d["components"]["schemas"]["TranscriptInputRole"],
            json!({"type": "string", "enum": ["user", "agent"]})
        );
    }

    #[test]
    fn collision_names_both() {
        let mut d = doc();
        d["components"]["schemas"]["RRole"] = json!({"type": "integer"});
        let e = hoist_enums(&mut d).unwrap_err();
        let text = e.to_string();
        assert!(text.contains("`RRole`"), "{text}");
        assert!(text.contains("`R`.role"), "{text}");
        assert!(text.contains("component schema `RRole`"), "{text}");
    }

    #[test]
    fn collision_between_two_hoisted_enums() {
        let mut d = json!({"components": {"schemas": {
            "A": {"properties": {
                "b_c": {"enum": ["1"]},
                "b": {"properties": {"c": {"enum": ["2"]}}}
            }}
        }}});
        let e = hoist_enums(&mut d).unwrap_err();
        assert!(matches!(e, Error::NameCollision { .. }), "{e}");
        assert!(e.to_string().contains("the enum hoisted from"), "{e}");
    }
}
