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
    schemas["TestInvocationSummaryResponseModel"]["properties"]["cancelled_count"] = json!({
        "type": "integer", "title": "Cancelled Count", "description": "Number of cancelled runs"
    });
    schemas["TestInvocationSummaryResponseModel"]["required"]
        .as_array_mut()
        .expect("required")
        .push(json!("cancelled_count"));
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
         \x20 schema TestInvocationSummaryResponseModel: field `cancelled_count` added (required, integer)\n"
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
    assert_eq!(written.len(), 3, "no temporary files left behind");
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
    std::fs::copy(
        workspace_root().join("spec/selection.json"),
        spec.join("selection.json"),
    )
    .expect("copy selection");
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
    for name in ["upstream.json", "openapi.json"] {
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
    let spec = spec_copy(tag);
    if let Some(sel) = selection {
        std::fs::write(spec.join("selection.json"), sel).expect("write selection");
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
