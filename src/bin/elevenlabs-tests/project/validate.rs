//! A test's config file checked against the generated create and update body types, before
//! anything is sent; and both sides of a comparison put in one normal form.
//!
//! Checked: the field types and enum values the generated types carry, then the bounds the
//! spec puts on the kind's top-level fields ([`Tables::bounds`]: `simulation_max_turns`
//! 1..=50, at most 200 `chat_history` items, ...), read from the spec's tables.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use elevenlabs_agent_tests::spec::{Bound, Breach, Tables};
use elevenlabs_agent_tests::types;

use crate::failure::Failure;

/// The kinds of test, as their `type` tag: those this program decodes into generated types
/// (a test checks they are the spec's union tags, so a new kind fails it at the refresh).
pub const KINDS: [&str; 3] = ["llm", "tool", "simulation"];

/// The folder a project asks for a test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FolderWant {
    /// The project says nothing: the remote folder stays as it is.
    Unspecified,
    /// Folders by name from the root (`[]`: the root), re-created when missing.
    Path(Vec<String>),
    /// A folder id (a config's `parent_folder_id`).
    Id(String),
}

/// A checked test body, in normal form: the update body's fields as the generated type
/// serialises them (defaults filled in, read-only fields gone), without `parent_folder_id`.
#[derive(Debug, Clone, PartialEq)]
pub struct Body {
    /// `llm`, `tool` or `simulation`.
    pub kind: String,
    /// The fields, `type` and `name` included.
    pub fields: Map<String, Value>,
}

impl Body {
    /// The test's name.
    pub fn name(&self) -> &str {
        self.fields
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("")
    }

    /// The body of `PUT /v1/convai/agent-testing/{id}`, in `folder` (`None`: the root).
    pub fn update_body(&self, folder: Option<&str>) -> Result<types::UpdateTestBody, String> {
        serde_json::from_value(self.with_folder(folder)).map_err(|e| e.to_string())
    }

    /// The body of `POST /v1/convai/agent-testing/create`, in `folder` (`None`: the root).
    pub fn create_body(&self, folder: Option<&str>) -> Result<types::CreateTestBody, String> {
        serde_json::from_value(self.with_folder(folder)).map_err(|e| e.to_string())
    }

    fn with_folder(&self, folder: Option<&str>) -> Value {
        let mut fields = self.fields.clone();
        if let Some(folder) = folder {
            fields.insert("parent_folder_id".to_owned(), Value::from(folder));
        }
        Value::Object(fields)
    }
}

/// A config file, checked.
#[derive(Debug, Clone)]
pub struct Checked {
    /// Its body, in normal form.
    pub body: Body,
    /// Its `parent_folder_id`, if it has one.
    pub folder: FolderWant,
}

/// Checks the config file `config` (its path, for messages) holding `text`: JSON, an object
/// whose `type` is a kind, whose fields are the body's or the GET's (read-only ones such as
/// `id` are allowed and ignored), each of the type and within the bounds the generated
/// update body (`pushed`) or create body (a new test) takes. Errors name the file, the JSON
/// path and what was expected.
pub fn check(config: &str, text: &str, pushed: bool) -> Result<Checked, Failure> {
    let bad = |what: String| Failure::Usage(format!("{config} is not a valid test: {what}"));
    let value: Value = serde_json::from_str(text).map_err(|e| bad(format!("not JSON: {e}")))?;
    let Value::Object(object) = &value else {
        return Err(bad("expected a JSON object".to_owned()));
    };
    let kind = match object.get("type") {
        Some(Value::String(k)) if KINDS.contains(&k.as_str()) => k.clone(),
        other => {
            return Err(bad(format!(
                "at `type`: expected \"llm\", \"tool\" or \"simulation\", found {}",
                other.map_or("nothing".to_owned(), Value::to_string)
            )));
        }
    };
    let known = known_fields(&kind);
    if let Some(unknown) = object.keys().find(|k| known.binary_search(k).is_err()) {
        return Err(bad(format!(
            "at `{unknown}`: unknown field for a {kind} test; expected one of: {}",
            known.join(", ")
        )));
    }
    let fields = match (kind.as_str(), pushed) {
        ("llm", true) => decode::<types::UpdateResponseUnitTestRequest>(text),
        ("llm", false) => decode::<types::CreateResponseUnitTestRequest>(text),
        ("tool", true) => decode::<types::UpdateToolCallUnitTestRequest>(text),
        ("tool", false) => decode::<types::CreateToolCallUnitTestRequest>(text),
        ("simulation", true) => decode::<types::UpdateSimulationTestRequest>(text),
        _ => decode::<types::CreateSimulationTestRequest>(text),
    }
    .map_err(bad)?;
    if let Some((field, breach)) = breached_bound(&kind, pushed, object) {
        return Err(bad(format!("at `{field}`: {breach}")));
    }
    let folder = match object.get("parent_folder_id") {
        Some(Value::String(id)) => FolderWant::Id(id.clone()),
        _ => FolderWant::Unspecified,
    };
    Ok(Checked {
        body: Body {
            kind,
            fields: without_folder(fields),
        },
        folder,
    })
}

