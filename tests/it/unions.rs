//! The API's "one of several kinds" objects decode into their own kind, never another:
//! test kinds (`llm` / `tool` / `simulation`) in test details, test runs and request bodies,
//! and the parameter evaluation strategies. A kind this version does not know is kept whole.

use elevenlabs_agent_tests::types::{
    CreateTestBody, GetTestResponse, UnitTestRunResponseModelTestInfo,
    UnitTestToolCallParameterEval,
};
use serde_json::{Value, json};

fn decode<T: serde::de::DeserializeOwned>(value: Value) -> T {
    serde_json::from_value(value).expect("decodes")
}

fn reencode<T: serde::Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap()
}

#[test]
fn each_test_kind_decodes_into_its_own_variant_with_its_fields() {
    let tool = json!({"id": "t1", "name": "Looks up the order", "type": "tool",
        "tool_call_parameters": {"referenced_tool": {"id": "tool_1", "type": "webhook"}, "verify_absence": true}});
    let GetTestResponse::Tool(t) = decode(tool.clone()) else {
        panic!("a tool test must decode as Tool")
    };
    let params = t.tool_call_parameters.expect("tool fields kept");
    assert!(params.verify_absence);
    assert_eq!(params.referenced_tool.unwrap().id, "tool_1");

    let sim =
        json!({"id": "t2", "name": "Refund", "type": "simulation", "simulation_max_turns": 9});
    let GetTestResponse::Simulation(s) = decode(sim) else {
        panic!("a simulation test must decode as Simulation")
    };
    assert_eq!(s.simulation_max_turns.get(), 9);

    let llm = json!({"id": "t3", "name": "Greets", "type": "llm", "success_condition": "greets"});
    let GetTestResponse::Llm(l) = decode(llm) else {
        panic!("an llm test must decode as Llm")
    };
    assert_eq!(l.success_condition, "greets");
}

#[test]
fn every_kind_re_serialises_unchanged() {
    for value in [
        json!({"id": "t1", "name": "n", "type": "tool", "check_any_tool_matches": true}),
        json!({"id": "t2", "name": "n", "type": "simulation", "simulation_scenario": "s", "simulation_max_turns": 3}),
        json!({"id": "t3", "name": "n", "type": "llm", "success_condition": "c"}),
    ] {
        let decoded: GetTestResponse = decode(value.clone());
        let out = reencode(&decoded);
        for (k, v) in value.as_object().unwrap() {
            assert_eq!(&out[k], v, "{k} of {value}");
        }
        assert_eq!(decoded.kind(), value["type"].as_str());
    }
}

#[test]
fn an_unknown_kind_is_kept_whole_not_misfiled() {
    let voice = json!({"id": "t9", "name": "Speaks", "type": "voice", "voice_id": "v1", "nested": {"a": [1, 2]}});
    let decoded: GetTestResponse = decode(voice.clone());
    let GetTestResponse::Unknown(unknown) = &decoded else {
        panic!("an unknown kind must not decode as a known one: {decoded:?}")
    };
    assert_eq!(unknown.kind(), Some("voice"));
    assert_eq!(unknown.as_json(), &voice);
    assert!(decoded.is_unknown());
    assert_eq!(reencode(&decoded), voice, "serialises back byte for byte");
}

#[test]
fn an_object_without_a_tag_is_unknown_not_the_first_kind() {
    let untagged = json!({"id": "t1", "name": "n", "tool_call_parameters": {}});
    let decoded: GetTestResponse = decode(untagged.clone());
    assert!(decoded.is_unknown(), "{decoded:?}");
    assert_eq!(decoded.kind(), None);
    assert_eq!(reencode(&decoded), untagged);
}

#[test]
fn a_bad_field_in_a_known_kind_is_an_error_naming_the_kind() {
    let bad =
        json!({"id": "t1", "name": "n", "type": "simulation", "simulation_max_turns": "many"});
    let err = serde_json::from_value::<GetTestResponse>(bad).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("simulation"), "{text}");
    assert!(text.contains("GetTestResponse"), "{text}");
}

#[test]
fn a_non_object_is_an_error() {
    let err = serde_json::from_value::<GetTestResponse>(json!("llm")).unwrap_err();
    assert!(err.to_string().contains("expected an object"), "{err}");
    // The message says what came instead.
    for (value, found) in [
        (json!(null), "found null"),
        (json!(true), "found a boolean"),
        (json!(3), "found a number"),
        (json!("llm"), "found a string"),
        (json!([1]), "found an array"),
    ] {
        let err = serde_json::from_value::<GetTestResponse>(value).unwrap_err();
        assert!(err.to_string().contains(found), "{err}");
    }
}

#[test]
fn test_info_of_a_run_is_discriminated_too() {
    let runs = [
        (json!({"type": "tool"}), "tool"),
        (json!({"type": "llm", "success_condition": "x"}), "llm"),
        (json!({"type": "simulation"}), "simulation"),
    ];
    for (value, kind) in runs {
        let info: UnitTestRunResponseModelTestInfo = decode(value);
        assert_eq!(info.kind(), Some(kind));
        assert!(!info.is_unknown());
    }
    assert!(matches!(
        decode::<UnitTestRunResponseModelTestInfo>(json!({"type": "tool"})),
        UnitTestRunResponseModelTestInfo::Tool(_)
    ));
}

#[test]
fn parameter_evaluation_strategies_are_discriminated() {
    let exact: UnitTestToolCallParameterEval =
        decode(json!({"type": "exact", "expected_value": "1234"}));
    let UnitTestToolCallParameterEval::Exact(e) = exact else {
        panic!("exact")
    };
    assert_eq!(e.expected_value, "1234");
    let regex: UnitTestToolCallParameterEval = decode(json!({"type": "regex", "pattern": "^a"}));
    assert!(matches!(regex, UnitTestToolCallParameterEval::Regex(_)));
    assert_eq!(
        UnitTestToolCallParameterEval::KNOWN,
        ["anything", "exact", "llm", "regex"]
    );
}

#[test]
fn a_request_body_is_the_kind_the_caller_picked_with_its_tag() {
    let body = CreateTestBody::Tool(
        elevenlabs_agent_tests::types::CreateToolCallUnitTestRequest::builder()
            .name("n")
            .try_into()
            .unwrap(),
    );
    let json = reencode(&body);
    assert_eq!(json["type"], "tool");
    assert_eq!(json["name"], "n");
    // And back: the same kind.
    assert!(matches!(
        decode::<CreateTestBody>(json),
        CreateTestBody::Tool(_)
    ));
    // `From` for each kind.
    let sim: CreateTestBody = elevenlabs_agent_tests::types::CreateSimulationTestRequest::builder()
        .name("s")
        .try_into()
        .map(|v: elevenlabs_agent_tests::types::CreateSimulationTestRequest| v.into())
        .unwrap();
    assert_eq!(sim.kind(), Some("simulation"));
    assert_eq!(reencode(&sim)["type"], "simulation");
}

#[test]
fn the_json_schema_of_a_union_lists_its_kinds() {
    let schema = schemars::schema_for!(GetTestResponse);
    let json = serde_json::to_value(&schema).unwrap();
    let one_of = json["oneOf"].as_array().expect("oneOf");
    assert_eq!(one_of.len(), 3);
    let refs: Vec<&str> = one_of.iter().filter_map(|s| s["$ref"].as_str()).collect();
    assert!(
        refs.iter()
            .any(|r| r.ends_with("GetToolCallUnitTestResponseModel")),
        "{refs:?}"
    );
}
