//! The fake's mutable store: agents, tests, folders, invocations and their runs. The store
//! sits behind one mutex in [`Shared`](super::Shared); its methods never block and never panic
//! on client input.
//!
//! - `clock.rs`: the run clock (what a run comes to, and when);
//! - `render.rs`: the store as the generated [`types`](crate::types) the routes answer with.

// Not API: public for their unit tests, in tests/it/unit/fake/state/.
#[doc(hidden)]
pub mod clock;
#[doc(hidden)]
pub mod render;

pub(crate) use clock::{Clock, Progress, RunResult, has_marker, outcome_for, scale, schedule};
pub use clock::{FAIL_MARKER, FLAKY_MARKER, SLOW_MARKER};
pub(crate) use render::{creator_access, credits_for};

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

/// The user who runs tests and owns what is created through the API.
pub const USER: (&str, &str) = ("Ada Lovelace", "ada.lovelace@example.com");

/// The kind of a test, as stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
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

/// One test run.
#[derive(Clone, Debug)]
pub struct Run {
    pub id: String,
    pub test_id: String,
    pub test_name: String,
    pub kind: Kind,
    /// The test's definition when the run was submitted (`test_info`).
    pub definition: Option<Map<String, Value>>,
    pub agent_id: String,
    pub branch_id: Option<String>,
    pub root_folder_id: Option<String>,
    pub root_folder_name: Option<String>,
    pub workflow_node_id: Option<String>,
    pub submitted_unix: i64,
    pub version_id: String,
    /// Whether it was last submitted with an `agent_config_override` (`ran_against_draft`).
    pub draft: bool,
    pub progress: Progress,
}

/// One invocation (a run of a suite).
#[derive(Clone, Debug)]
pub struct Invocation {
    pub id: String,
    pub agent_id: String,
    pub branch_id: Option<String>,
    pub created_at: i64,
    pub folder_id: Option<String>,
    pub title: String,
    pub repeat_count: i64,
    pub access_info: Option<ResourceAccessInfo>,
    pub runs: Vec<Run>,
    /// The user-provided name (`PATCH`); the title shows it when set.
    pub name: Option<String>,
    /// Whether the invocation was cancelled.
    pub cancelled: bool,
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
pub struct Store {
    pub clock: Clock,
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
    pub fn new(seed: u64, run_duration: Duration) -> Store {
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

    pub fn now_unix(&self) -> i64 {
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
