//! Agents: `GET /v1/convai/agents/{agent_id}` and `POST /v1/convai/agents/{agent_id}/run-tests`.

use hyper::StatusCode;
use serde_json::{Value, json};

use super::Ctx;
use crate::fake::http::{Resp, json_response, not_found, ok, param, parse_body};
use crate::fake::state::{RunSpec, creator_access};
use crate::types::{
    AgentPlatformSettingsResponseModel, AgentTestingSettings, AttachedTestModel,
    GetAgentResponseModel, RunAgentTestsRequestModel,
};

/// `GET /agents/{id}`: the demo agent, its attached tests in `platform_settings.testing`.
pub(crate) fn get(ctx: &Ctx<'_>, id: &str) -> Resp {
    let store = ctx.store();
    let Some(agent) = store.agent(id) else {
        return not_found("agent", id);
    };
    let attached_tests = agent
        .attached
        .iter()
        .filter(|t| store.test(t).is_some())
        .map(|t| AttachedTestModel {
            test_id: t.clone(),
            workflow_node_id: None,
        })
        .collect();
    let suffix = agent.id.trim_start_matches("agent_");
    let model = GetAgentResponseModel {
        access_info: Some(creator_access(agent.creator)),
        agent_id: agent.id.clone(),
        branch_id: param(ctx.query, "branch_id")
            .filter(|b| !b.is_empty())
            .map(str::to_owned),
        default_hold_audio_url: default_hold_audio_url(),
        conversation_config: json!({
            "agent": {
                "first_message": format!("Hi, this is {}. How can I help you today?", agent.name),
                "language": "en",
                "prompt": {
                    "prompt": format!("You are {}, a friendly and concise voice assistant.", agent.name),
                    "llm": "gemini-2.5-flash",
                    "temperature": 0.3,
                },
            },
            "tts": {"model_id": "eleven_flash_v2_5", "voice_id": "21m00Tcm4TlvDq8ikWAM"},
            "conversation": {"max_duration_seconds": 600},
        }),
        main_branch_id: Some(format!("agtbrch_main{}", &suffix[..suffix.len().min(20)])),
        metadata: json!({
            "created_at_unix_secs": agent.created_at,
            "updated_at_unix_secs": agent.created_at + 86_400,
        }),
        name: agent.name.clone(),
        phone_numbers: Some(json!([])),
        procedures: None,
        platform_settings: Some(AgentPlatformSettingsResponseModel {
            testing: Some(AgentTestingSettings { attached_tests }),
            ..Default::default()
        }),
        tags: agent.tags.clone(),
        version_id: param(ctx.query, "version_id")
            .filter(|v| !v.is_empty())
            .map(str::to_owned),
        whatsapp_accounts: Some(json!([])),
        workflow: None,
    };
    ok(&model)
}

/// The spec's default of `default_hold_audio_url`, read through the generated type (what an
/// agent without the field decodes to) rather than restated here.
fn default_hold_audio_url() -> String {
    serde_json::from_value::<GetAgentResponseModel>(json!({
        "agent_id": "", "conversation_config": {}, "metadata": {}, "name": ""
    }))
    .map(|agent| agent.default_hold_audio_url)
    .unwrap_or_default()
}

/// `POST /agents/{id}/run-tests`: a new invocation, every run pending.
pub(crate) fn run_tests(ctx: &Ctx<'_>, agent_id: &str) -> Resp {
    if ctx.store().agent(agent_id).is_none() {
        return not_found("agent", agent_id);
    }
    let (body, _) = match parse_body::<RunAgentTestsRequestModel>(ctx.body, &ctx.body_rules()) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let mut store = ctx.store();
    let missing: Vec<&str> = body
        .tests
        .iter()
        .filter(|t| store.test(&t.test_id).is_none())
        .map(|t| t.test_id.as_str())
        .collect();
    if !missing.is_empty() {
        return crate::fake::http::api_error(
            StatusCode::NOT_FOUND,
            "test_not_found",
            format!("These tests were not found: {}", missing.join(", ")),
        );
    }
    let specs = body
        .tests
        .into_iter()
        .map(|t| RunSpec {
            test_id: t.test_id,
            root_folder_id: t.root_folder_id,
            root_folder_name: t.root_folder_name,
            workflow_node_id: t.workflow_node_id,
        })
        .collect();
    // Within the spec's `maximum` (checked above).
    let repeat = i64::try_from(body.repeat_count.get()).unwrap_or(i64::MAX);
    // An `agent_config_override` is accepted as any object (the spec keeps it opaque); the
    // runs made with it report `ran_against_draft: true`.
    let draft = body.agent_config_override.is_some();
    let (invocation, submitted) = store.run_tests(agent_id, body.branch_id, specs, repeat, draft);
    // As of the submission: every run pending, even with a zero run duration.
    let json = serde_json::to_value(invocation.detail(submitted)).unwrap_or(Value::Null);
    json_response(StatusCode::OK, &json)
}
