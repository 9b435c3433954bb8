//! The tests attached to an agent: what "run my agent's tests" runs.

use crate::types::{AttachedTestModel, GetAgentResponseModel, SingleTestRunRequestModel};

impl GetAgentResponseModel {
    /// The tests attached to the agent (`platform_settings.testing.attached_tests`); empty
    /// when it has none.
    ///
    /// ```
    /// # use elevenlabs_agent_tests::types::{GetAgentResponseModel, SingleTestRunRequestModel};
    /// let agent: GetAgentResponseModel = serde_json::from_value(serde_json::json!({
    ///     "agent_id": "agent_1", "name": "Support", "conversation_config": {}, "metadata": {},
    ///     "platform_settings": {"testing": {"attached_tests": [
    ///         {"test_id": "t1"}, {"test_id": "t2", "workflow_node_id": "node_refunds"}]}}
    /// }))?;
    /// let runs: Vec<SingleTestRunRequestModel> = agent.attached_tests().iter().map(Into::into).collect();
    /// assert_eq!(runs[1].test_id, "t2");
    /// assert_eq!(runs[1].workflow_node_id.as_deref(), Some("node_refunds"));
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn attached_tests(&self) -> &[AttachedTestModel] {
        self.platform_settings
            .as_ref()
            .and_then(|p| p.testing.as_ref())
            .map(|t| t.attached_tests.as_slice())
            .unwrap_or_default()
    }
}

impl From<&AttachedTestModel> for SingleTestRunRequestModel {
    /// A run of the attached test, on the workflow node it is attached to.
    fn from(test: &AttachedTestModel) -> Self {
        Self {
            test_id: test.test_id.clone(),
            workflow_node_id: test.workflow_node_id.clone(),
            root_folder_id: None,
            root_folder_name: None,
        }
    }
}
