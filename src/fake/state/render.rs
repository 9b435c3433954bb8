//! The store rendered as the API's generated types: invocation summaries and details, runs
//! with their condition results, test summaries, folders and access info. Everything the
//! routes answer is built here, so the fake serves exactly the schema the client parses.

use super::*;

/// The workspace the fake's runs belong to.
const WORKSPACE_ID: &str = "ws_fake0000000000000000000";

/// Why the fake fails a test whose name carries the marker (the rationale's summary).
pub(crate) fn failure_summary(test_name: &str) -> String {
    if has_marker(test_name, FAIL_MARKER) {
        format!(
            "The test name contains the fake's {FAIL_MARKER} marker, so the fake server fails \
             it on every run: the agent's reply did not meet the success condition."
        )
    } else if has_marker(test_name, FLAKY_MARKER) {
        format!(
            "The test name contains the fake's {FLAKY_MARKER} marker, so the fake server fails \
             its first run in an invocation: the agent's reply did not meet the success condition."
        )
    } else {
        "The agent's reply did not meet the success condition (seeded history).".to_owned()
    }
}

fn condition_result(outcome: RunResult, test_name: &str) -> TestConditionResultCommonModel {
    match outcome {
        RunResult::Passed => TestConditionResultCommonModel {
            rationale: Some(TestConditionRationaleCommonModel {
                messages: vec!["The reply satisfies every success criterion.".to_owned()],
                summary: "The agent's reply met the success condition.".to_owned(),
            }),
            result: EvaluationSuccessResult::Success,
        },
        RunResult::Failed | RunResult::Cancelled => TestConditionResultCommonModel {
            rationale: Some(TestConditionRationaleCommonModel {
                messages: vec![format!("Test `{test_name}` did not pass.")],
                summary: failure_summary(test_name),
            }),
            result: EvaluationSuccessResult::Failure,
        },
    }
}

/// The user's access to something `creator` (name, email) made: creator and admin when it
/// is the user, through the workspace default as editor otherwise.
pub fn creator_access(creator: (&str, &str)) -> ResourceAccessInfo {
    let is_creator = creator.1 == USER.1;
    ResourceAccessInfo {
        access_source: Some(if is_creator {
            ResourceAccessInfoAccessSource::Creator
        } else {
            ResourceAccessInfoAccessSource::WorkspaceDefault
        }),
        anonymous_access_level_override: None,
        creator_email: creator.1.to_owned(),
        creator_name: creator.0.to_owned(),
        is_creator,
        role: if is_creator {
            ResourceAccessInfoRole::Admin
        } else {
            ResourceAccessInfoRole::Editor
        },
    }
}

/// What the fake charges for `finished` runs: 25 credits each (demo data, not from the spec).
pub fn credits_for(finished: i64) -> i64 {
    finished * 25
}

impl Invocation {
    /// The listing's summary at `now`.
    pub fn summary(&self, now: Instant) -> TestInvocationSummaryResponseModel {
        let c = self.counts(now);
        TestInvocationSummaryResponseModel {
            access_info: self.access_info.clone(),
            agent_id: Some(self.agent_id.clone()),
            branch_id: self.branch_id.clone(),
            created_at_unix_secs: self.created_at,
            failed_count: c.failed,
            id: self.id.clone(),
            passed_count: c.passed,
            pending_count: c.pending,
            repeat_count: self.repeat_count,
            test_run_count: self.runs.len() as i64,
            title: self.name.clone().unwrap_or_else(|| self.title.clone()),
            // Live-API fields (declared by spec/overlay.json).
            cancelled: Some(self.cancelled),
            cancelled_count: Some(c.cancelled),
            credits_used: Some(credits_for(self.runs.len() as i64 - c.pending)),
            name: self.name.clone(),
            ran_against_draft: self.ran_against_draft(),
            runs_diverged_from_version: false,
            total_price: None,
            version_id: None,
        }
    }

