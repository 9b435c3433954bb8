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
pub(crate) struct SplitMix64(u64);

impl SplitMix64 {
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix64(self.0)
    }

    /// Uniform in `lo..=hi` (`lo <= hi`); the modulo bias is irrelevant for demo data.
    pub(crate) fn range(&mut self, lo: i64, hi: i64) -> i64 {
        let span = (hi - lo) as u64 + 1;
        lo + (self.next_u64() % span) as i64
    }

    /// `true` with probability `percent`/100.
    pub(crate) fn chance(&mut self, percent: u64) -> bool {
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
fn creator_of(i: usize, seed: u64) -> usize {
    (i + (seed % CREATORS.len() as u64) as usize) % CREATORS.len()
}

/// At most how many of `done` finished runs fail in a demo invocation: about a third, and
/// one even of a single run.
fn most_failed(done: i64) -> i64 {
    done.min(1 + done / 3)
}

/// The anonymous-access override of the `k`th invocation with access info, as an index
/// into the `len` values, `len` meaning none: a period co-prime with the other fields'.
fn override_index(k: usize, len: usize) -> usize {
    (k * 2 + 1) % (len + 1)
}

/// Folder names: the title of a folder run.
const FOLDER_TITLES: &[&str] = &[
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
const TEST_TITLES: &[&str] = &[
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
const CREATORS: &[(&str, &str)] = &[
    ("Ada Lovelace", "ada.lovelace@example.com"),
    ("Grace Hopper", "grace.hopper@example.com"),
    ("Alan Turing", "alan.turing@example.com"),
    ("Katherine Johnson", "katherine.johnson@example.com"),
    ("Edsger Dijkstra", "edsger.dijkstra@example.com"),
];

/// The generated data set.
#[derive(Clone, Debug)]
pub(crate) struct DataSet {
    /// Agent ids, in generation order.
    pub(crate) agents: Vec<String>,
    /// Every invocation, newest first (strictly decreasing `created_at_unix_secs`).
    pub(crate) invocations: Vec<TestInvocationSummaryResponseModel>,
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
pub(crate) fn generate(n: usize, m: usize, seed: u64) -> DataSet {
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn same_seed_same_data_other_seed_other_data() {
        let a = generate(50, 3, 7);
        let b = generate(50, 3, 7);
        let c = generate(50, 3, 8);
        let ids = |d: &DataSet| {
            d.invocations
                .iter()
                .map(|i| i.id.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(&a), ids(&b));
        assert_ne!(ids(&a), ids(&c));
    }

    #[test]
    fn invariants_hold() {
        for (n, m, seed) in [(0, 0, 1), (1, 1, 1), (8, 2, 3), (137, 4, 42), (500, 9, 99)] {
            let d = generate(n, m, seed);
            assert_eq!(d.invocations.len(), n);
            assert_eq!(d.agents.len(), m);
            let ids: BTreeSet<_> = d.invocations.iter().map(|i| &i.id).collect();
            assert_eq!(ids.len(), n, "ids unique");
            for w in d.invocations.windows(2) {
                assert!(w[0].created_at_unix_secs > w[1].created_at_unix_secs);
            }
            for inv in &d.invocations {
                assert!(inv.id.starts_with("ti_") && inv.id.len() == 23);
                assert_eq!(
                    inv.passed_count + inv.failed_count + inv.pending_count,
                    inv.test_run_count
                );
                assert!(inv.passed_count >= 0 && inv.failed_count >= 0 && inv.pending_count >= 0);
                assert_eq!(inv.test_run_count % inv.repeat_count, 0);
                assert!(d.agents.contains(inv.agent_id.as_ref().unwrap()));
                if let Some(a) = &inv.access_info {
                    assert_eq!(
                        a.is_creator,
                        a.access_source == Some(ResourceAccessInfoAccessSource::Creator)
                    );
                }
            }
            if n >= m {
                let used: BTreeSet<_> = d
                    .invocations
                    .iter()
                    .map(|i| i.agent_id.clone().unwrap())
                    .collect();
                assert_eq!(used.len(), m, "every agent used");
            }
        }
    }

    #[test]
    fn chance_and_range_have_their_distribution() {
        let mut rng = SplitMix64::new(5);
        let hits = (0..10_000).filter(|_| rng.chance(10)).count();
        assert!((900..=1_100).contains(&hits), "{hits} of 10000 at 10 %");
        let values: BTreeSet<i64> = (0..1_000).map(|_| rng.range(-2, 2)).collect();
        assert_eq!(values, (-2..=2).collect());
    }

    #[test]
    fn about_a_third_of_the_finished_runs_fail_at_most() {
        let most: Vec<i64> = [0, 1, 2, 3, 9, 30].map(most_failed).to_vec();
        assert_eq!(most, [0, 1, 1, 2, 4, 11]);
    }

    #[test]
    fn consecutive_agents_have_different_creators_the_first_by_seed() {
        let mut firsts = BTreeSet::new();
        for seed in 0..6 {
            for i in 0..5 {
                assert!(creator_of(i, seed) < CREATORS.len());
                assert_ne!(creator_of(i, seed), creator_of(i + 1, seed), "seed {seed}");
            }
            firsts.insert(creator_of(0, seed));
        }
        assert_eq!(firsts.len(), CREATORS.len());
    }

    #[test]
    fn the_newest_invocation_is_at_the_documented_time_and_titles_vary() {
        for seed in [0, 1, 42] {
            let d = generate(137, 3, seed);
            assert_eq!(
                d.invocations[0].created_at_unix_secs,
                NEWEST_CREATED_AT_UNIX_SECS
            );
            let titles: Vec<&str> = d.invocations.iter().map(|i| i.title.as_str()).collect();
            assert!(
                titles.iter().any(|t| FOLDER_TITLES.contains(t)),
                "a folder run"
            );
            assert!(
                titles.iter().any(|t| TEST_TITLES.contains(t)),
                "a single test"
            );
            assert!(
                titles.iter().any(|t| t.ends_with(" tests")),
                "a run of N tests"
            );
        }
    }

    #[test]
    fn only_the_20_newest_can_be_pending_and_the_newest_is() {
        for seed in 0..60 {
            let d = generate(30, 1, seed);
            assert!(d.invocations[0].pending_count > 0, "seed {seed}");
            for inv in &d.invocations[20..] {
                assert_eq!(inv.pending_count, 0, "seed {seed}: {}", inv.id);
            }
        }
    }

    #[test]
    fn every_enum_value_is_represented_from_8_invocations() {
        for seed in [0, 1, 42, u64::MAX] {
            let d = generate(8, 2, seed);
            let infos: Vec<_> = d
                .invocations
                .iter()
                .map(|i| i.access_info.clone())
                .collect();
            assert!(infos.iter().any(Option::is_none), "access_info None");
            let infos: Vec<_> = infos.into_iter().flatten().collect();
            let roles: BTreeSet<_> = infos.iter().map(|a| a.role.as_str().to_owned()).collect();
            let want: BTreeSet<_> = ResourceAccessInfoRole::KNOWN
                .iter()
                .map(|s| s.to_string())
                .collect();
            assert_eq!(roles, want);
            let sources: BTreeSet<_> = infos
                .iter()
                .map(|a| a.access_source.as_ref().map(|s| s.as_str().to_owned()))
                .collect();
            assert_eq!(
                sources.len(),
                ResourceAccessInfoAccessSource::KNOWN.len() + 1
            );
            let overrides: BTreeSet<_> = infos
                .iter()
                .map(|a| {
                    a.anonymous_access_level_override
                        .as_ref()
                        .map(|s| s.as_str().to_owned())
                })
                .collect();
            assert_eq!(
                overrides.len(),
                ResourceAccessInfoAnonymousAccessLevelOverride::KNOWN.len() + 1
            );
            assert!(d.invocations.iter().any(|i| i.branch_id.is_none()));
            assert!(d.invocations.iter().any(|i| i.branch_id.is_some()));
        }
    }
}
