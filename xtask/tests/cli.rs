//! Runs the `xtask` binary: exit codes, `--check` summaries, errors that leave `spec/` alone.

mod common;

use common::*;
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
    assert_eq!(written.len(), 5, "no temporary files left behind");
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
    for name in ["upstream.json", "effective.json", "openapi.json"] {
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
