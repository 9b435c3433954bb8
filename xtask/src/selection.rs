//! `spec/selection.json`: which operations (and extra schemas) the client is generated for.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::error::Error;

/// HTTP methods an OpenAPI path item can hold, in the order used for output.
pub const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// One selected operation.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct OperationSel {
    /// Lower-case HTTP method.
    pub method: String,
    /// Path template, as in the document's `paths`.
    pub path: String,
    /// The upstream `operationId` this entry maps; checked against the source so a renamed
    /// upstream operation is reported, not silently followed.
    pub operation_id: Option<String>,
    /// The `Client` method name (becomes the translated document's `operationId`).
    pub name: Option<String>,
}

/// The parsed selection file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Selection {
    /// Operations to copy.
    pub operations: Vec<OperationSel>,
    /// Component schemas to copy even when no selected operation refers to them.
    pub extra_schemas: Vec<String>,
    /// Pruning: component schemas the `$ref` closure stops at; each becomes a free-form JSON
    /// object (`serde_json::Map` in Rust).
    pub opaque: Vec<String>,
    /// Pruning: component schemas kept typed but shallow: each property that refers to other
    /// schemas becomes free-form JSON, except the properties listed (schema → kept names).
    pub shallow: BTreeMap<String, Vec<String>>,
}

impl Selection {
    /// Whether `name` is pruned by a rule (opaque or shallow).
    pub fn prunes(&self, name: &str) -> bool {
        self.opaque.iter().any(|n| n == name) || self.shallow.contains_key(name)
    }

    /// The selection without what `doc` lacks: the operations it does not have, and the
    /// extra schemas and pruning rules naming schemas it does not have. This selects the
    /// upstream part of what the overlay extends (`spec/upstream.json`); whatever the
    /// overlaid document lacks too is reported when selecting from that one.
    pub fn restricted_to(&self, doc: &Value) -> Selection {
        let has_schema = |n: &String| {
            doc.pointer("/components/schemas")
                .and_then(|s| s.get(n))
                .is_some()
        };
        let has_op = |o: &OperationSel| {
            doc.get("paths")
                .and_then(|p| p.get(&o.path))
                .and_then(|i| i.get(&o.method))
                .is_some()
        };
        Selection {
            operations: self
                .operations
                .iter()
                .filter(|o| has_op(o))
                .cloned()
                .collect(),
            extra_schemas: self
                .extra_schemas
                .iter()
                .filter(|n| has_schema(n))
                .cloned()
                .collect(),
            opaque: self
                .opaque
                .iter()
                .filter(|n| has_schema(n))
                .cloned()
                .collect(),
            shallow: self
                .shallow
                .iter()
                .filter(|(n, _)| has_schema(n))
                .map(|(n, k)| (n.clone(), k.clone()))
                .collect(),
        }
    }
}

