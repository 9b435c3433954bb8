//! Rule 12: discriminated unions become named component schemas with a complete
//! `discriminator` (`propertyName` and a `mapping` of every variant), so that the code
//! generator can give each one a tagged enum with a catch-all for kinds it does not know.
//!
//! A union is a `oneOf` or `anyOf` whose branches are all `$ref`s to component schemas that
//! each pin the same property to one value (`const`, translated to a one-value `enum`). The
//! property is the explicit `discriminator.propertyName` when there is one, else the one
//! property all variants pin. Untagged, such a union decodes every object as its first
//! variant whenever the tag is optional (the API's test kinds), so it is never left untagged.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};

use crate::error::Error;
use crate::hoist::{Rule, hoist_with, schema_ref};
use crate::select::schema_name;

/// The union rule, reading variants in the document's component schemas.
pub struct Unions {
    schemas: Map<String, Value>,
}

/// The one value a property schema pins (`enum: [v]`, or `const: v`), if it pins one.
pub fn pinned_value(property: &Value) -> Option<&str> {
    if let Some(v) = property.get("const") {
        return v.as_str();
    }
    match property.get("enum").and_then(Value::as_array) {
        Some(values) if values.len() == 1 => values[0].as_str(),
        _ => None,
    }
}

impl Unions {
    /// A rule over `schemas` (the document's `components.schemas`).
    pub fn new(schemas: Map<String, Value>) -> Self {
        Self { schemas }
    }

    /// Each variant's pinned value of `property`, if every variant pins one.
    fn values_of(&self, targets: &[String], property: &str) -> Option<Vec<String>> {
        targets
            .iter()
            .map(|t| {
                let p = self.schemas.get(t)?.get("properties")?.get(property)?;
                pinned_value(p).map(str::to_owned)
            })
            .collect()
    }

    /// The discriminating property and the value → variant mapping of a union over
    /// `targets`, or `None` when it is not a discriminated union.
    pub fn discriminate(
        &self,
        targets: &[String],
        explicit: Option<&str>,
    ) -> Option<(String, BTreeMap<String, String>)> {
        let candidates: Vec<String> = match explicit {
            Some(p) => vec![p.to_owned()],
            None => {
                let first = self.schemas.get(targets.first()?)?.get("properties")?;
                first.as_object()?.keys().cloned().collect()
            }
        };
        let mut found = candidates.into_iter().filter_map(|p| {
            let values = self.values_of(targets, &p)?;
            let distinct: BTreeSet<&String> = values.iter().collect();
            (distinct.len() == values.len()).then(|| {
                let mapping = values.into_iter().zip(targets.iter().cloned()).collect();
                (p, mapping)
            })
        });
        let one = found.next()?;
        // Two properties that both discriminate: ambiguous unless the document said which.
        (explicit.is_some() || found.next().is_none()).then_some(one)
    }
}

impl Rule for Unions {
    const WHAT: &'static str = "union";

    fn split(&self, schema: &Map<String, Value>, name: &str) -> Option<(Value, Value)> {
        let (key, branches) = ["oneOf", "anyOf"]
            .into_iter()
            .find_map(|k| Some((k, schema.get(k)?.as_array()?)))?;
        let targets: Vec<String> = branches
            .iter()
            .map(|b| {
                let b = b.as_object()?;
                (b.len() == 1).then_some(())?;
                schema_name(b.get("$ref")?.as_str()?)
            })
            .collect::<Option<_>>()?;
        if targets.len() < 2 {
            return None;
        }
        let explicit = schema
            .get("discriminator")
            .and_then(|d| d.get("propertyName"))
            .and_then(Value::as_str);
        let (property, mapping) = self.discriminate(&targets, explicit)?;
        let mapping: Map<String, Value> = mapping
            .into_iter()
            .map(|(v, t)| (v, json!(format!("#/components/schemas/{t}"))))
            .collect();
        let mut hoisted = Map::new();
        hoisted.insert(
            "oneOf".into(),
            Value::Array(targets.iter().map(|t| schema_ref(t)).collect()),
        );
        hoisted.insert(
            "discriminator".into(),
            json!({"propertyName": property, "mapping": mapping}),
        );
        if let Some(d) = schema.get("description") {
            hoisted.insert("description".into(), d.clone());
        }
        let mut rest = schema.clone();
        for k in [key, "discriminator", "description"] {
            rest.remove(k);
        }
        let in_place = if rest.is_empty() {
            schema_ref(name)
        } else {
            let mut wrapper = Map::new();
            wrapper.insert("allOf".into(), Value::Array(vec![schema_ref(name)]));
            wrapper.extend(rest);
            Value::Object(wrapper)
        };
        Some((Value::Object(hoisted), in_place))
    }

    fn reuse_identical(&self) -> bool {
        true
    }
}

