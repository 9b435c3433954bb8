//! The demo agents and their test suites, seeded into the [`Store`](super::state::Store).
//!
//! Every agent of the data set gets a suite from [`SUITES`] (cycling when there are more agents
//! than suites): tests of all three kinds, some in folders. The first suite (the demo agent's)
//! has one test marked `[fail]` and one `[slow]`; the second passes entirely; the third has a
//! `[fail]` test inside a nested folder. Definitions are built as JSON and parsed with the
//! generated `Create*Request` types, like a request body, so they are valid by construction.

use serde_json::{Value, json};

use super::data::DataSet;
use super::state::{Agent, Definition, Kind, Store};
use crate::types::CreateTestBody;

/// One test of a suite: name, kind, folder (an index into the suite's folders).
struct TestSpec {
    name: &'static str,
    kind: Kind,
    folder: Option<usize>,
    shared: bool,
}

const fn t(name: &'static str, kind: Kind, folder: Option<usize>) -> TestSpec {
    TestSpec {
        name,
        kind,
        folder,
        shared: false,
    }
}

/// A suite: the agent's name and tags, its folders (name, parent index), its tests.
struct Suite {
    agent: &'static str,
    tags: &'static [&'static str],
    folders: &'static [(&'static str, Option<usize>)],
    tests: &'static [TestSpec],
}

/// The demo suites; see the module docs.
const SUITES: &[Suite] = &[
    Suite {
        agent: "Support Concierge",
        tags: &["support", "demo"],
        folders: &[("Refunds", None), ("Escalations", None)],
        tests: &[
            t(
                "Greets the caller and asks for the order number",
                Kind::Llm,
                None,
            ),
            t("Refund request over $500 is escalated", Kind::Llm, Some(0)),
            t("Looks up the order before refunding", Kind::Tool, Some(0)),
            t(
                "Refund outside the 30-day window [fail]",
                Kind::Llm,
                Some(0),
            ),
            t("Angry caller asks for a manager", Kind::Simulation, Some(1)),
            t(
                "Caller switches to Spanish mid-call [slow]",
                Kind::Simulation,
                None,
            ),
            TestSpec {
                name: "Checks order status with a valid order ID",
                kind: Kind::Tool,
                folder: None,
                shared: true,
            },
        ],
    },
    Suite {
        agent: "Booking Assistant",
        tags: &["scheduling"],
        folders: &[("Appointments", None)],
        tests: &[
            t("Books the first free slot", Kind::Tool, Some(0)),
            t("Declines a slot on a public holiday", Kind::Llm, Some(0)),
            t(
                "Reschedules an existing appointment",
                Kind::Simulation,
                Some(0),
            ),
            t("Confirms the caller's time zone", Kind::Llm, None),
            t("Sends the confirmation SMS", Kind::Tool, None),
        ],
    },
    Suite {
        agent: "Billing Helper",
        tags: &["billing"],
        folders: &[("Payments", None), ("Card failures", Some(0))],
        tests: &[
            t("Explains the latest invoice", Kind::Llm, Some(0)),
            t("Retries a declined card [fail]", Kind::Tool, Some(1)),
            t("Walks through updating a card", Kind::Simulation, Some(1)),
            t("Refuses to read out a full card number", Kind::Llm, None),
        ],
    },
];

/// The create-request JSON of a demo test.
fn definition(name: &str, kind: Kind) -> Value {
    let chat = json!([{
        "role": "user",
        "message": format!("Hi, I need help: {}", name.to_lowercase()),
        "time_in_call_secs": 1,
    }]);
    match kind {
        Kind::Llm => json!({
            "type": "llm",
            "name": name,
            "chat_history": chat,
            "success_condition": format!("The agent handles this correctly: {name}."),
            "success_examples": [{"type": "success", "response": "Sure, let me sort that out for you."}],
            "failure_examples": [{"type": "failure", "response": "I can't help with that."}],
            "dynamic_variables": {"customer_name": "Sam"},
        }),
        Kind::Tool => json!({
            "type": "tool",
            "name": name,
            "chat_history": chat,
            "tool_call_parameters": {
                "referenced_tool": {"id": "tool_lookup_order", "type": "webhook"},
                "parameters": [
                    {"path": "order_id", "eval": {"type": "regex", "pattern": "^[0-9]{6}$"}},
                ],
                "verify_absence": false,
            },
            "check_any_tool_matches": true,
        }),
        Kind::Simulation => json!({
            "type": "simulation",
            "name": name,
            "simulation_scenario": format!("A customer calls. Scenario: {name}."),
            "success_conditions": ["The agent stays polite", "The caller's request is resolved"],
            "simulation_max_turns": 8,
        }),
    }
}

/// A test body split into (name, parent folder, definition).
pub(crate) type SplitBody = (String, Option<String>, Definition);

/// Splits a parsed create body into (kind, name, parent, definition).
pub(crate) fn split_create(body: &CreateTestBody) -> Option<(Kind, SplitBody)> {
    let kind = Kind::from_tag(body.kind()?)?;
    Some((kind, split_definition(serde_json::to_value(body).ok()?)?))
}

/// Splits a serialised create or update body into (name, parent, definition): the definition
/// is every other field but the tag.
pub(crate) fn split_definition(body: Value) -> Option<SplitBody> {
    let Value::Object(mut def) = body else {
        return None;
    };
    let name = def.remove("name")?.as_str()?.to_owned();
    let parent = def
        .remove("parent_folder_id")
        .and_then(|p| p.as_str().map(str::to_owned));
    def.remove("type");
    Some((name, parent, def))
}

/// Seeds the agents of `data` with their suites.
pub(crate) fn seed(store: &mut Store, data: &DataSet) {
    // Seeded tests are older than the seeded invocations (the default history spans about a
    // month): from 90 days before the newest.
    let base = super::NEWEST_CREATED_AT_UNIX_SECS - 90 * 24 * 3600;
    let creators = [
        ("Ada Lovelace", "ada.lovelace@example.com"),
        ("Grace Hopper", "grace.hopper@example.com"),
        ("Alan Turing", "alan.turing@example.com"),
    ];
    for (i, agent_id) in data.agents.iter().enumerate() {
        let suite = &SUITES[i % SUITES.len()];
        let round = i / SUITES.len();
        let suffix = if round == 0 {
            String::new()
        } else {
            format!(" #{}", round + 1)
        };
        let created = base + (i as i64) * 3 * 3600;
        let mut folder_ids: Vec<String> = Vec::new();
        for (k, (name, parent)) in suite.folders.iter().enumerate() {
            let parent = parent.and_then(|p| folder_ids.get(p).cloned());
            let id = store.insert(
                format!("{name}{suffix}"),
                parent,
                None,
                created + k as i64 * 60,
                false,
            );
            folder_ids.push(id);
        }
        let mut attached = Vec::new();
        for (k, spec) in suite.tests.iter().enumerate() {
            let body: Option<CreateTestBody> =
                serde_json::from_value(definition(spec.name, spec.kind)).ok();
            let Some((kind, (name, _, def))) = body.as_ref().and_then(split_create) else {
                continue;
            };
            let parent = spec.folder.and_then(|f| folder_ids.get(f).cloned());
            let id = store.insert(
                name,
                parent,
                Some((kind, def)),
                created + 600 + k as i64 * 300,
                spec.shared,
            );
            attached.push(id);
        }
        store.agents.push(Agent {
            id: agent_id.clone(),
            name: format!("{}{suffix}", suite.agent),
            created_at: created,
            creator: creators[i % creators.len()],
            tags: suite.tags.iter().map(|s| s.to_string()).collect(),
            attached,
        });
    }
}
