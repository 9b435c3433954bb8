//! The fake's deterministic demo data: a seeded generator of test invocations.
//!
//! Values are the generated [`types`](crate::types) themselves, so the fake serves exactly what
//! the client parses. The same `(invocations, agents, seed)` always gives the same data, on
//! every platform: the generator uses its own PRNG (splitmix64) and a fixed clock.

use crate::types::{
    ResourceAccessInfo, ResourceAccessInfoAccessSource,
    ResourceAccessInfoAnonymousAccessLevelOverride, ResourceAccessInfoRole,
    TestInvocationSummaryResponseModel,
};

/// Creation time of the newest generated invocation: 2025-07-08T18:40:00Z. Older ones go back
/// from here, so the data does not depend on when it is generated.
pub const NEWEST_CREATED_AT_UNIX_SECS: i64 = 1_752_000_000;

/// splitmix64: tiny, fast, and good enough for demo data; self-contained so the data is the
/// same whatever version of any random-number crate is in the build.
#[derive(Clone, Debug)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix64(self.0)
    }

    /// Uniform in `lo..=hi` (`lo <= hi`); the modulo bias is irrelevant for demo data.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        let span = (hi - lo) as u64 + 1;
        lo + (self.next_u64() % span) as i64
    }

    /// `true` with probability `percent`/100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }

    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next_u64() % items.len() as u64) as usize]
    }

    /// `len` characters of lower-case base-36, like the ids of the real API.
    pub(crate) fn id_chars(&mut self, len: usize) -> String {
        const ALPHABET: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
        (0..len)
            .map(|_| ALPHABET[(self.next_u64() % ALPHABET.len() as u64) as usize] as char)
            .collect()
    }
}

/// The splitmix64 finaliser, also used to fingerprint cursors.
pub(crate) fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The creator (index into `CREATORS`) of agent `i`: consecutive agents have different
/// creators, and which one comes first depends on the seed.
pub fn creator_of(i: usize, seed: u64) -> usize {
    (i + (seed % CREATORS.len() as u64) as usize) % CREATORS.len()
}

/// At most how many of `done` finished runs fail in a demo invocation: about a third, and
/// one even of a single run.
pub fn most_failed(done: i64) -> i64 {
    done.min(1 + done / 3)
}

/// The anonymous-access override of the `k`th invocation with access info, as an index
/// into the `len` values, `len` meaning none: a period co-prime with the other fields'.
fn override_index(k: usize, len: usize) -> usize {
    (k * 2 + 1) % (len + 1)
}

/// Folder names: the title of a folder run.
pub const FOLDER_TITLES: &[&str] = &[
    "Checkout flow regression",
    "Onboarding smoke suite",
    "Billing escalations",
    "Appointment booking",
    "Returns and refunds",
    "Tone and safety checks",
    "Multilingual greetings",
    "Knowledge base accuracy",
    "Tool calling: CRM lookup",
    "Handoff to a human agent",
    "Voicemail detection",
    "Payment failures",
];

/// Test names: the title of a single-test run.
pub const TEST_TITLES: &[&str] = &[
    "Refund request over $500",
    "Customer asks for a manager",
    "Caller switches to Spanish mid-call",
    "Order status with an invalid order ID",
    "Cancels subscription, then changes mind",
    "Asks how long recordings are kept",
    "Books a slot on a public holiday",
    "Interrupts the greeting",
    "Gives a partial postcode",
    "Angry caller, profanity filter",
];

/// Creators of the agents: `(name, email)`.
pub const CREATORS: &[(&str, &str)] = &[
    ("Ada Lovelace", "ada.lovelace@example.com"),
    ("Grace Hopper", "grace.hopper@example.com"),
    ("Alan Turing", "alan.turing@example.com"),
    ("Katherine Johnson", "katherine.johnson@example.com"),
    ("Edsger Dijkstra", "edsger.dijkstra@example.com"),
];

/// The generated data set.
#[derive(Clone, Debug)]
pub struct DataSet {
    /// Agent ids, in generation order.
    pub agents: Vec<String>,
    /// Every invocation, newest first (strictly decreasing `created_at_unix_secs`).
    pub invocations: Vec<TestInvocationSummaryResponseModel>,
}