/// The first top-level field of `object` (a config of `kind`) outside a bound the spec puts
/// on it in the update (`pushed`) or create body, with what was expected and found.
fn breached_bound(
    kind: &str,
    pushed: bool,
    object: &Map<String, Value>,
) -> Option<(String, String)> {
    let tables = Tables::current();
    let operation = if pushed { "update_test" } else { "create_test" };
    let schema = tables
        .operation(operation)
        .and_then(|o| o.body.as_deref())
        .and_then(|body| tables.union(body))
        .and_then(|u| u.variants.iter().find(|v| v.tag == kind))?;
    tables
        .bounds(&schema.schema)
        .into_iter()
        .find_map(|(field, bound)| {
            let value = object.get(field)?;
            let breach = bound.breach(value)?;
            let expected = match (bound, breach) {
                (Bound::Int { min, .. }, Breach::Below) => format!("an integer of at least {min}"),
                (Bound::Int { max, .. }, Breach::Above) => format!("an integer of at most {max}"),
                (Bound::Items { min, .. }, Breach::Below) => format!("at least {min} items"),
                (Bound::Items { max, .. }, Breach::Above) => format!("at most {max} items"),
            };
            let found = match value.as_array() {
                Some(items) => format!("{} items", items.len()),
                None => value.to_string(),
            };
            Some((
                field.to_owned(),
                format!("expected {expected} (the spec's bound), found {found}"),
            ))
        })
}

/// A remote test (the body of its GET) in the normal form of [`Body`]: decoded as its
/// kind's update body; what does not decode is kept raw, without the GET's read-only fields.
pub fn normalize_remote(get: &Value) -> Body {
    let kind = get
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    let text = get.to_string();
    let decoded = match kind.as_str() {
        "llm" => decode::<types::UpdateResponseUnitTestRequest>(&text).ok(),
        "tool" => decode::<types::UpdateToolCallUnitTestRequest>(&text).ok(),
        "simulation" => decode::<types::UpdateSimulationTestRequest>(&text).ok(),
        _ => None,
    };
    let fields = decoded.unwrap_or_else(|| {
        let mut raw = get.as_object().cloned().unwrap_or_default();
        for read_only in ["id", "access_info"] {
            raw.remove(read_only);
        }
        raw
    });
    Body {
        kind,
        fields: without_folder(fields),
    }
}

fn without_folder(mut fields: Map<String, Value>) -> Map<String, Value> {
    fields.remove("parent_folder_id");
    fields
}

/// Decodes `text` as `T` (naming the JSON path, line and column of the first wrong field),
/// then encodes it back: the normal form.
fn decode<T: DeserializeOwned + Serialize>(text: &str) -> Result<Map<String, Value>, String> {
    let de = &mut serde_json::Deserializer::from_str(text);
    let body: T = serde_path_to_error::deserialize(de).map_err(|e| {
        let inner = e.inner();
        format!(
            "at `{}` (line {}, column {}): {}",
            e.path(),
            inner.line(),
            inner.column(),
            strip_position(&inner.to_string())
        )
    })?;
    match serde_json::to_value(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err("not an object".to_owned()),
        Err(e) => Err(e.to_string()),
    }
}

/// serde_json's message without its ` at line L column C` (said once, before).
fn strip_position(message: &str) -> &str {
    message
        .rfind(" at line ")
        .map_or(message, |at| &message[..at])
}

/// The fields a config of `kind` may have, sorted: those of its create, update and GET
/// bodies, from the generated types' JSON Schemas (that is, from the spec); worked out once
/// per kind.
pub fn known_fields(kind: &str) -> &'static [String] {
    static FIELDS: [std::sync::OnceLock<Vec<String>>; 3] =
        [const { std::sync::OnceLock::new() }; 3];
    let i = KINDS.iter().position(|k| *k == kind).unwrap_or(2);
    FIELDS[i].get_or_init(|| fields_of(KINDS[i]))
}