    /// The full invocation at `now`.
    pub fn detail(&self, now: Instant) -> GetTestSuiteInvocationResponseModel {
        let runs: Vec<UnitTestRunResponseModel> =
            self.runs.iter().map(|r| self.run_model(r, now)).collect();
        let all_done = runs.iter().all(|r| r.status != TestRunStatus::Pending);
        let bucketing_status = (self.repeat_count > 1).then_some(if all_done {
            BucketingStatus::Completed
        } else {
            BucketingStatus::Pending
        });
        let result_groups = if self.repeat_count > 1 && all_done {
            self.result_groups(&runs)
        } else {
            Vec::new()
        };
        GetTestSuiteInvocationResponseModel {
            agent_id: Some(self.agent_id.clone()),
            branch_id: self.branch_id.clone(),
            bucketing_status,
            created_at: Some(self.created_at),
            folder_id: self.folder_id.clone(),
            id: self.id.clone(),
            repeat_count: self.repeat_count,
            result_groups,
            test_runs: runs,
            cancelled: Some(self.cancelled),
            name: self.name.clone(),
            ran_against_draft: self.ran_against_draft(),
            version_id: None,
        }
    }

    /// Whether a run was submitted with an `agent_config_override`.
    pub fn ran_against_draft(&self) -> bool {
        self.runs.iter().any(|r| r.draft)
    }

    /// One bucket per outcome per test, tests in order of first run.
    fn result_groups(&self, runs: &[UnitTestRunResponseModel]) -> Vec<TestRunResultSummary> {
        let mut order: Vec<(&str, &str, Option<&str>)> = Vec::new();
        for r in runs {
            if !order.iter().any(|(id, _, _)| *id == r.test_id) {
                order.push((&r.test_id, &r.test_name, r.workflow_node_id.as_deref()));
            }
        }
        order
            .into_iter()
            .map(|(test_id, test_name, node)| {
                let mut buckets = Vec::new();
                for status in [TestRunStatus::Passed, TestRunStatus::Failed] {
                    let ids: Vec<String> = runs
                        .iter()
                        .filter(|r| r.test_id == test_id && r.status == status)
                        .map(|r| r.test_run_id.clone())
                        .collect();
                    if ids.is_empty() {
                        continue;
                    }
                    let (title, reason) = if status == TestRunStatus::Passed {
                        (
                            "Met the success condition".to_owned(),
                            format!("{} run(s) met the success condition.", ids.len()),
                        )
                    } else {
                        (
                            "Did not meet the success condition".to_owned(),
                            format!(
                                "{} run(s) failed: {}",
                                ids.len(),
                                failure_summary(test_name)
                            ),
                        )
                    };
                    buckets.push(TestRunResultBucket {
                        reason,
                        status,
                        test_run_ids: ids,
                        title,
                    });
                }
                TestRunResultSummary {
                    buckets,
                    test_id: test_id.to_owned(),
                    test_name: test_name.to_owned(),
                    workflow_node_id: node.map(str::to_owned),
                }
            })
            .collect()
    }