/// Generates `n` invocations over `m` agents (`m >= 1` when `n > 0`).
///
/// Guarantees, which `tests` below and `tests/it/fake.rs` check:
/// - newest first, timestamps strictly decreasing, ids unique (`ti_` + 20 base-36 chars);
/// - `passed + failed + pending == test_run_count`, `test_run_count` a multiple of
///   `repeat_count`; only recent invocations have pending runs;
/// - every agent has an invocation when `n >= m`;
/// - with `n >= 8`, every value of `ResourceAccessInfoRole`, `ResourceAccessInfoAccessSource`
///   and `ResourceAccessInfoAnonymousAccessLevelOverride` appears, as do `None` for each
///   optional enum, `access_info: None` and `branch_id: None`.
pub fn generate(n: usize, m: usize, seed: u64) -> DataSet {
    let mut rng = SplitMix64::new(seed);
    let agents: Vec<String> = (0..m)
        .map(|_| format!("agent_{}", rng.id_chars(26)))
        .collect();
    // Each agent has a creator, fixed for the data set.
    let agent_creator: Vec<usize> = (0..m).map(|i| creator_of(i, seed)).collect();
    // A few branches per agent; most runs are on the main branch (`branch_id: None`).
    let branches: Vec<String> = (0..m.max(1) * 2)
        .map(|_| format!("agtbrch_{}", rng.id_chars(24)))
        .collect();

    let roles = ResourceAccessInfoRole::KNOWN;
    let sources = ResourceAccessInfoAccessSource::KNOWN;
    let overrides = ResourceAccessInfoAnonymousAccessLevelOverride::KNOWN;

    let mut created = NEWEST_CREATED_AT_UNIX_SECS;
    let mut invocations = Vec::with_capacity(n);
    // Counts invocations that carry access info, to cycle through the enum values.
    let mut k = 0usize;
    for i in 0..n {
        if i > 0 {
            // 3 minutes to 9 hours between runs, as CI and people trigger them.
            created -= rng.range(180, 9 * 3600);
        }
        // Every agent appears once among the newest `m`, then a skewed mix: the first agent
        // is the busiest, as in a real workspace.
        let agent = if i < m {
            i
        } else if rng.chance(40) {
            0
        } else {
            rng.range(0, m as i64 - 1) as usize
        };

        let repeat_count = *rng.pick(&[1i64, 1, 1, 1, 2, 3, 5]);
        let (title, tests) = match rng.range(0, 9) {
            0..=4 => {
                let tests = rng.range(2, 24);
                (rng.pick(FOLDER_TITLES).to_string(), tests)
            }
            5..=7 => (rng.pick(TEST_TITLES).to_string(), 1),
            _ => {
                let tests = rng.range(2, 40);
                (format!("{tests} tests"), tests)
            }
        };
        let test_run_count = tests * repeat_count;
        // The newest invocation is still running, and now and then a recent one is stuck.
        let pending_count = if i == 0 || (i < 20 && rng.chance(10)) {
            rng.range(1, test_run_count)
        } else {
            0
        };
        let done = test_run_count - pending_count;
        let failed_count = if rng.chance(55) {
            0
        } else {
            rng.range(0, most_failed(done))
        };
        let passed_count = done - failed_count;

        // Access info: `None` for every 7th, otherwise cycling through every enum value
        // (and `None` for the optional ones) with co-prime periods so the combinations mix.
        let access_info = if i % 7 == 6 {
            None
        } else {
            let source = (k % (sources.len() + 1) < sources.len())
                .then(|| ResourceAccessInfoAccessSource::from(sources[k % (sources.len() + 1)]));
            let is_creator = source == Some(ResourceAccessInfoAccessSource::Creator);
            let role = if is_creator {
                ResourceAccessInfoRole::Admin
            } else {
                ResourceAccessInfoRole::from(roles[(k + 1) % roles.len()])
            };
            let o = override_index(k, overrides.len());
            let anonymous_access_level_override = (o < overrides.len())
                .then(|| ResourceAccessInfoAnonymousAccessLevelOverride::from(overrides[o]));
            let (creator_name, creator_email) = CREATORS[agent_creator[agent]];
            k += 1;
            Some(ResourceAccessInfo {
                access_source: source,
                anonymous_access_level_override,
                creator_email: creator_email.to_owned(),
                creator_name: creator_name.to_owned(),
                is_creator,
                role,
            })
        };

        let on_branch = match i % 5 {
            3 => true,
            0 => false,
            _ => rng.chance(15),
        };
        let branch_id = on_branch.then(|| branches[agent * 2 + rng.range(0, 1) as usize].clone());

        invocations.push(TestInvocationSummaryResponseModel {
            access_info,
            agent_id: Some(agents[agent].clone()),
            branch_id,
            created_at_unix_secs: created,
            failed_count,
            id: format!("ti_{}", rng.id_chars(20)),
            passed_count,
            pending_count,
            repeat_count,
            test_run_count,
            title,
            cancelled: Some(false),
            cancelled_count: Some(0),
            credits_used: Some(super::state::credits_for(test_run_count - pending_count)),
            name: None,
            ran_against_draft: false,
            runs_diverged_from_version: false,
            total_price: None,
            version_id: None,
        });
    }
    DataSet {
        agents,
        invocations,
    }
}
