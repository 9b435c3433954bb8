//! `src/spec.rs`: its own items, hidden or public.

use elevenlabs_agent_tests::spec::*;

#[test]
fn the_committed_spec_s_facts_are_read() {
    let t = Tables::current();
    let run = t.operation("run_tests").expect("run_tests");
    assert_eq!(run.method, "POST");
    assert_eq!(run.path, "/v1/convai/agents/{agent_id}/run-tests");
    assert_eq!(run.path_parameters, ["agent_id"]);
    assert_eq!(run.body.as_deref(), Some("RunAgentTestsRequestModel"));
    assert_eq!(
        t.int_default("list_test_invocations", "page_size"),
        Some(30)
    );
    assert_eq!(
        t.str_default("list_tests", "sort_mode").as_deref(),
        Some("default")
    );
    let repeat = t.field("RunAgentTestsRequestModel", "repeat_count");
    assert_eq!((repeat.minimum, repeat.maximum), (Some(1), Some(50)));
    assert_eq!(repeat.default, Some(serde_json::json!(1)));
    let tests = t.field("RunAgentTestsRequestModel", "tests");
    assert_eq!((tests.min_items, tests.max_items), (Some(1), Some(5000)));
    assert!(t.field("RunAgentTestsRequestModel", "branch_id").nullable);
    assert_eq!(
        t.field("RunAgentTestsRequestModel", "nope"),
        Facts::default()
    );
    let statuses = t.parameter("list_tests", "sharing_mode");
    assert!(statuses.string_values().contains(&"shared_with_me"));
    let kinds: Vec<&str> = t
        .union("CreateTestBody")
        .unwrap()
        .variants
        .iter()
        .map(|v| v.tag.as_str())
        .collect();
    assert_eq!(kinds, ["llm", "simulation", "tool"]);
    assert_eq!(t.union("UpdateTestBody").unwrap().schema, "UpdateTestBody");
    assert!(t.union("RunAgentTestsRequestModel").is_none());
    assert!(
        t.fields_of("RunAgentTestsRequestModel")
            .any(|f| f.field == "tests")
    );
}

#[test]
fn a_range_needs_one_side_and_opens_the_other() {
    let facts = |minimum, maximum, min_items, max_items| Facts {
        minimum,
        maximum,
        min_items,
        max_items,
        ..Facts::default()
    };
    assert_eq!(facts(None, None, None, None).int_range(), None);
    assert_eq!(
        facts(Some(1), None, None, None).int_range(),
        Some((1, i64::MAX))
    );
    assert_eq!(
        facts(None, Some(9), None, None).int_range(),
        Some((i64::MIN, 9))
    );
    assert_eq!(
        facts(Some(1), Some(9), None, None).int_range(),
        Some((1, 9))
    );
    assert_eq!(facts(Some(1), Some(9), None, None).items_range(), None);
    assert_eq!(
        facts(None, None, Some(1), None).items_range(),
        Some((1, usize::MAX))
    );
    assert_eq!(facts(None, None, None, Some(5)).items_range(), Some((0, 5)));
    assert_eq!(facts(None, None, None, None).items_range(), None);
}

#[test]
fn bounds_are_read_from_the_facts_and_checked_on_both_sides() {
    let t = Tables::current();
    let run = t.bounds("RunAgentTestsRequestModel");
    assert!(run.contains(&("repeat_count", Bound::Int { min: 1, max: 50 })));
    assert!(run.contains(&("tests", Bound::Items { min: 1, max: 5000 })));
    assert!(!run.iter().any(|(f, _)| *f == "branch_id"));
    assert!(t.bounds("nope").is_empty());

    let int = Bound::Int { min: 1, max: 50 };
    assert_eq!(int.breach(&serde_json::json!(0)), Some(Breach::Below));
    assert_eq!(int.breach(&serde_json::json!(1)), None);
    assert_eq!(int.breach(&serde_json::json!(50)), None);
    assert_eq!(int.breach(&serde_json::json!(51)), Some(Breach::Above));
    assert_eq!(
        int.breach(&serde_json::json!(u64::MAX)),
        Some(Breach::Above)
    );
    assert_eq!(int.breach(&serde_json::json!("51")), None);
    let items = Bound::Items { min: 1, max: 2 };
    assert_eq!(items.breach(&serde_json::json!([])), Some(Breach::Below));
    assert_eq!(items.breach(&serde_json::json!([1])), None);
    assert_eq!(items.breach(&serde_json::json!([1, 2])), None);
    assert_eq!(
        items.breach(&serde_json::json!([1, 2, 3])),
        Some(Breach::Above)
    );
    assert_eq!(items.breach(&serde_json::json!(3)), None);
    // Unbounded sides come from the facts' missing keys.
    let open = t.bounds("AgentTestingSettings");
    assert!(open.contains(&("attached_tests", Bound::Items { min: 0, max: 5000 })));
}