    fn run_model(&self, run: &Run, now: Instant) -> UnitTestRunResponseModel {
        let outcome = run.outcome(now);
        let status = match outcome {
            None => TestRunStatus::Pending,
            Some(RunResult::Passed) => TestRunStatus::Passed,
            Some(RunResult::Failed) => TestRunStatus::Failed,
            Some(RunResult::Cancelled) => TestRunStatus::Cancelled,
        };
        let last_updated = match (&run.progress, outcome) {
            (Progress::Timed { finish_unix, .. }, Some(_)) => *finish_unix,
            _ => run.submitted_unix,
        };
        // A cancelled run has neither a result nor a reply.
        let finished = outcome.filter(|o| *o != RunResult::Cancelled);
        let condition_result = finished.map(|o| condition_result(o, &run.test_name));
        let agent_responses = finished.map(|o| {
            let message = match o {
                RunResult::Failed => "I'm sorry, I can't help with that request.",
                _ => "Of course, I can help with that. Let me take care of it now.",
            };
            serde_json::from_value::<ConversationHistoryTranscriptCommonModelOutput>(json!({
                "role": "agent",
                "message": message,
                "time_in_call_secs": 2,
            }))
            .map(|t| vec![t])
            .unwrap_or_default()
        });
        let test_info = run.definition.as_ref().and_then(|def| {
            let mut def = def.clone();
            def.insert("type".to_owned(), Value::String(run.kind.tag()));
            serde_json::from_value::<UnitTestRunResponseModelTestInfo>(Value::Object(def)).ok()
        });
        UnitTestRunResponseModel {
            agent_id: run.agent_id.clone(),
            agent_responses,
            branch_id: run.branch_id.clone(),
            condition_result,
            environment: Some("production".to_owned()),
            last_updated_at_unix: Some(last_updated),
            metadata: Some(TestRunMetadata {
                ran_by_user_email: USER.1.to_owned(),
                test_name: run.test_name.clone(),
                test_type: run.kind.run_type(),
                workspace_id: WORKSPACE_ID.to_owned(),
            }),
            root_folder_id: run.root_folder_id.clone(),
            root_folder_name: run.root_folder_name.clone(),
            status,
            test_id: run.test_id.clone(),
            test_info,
            test_invocation_id: self.id.clone(),
            test_name: run.test_name.clone(),
            test_run_id: run.id.clone(),
            workflow_node_id: run.workflow_node_id.clone(),
            charging: None,
            credits_used: outcome.map(|_| credits_for(1)),
            ran_against_draft: run.draft,
            triggered_guardrails: None,
            version_id: Some(run.version_id.clone()),
        }
    }
}

impl Store {
    /// The access info of a test or folder: the user's own, or shared with them.
    fn access_info(&self, shared: bool) -> ResourceAccessInfo {
        if shared {
            ResourceAccessInfo {
                access_source: Some(ResourceAccessInfoAccessSource::Explicit),
                anonymous_access_level_override: None,
                creator_email: "grace.hopper@example.com".to_owned(),
                creator_name: "Grace Hopper".to_owned(),
                is_creator: false,
                role: ResourceAccessInfoRole::Editor,
            }
        } else {
            creator_access(USER)
        }
    }

    /// The listing entry of a test or folder.
    pub(crate) fn summary(&self, e: &Entity) -> UnitTestSummaryResponseModel {
        let (entity_type, type_, source, children_count) = match &e.test {
            None => (
                AgentTestEntityType::Folder,
                TestType::Folder,
                None,
                Some(self.children_count(&e.id)),
            ),
            Some((kind, def)) => (
                AgentTestEntityType::Test,
                kind.test_type(),
                def.get("conversation_initiation_source")
                    .and_then(|v| serde_json::from_value(v.clone()).ok()),
                None,
            ),
        };
        UnitTestSummaryResponseModel {
            access_info: Some(self.access_info(e.shared)),
            children_count,
            conversation_initiation_source: source,
            created_at_unix_secs: e.created_at,
            entity_type,
            folder_parent_id: e.parent.clone(),
            folder_path: self.folder_path(e.parent.as_deref()),
            id: e.id.clone(),
            last_updated_at_unix_secs: e.updated_at,
            name: e.name.clone(),
            type_,
        }
    }

    /// `GET /agent-testing/{id}`: the kind's `Get*ResponseModel`.
    pub(crate) fn get_test(&self, e: &Entity) -> Option<GetTestResponse> {
        let (kind, def) = e.test.as_ref()?;
        let mut def = def.clone();
        def.insert("id".to_owned(), Value::String(e.id.clone()));
        def.insert("name".to_owned(), Value::String(e.name.clone()));
        def.insert("type".to_owned(), Value::String(kind.tag()));
        serde_json::from_value(Value::Object(def)).ok()
    }

    pub(crate) fn folder_model(&self, e: &Entity) -> GetAgentTestFolderResponseModel {
        GetAgentTestFolderResponseModel {
            children_count: self.children_count(&e.id),
            folder_path: self.folder_path(Some(&e.id)),
            id: e.id.clone(),
            name: e.name.clone(),
        }
    }
}