/// Hoists every discriminated union of a (3.0-translated) document into a named component
/// with a complete discriminator. Names follow [`crate::hoist::hoist_enums`]; a union equal
/// to one already hoisted (the same variants, the same tag) reuses its name.
pub fn hoist_unions(doc: &mut Value) -> Result<(), Error> {
    let schemas = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    hoist_with(doc, &Unions::new(schemas))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc() -> Value {
        json!({
            "openapi": "3.0.3",
            "paths": {
                "/t/{id}": {
                    "get": {"operationId": "get_test", "responses": {"200": {"content": {"application/json": {"schema": {
                        "oneOf": [{"$ref": "#/components/schemas/L"}, {"$ref": "#/components/schemas/T"}],
                        "discriminator": {"propertyName": "type", "mapping": {"llm": "#/components/schemas/L", "tool": "#/components/schemas/T"}},
                        "title": "Response Get Test By Id"
                    }}}}}},
                    "put": {"operationId": "update_test", "responses": {"200": {"content": {"application/json": {"schema": {
                        "oneOf": [{"$ref": "#/components/schemas/L"}, {"$ref": "#/components/schemas/T"}],
                        "discriminator": {"propertyName": "type", "mapping": {"llm": "#/components/schemas/L", "tool": "#/components/schemas/T"}},
                        "title": "Response Update Test"
                    }}}}},
                    "requestBody": {"content": {"application/json": {"schema": {
                        "anyOf": [{"$ref": "#/components/schemas/T"}, {"$ref": "#/components/schemas/L"}],
                        "title": "Test Request"
                    }}}}}
                }
            },
            "components": {"schemas": {
                "L": {"properties": {"type": {"type": "string", "enum": ["llm"], "default": "llm"}, "name": {"type": "string"}}},
                "T": {"properties": {"type": {"type": "string", "enum": ["tool"], "default": "tool"}, "kind": {"type": "string", "enum": ["x"]}}},
                "Run": {"properties": {"info": {
                    "oneOf": [{"$ref": "#/components/schemas/L"}, {"$ref": "#/components/schemas/T"}],
                    "nullable": true, "title": "Info", "description": "What ran"
                }}},
                "Plain": {"properties": {"either": {"anyOf": [{"type": "string"}, {"type": "integer"}]}}}
            }}
        })
    }

    #[test]
    fn discriminated_unions_are_hoisted_with_a_full_mapping() {
        let mut d = doc();
        hoist_unions(&mut d).unwrap();
        let s = &d["components"]["schemas"];
        let expected = json!({
            "oneOf": [{"$ref": "#/components/schemas/L"}, {"$ref": "#/components/schemas/T"}],
            "discriminator": {"propertyName": "type", "mapping": {
                "llm": "#/components/schemas/L", "tool": "#/components/schemas/T"}}
        });
        assert_eq!(s["GetTestResponse"], expected);
        // The same union elsewhere reuses the name.
        assert!(s.get("UpdateTestResponse").is_none());
        assert_eq!(
            d["paths"]["/t/{id}"]["put"]["responses"]["200"]["content"]["application/json"]["schema"],
            json!({"allOf": [{"$ref": "#/components/schemas/GetTestResponse"}], "title": "Response Update Test"})
        );
        // anyOf without a discriminator: inferred from the pinned `type`.
        assert_eq!(
            s["UpdateTestBody"],
            json!({
                "oneOf": [{"$ref": "#/components/schemas/T"}, {"$ref": "#/components/schemas/L"}],
                "discriminator": {"propertyName": "type", "mapping": {
                    "llm": "#/components/schemas/L", "tool": "#/components/schemas/T"}}
            })
        );
        // A nullable property keeps its nullability and title in place; the description
        // goes with the union (which makes it a different one).
        let mut described = expected.clone();
        described["description"] = json!("What ran");
        assert_eq!(s["RunInfo"], described);
        assert_eq!(
            s["Run"]["properties"]["info"],
            json!({"allOf": [{"$ref": "#/components/schemas/RunInfo"}], "nullable": true, "title": "Info"})
        );
        // Not a union of pinned variants: left alone.
        assert!(s["Plain"]["properties"]["either"].get("anyOf").is_some());
    }

    #[test]
    fn ambiguous_or_partial_tags_are_not_unions() {
        let mut schemas = doc()["components"]["schemas"].as_object().cloned().unwrap();
        let u = Unions::new(schemas.clone());
        let targets = ["L".to_owned(), "T".to_owned()];
        assert_eq!(u.discriminate(&targets, None).unwrap().0, "type");
        // One variant without the tag: no union.
        schemas["T"]["properties"]
            .as_object_mut()
            .unwrap()
            .remove("type");
        let u = Unions::new(schemas.clone());
        assert!(u.discriminate(&targets, None).is_none());
        // Two variants pinning the same value: not a discriminator.
        schemas["T"]["properties"]["type"] = json!({"enum": ["llm"]});
        let u = Unions::new(schemas);
        assert!(u.discriminate(&targets, None).is_none());
    }

    #[test]
    fn const_and_one_value_enums_pin() {
        assert_eq!(pinned_value(&json!({"const": "a"})), Some("a"));
        assert_eq!(pinned_value(&json!({"enum": ["a"]})), Some("a"));
        assert_eq!(pinned_value(&json!({"enum": ["a", "b"]})), None);
        assert_eq!(pinned_value(&json!({"type": "string"})), None);
    }
}
