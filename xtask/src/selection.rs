//! `spec/selection.json`: which operations (and extra schemas) the client is generated for.

use serde_json::Value;

use crate::error::Error;

/// HTTP methods an OpenAPI path item can hold, in the order used for output.
pub const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// One selected operation.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct OperationSel {
    /// Lower-case HTTP method.
    pub method: String,
    /// Path template, as in the document's `paths`.
    pub path: String,
}

/// The parsed selection file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Selection {
    /// Operations to copy.
    pub operations: Vec<OperationSel>,
    /// Component schemas to copy even when no selected operation refers to them.
    pub extra_schemas: Vec<String>,
}

/// Parses and validates the selection file's text.
pub fn parse_selection(text: &str) -> Result<Selection, Error> {
    let bad = |m: String| Error::Selection(m);
    let doc: Value = serde_json::from_str(text).map_err(|e| bad(format!("not JSON: {e}")))?;
    let Some(obj) = doc.as_object() else {
        return Err(bad("the top level is not an object".into()));
    };
    if let Some(k) = obj
        .keys()
        .find(|k| !matches!(k.as_str(), "operations" | "extra_schemas"))
    {
        return Err(bad(format!(
            "unknown key `{k}` (expected `operations`, `extra_schemas`)"
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
        if op.as_object().is_some_and(|o| o.len() != 2) {
            return Err(bad(format!(
                "operations[{i}]: only `method` and `path` are allowed"
            )));
        }
        let sel = OperationSel { method, path };
        if operations.contains(&sel) {
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
    Ok(Selection {
        operations,
        extra_schemas,
    })
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
                path: "/v1/convai/test-invocations".into()
            }]
        );
        assert_eq!(s.extra_schemas, vec!["HTTPValidationError".to_owned()]);
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
        ] {
            let e = parse_selection(text).unwrap_err();
            assert!(e.to_string().contains(needle), "{text}: {e}");
        }
    }
}
