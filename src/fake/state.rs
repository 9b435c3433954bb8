//! The fake's mutable store: agents, tests, folders, invocations and their runs, and the clock
//! that moves runs from `pending` to their outcome.
//!
//! Everything the routes answer is built here from the generated [`types`](crate::types), so
//! the fake serves exactly the schema the client parses. The store sits behind one mutex in
//! [`Shared`](super::Shared); its methods never block and never panic on client input.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use serde_json::{Map, Value, json};
use tokio::time::Instant;

use super::data::{DataSet, SplitMix64, mix64};
use crate::types::{
    AgentTestEntityType, AgentTestFolderPathSegmentResponseModel, BucketingStatus,
    ConversationHistoryTranscriptCommonModelOutput, EvaluationSuccessResult,
    GetAgentTestFolderResponseModel, GetTestResponse, GetTestSuiteInvocationResponseModel,
    ResourceAccessInfo, ResourceAccessInfoAccessSource, ResourceAccessInfoRole,
    TestConditionRationaleCommonModel, TestConditionResultCommonModel,
    TestInvocationSummaryResponseModel, TestRunMetadata, TestRunMetadataTestType,
    TestRunResultBucket, TestRunResultSummary, TestRunStatus, TestType, UnitTestRunResponseModel,
    UnitTestRunResponseModelTestInfo, UnitTestSummaryResponseModel,
};

/// The marker that makes a test fail in the fake (ASCII case-insensitive).
pub const FAIL_MARKER: &str = "[fail]";
/// The marker that doubles a test's simulated duration (ASCII case-insensitive).
pub const SLOW_MARKER: &str = "[slow]";
/// The marker that makes a test flaky in the fake (ASCII case-insensitive): its first run in
/// an invocation fails, its other runs there (repetitions and resubmits alike) pass.
pub const FLAKY_MARKER: &str = "[flaky]";

/// The outcome the fake gives a run of `test_name`: `first` is whether it is the test's first
/// run in its invocation (not a repetition, not a resubmit).
pub(crate) fn outcome_for(test_name: &str, first: bool) -> RunResult {
    if has_marker(test_name, FAIL_MARKER) || (first && has_marker(test_name, FLAKY_MARKER)) {
        RunResult::Failed
    } else {
        RunResult::Passed
    }
}

/// Whether `name` contains `marker`, ignoring ASCII case.
pub(crate) fn has_marker(name: &str, marker: &str) -> bool {
    name.to_ascii_lowercase().contains(marker)
}

/// The workspace the fake's runs belong to.
const WORKSPACE_ID: &str = "ws_fake0000000000000000000";
/// The user who runs tests and owns what is created through the API.
pub(crate) const USER: (&str, &str) = ("Ada Lovelace", "ada.lovelace@example.com");

/// The kind of a test, as stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Llm,
    Tool,
    Simulation,
}

impl Kind {
    /// The kind a test body's tag names (the spec's `TestType` values), `None` for a kind
    /// the fake does not simulate.
    pub(crate) fn from_tag(tag: &str) -> Option<Kind> {
        match TestType::from(tag) {
            TestType::Llm => Some(Kind::Llm),
            TestType::Tool => Some(Kind::Tool),
            TestType::Simulation => Some(Kind::Simulation),
            _ => None,
        }
    }

    /// Its tag in a test body (`llm`).
    pub(crate) fn tag(self) -> String {
        self.test_type().to_string()
    }

    fn test_type(self) -> TestType {
        match self {
            Kind::Llm => TestType::Llm,
            Kind::Tool => TestType::Tool,
            Kind::Simulation => TestType::Simulation,
        }
    }

    fn run_type(self) -> TestRunMetadataTestType {
        match self {
            Kind::Llm => TestRunMetadataTestType::Llm,
            Kind::Tool => TestRunMetadataTestType::ToolCall,
            Kind::Simulation => TestRunMetadataTestType::Simulation,
        }
    }
}