/// Parses and validates the selection file's text.
pub fn parse_selection(text: &str) -> Result<Selection, Error> {
    let bad = |m: String| Error::Selection(m);
    let doc: Value = serde_json::from_str(text).map_err(|e| bad(format!("not JSON: {e}")))?;
    let Some(obj) = doc.as_object() else {
        return Err(bad("the top level is not an object".into()));
    };
    if let Some(k) = obj.keys().find(|k| {
        !matches!(
            k.as_str(),
            "operations" | "extra_schemas" | "opaque" | "shallow"
        )
    }) {
        return Err(bad(format!(
            "unknown key `{k}` (expected `operations`, `extra_schemas`, `opaque`, `shallow`)"
        )));
    }
    let Some(ops) = obj.get("operations").and_then(Value::as_array) else {
        return Err(bad("`operations` must be an array".into()));
    };
    if ops.is_empty() {
        return Err(bad("`operations` is empty".into()));
    }
    let mut operations = Vec::new();
    for (i, op) in ops.iter().enumerate() {
        let field = |name: &str| {
            op.get(name)
                .and_then(Value::as_str)
                .ok_or_else(|| bad(format!("operations[{i}] needs a string `{name}`")))
        };
        let method = field("method")?.to_ascii_lowercase();
        let path = field("path")?.to_owned();
        if !METHODS.contains(&method.as_str()) {
            return Err(bad(format!("operations[{i}]: unknown method `{method}`")));
        }
        if !path.starts_with('/') {
            return Err(bad(format!(
                "operations[{i}]: path `{path}` does not start with `/`"
            )));
        }
        if let Some(k) = op.as_object().and_then(|o| {
            o.keys()
                .find(|k| !matches!(k.as_str(), "method" | "path" | "operation_id" | "name"))
        }) {
            return Err(bad(format!(
                "operations[{i}]: unknown key `{k}` (allowed: `method`, `path`, `operation_id`, `name`)"
            )));
        }
        let optional = |key: &str| match op.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(bad(format!("operations[{i}]: `{key}` must be a string"))),
        };
        let operation_id = optional("operation_id")?;
        let name = optional("name")?;
        if let Some(n) = &name
            && !is_snake_identifier(n)
        {
            return Err(bad(format!(
                "operations[{i}]: name `{n}` is not a snake_case Rust identifier"
            )));
        }
        if let Some(n) = &name
            && operations
                .iter()
                .any(|o: &OperationSel| o.name.as_ref() == Some(n))
        {
            return Err(bad(format!("method name `{n}` is used twice")));
        }
        let sel = OperationSel {
            method,
            path,
            operation_id,
            name,
        };
        if operations
            .iter()
            .any(|o: &OperationSel| o.method == sel.method && o.path == sel.path)
        {
            return Err(bad(format!(
                "operation `{} {}` is listed twice",
                sel.method.to_uppercase(),
                sel.path
            )));
        }
        operations.push(sel);
    }
    let extra_schemas = match obj.get("extra_schemas") {
        None => Vec::new(),
        Some(Value::Array(names)) => names
            .iter()
            .map(|n| {
                n.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| bad("`extra_schemas` must hold strings".into()))
            })
            .collect::<Result<Vec<_>, _>>()?,
        Some(_) => return Err(bad("`extra_schemas` must be an array".into())),
    };
    let opaque = match obj.get("opaque") {
        None => Vec::new(),
        Some(v) => string_list(v, "opaque")?,
    };
    let mut shallow = BTreeMap::new();
    match obj.get("shallow") {
        None => {}
        Some(Value::Object(map)) => {
            for (name, keep) in map {
                shallow.insert(name.clone(), string_list(keep, &format!("shallow.{name}"))?);
            }
        }
        Some(_) => {
            return Err(bad(
                "`shallow` must be an object (schema name → list of kept properties)".into(),
            ));
        }
    }
    if let Some(n) = opaque.iter().find(|n| shallow.contains_key(*n)) {
        return Err(bad(format!("`{n}` is both opaque and shallow")));
    }
    Ok(Selection {
        operations,
        extra_schemas,
        opaque,
        shallow,
    })
}

/// A JSON array of strings, or an error naming `what`.
fn string_list(value: &Value, what: &str) -> Result<Vec<String>, Error> {
    let bad = || Error::Selection(format!("`{what}` must be an array of strings"));
    value
        .as_array()
        .ok_or_else(bad)?
        .iter()
        .map(|v| v.as_str().map(str::to_owned).ok_or_else(bad))
        .collect()
}

