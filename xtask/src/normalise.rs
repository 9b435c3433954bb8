//! Canonical JSON text: keys sorted, 2-space indentation, trailing newline.

use serde_json::{Map, Value};

/// `value` with every object's keys in sorted order (also correct if some crate in the build
/// enables serde_json's `preserve_order`).
pub fn sort_keys(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k, sort_keys(v)))
                    .collect::<Map<String, Value>>(),
            )
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sort_keys).collect()),
        other => other,
    }
}

/// The canonical text of `value`.
pub fn render(value: &Value) -> String {
    // Serialising a `Value` cannot fail: its keys are strings.
    let mut text = serde_json::to_string_pretty(&sort_keys(value.clone())).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sorted_indented_with_newline() {
        let v = json!({"b": [{"z": 1, "a": 2.0}], "a": null});
        assert_eq!(
            render(&v),
            "{\n  \"a\": null,\n  \"b\": [\n    {\n      \"a\": 2.0,\n      \"z\": 1\n    }\n  ]\n}\n"
        );
    }

    #[test]
    fn deterministic() {
        let v: Value = serde_json::from_str(r#"{"y": {"d": 1, "c": [3, 2]}, "x": "é"}"#).unwrap();
        assert_eq!(render(&v), render(&v.clone()));
        assert_eq!(
            render(&serde_json::from_str(&render(&v)).unwrap()),
            render(&v)
        );
    }
}