fn fields_of(kind: &str) -> Vec<String> {
    let schemas = match kind {
        "llm" => [
            schemars::schema_for!(types::CreateResponseUnitTestRequest),
            schemars::schema_for!(types::UpdateResponseUnitTestRequest),
            schemars::schema_for!(types::GetResponseUnitTestResponseModel),
        ],
        "tool" => [
            schemars::schema_for!(types::CreateToolCallUnitTestRequest),
            schemars::schema_for!(types::UpdateToolCallUnitTestRequest),
            schemars::schema_for!(types::GetToolCallUnitTestResponseModel),
        ],
        _ => [
            schemars::schema_for!(types::CreateSimulationTestRequest),
            schemars::schema_for!(types::UpdateSimulationTestRequest),
            schemars::schema_for!(types::GetSimulationTestResponseModel),
        ],
    };
    let mut fields: Vec<String> = schemas
        .iter()
        .filter_map(|s| s.schema.object.as_ref())
        .flat_map(|o| o.properties.keys().cloned())
        .collect();
    fields.sort();
    fields.dedup();
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str, pushed: bool) -> String {
        match check("test_configs/t.json", text, pushed) {
            Err(Failure::Usage(m)) => m,
            other => panic!("expected a usage error, got {other:?}"),
        }
    }

    #[test]
    fn a_config_from_a_get_is_read_and_its_read_only_fields_ignored() {
        let text = r#"{
    "id": "t1",
    "access_info": {"is_creator": true, "creator_name": "a", "creator_email": "b", "role": "admin"},
    "type": "simulation",
    "name": "Sim",
    "simulation_scenario": "a user",
    "success_conditions": ["ok"]
}"#;
        let checked = check("c.json", text, true).unwrap();
        assert_eq!(checked.body.kind, "simulation");
        assert_eq!(checked.body.name(), "Sim");
        assert!(!checked.body.fields.contains_key("id"));
        assert!(!checked.body.fields.contains_key("access_info"));
        // The default the spec sets is filled in, so a file without it equals one with it.
        assert_eq!(checked.body.fields["simulation_max_turns"], 5);
        assert_eq!(checked.folder, FolderWant::Unspecified);
        assert!(checked.body.update_body(Some("f1")).is_ok());
        assert!(checked.body.create_body(None).is_ok());
    }

    #[test]
    fn bad_configs_are_named_with_their_path() {
        assert!(err("{", true).contains("not JSON"));
        assert!(err("[]", true).contains("expected a JSON object"));
        let m = err(r#"{"type": "voice", "name": "x"}"#, true);
        assert!(m.contains("at `type`") && m.contains("\"voice\""), "{m}");
        let m = err(r#"{"name": "x"}"#, true);
        assert!(m.contains("found nothing"), "{m}");
        let m = err(
            "{\"type\": \"simulation\", \"name\": \"x\",\n \"simulation_max_turns\": 0}",
            true,
        );
        assert!(
            m.starts_with(
                "test_configs/t.json is not a valid test: at `simulation_max_turns` (line 2, column"
            ),
            "{m}"
        );
        let m = err(r#"{"type": "llm", "name": 3}"#, false);
        assert!(
            m.contains("at `name`") && m.contains("expected a string"),
            "{m}"
        );
        let m = err(
            r#"{"type": "llm", "name": "x", "chat_history": [{"role": "user", "time_in_call_secs": 1, "message": "hi"}, {"role": 5}]}"#,
            true,
        );
        assert!(m.contains("at `chat_history[1].role`"), "{m}");
        let m = err(
            r#"{"type": "llm", "name": "x", "sucess_condition": "typo"}"#,
            true,
        );
        assert!(m.contains("at `sucess_condition`: unknown field"), "{m}");
    }

    #[test]
    fn the_spec_s_bounds_on_body_fields_are_checked_for_both_bodies() {
        for pushed in [true, false] {
            let m = err(
                r#"{"type": "simulation", "name": "x", "simulation_max_turns": 51}"#,
                pushed,
            );
            assert_eq!(
                m,
                "test_configs/t.json is not a valid test: at `simulation_max_turns`: expected \
                 an integer of at most 50 (the spec's bound), found 51"
            );
            let one = r#"{"response": "ok", "type": "success"}"#;
            let six = [one; 6].join(", ");
            let m = err(
                &format!(r#"{{"type": "llm", "name": "x", "success_examples": [{six}]}}"#),
                pushed,
            );
            assert!(
                m.ends_with("at `success_examples`: expected at most 5 items (the spec's bound), found 6 items"),
                "{m}"
            );
        }
        let at_max = r#"{"type": "simulation", "name": "x", "simulation_max_turns": 50}"#;
        assert!(check("c.json", at_max, true).is_ok());
        // A bound on another kind's field is not applied.
        let llm = r#"{"type": "llm", "name": "x", "chat_history": []}"#;
        assert!(check("c.json", llm, true).is_ok());
    }

    #[test]
    fn each_kind_is_read_as_its_own_body_type() {
        let tool = r#"{"type": "tool", "name": "x", "chat_history": [],
            "tool_call_parameters": {"referenced_tool": {"id": "t1", "type": "webhook"},
                "parameters": [], "verify_absence": false}}"#;
        let configs = [
            (
                r#"{"type": "llm", "name": "x", "chat_history": [], "success_condition": "greets"}"#,
                "success_condition",
            ),
            (tool, "tool_call_parameters"),
            (
                r#"{"type": "simulation", "name": "x", "simulation_scenario": "a user", "success_conditions": ["ok"]}"#,
                "simulation_scenario",
            ),
        ];
        for (text, own) in configs {
            // Read as its kind's type: its own field kept, in the normal form both sides of
            // a comparison share (the remote test as its GET gives it equals the local one).
            let pushed = check("c.json", text, true).unwrap().body;
            let new = check("c.json", text, false).unwrap().body;
            let remote = normalize_remote(&serde_json::from_str(text).unwrap());
            assert!(pushed.fields.contains_key(own), "{text}");
            assert!(new.fields.contains_key(own), "{text}");
            assert_eq!(remote, pushed, "{text}");
        }
    }

    #[test]
    fn the_kinds_decoded_are_the_spec_s_union_tags() {
        let tables = Tables::current();
        for body in ["CreateTestBody", "UpdateTestBody"] {
            let mut tags: Vec<&str> = tables
                .union(body)
                .unwrap()
                .variants
                .iter()
                .map(|v| v.tag.as_str())
                .collect();
            tags.sort_unstable();
            let mut kinds = KINDS.to_vec();
            kinds.sort_unstable();
            assert_eq!(tags, kinds, "{body}");
        }
    }

    #[test]
    fn a_parent_folder_id_in_a_config_is_a_folder_wish() {
        let checked = check(
            "c.json",
            r#"{"type": "tool", "name": "x", "parent_folder_id": "fo_1"}"#,
            false,
        )
        .unwrap();
        assert_eq!(checked.folder, FolderWant::Id("fo_1".to_owned()));
        assert!(!checked.body.fields.contains_key("parent_folder_id"));
    }

    #[test]
    fn a_remote_test_and_its_pulled_config_have_one_normal_form() {
        let get = serde_json::json!({
            "id": "t1", "type": "llm", "name": "L", "success_condition": "yes",
            "access_info": {"is_creator": true, "creator_name": "a", "creator_email": "b", "role": "admin"}
        });
        let remote = normalize_remote(&get);
        let local = check("c.json", &get.to_string(), true).unwrap().body;
        assert_eq!(remote, local);
        // A kind this version does not know is kept raw, without the read-only fields.
        let odd = normalize_remote(&serde_json::json!({"id": "t2", "type": "voice", "x": 1}));
        assert_eq!(odd.kind, "voice");
        assert_eq!(
            Value::Object(odd.fields),
            serde_json::json!({"type": "voice", "x": 1})
        );
    }

    #[test]
    fn known_fields_come_from_the_spec() {
        let llm = known_fields("llm");
        for f in [
            "id",
            "name",
            "type",
            "success_condition",
            "parent_folder_id",
            "access_info",
        ] {
            assert!(llm.iter().any(|k| k == f), "{f}");
        }
        assert!(!llm.iter().any(|k| k == "simulation_max_turns"));
        assert!(
            known_fields("simulation")
                .iter()
                .any(|k| k == "simulation_max_turns")
        );
        assert!(
            known_fields("tool")
                .iter()
                .any(|k| k == "tool_call_parameters")
        );
    }
}
