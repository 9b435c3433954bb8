//! `src/json_schema.rs`: its own items, hidden or public.

#[test]
fn an_open_enum_is_a_string_schema_of_the_spec_values() {
    let schema = serde_json::to_value(schemars::schema_for!(
        elevenlabs_agent_tests::types::TestRunStatus
    ))
    .expect("a schema serialises");
    assert_eq!(schema["type"], "string");
    let values = schema["enum"].as_array().expect("an enum");
    assert!(values.contains(&"passed".into()) && values.contains(&"failed".into()));
}
