//! Runs the `xtask` binary: exit codes, `--check` summaries, errors that leave `spec/` alone.

use crate::common::*;
use serde_json::json;

#[test]
fn committed_spec_is_up_to_date_with_the_fixture() {
    let o = run(&[
        "refresh-spec",
        "--from",
        "xtask/tests/fixtures/upstream-trimmed.json",
        "--check",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert_eq!(stdout(&o), "spec/ is up to date\n");
}

#[test]
fn changed_upstream_is_summarised_and_exits_1() {
    let spec = spec_copy("changed");
    let before = snapshot(&spec.0);
    let mut doc = fixture();
    let schemas = &mut doc["components"]["schemas"];
    schemas["ResourceAccessInfo"]["properties"]["role"]["enum"]
        .as_array_mut()
        .expect("role enum")
        .push(json!("owner"));
    schemas["TestInvocationSummaryResponseModel"]["properties"]["archived"] = json!({
        "type": "boolean", "title": "Archived", "description": "Whether the invocation is archived"
    });
    schemas["TestInvocationSummaryResponseModel"]["required"]
        .as_array_mut()
        .expect("required")
        .push(json!("archived"));
    schemas["ResourceAccessInfo"]["properties"]["via"] = json!({
        "anyOf": [{"type": "string", "enum": ["link"]}, {"type": "null"}]
    });
    let source = TempDir::new("changed-src");
    write_json(&source.join("openapi.json"), &doc);
    let from = source.join("openapi.json");
    let from = from.to_str().expect("utf-8 path");
    let spec_dir = spec.0.to_str().expect("utf-8 path");

    let o = run(&[
        "refresh-spec",
        "--from",
        from,
        "--check",
        "--spec-dir",
        spec_dir,
    ]);
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    assert_eq!(
        stdout(&o),
        "spec/ is out of date with the source:\n\
         \x20 schema ResourceAccessInfo: field `via` added (optional, nullable string enum)\n\
         \x20 schema ResourceAccessInfo.role: enum value `owner` added\n\
         \x20 schema TestInvocationSummaryResponseModel: field `archived` added (required, boolean)\n"
    );
    assert_eq!(snapshot(&spec.0), before, "--check must write nothing");

    // Without --check: writes, prints the same summary, then is up to date and stable.
    let o = run(&["refresh-spec", "--from", from, "--spec-dir", spec_dir]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("enum value `owner` added"),
        "{}",
        stdout(&o)
    );
    let written = snapshot(&spec.0);
    assert_eq!(written.len(), 6, "no temporary files left behind");
    let openapi = std::fs::read_to_string(spec.join("openapi.json")).expect("openapi.json");
    assert!(openapi.contains("\"ResourceAccessInfoVia\""));
    assert!(openapi.ends_with("}\n"));

    let o = run(&["refresh-spec", "--from", from, "--spec-dir", spec_dir]);
    assert_eq!(stdout(&o), "spec/ unchanged\n");
    assert_eq!(snapshot(&spec.0), written, "deterministic output");
    let o = run(&[
        "refresh-spec",
        "--from",
        from,
        "--check",
        "--spec-dir",
        spec_dir,
    ]);
    assert_eq!(o.status.code(), Some(0));
}

#[test]
fn writes_missing_outputs() {
    let spec = TempDir::new("fresh");
    for name in ["selection.json", "overlay.json"] {
        std::fs::copy(workspace_root().join("spec").join(name), spec.join(name))
            .expect("copy selection and overlay");
    }
    let spec_dir = spec.0.to_str().expect("utf-8 path");
    let from = fixture_path();
    let from = from.to_str().expect("utf-8 path");
    let o = run(&[
        "refresh-spec",
        "--from",
        from,
        "--check",
        "--spec-dir",
        spec_dir,
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("operation GET /v1/convai/test-invocations added"));
    let o = run(&["refresh-spec", "--from", from, "--spec-dir", spec_dir]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    for name in [
        "upstream.json",
        "effective.json",
        "openapi.json",
        "SOURCE.json",
    ] {
        assert_eq!(
            std::fs::read(spec.join(name)).expect("written"),
            std::fs::read(workspace_root().join("spec").join(name)).expect("committed"),
            "{name} generated from the fixture equals the committed one"
        );
    }
}

/// Runs a bad input against a copy of `spec/`: exit 2, one `error: ` line containing
/// `needle`, and the directory untouched.
fn assert_fails(tag: &str, from: &str, selection: Option<&str>, needle: &str) {
    assert_fails_with(tag, from, &[("selection.json", selection)], needle);
}

/// [`assert_fails`] with any of the `spec/` inputs replaced (`None`: the committed one).
fn assert_fails_with(tag: &str, from: &str, files: &[(&str, Option<&str>)], needle: &str) {
    let spec = spec_copy(tag);
    for (name, text) in files {
        if let Some(text) = text {
            std::fs::write(spec.join(name), text).expect("write spec input");
        }
    }
    let before = snapshot(&spec.0);
    let spec_dir = spec.0.to_str().expect("utf-8 path");
    for check in [false, true] {
        let mut args = vec!["refresh-spec", "--from", from, "--spec-dir", spec_dir];
        if check {
            args.push("--check");
        }
        let o = run(&args);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{tag}: {err}");
        assert!(stdout(&o).is_empty(), "{tag}: {}", stdout(&o));
        assert_eq!(err.lines().count(), 1, "{tag}: one line: {err}");
        assert!(err.starts_with("error: "), "{tag}: {err}");
        assert!(err.contains(needle), "{tag}: `{needle}` not in {err}");
        assert_eq!(snapshot(&spec.0), before, "{tag}: spec/ untouched");
    }
}

fn temp_source(dir: &TempDir, text: &str) -> String {
    let path = dir.join("source.json");
    std::fs::write(&path, text).expect("write source");
    path.to_str().expect("utf-8 path").to_owned()
}

#[test]
fn bad_sources_fail_with_one_line_and_leave_spec_alone() {
    let dir = TempDir::new("bad-src");
    assert_fails(
        "not-json",
        &temp_source(&dir, "<html>nope</html>"),
        None,
        "is not JSON",
    );
    assert_fails(
        "not-openapi",
        &temp_source(&dir, r#"{"swagger": "2.0", "paths": {}}"#),
        None,
        "not an OpenAPI document: no `openapi` field",
    );
    assert_fails(
        "no-paths",
        &temp_source(&dir, r#"{"openapi": "3.1.0"}"#),
        None,
        "no `paths` field",
    );
    assert_fails(
        "version",
        &temp_source(&dir, r#"{"openapi": "4.0.0", "paths": {}}"#),
        None,
        "is OpenAPI `4.0.0`, expected 3.1.x or 3.0.x",
    );
    assert_fails(
        "unreadable",
        "/nonexistent/xtask/openapi.json",
        None,
        "cannot read `/nonexistent/xtask/openapi.json`",
    );
    assert_fails(
        "unreachable",
        "http://127.0.0.1:9/openapi.json",
        None,
        "cannot read `http://127.0.0.1:9/openapi.json`",
    );
}

#[test]
fn dangling_ref_fails() {
    let dir = TempDir::new("dangling");
    let mut doc = fixture();
    doc["components"]["schemas"]
        .as_object_mut()
        .expect("schemas")
        .remove("ListResponseMeta");
    let from = temp_source(&dir, &doc.to_string());
    assert_fails(
        "dangling",
        &from,
        None,
        "dangling $ref `#/components/schemas/ListResponseMeta` in schema `GetTestInvocationsPageResponseModel`",
    );
}

#[test]
fn bad_selections_fail() {
    let from = fixture_path();
    let from = from.to_str().expect("utf-8 path");
    assert_fails(
        "unknown-op",
        from,
        Some(r#"{"operations": [{"method": "get", "path": "/v1/convai/nope"}]}"#),
        "selected operation `GET /v1/convai/nope` is not in the source",
    );
    assert_fails(
        "bad-selection",
        from,
        Some("{"),
        "bad spec/selection.json: not JSON",
    );
    assert_fails(
        "unknown-extra",
        from,
        Some(
            r#"{"operations": [{"method": "get", "path": "/v1/convai/test-invocations"}], "extra_schemas": ["Nope"]}"#,
        ),
        "selected extra schema `Nope`",
    );
}

#[test]
fn usage() {
    let o = run(&["--help"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).starts_with("usage: cargo xtask refresh-spec"));
    let o = run(&["refresh-spec", "--bogus"]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.starts_with("error: unknown argument `--bogus`"),
        "{err}"
    );
    assert!(err.contains("usage: cargo xtask refresh-spec"), "{err}");
    let o = run(&[]);
    assert_eq!(o.status.code(), Some(2));
}

/// Runs `refresh-spec --from doc` against `spec`, with or without `--check`.
fn refresh_from(spec: &TempDir, doc: &serde_json::Value, check: bool) -> std::process::Output {
    let source = TempDir::new("overlay-src");
    write_json(&source.join("openapi.json"), doc);
    let from = source.join("openapi.json");
    let mut args = vec![
        "refresh-spec",
        "--from",
        from.to_str().expect("utf-8 path"),
        "--spec-dir",
        spec.0.to_str().expect("utf-8 path"),
    ];
    if check {
        args.push("--check");
    }
    run(&args)
}

#[test]
fn redundant_overlay_actions_stop_the_refresh() {
    let spec = spec_copy("redundant");
    let mut doc = fixture();
    let schemas = &mut doc["components"]["schemas"];
    schemas["TestRunStatus"]["enum"]
        .as_array_mut()
        .expect("status enum")
        .push(json!("cancelled"));
    // Upstream now has 2 of the 15 LLM values the overlay adds.
    for v in ["claude-opus-5", "glm-52"] {
        schemas["LLM"]["enum"]
            .as_array_mut()
            .expect("LLM enum")
            .push(json!(v));
    }
    let status = action_number("$.components.schemas.TestRunStatus.enum");
    let llm = action_number("$.components.schemas.LLM");
    let before = snapshot(&spec.0);
    for check in [true, false] {
        let o = refresh_from(&spec, &doc, check);
        assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
        assert_eq!(
            stdout(&o),
            format!(
                "spec/overlay.json does not apply cleanly to the source; nothing written:\n\
                 \x20 overlay action {status} (`$.components.schemas.TestRunStatus.enum`): redundant: \
                 the source already has exactly this; delete the action\n\
                 \x20 overlay action {llm} (`$.components.schemas.LLM`): partly redundant: the source already has \
                 `$['components']['schemas']['LLM']['enum'][]: claude-opus-5`, \
                 `$['components']['schemas']['LLM']['enum'][]: glm-52` exactly; delete them from the action\n\
                 spec/ is out of date with the source:\n\
                 \x20 schema LLM: enum value `claude-opus-5` added\n\
                 \x20 schema LLM: enum value `glm-52` added\n\
                 \x20 schema TestRunStatus: enum value `cancelled` added\n"
            )
        );
        assert_eq!(
            snapshot(&spec.0),
            before,
            "nothing written (check: {check})"
        );
    }
}

#[test]
fn conflicting_overlay_actions_stop_the_refresh() {
    let spec = spec_copy("conflicting");
    let mut doc = fixture();
    let summary = &mut doc["components"]["schemas"]["TestInvocationSummaryResponseModel"];
    summary["properties"]["cancelled_count"] = json!({
        "type": "integer", "title": "Cancelled Count", "description": "Number of test runs that were cancelled"
    });
    summary["required"]
        .as_array_mut()
        .expect("required")
        .push(json!("cancelled_count"));
    let target = "$.components.schemas.TestInvocationSummaryResponseModel.properties";
    let n = action_number(target);
    let before = snapshot(&spec.0);
    for check in [true, false] {
        let o = refresh_from(&spec, &doc, check);
        assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
        assert_eq!(
            stdout(&o),
            format!(
                "spec/overlay.json does not apply cleanly to the source; nothing written:\n\
                 \x20 overlay action {n} (`{target}`): conflicting: the source has something different at \
                 `$['components']['schemas']['TestInvocationSummaryResponseModel']['properties']['cancelled_count']`; \
                 reconcile the action with it\n\
                 spec/ is out of date with the source:\n\
                 \x20 schema TestInvocationSummaryResponseModel: field `cancelled_count` added (required, integer)\n"
            )
        );
        assert_eq!(
            snapshot(&spec.0),
            before,
            "nothing written (check: {check})"
        );
    }
}

#[test]
fn dangling_overlay_actions_stop_the_refresh() {
    let spec = spec_copy("dangling-action");
    let mut overlay = overlay();
    overlay["actions"]
        .as_array_mut()
        .expect("actions")
        .push(json!({
            "target": "$.components.schemas.NoSuchSchema.properties",
            "description": "evidence: none",
            "update": {"x": {"type": "string"}}
        }));
    let n = overlay["actions"].as_array().expect("actions").len();
    write_json(&spec.join("overlay.json"), &overlay);
    let before = snapshot(&spec.0);
    for check in [true, false] {
        let o = refresh_from(&spec, &fixture(), check);
        assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
        assert_eq!(
            stdout(&o),
            format!(
                "spec/overlay.json does not apply cleanly to the source; nothing written:\n\
                 \x20 overlay action {n} (`$.components.schemas.NoSuchSchema.properties`): dangling: \
                 the target selects nothing in the source; fix or delete the action\n"
            )
        );
        assert_eq!(
            snapshot(&spec.0),
            before,
            "nothing written (check: {check})"
        );
    }
}

#[test]
fn bad_overlays_fail_with_one_line_and_leave_spec_alone() {
    let from = fixture_path();
    let from = from.to_str().expect("utf-8 path");
    let with_action = |action: serde_json::Value| {
        let mut o = overlay();
        o["actions"].as_array_mut().expect("actions").push(action);
        o.to_string()
    };
    for (tag, text, needle) in [
        (
            "ovl-json",
            "{".to_owned(),
            "bad spec/overlay.json: not JSON",
        ),
        (
            "ovl-version",
            r#"{"overlay": "2.0.0", "info": {"title": "t", "version": "1"}, "actions": []}"#
                .to_owned(),
            "bad spec/overlay.json: `overlay` is `2.0.0`",
        ),
        (
            "ovl-path",
            with_action(json!({"target": "$.paths[", "description": "d", "remove": true})),
            "target `$.paths[` is not a JSONPath",
        ),
        (
            "ovl-evidence",
            with_action(json!({"target": "$.paths", "update": {}})),
            "needs a `description` naming its evidence",
        ),
        (
            "ovl-merge",
            with_action(
                json!({"target": "$.components.schemas.LLM", "description": "d", "update": {"enum": "x"}}),
            ),
            "cannot merge a string into an array at $['components']['schemas']['LLM']['enum']",
        ),
        (
            "ovl-primitive",
            with_action(
                json!({"target": "$.components.schemas.LLM.type", "description": "d", "update": {}}),
            ),
            "targets must be objects or arrays",
        ),
    ] {
        assert_fails_with(tag, from, &[("overlay.json", Some(&text))], needle);
    }
}

#[test]
fn a_changed_overlay_is_summarised_apart_from_upstream() {
    let spec = spec_copy("overlay-changed");
    let mut overlay = overlay();
    let n = action_number("$.components.schemas.LLM") - 1;
    overlay["actions"][n]["update"]["enum"]
        .as_array_mut()
        .expect("LLM values")
        .push(json!("zz-model"));
    write_json(&spec.join("overlay.json"), &overlay);
    let upstream = std::fs::read(spec.join("upstream.json")).expect("upstream");
    let o = refresh_from(&spec, &fixture(), true);
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    assert_eq!(
        stdout(&o),
        "spec/ is out of date with the source:\n\
         \x20 with the overlay: schema LLM: enum value `zz-model` added\n"
    );
    let o = refresh_from(&spec, &fixture(), false);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert_eq!(
        std::fs::read(spec.join("upstream.json")).expect("upstream"),
        upstream,
        "spec/upstream.json is upstream's alone"
    );
    let effective = std::fs::read_to_string(spec.join("effective.json")).expect("effective");
    assert!(effective.contains("\"zz-model\""));
}

/// Each way a committed output can differ while upstream has not changed: `--check` exits 1
/// and says which file and how; the refresh then writes the three files as generated.
#[test]
fn a_damaged_committed_output_is_named_by_check() {
    let cases: [(&str, Option<&str>, &str); 5] = [
        ("effective.json", None, "spec/effective.json is missing"),
        (
            "effective.json",
            Some("{"),
            "committed spec/effective.json is not valid JSON",
        ),
        ("openapi.json", None, "spec/openapi.json is missing"),
        (
            "openapi.json",
            Some("{}"),
            "spec/openapi.json differs from the translation of the fragment (translator changed?)",
        ),
        (
            "upstream.json",
            Some("{"),
            "committed spec/upstream.json is not valid JSON",
        ),
    ];
    for (file, text, line) in cases {
        let spec = spec_copy("damaged");
        match text {
            Some(text) => std::fs::write(spec.join(file), text).expect("damage"),
            None => std::fs::remove_file(spec.join(file)).expect("remove"),
        }
        let o = refresh_from(&spec, &fixture(), true);
        assert_eq!(o.status.code(), Some(1), "{file}: {}", stderr(&o));
        let expected = format!("spec/ is out of date with the source:\n  {line}\n");
        if file == "upstream.json" {
            // Then everything upstream is listed as added, after this line.
            assert!(stdout(&o).starts_with(&expected), "{}", stdout(&o));
        } else {
            assert_eq!(stdout(&o), expected, "{file}");
        }
        let o = refresh_from(&spec, &fixture(), false);
        assert_eq!(o.status.code(), Some(0), "{file}: {}", stderr(&o));
        assert_eq!(
            std::fs::read(spec.join(file)).expect("rewritten"),
            std::fs::read(workspace_root().join("spec").join(file)).expect("committed"),
            "{file} rewritten"
        );
    }
}

/// Only the formatting of one committed output differs: `--check` still says so, per file.
#[test]
fn reformatted_outputs_are_out_of_date() {
    for file in ["upstream.json", "effective.json"] {
        let spec = spec_copy("reformatted");
        let text = std::fs::read_to_string(spec.join(file)).expect("read");
        std::fs::write(spec.join(file), format!("{text}\n")).expect("reformat");
        let o = refresh_from(&spec, &fixture(), true);
        assert_eq!(o.status.code(), Some(1), "{file}");
        assert_eq!(
            stdout(&o),
            format!("spec/ is out of date with the source:\n  spec/{file}: formatting differs\n"),
        );
    }
}

/// A committed output that cannot be read (here a directory) is an error naming it, not
/// taken for a missing file.
#[test]
fn an_unreadable_committed_output_is_an_error() {
    let spec = spec_copy("unreadable");
    std::fs::remove_file(spec.join("upstream.json")).expect("remove");
    std::fs::create_dir(spec.join("upstream.json")).expect("dir in its place");
    let o = refresh_from(&spec, &fixture(), true);
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    let err = stderr(&o);
    assert!(
        err.starts_with("error: ") && err.contains("upstream.json"),
        "{err}"
    );
}

/// `trim-fixture` over a source with more than the selection reaches (another operation and
/// its schema) writes exactly the committed fixture.
#[test]
fn trim_fixture_keeps_what_the_selection_reaches() {
    let mut doc = fixture();
    doc["paths"]["/v1/unrelated"] = json!({"get": {
        "operationId": "unrelated",
        "responses": {"200": {"description": "ok", "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/Unrelated"}}}}}
    }});
    doc["components"]["schemas"]["Unrelated"] = json!({"type": "object"});
    let dir = TempDir::new("trim");
    write_json(&dir.join("source.json"), &doc);
    let out = dir.join("trimmed.json");
    let o = run(&[
        "trim-fixture",
        "--from",
        dir.join("source.json").to_str().expect("utf-8 path"),
        "--out",
        out.to_str().expect("utf-8 path"),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), format!("wrote {}\n", out.display()));
    assert_eq!(
        std::fs::read_to_string(&out).expect("written"),
        std::fs::read_to_string(fixture_path()).expect("fixture"),
    );
}

/// The summary of the real refresh, 2026-08-22 → 2026-09-16 (trimmed copies of both upstream
/// documents): every line is a change, and every change has its line. The older document
/// writes integer bounds `50.0`, the newer `50`: the same numbers, so no bound is listed.
#[test]
fn the_real_refresh_summary_has_no_false_line() {
    let spec = TempDir::new("real");
    for name in ["selection.json", "overlay.json"] {
        std::fs::copy(workspace_root().join("spec").join(name), spec.join(name))
            .expect("copy selection and overlay");
    }
    let spec_dir = spec.0.to_str().expect("utf-8 path");
    let previous = previous_fixture_path();
    let o = run(&[
        "refresh-spec",
        "--from",
        previous.to_str().expect("utf-8 path"),
        "--spec-dir",
        spec_dir,
    ]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let o = run(&[
        "refresh-spec",
        "--from",
        fixture_path().to_str().expect("utf-8 path"),
        "--spec-dir",
        spec_dir,
        "--check",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    let fern = "`x-fern-audiences`, `x-fern-sdk-group-name` changed";
    let mut expected = vec![
        "spec/ is out of date with the source:".to_owned(),
        "operation GET /v1/convai/agent-testing: parameter `search` (query) changed (`description`, `schema`)".to_owned(),
    ];
    for op in [
        "GET /v1/convai/agent-testing",
        "POST /v1/convai/agent-testing/bulk-move",
        "POST /v1/convai/agent-testing/create",
        "POST /v1/convai/agent-testing/folders",
        "GET /v1/convai/agent-testing/folders/{folder_id}",
        "DELETE /v1/convai/agent-testing/folders/{folder_id}",
        "PATCH /v1/convai/agent-testing/folders/{folder_id}",
        "POST /v1/convai/agent-testing/summaries",
        "GET /v1/convai/agent-testing/{test_id}",
        "PUT /v1/convai/agent-testing/{test_id}",
        "DELETE /v1/convai/agent-testing/{test_id}",
    ] {
        expected.push(format!("operation {op}: {fern}"));
    }
    expected.extend(
        [
            "operation GET /v1/convai/agents/{agent_id}: `summary`, `x-fern-audiences`, `x-fern-sdk-group-name` changed",
            "operation POST /v1/convai/agents/{agent_id}/run-tests: FERN",
            "operation GET /v1/convai/test-invocations: parameter `search` (query) added (optional, nullable string)",
            "operation GET /v1/convai/test-invocations: FERN",
            "operation GET /v1/convai/test-invocations/{test_invocation_id}: FERN",
            "operation POST /v1/convai/test-invocations/{test_invocation_id}/resubmit: FERN",
            "schema AgentPlatformSettingsResponseModel: field `queueing_config` added (optional, any)",
            "schema GetAgentResponseModel: field `default_hold_audio_url` added (optional, string)",
            "schema GetAgentResponseModel: field `procedures` added (optional, any)",
            "schema GetAgentResponseModel: `example` changed",
            "schema GetTestSuiteInvocationResponseModel: field `ran_against_draft` added (optional, boolean)",
            "schema GetTestSuiteInvocationResponseModel: field `version_id` added (optional, nullable string)",
            "schema HTTPValidationError: `x-fern-type-name` changed",
            "schema LLM: enum value `gemini-3.8-flash` added",
            "schema TestInvocationSummaryResponseModel: field `ran_against_draft` added (optional, boolean)",
            "schema TestInvocationSummaryResponseModel: field `runs_diverged_from_version` added (optional, boolean)",
            "schema TestInvocationSummaryResponseModel: field `version_id` added (optional, nullable string)",
            "schema UnitTestRunResponseModel: field `ran_against_draft` added (optional, boolean)",
            "schema UnitTestRunResponseModel: field `version_id` added (optional, nullable string)",
            "schema ValidationError: `x-fern-type-name` changed",
            "spec/SOURCE.json: sha256 bd2bc946d5cd93c8a3d594756b6ddfab238d204aa159d32a2fade9ed905a2b68 → 4b94e2bd912dac1d9c1dd6200fc6b78ab8d5c7622965d956292fb2a8e379a12c",
            "spec/SOURCE.json: source ../shared/upstream/openapi.json → ../shared/upstream/openapi-2026-09.json",
            "spec/SOURCE.json: date 2026-08-22 → 2026-09-16",
        ]
        .map(|l| l.replace("FERN", fern)),
    );
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().map(str::trim_start).collect();
    assert_eq!(lines, expected);
    // The documents do write the bounds differently: the summary compares them by value.
    let text = |p: &std::path::Path| std::fs::read_to_string(p).expect("fixture");
    assert!(text(&previous).contains("\"maximum\": 50.0"));
    assert!(text(&fixture_path()).contains("\"maximum\": 50,"));
}

/// `fixture()` without its provenance: a document `spec/SOURCE.json` does not record.
fn undated_source(dir: &TempDir) -> String {
    let mut doc = fixture();
    doc.as_object_mut()
        .expect("object")
        .remove("x-trimmed-from");
    write_json(&dir.join("source.json"), &doc);
    dir.join("source.json")
        .to_str()
        .expect("utf-8 path")
        .to_owned()
}

fn sha256_of(path: &str) -> String {
    xtask::provenance::sha256_hex(&std::fs::read(path).expect("source"))
}

/// A document `spec/SOURCE.json` does not record: `--check` names the new record's fields,
/// writing it needs `--date` (nothing written without), and once written it is up to date.
#[test]
fn a_new_document_needs_its_date_and_is_recorded() {
    let spec = spec_copy("dated");
    let src = TempDir::new("dated-src");
    let from = undated_source(&src);
    let spec_dir = spec.0.to_str().expect("utf-8 path");
    let sha = sha256_of(&from);
    let before = snapshot(&spec.0);

    let o = run(&[
        "refresh-spec",
        "--from",
        &from,
        "--spec-dir",
        spec_dir,
        "--check",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        format!(
            "spec/ is out of date with the source:\n\
             \x20 spec/SOURCE.json: sha256 4b94e2bd912dac1d9c1dd6200fc6b78ab8d5c7622965d956292fb2a8e379a12c → {sha}\n\
             \x20 spec/SOURCE.json: source ../shared/upstream/openapi-2026-09.json → {from}\n\
             \x20 spec/SOURCE.json: date 2026-09-16 → unknown\n"
        )
    );
    let o = run(&["refresh-spec", "--from", &from, "--spec-dir", spec_dir]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o),
        format!(
            "error: provenance: `{from}` is a document spec/SOURCE.json does not record (sha256 {sha}): give its date with --date YYYY-MM-DD\n"
        )
    );
    assert_eq!(snapshot(&spec.0), before, "nothing written");
    let o = run(&[
        "refresh-spec",
        "--from",
        &from,
        "--spec-dir",
        spec_dir,
        "--date",
        "26-10-01",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("--date is `26-10-01`, expected YYYY-MM-DD"),
        "{}",
        stderr(&o)
    );
    assert_eq!(snapshot(&spec.0), before, "nothing written");

    let o = run(&[
        "refresh-spec",
        "--from",
        &from,
        "--spec-dir",
        spec_dir,
        "--date=2026-10-01",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let record: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(spec.join("SOURCE.json")).expect("written"))
            .expect("JSON");
    assert_eq!(
        record,
        json!({"source": from, "date": "2026-10-01", "sha256": sha})
    );
    // The generated files did not change: the same content, from another document.
    for name in ["upstream.json", "effective.json", "openapi.json"] {
        assert_eq!(
            std::fs::read(spec.join(name)).expect("written"),
            std::fs::read(workspace_root().join("spec").join(name)).expect("committed"),
        );
    }
    // The recorded document, read again (from anywhere), is up to date without --date.
    let copy = src.join("copy.json");
    std::fs::copy(&from, &copy).expect("copy");
    let o = run(&[
        "refresh-spec",
        "--from",
        copy.to_str().expect("utf-8 path"),
        "--spec-dir",
        spec_dir,
        "--check",
    ]);
    assert_eq!(
        (o.status.code(), stdout(&o).as_str()),
        (Some(0), "spec/ is up to date\n")
    );
}

/// `trim-fixture` records the provenance of its source in the fixture (`x-trimmed-from`), and
/// needs a date for a document `spec/SOURCE.json` does not record; a fixture's malformed
/// record is an error naming it.
#[test]
fn trim_fixture_records_where_the_document_came_from() {
    let spec = spec_copy("trim-dated");
    let src = TempDir::new("trim-dated-src");
    let from = undated_source(&src);
    let spec_dir = spec.0.to_str().expect("utf-8 path");
    let out = src.join("trimmed.json");
    let out_arg = out.to_str().expect("utf-8 path");
    let trim = |extra: &[&str]| {
        let mut args = vec![
            "trim-fixture",
            "--from",
            &from,
            "--spec-dir",
            spec_dir,
            "--out",
            out_arg,
        ];
        args.extend_from_slice(extra);
        run(&args)
    };
    let o = trim(&[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("give its date with --date"),
        "{}",
        stderr(&o)
    );
    assert!(!out.exists(), "nothing written");
    let o = trim(&["--date", "2026-10-01"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let trimmed: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).expect("written")).expect("JSON");
    assert_eq!(
        trimmed["x-trimmed-from"],
        json!({"source": from, "date": "2026-10-01", "sha256": sha256_of(&from)})
    );
    // A fixture whose record is damaged.
    let mut doc = fixture();
    doc["x-trimmed-from"]["sha256"] = json!("not a digest");
    let o = refresh_from(&spec, &doc, true);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("x-trimmed-from: `sha256` is `not a digest`"),
        "{}",
        stderr(&o)
    );
}

/// A damaged or missing `spec/SOURCE.json` is out of date, named by `--check`, and rewritten.
#[test]
fn a_damaged_source_record_is_named_and_rewritten() {
    for (damage, line) in [
        (
            Some("{\"source\": 1}"),
            "provenance: spec/SOURCE.json: `source` is not a string",
        ),
        (None, "spec/SOURCE.json is missing"),
    ] {
        let spec = spec_copy("source-damaged");
        match damage {
            Some(text) => std::fs::write(spec.join("SOURCE.json"), text).expect("damage"),
            None => std::fs::remove_file(spec.join("SOURCE.json")).expect("remove"),
        }
        let o = refresh_from(&spec, &fixture(), true);
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        assert_eq!(
            stdout(&o),
            format!("spec/ is out of date with the source:\n  {line}\n")
        );
        let o = refresh_from(&spec, &fixture(), false);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        assert_eq!(
            std::fs::read(spec.join("SOURCE.json")).expect("rewritten"),
            std::fs::read(workspace_root().join("spec/SOURCE.json")).expect("committed"),
        );
    }
}