/// `list_tests`: lower-case ASCII letters, digits and `_`, not starting with a digit.
pub fn is_snake_identifier(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_committed_shape() {
        let s = parse_selection(
            r#"{"operations": [{"method": "GET", "path": "/v1/convai/test-invocations"}],
                "extra_schemas": ["HTTPValidationError"]}"#,
        )
        .unwrap();
        assert_eq!(
            s.operations,
            vec![OperationSel {
                method: "get".into(),
                path: "/v1/convai/test-invocations".into(),
                ..Default::default()
            }]
        );
        assert_eq!(s.extra_schemas, vec!["HTTPValidationError".to_owned()]);
    }

    #[test]
    fn names_and_pruning_rules_are_read() {
        let s = parse_selection(
            r#"{"operations": [{"method": "get", "path": "/a", "operation_id": "a_route", "name": "list_a"}],
                "opaque": ["Big"], "shallow": {"Deep": ["keep"]}}"#,
        )
        .unwrap();
        assert_eq!(s.operations[0].operation_id.as_deref(), Some("a_route"));
        assert_eq!(s.operations[0].name.as_deref(), Some("list_a"));
        assert_eq!(s.opaque, vec!["Big".to_owned()]);
        assert_eq!(s.shallow["Deep"], vec!["keep".to_owned()]);
        assert!(s.prunes("Big") && s.prunes("Deep") && !s.prunes("a"));
    }

    #[test]
    fn restricted_to_what_a_document_has() {
        let s = parse_selection(
            r#"{"operations": [{"method": "get", "path": "/a"}, {"method": "post", "path": "/a"}, {"method": "get", "path": "/b"}],
                "extra_schemas": ["X", "Gone"], "opaque": ["X", "Nope"], "shallow": {"Y": [], "Nah": []}}"#,
        )
        .unwrap();
        let doc = serde_json::json!({"paths": {"/a": {"get": {}}}, "components": {"schemas": {"X": {}, "Y": {}}}});
        let r = s.restricted_to(&doc);
        assert_eq!(r.operations, vec![s.operations[0].clone()]);
        assert_eq!(r.extra_schemas, vec!["X".to_owned()]);
        assert_eq!(r.opaque, vec!["X".to_owned()]);
        assert_eq!(r.shallow.keys().collect::<Vec<_>>(), vec!["Y"]);
    }

    #[test]
    fn extra_schemas_are_optional() {
        let s = parse_selection(r#"{"operations": [{"method": "get", "path": "/a"}]}"#).unwrap();
        assert!(s.extra_schemas.is_empty());
    }

    #[test]
    fn rejects_bad_files() {
        for (text, needle) in [
            ("nope", "not JSON"),
            ("[]", "not an object"),
            (r#"{"operations": []}"#, "empty"),
            (r#"{"operation": []}"#, "unknown key `operation`"),
            (r#"{"operations": [{"method": "get"}]}"#, "`path`"),
            (
                r#"{"operations": [{"method": "fetch", "path": "/a"}]}"#,
                "unknown method",
            ),
            (
                r#"{"operations": [{"method": "get", "path": "a"}]}"#,
                "does not start",
            ),
            (
                r#"{"operations": [{"method": "get", "path": "/a"}, {"method": "get", "path": "/a"}]}"#,
                "twice",
            ),
            (
                r#"{"operations": [{"method": "get", "path": "/a"}], "extra_schemas": [1]}"#,
                "strings",
            ),
            (
                r#"{"operations": [{"method": "get", "path": "/a", "name": "List-Tests"}]}"#,
                "snake_case",
            ),
            (
                r#"{"operations": [{"method": "get", "path": "/a", "name": "x"}, {"method": "get", "path": "/b", "name": "x"}]}"#,
                "used twice",
            ),
            (
                r#"{"operations": [{"method": "get", "path": "/a", "nmae": "x"}]}"#,
                "unknown key `nmae`",
            ),
            (
                r#"{"operations": [{"method": "get", "path": "/a"}], "opaque": "A"}"#,
                "`opaque` must be an array",
            ),
            (
                r#"{"operations": [{"method": "get", "path": "/a"}], "shallow": ["A"]}"#,
                "`shallow` must be an object",
            ),
            (
                r#"{"operations": [{"method": "get", "path": "/a"}], "opaque": ["A"], "shallow": {"A": []}}"#,
                "both opaque and shallow",
            ),
        ] {
            let e = parse_selection(text).unwrap_err();
            assert!(e.to_string().contains(needle), "{text}: {e}");
        }
    }
}
