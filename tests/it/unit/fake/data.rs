//! `src/fake/data.rs`: its own items, hidden or public.

use elevenlabs_agent_tests::fake::data::*;
use elevenlabs_agent_tests::types::{
    ResourceAccessInfoAccessSource, ResourceAccessInfoAnonymousAccessLevelOverride,
    ResourceAccessInfoRole,
};
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
