//! `src/agent.rs`: its own items, hidden or public.

use elevenlabs_agent_tests::types::GetAgentResponseModel;

fn agent(extra: serde_json::Value) -> GetAgentResponseModel {
    let mut value = serde_json::json!({
        "agent_id": "agent_1", "name": "Support", "conversation_config": {}, "metadata": {}
    });
    value
        .as_object_mut()
        .expect("object")
        .extend(extra.as_object().expect("object").clone());
    serde_json::from_value(value).expect("an agent")
}

#[test]
fn attached_tests_are_the_agents_testing_settings() {
    let a = agent(
        serde_json::json!({"platform_settings": {"testing": {"attached_tests": [
            {"test_id": "t1"}, {"test_id": "t2", "workflow_node_id": "n"}
        ]}}}),
    );
    let ids: Vec<&str> = a
        .attached_tests()
        .iter()
        .map(|t| t.test_id.as_str())
        .collect();
    assert_eq!(ids, ["t1", "t2"]);
    assert!(agent(serde_json::json!({})).attached_tests().is_empty());
    assert!(
        agent(serde_json::json!({"platform_settings": {}}))
            .attached_tests()
            .is_empty()
    );
}
