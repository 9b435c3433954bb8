//! `src/fake/state/render.rs`: its own items, hidden or public.

use elevenlabs_agent_tests::fake::state::clock::{Progress, RunResult};
use elevenlabs_agent_tests::fake::state::render::*;
use elevenlabs_agent_tests::fake::state::{Invocation, Run, USER};
use elevenlabs_agent_tests::types::{
    BucketingStatus, ResourceAccessInfoAccessSource, ResourceAccessInfoRole, TestRunStatus,
};
use std::time::Duration;
use tokio::time::Instant;

use super::test_run as run;

fn invocation(repeat_count: i64, runs: Vec<Run>) -> Invocation {
    Invocation {
        id: "inv_1".into(),
        agent_id: "agent_1".into(),
        branch_id: None,
        created_at: 1_000,
        folder_id: None,
        title: "Suite".into(),
        repeat_count,
        access_info: None,
        runs,
        name: None,
        cancelled: false,
    }
}

const REFUND: (&str, &str) = ("t_refund", "Refund");
const BROKEN: (&str, &str) = ("t_broken", "Broken [fail]");

#[test]
fn the_user_is_creator_and_admin_of_their_own_and_editor_of_the_rest() {
    let own = creator_access(USER);
    assert!(own.is_creator);
    assert_eq!(own.role, ResourceAccessInfoRole::Admin);
    assert_eq!(
        own.access_source,
        Some(ResourceAccessInfoAccessSource::Creator)
    );
    let theirs = creator_access(("Grace Hopper", "grace.hopper@example.com"));
    assert!(!theirs.is_creator);
    assert_eq!(theirs.role, ResourceAccessInfoRole::Editor);
    assert_eq!(
        theirs.access_source,
        Some(ResourceAccessInfoAccessSource::WorkspaceDefault)
    );
    assert_eq!(theirs.creator_email, "grace.hopper@example.com");
    assert_eq!(theirs.creator_name, "Grace Hopper");
}

#[tokio::test(start_paused = true)]
async fn credits_are_charged_per_finished_run_only() {
    assert!(credits_for(1) > 0);
    assert_eq!(credits_for(3), 3 * credits_for(1));
    let inv = invocation(
        1,
        vec![
            run(
                "tr_1",
                REFUND,
                Progress::Fixed(Some(RunResult::Passed)),
                false,
            ),
            run(
                "tr_2",
                BROKEN,
                Progress::Fixed(Some(RunResult::Failed)),
                false,
            ),
            run("tr_3", REFUND, Progress::Fixed(None), false),
        ],
    );
    let now = Instant::now();
    assert_eq!(inv.summary(now).credits_used, Some(credits_for(2)));
    let per_run: Vec<_> = inv
        .detail(now)
        .test_runs
        .iter()
        .map(|r| r.credits_used)
        .collect();
    assert_eq!(per_run, [Some(credits_for(1)), Some(credits_for(1)), None]);
}

#[tokio::test(start_paused = true)]
async fn a_run_was_last_updated_when_it_finished_or_else_when_submitted() {
    let now = Instant::now();
    let timed = |finish_at| Progress::Timed {
        since: now,
        finish_at,
        finish_unix: 1_042,
        outcome: RunResult::Passed,
    };
    let inv = invocation(
        1,
        vec![
            run("tr_1", REFUND, timed(now), false),
            run("tr_2", REFUND, timed(now + Duration::from_secs(60)), false),
        ],
    );
    let updated: Vec<_> = inv
        .detail(now + Duration::from_secs(1))
        .test_runs
        .iter()
        .map(|r| r.last_updated_at_unix)
        .collect();
    assert_eq!(updated, [Some(1_042), Some(1_000)]);
}

#[tokio::test(start_paused = true)]
async fn a_cancelled_run_has_no_result_and_a_failed_one_the_refusal() {
    let fixed = |o| Progress::Fixed(Some(o));
    let inv = invocation(
        1,
        vec![
            run("tr_1", REFUND, fixed(RunResult::Passed), false),
            run("tr_2", BROKEN, fixed(RunResult::Failed), false),
            run("tr_3", REFUND, fixed(RunResult::Cancelled), false),
        ],
    );
    let runs = inv.detail(Instant::now()).test_runs;
    let replies: Vec<Option<String>> = runs
        .iter()
        .map(|r| {
            let t = r.agent_responses.as_ref()?.first()?;
            Some(
                serde_json::to_value(t).ok()?["message"]
                    .as_str()?
                    .to_owned(),
            )
        })
        .collect();
    assert_eq!(
        replies,
        [
            Some("Of course, I can help with that. Let me take care of it now.".to_owned()),
            Some("I'm sorry, I can't help with that request.".to_owned()),
            None,
        ]
    );
    assert!(runs[1].condition_result.is_some());
    assert!(runs[2].condition_result.is_none());
}

#[tokio::test(start_paused = true)]
async fn a_draft_run_makes_the_invocation_ran_against_draft() {
    let fixed = || Progress::Fixed(Some(RunResult::Passed));
    let published = invocation(1, vec![run("tr_1", REFUND, fixed(), false)]);
    assert!(!published.ran_against_draft());
    let draft = invocation(
        1,
        vec![
            run("tr_1", REFUND, fixed(), false),
            run("tr_2", REFUND, fixed(), true),
        ],
    );
    assert!(draft.ran_against_draft());
    assert!(draft.summary(Instant::now()).ran_against_draft);
}

#[tokio::test(start_paused = true)]
async fn only_a_finished_repeated_invocation_has_result_groups() {
    let now = Instant::now();
    let passed = || Progress::Fixed(Some(RunResult::Passed));
    let failed = || Progress::Fixed(Some(RunResult::Failed));
    let once = invocation(1, vec![run("tr_1", REFUND, passed(), false)]).detail(now);
    assert_eq!(once.bucketing_status, None);
    assert!(once.result_groups.is_empty());

    let repeated = invocation(
        2,
        vec![
            run("tr_1", REFUND, passed(), false),
            run("tr_2", BROKEN, failed(), false),
            run("tr_3", REFUND, failed(), false),
            run("tr_4", BROKEN, failed(), false),
        ],
    )
    .detail(now);
    assert_eq!(repeated.bucketing_status, Some(BucketingStatus::Completed));
    let groups: Vec<_> = repeated
        .result_groups
        .iter()
        .map(|g| {
            let buckets: Vec<_> = g
                .buckets
                .iter()
                .map(|b| (b.status.clone(), b.title.as_str(), b.test_run_ids.clone()))
                .collect();
            (g.test_id.as_str(), buckets)
        })
        .collect();
    let met = "Met the success condition";
    let missed = "Did not meet the success condition";
    assert_eq!(
        groups,
        [
            (
                "t_refund",
                vec![
                    (TestRunStatus::Passed, met, vec!["tr_1".to_owned()]),
                    (TestRunStatus::Failed, missed, vec!["tr_3".to_owned()]),
                ]
            ),
            (
                "t_broken",
                vec![(
                    TestRunStatus::Failed,
                    missed,
                    vec!["tr_2".to_owned(), "tr_4".to_owned()]
                )]
            ),
        ]
    );
}
