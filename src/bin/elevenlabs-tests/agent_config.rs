//! `run --agent-config FILE`: the agent configuration sent as the run's
//! `agent_config_override`, read and checked before anything is sent.

use std::io::{self, Read};
use std::path::Path;

use elevenlabs_agent_tests::types::AdhocAgentConfigOverrideForTestRequestModel;

use crate::failure::Failure;

/// The top-level keys the API takes in an `agent_config_override`.
///
/// `spec/selection.json` keeps `AdhocAgentConfigOverrideForTestRequestModel` opaque (its
/// 320-schema closure is not typed), so the generated type is a free-form object and cannot
/// list them; these are its upstream properties (`conversation_config`, `platform_settings`,
/// `workflow`). A test checks that each is a field of the generated agent model too, so a
/// rename upstream shows.
pub const OVERRIDE_KEYS: &[&str] = &["conversation_config", "platform_settings", "workflow"];

/// Reads `path` (`-`: stdin): a JSON object with only [`OVERRIDE_KEYS`], each an object.
pub fn read(path: &Path) -> Result<AdhocAgentConfigOverrideForTestRequestModel, Failure> {
    let text = if path == Path::new("-") {
        let mut s = String::new();
        io::stdin()
            .read_to_string(&mut s)
            .map_err(|e| Failure::Usage(format!("cannot read --agent-config from stdin: {e}")))?;
        s
    } else {
        std::fs::read_to_string(path).map_err(|e| {
            Failure::Usage(format!(
                "cannot read --agent-config {}: {e}",
                path.display()
            ))
        })?
    };
    parse(&text).map_err(|why| {
        Failure::Usage(format!(
            "--agent-config {} is not a valid agent configuration: {why}",
            path.display()
        ))
    })
}

/// Checks the text of an override; the error says what is wrong and where.
pub fn parse(text: &str) -> Result<AdhocAgentConfigOverrideForTestRequestModel, String> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let serde_json::Value::Object(map) = value else {
        return Err("expected a JSON object".to_owned());
    };
    for (key, value) in &map {
        if !OVERRIDE_KEYS.contains(&key.as_str()) {
            return Err(format!(
                "unknown top-level key `{key}` (the API takes {})",
                OVERRIDE_KEYS
                    .iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        if !value.is_object() {
            return Err(format!("`{key}` must be a JSON object"));
        }
    }
    if map.is_empty() {
        return Err("the object is empty".to_owned());
    }
    Ok(AdhocAgentConfigOverrideForTestRequestModel::from(map))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_override_keys_each_an_object() {
        let ok = parse(r#"{"conversation_config": {"agent": {}}, "workflow": {}}"#).unwrap();
        assert_eq!(ok.len(), 2);
        let err = parse(r#"{"conversation_config": {}, "name": "x"}"#).unwrap_err();
        assert!(err.starts_with("unknown top-level key `name`"), "{err}");
        assert_eq!(
            parse(r#"{"workflow": 3}"#).unwrap_err(),
            "`workflow` must be a JSON object"
        );
        assert_eq!(parse("[1]").unwrap_err(), "expected a JSON object");
        assert_eq!(parse("{}").unwrap_err(), "the object is empty");
        assert!(parse("{").unwrap_err().starts_with("not JSON"));
    }

    #[test]
    fn the_keys_are_fields_of_the_generated_agent_model() {
        let schema = schemars::schema_for!(elevenlabs_agent_tests::types::GetAgentResponseModel);
        let properties = &schema.schema.object.as_ref().unwrap().properties;
        for key in OVERRIDE_KEYS {
            assert!(properties.contains_key(*key), "{key}");
        }
    }
}