/// A test's definition: the create/update body's fields as serialised by the generated
/// type, without `name`, `parent_folder_id` and the `type` tag.
pub(crate) type Definition = Map<String, Value>;

/// A test or a folder.
#[derive(Clone, Debug)]
pub(crate) struct Entity {
    pub(crate) id: String,
    /// Creation order: larger is newer. Also the listing's cursor key.
    pub(crate) seq: u64,
    pub(crate) name: String,
    pub(crate) parent: Option<String>,
    pub(crate) created_at: i64,
    pub(crate) updated_at: i64,
    /// Shared with the caller by someone else (`sharing_mode=shared_with_me`).
    pub(crate) shared: bool,
    /// `None` for a folder; for a test its kind and definition: the create/update body's
    /// fields as serialised by the generated type, without `name` and `parent_folder_id`.
    pub(crate) test: Option<(Kind, Map<String, Value>)>,
}

impl Entity {
    pub(crate) fn is_folder(&self) -> bool {
        self.test.is_none()
    }
}

/// A demo agent.
#[derive(Clone, Debug)]
pub(crate) struct Agent {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) created_at: i64,
    pub(crate) creator: (&'static str, &'static str),
    pub(crate) tags: Vec<String>,
    /// Attached test ids, in order (deleted tests are skipped when served).
    pub(crate) attached: Vec<String>,
}

/// A run's outcome once finished.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RunResult {
    Passed,
    Failed,
    /// Cancelled while pending (`POST .../cancel`).
    Cancelled,
}

/// How a run's status evolves.
#[derive(Clone, Debug)]
pub(crate) enum Progress {
    /// Seeded history: never changes (a `None` stays pending).
    Fixed(Option<RunResult>),
    /// Pending at `since` (its submission) and until `finish_at`, then `outcome`.
    Timed {
        since: Instant,
        finish_at: Instant,
        finish_unix: i64,
        outcome: RunResult,
    },
}

/// One test run.
#[derive(Clone, Debug)]
pub(crate) struct Run {
    pub(crate) id: String,
    pub(crate) test_id: String,
    pub(crate) test_name: String,
    pub(crate) kind: Kind,
    /// The test's definition when the run was submitted (`test_info`).
    pub(crate) definition: Option<Map<String, Value>>,
    pub(crate) agent_id: String,
    pub(crate) branch_id: Option<String>,
    pub(crate) root_folder_id: Option<String>,
    pub(crate) root_folder_name: Option<String>,
    pub(crate) workflow_node_id: Option<String>,
    pub(crate) submitted_unix: i64,
    pub(crate) version_id: String,
    /// Whether it was last submitted with an `agent_config_override` (`ran_against_draft`).
    pub(crate) draft: bool,
    pub(crate) progress: Progress,
}

impl Run {
    /// `None` while pending.
    pub(crate) fn outcome(&self, now: Instant) -> Option<RunResult> {
        match &self.progress {
            Progress::Fixed(o) => *o,
            Progress::Timed {
                since,
                finish_at,
                outcome,
                ..
            } => (now >= *finish_at && now > *since).then_some(*outcome),
        }
    }
}

/// One invocation (a run of a suite).
#[derive(Clone, Debug)]
pub(crate) struct Invocation {
    pub(crate) id: String,
    pub(crate) agent_id: String,
    pub(crate) branch_id: Option<String>,
    pub(crate) created_at: i64,
    pub(crate) folder_id: Option<String>,
    pub(crate) title: String,
    pub(crate) repeat_count: i64,
    pub(crate) access_info: Option<ResourceAccessInfo>,
    pub(crate) runs: Vec<Run>,
    /// The user-provided name (`PATCH`); the title shows it when set.
    pub(crate) name: Option<String>,
    /// Whether the invocation was cancelled.
    pub(crate) cancelled: bool,
}

