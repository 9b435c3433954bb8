//! `src/fake/state/`: the store's clock and its rendering to API types.

use elevenlabs_agent_tests::fake::state::clock::Progress;
use elevenlabs_agent_tests::fake::state::{Kind, Run};

mod clock;
mod render;

/// A run of test `test` (id, name) for the unit tests of `clock.rs` and `render.rs`.
pub(super) fn test_run(id: &str, test: (&str, &str), progress: Progress, draft: bool) -> Run {
    Run {
        id: id.into(),
        test_id: test.0.into(),
        test_name: test.1.into(),
        kind: Kind::Llm,
        definition: None,
        agent_id: "agent_1".into(),
        branch_id: None,
        root_folder_id: None,
        root_folder_name: None,
        workflow_node_id: None,
        submitted_unix: 1_000,
        version_id: "ver_1".into(),
        draft,
        progress,
    }
}