/// Counts of an invocation's runs at one instant.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Counts {
    pub(crate) passed: i64,
    pub(crate) failed: i64,
    pub(crate) pending: i64,
    pub(crate) cancelled: i64,
}

impl Invocation {
    pub(crate) fn counts(&self, now: Instant) -> Counts {
        let mut c = Counts::default();
        for run in &self.runs {
            match run.outcome(now) {
                Some(RunResult::Passed) => c.passed += 1,
                Some(RunResult::Failed) => c.failed += 1,
                Some(RunResult::Cancelled) => c.cancelled += 1,
                None => c.pending += 1,
            }
        }
        c
    }

    /// The listing's summary at `now`.
    pub(crate) fn summary(&self, now: Instant) -> TestInvocationSummaryResponseModel {
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
    pub(crate) fn detail(&self, now: Instant) -> GetTestSuiteInvocationResponseModel {
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
    pub(crate) fn ran_against_draft(&self) -> bool {
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
pub(crate) fn creator_access(creator: (&str, &str)) -> ResourceAccessInfo {
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

/// The fake's clock: `tokio::time::Instant` for run progress (so a paused test clock drives
/// it) and unix seconds derived from it for timestamps.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Clock {
    start: Instant,
    start_unix: i64,
}

impl Clock {
    pub(crate) fn new() -> Clock {
        let start_unix = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(super::NEWEST_CREATED_AT_UNIX_SECS)
            .max(super::NEWEST_CREATED_AT_UNIX_SECS + 3600);
        Clock {
            start: Instant::now(),
            start_unix,
        }
    }

    pub(crate) fn unix_at(&self, at: Instant) -> i64 {
        self.start_unix + at.saturating_duration_since(self.start).as_secs() as i64
    }
}

/// A test to run, resolved from the request.
pub(crate) struct RunSpec {
    pub(crate) test_id: String,
    pub(crate) root_folder_id: Option<String>,
    pub(crate) root_folder_name: Option<String>,
    pub(crate) workflow_node_id: Option<String>,
}

/// The mutable store.
#[derive(Debug)]
pub(crate) struct Store {
    pub(crate) clock: Clock,
    rng: SplitMix64,
    next_seq: u64,
    pub(crate) run_duration: Duration,
    pub(crate) agents: Vec<Agent>,
    /// Tests and folders by `seq` (creation order).
    pub(crate) entities: BTreeMap<u64, Entity>,
    ids: HashMap<String, u64>,
    /// Invocations created through the API, oldest first.
    pub(crate) created: Vec<Invocation>,
    /// Seeded invocations that were resubmitted, by id (they then live here).
    pub(crate) materialized: HashMap<String, Invocation>,
}

impl Store {
    pub(crate) fn new(seed: u64, run_duration: Duration) -> Store {
        Store {
            clock: Clock::new(),
            rng: SplitMix64::new(mix64(seed ^ 0x005E_ED0F_F4CE)),
            next_seq: 0,
            run_duration,
            agents: Vec::new(),
            entities: BTreeMap::new(),
            ids: HashMap::new(),
            created: Vec::new(),
            materialized: HashMap::new(),
        }
    }

    /// A new id: `prefix` + `len` base-36 characters.
    pub(crate) fn new_id(&mut self, prefix: &str, len: usize) -> String {
        format!("{prefix}{}", self.rng.id_chars(len))
    }

    /// A new test id: 20 characters of `[A-Za-z0-9]`, like the API's.
    fn new_test_id(&mut self) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        (0..20)
            .map(|_| ALPHABET[(self.rng.next_u64() % ALPHABET.len() as u64) as usize] as char)
            .collect()
    }

    pub(crate) fn now_unix(&self) -> i64 {
        self.clock.unix_at(Instant::now())
    }

    pub(crate) fn entity(&self, id: &str) -> Option<&Entity> {
        self.ids.get(id).and_then(|seq| self.entities.get(seq))
    }

    fn entity_mut(&mut self, id: &str) -> Option<&mut Entity> {
        let seq = *self.ids.get(id)?;
        self.entities.get_mut(&seq)
    }

    pub(crate) fn test(&self, id: &str) -> Option<&Entity> {
        self.entity(id).filter(|e| !e.is_folder())
    }

    pub(crate) fn folder(&self, id: &str) -> Option<&Entity> {
        self.entity(id).filter(|e| e.is_folder())
    }

    pub(crate) fn agent(&self, id: &str) -> Option<&Agent> {
        self.agents.iter().find(|a| a.id == id)
    }

    /// Inserts a test or folder with the given timestamps; returns its id.
    pub(crate) fn insert(
        &mut self,
        name: String,
        parent: Option<String>,
        test: Option<(Kind, Map<String, Value>)>,
        created_at: i64,
        shared: bool,
    ) -> String {
        let id = if test.is_some() {
            self.new_test_id()
        } else {
            self.new_id("tfld_", 28)
        };
        let seq = self.next_seq;
        self.next_seq += 1;
        self.ids.insert(id.clone(), seq);
        self.entities.insert(
            seq,
            Entity {
                id: id.clone(),
                seq,
                name,
                parent,
                created_at,
                updated_at: created_at,
                shared,
                test,
            },
        );
        id
    }

    /// Replaces a test's name, folder and definition.
    pub(crate) fn update_test(
        &mut self,
        id: &str,
        name: String,
        parent: Option<String>,
        definition: Map<String, Value>,
    ) {
        let now = self.now_unix();
        if let Some(e) = self.entity_mut(id)
            && let Some((_, def)) = e.test.as_mut()
        {
            *def = definition;
            e.name = name;
            e.parent = parent;
            e.updated_at = now;
        }
    }

    pub(crate) fn rename(&mut self, id: &str, name: String) {
        let now = self.now_unix();
        if let Some(e) = self.entity_mut(id) {
            e.name = name;
            e.updated_at = now;
        }
    }

    pub(crate) fn set_parent(&mut self, id: &str, parent: Option<String>) {
        let now = self.now_unix();
        if let Some(e) = self.entity_mut(id) {
            e.parent = parent;
            e.updated_at = now;
        }
    }

    /// Removes an entity and, for a folder, everything inside it.
    pub(crate) fn remove(&mut self, id: &str) {
        let children: Vec<String> = self
            .entities
            .values()
            .filter(|e| e.parent.as_deref() == Some(id))
            .map(|e| e.id.clone())
            .collect();
        for child in children {
            self.remove(&child);
        }
        if let Some(seq) = self.ids.remove(id) {
            self.entities.remove(&seq);
        }
    }

    pub(crate) fn children_count(&self, folder_id: &str) -> i64 {
        self.entities
            .values()
            .filter(|e| e.parent.as_deref() == Some(folder_id))
            .count() as i64
    }

    /// Whether `folder` is `ancestor` or inside it.
    pub(crate) fn is_within(&self, folder: &str, ancestor: &str) -> bool {
        let mut current = Some(folder.to_owned());
        let mut steps = 0;
        while let Some(id) = current {
            if id == ancestor {
                return true;
            }
            steps += 1;
            if steps > 10_000 {
                return false;
            }
            current = self.entity(&id).and_then(|e| e.parent.clone());
        }
        false
    }

    /// The folders from the root down to `folder_id` included.
    pub(crate) fn folder_path(
        &self,
        folder_id: Option<&str>,
    ) -> Vec<AgentTestFolderPathSegmentResponseModel> {
        let mut path = Vec::new();
        let mut current = folder_id.map(str::to_owned);
        while let Some(id) = current {
            let Some(e) = self.entity(&id) else { break };
            path.push(AgentTestFolderPathSegmentResponseModel {
                id: e.id.clone(),
                name: e.name.clone(),
            });
            if path.len() > 10_000 {
                break;
            }
            current = e.parent.clone();
        }
        path.reverse();
        path
    }

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
            ResourceAccessInfo {
                access_source: Some(ResourceAccessInfoAccessSource::Creator),
                anonymous_access_level_override: None,
                creator_email: USER.1.to_owned(),
                creator_name: USER.0.to_owned(),
                is_creator: true,
                role: ResourceAccessInfoRole::Admin,
            }
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

    /// Runs `specs` (each `repeat_count` times) on `agent_id`, `draft` when an
    /// `agent_config_override` was sent; returns the new invocation and the instant of its
    /// submission (at which every run is pending).
    pub(crate) fn run_tests(
        &mut self,
        agent_id: &str,
        branch_id: Option<String>,
        specs: Vec<RunSpec>,
        repeat_count: i64,
        draft: bool,
    ) -> (&Invocation, Instant) {
        let now = Instant::now();
        let now_unix = self.clock.unix_at(now);
        let id = self.new_id("ti_", 20);
        let folder_id = specs
            .first()
            .and_then(|s| s.root_folder_id.clone())
            .filter(|f| specs.iter().all(|s| s.root_folder_id.as_ref() == Some(f)));
        let title = match (&folder_id, specs.as_slice()) {
            (Some(f), [first, ..]) => first
                .root_folder_name
                .clone()
                .or_else(|| self.entity(f).map(|e| e.name.clone()))
                .unwrap_or_else(|| f.clone()),
            (None, [one]) => self
                .test(&one.test_id)
                .map(|e| e.name.clone())
                .unwrap_or_default(),
            _ => format!("{} tests", specs.len()),
        };
        let creator = self.agent(agent_id).map(|a| a.creator).unwrap_or(USER);
        // The agent version the invocation runs on: one for all its runs.
        let version_id = self.new_id("agtvrsn_", 24);
        let mut runs = Vec::new();
        for spec in &specs {
            for _ in 0..repeat_count {
                let k = runs.len();
                let first = !runs.iter().any(|r: &Run| r.test_id == spec.test_id);
                let run = self.new_run(spec, agent_id, branch_id.clone(), k, first, now);
                runs.push(Run {
                    draft,
                    version_id: version_id.clone(),
                    ..run
                });
            }
        }
        let invocation = Invocation {
            id,
            agent_id: agent_id.to_owned(),
            branch_id,
            created_at: now_unix,
            folder_id,
            title,
            repeat_count,
            name: None,
            cancelled: false,
            access_info: Some(creator_access(creator)),
            runs,
        };
        let index = self.created.len();
        self.created.push(invocation);
        (&self.created[index], now)
    }

    fn new_run(
        &mut self,
        spec: &RunSpec,
        agent_id: &str,
        branch_id: Option<String>,
        k: usize,
        first: bool,
        now: Instant,
    ) -> Run {
        let (name, kind, definition) = match self.test(&spec.test_id) {
            Some(Entity {
                name,
                test: Some((kind, def)),
                ..
            }) => (name.clone(), *kind, Some(def.clone())),
            _ => ("Unknown Test".to_owned(), Kind::Llm, None),
        };
        let id = self.new_id("tr_", 20);
        let mut run = Run {
            id,
            test_id: spec.test_id.clone(),
            test_name: name,
            kind,
            definition,
            agent_id: agent_id.to_owned(),
            branch_id,
            root_folder_id: spec.root_folder_id.clone(),
            root_folder_name: spec.root_folder_name.clone(),
            workflow_node_id: spec.workflow_node_id.clone(),
            submitted_unix: 0,
            // Set by the invocation.
            version_id: String::new(),
            draft: false,
            progress: Progress::Fixed(None),
        };
        schedule(self.clock, self.run_duration, &mut run, k, first, now);
        run
    }

    /// A created or materialised invocation by id.
    pub(crate) fn live_invocation(&self, id: &str) -> Option<&Invocation> {
        self.created
            .iter()
            .find(|i| i.id == id)
            .or_else(|| self.materialized.get(id))
    }

    pub(crate) fn live_invocation_mut(&mut self, id: &str) -> Option<&mut Invocation> {
        if let Some(pos) = self.created.iter().position(|i| i.id == id) {
            return self.created.get_mut(pos);
        }
        self.materialized.get_mut(id)
    }

    /// The full record of a seeded invocation: its runs generated from its counts, on the
    /// tests of its agent (cycling through the suite), statuses fixed.
    pub(crate) fn seeded_invocation(
        &self,
        data: &DataSet,
        seed: u64,
        index: usize,
    ) -> Option<Invocation> {
        let s = data.invocations.get(index)?;
        let agent_id = s.agent_id.clone().unwrap_or_default();
        let suite: Vec<&Entity> = self
            .agent(&agent_id)
            .map(|a| a.attached.iter().filter_map(|t| self.test(t)).collect())
            .unwrap_or_default();
        let mut rng = SplitMix64::new(mix64(seed ^ mix64(index as u64 + 1)));
        let repeat = s.repeat_count.max(1);
        let mut statuses: Vec<Option<RunResult>> = Vec::new();
        statuses.extend((0..s.passed_count).map(|_| Some(RunResult::Passed)));
        statuses.extend((0..s.failed_count).map(|_| Some(RunResult::Failed)));
        statuses.extend((0..s.pending_count).map(|_| None));
        // A deterministic shuffle, so failures are spread over the tests.
        for i in (1..statuses.len()).rev() {
            let j = (rng.next_u64() % (i as u64 + 1)) as usize;
            statuses.swap(i, j);
        }
        // The agent version the invocation ran on: one for all its runs.
        let version_id = format!("agtvrsn_{}", rng.id_chars(24));
        let runs = statuses
            .into_iter()
            .enumerate()
            .map(|(k, status)| {
                let t = suite.get((k / repeat as usize) % suite.len().max(1));
                let (test_id, test_name, kind, definition) = match t {
                    Some(e) => {
                        let (kind, def) = e.test.clone().unwrap_or((Kind::Llm, Map::new()));
                        (e.id.clone(), e.name.clone(), kind, Some(def))
                    }
                    None => (
                        format!("historic{:012}", k),
                        format!("Historic test #{}", k / repeat as usize + 1),
                        Kind::Llm,
                        None,
                    ),
                };
                Run {
                    id: format!("tr_{}", rng.id_chars(20)),
                    test_id,
                    test_name,
                    kind,
                    definition,
                    agent_id: agent_id.clone(),
                    branch_id: s.branch_id.clone(),
                    root_folder_id: None,
                    root_folder_name: None,
                    workflow_node_id: None,
                    submitted_unix: s.created_at_unix_secs,
                    version_id: version_id.clone(),
                    draft: false,
                    progress: Progress::Fixed(status),
                }
            })
            .collect();
        Some(Invocation {
            id: s.id.clone(),
            agent_id,
            branch_id: s.branch_id.clone(),
            created_at: s.created_at_unix_secs,
            folder_id: None,
            title: s.title.clone(),
            repeat_count: s.repeat_count,
            access_info: s.access_info.clone(),
            runs,
            name: None,
            cancelled: false,
        })
    }
}

/// The simulated duration of the `k`-th run of a submission: `base` × (1 + (k mod 4)/8),
/// doubled for a `[slow]` test.
pub(crate) fn duration_of(base: Duration, test_name: &str, k: usize) -> Duration {
    let slow = if has_marker(test_name, SLOW_MARKER) {
        2
    } else {
        1
    };
    scale(base, (8 + (k % 4) as u32) * slow, 8)
}

/// `d × num / den`, saturating (a huge `run_duration` must not overflow).
pub(crate) fn scale(d: Duration, num: u32, den: u32) -> Duration {
    d.checked_mul(num).map_or(Duration::MAX, |d| d / den)
}

/// (Re)starts `run` at `now`: pending, finishing after its duration with the rule's outcome
/// ([`outcome_for`]; `first`: the test's first run in its invocation).
pub(crate) fn schedule(
    clock: Clock,
    base: Duration,
    run: &mut Run,
    k: usize,
    first: bool,
    now: Instant,
) {
    // Saturating: a run that would finish past what `Instant` holds finishes in 30 years.
    let finish_at = now
        .checked_add(duration_of(base, &run.test_name, k))
        .unwrap_or_else(|| now + Duration::from_secs(30 * 365 * 86_400));
    run.submitted_unix = clock.unix_at(now);
    run.progress = Progress::Timed {
        since: now,
        finish_at,
        finish_unix: clock.unix_at(finish_at),
        outcome: outcome_for(&run.test_name, first),
    };
}

/// What the fake charges for `finished` runs: 25 credits each (demo data, not from the spec).
pub(crate) fn credits_for(finished: i64) -> i64 {
    finished * 25
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn timestamps_follow_the_clock_from_after_the_seeded_history() {
        let store = Store::new(1, Duration::from_secs(1));
        let start = store.now_unix();
        assert!(
            start >= super::super::NEWEST_CREATED_AT_UNIX_SECS + 3600,
            "{start}"
        );
        tokio::time::advance(Duration::from_secs(90)).await;
        assert_eq!(store.now_unix(), start + 90);
        let clock = store.clock;
        assert_eq!(
            clock.unix_at(clock.start + Duration::from_secs(5)),
            start + 5
        );
    }

    #[test]
    fn markers_are_case_insensitive() {
        assert!(has_marker("Refund [FAIL]", FAIL_MARKER));
        assert!(has_marker("x [Slow] y", SLOW_MARKER));
        assert!(!has_marker("fail", FAIL_MARKER));
    }

    #[test]
    fn durations_are_staggered_and_doubled_for_slow_tests() {
        let base = Duration::from_millis(800);
        let d: Vec<u64> = (0..5)
            .map(|k| duration_of(base, "t", k).as_millis() as u64)
            .collect();
        assert_eq!(d, [800, 900, 1000, 1100, 800]);
        assert_eq!(
            duration_of(base, "t [slow]", 3),
            Duration::from_millis(2200)
        );
        // The documented bound, `max_run_duration`.
        assert!(duration_of(base, "t [slow]", 3) <= base * 22 / 8);
    }

    #[tokio::test(start_paused = true)]
    async fn a_timed_run_is_pending_at_submission_then_takes_the_rule() {
        let clock = Clock::new();
        let mut run = Run {
            id: "tr_1".into(),
            test_id: "t".into(),
            test_name: "Broken [fail]".into(),
            kind: Kind::Llm,
            definition: None,
            agent_id: "a".into(),
            branch_id: None,
            root_folder_id: None,
            root_folder_name: None,
            workflow_node_id: None,
            submitted_unix: 0,
            version_id: "v".into(),
            draft: false,
            progress: Progress::Fixed(None),
        };
        let now = Instant::now();
        schedule(clock, Duration::ZERO, &mut run, 0, true, now);
        assert_eq!(
            run.outcome(now),
            None,
            "pending at submission, even with no duration"
        );
        tokio::time::advance(Duration::from_millis(1)).await;
        assert_eq!(run.outcome(Instant::now()), Some(RunResult::Failed));
        run.test_name = "Fixed".into();
        schedule(
            clock,
            Duration::from_secs(1),
            &mut run,
            0,
            false,
            Instant::now(),
        );
        assert_eq!(run.outcome(Instant::now()), None);
        tokio::time::advance(Duration::from_secs(1)).await;
        assert_eq!(run.outcome(Instant::now()), Some(RunResult::Passed));
    }
}
