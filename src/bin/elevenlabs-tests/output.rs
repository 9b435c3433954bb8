//! What goes to stdout: JSON (the API's own models, serialised) or human tables.

use std::io::{self, Write};

use comfy_table::{ContentArrangement, Table, presets};
use elevenlabs_agent_tests::types::{
    GetTestSuiteInvocationResponseModel, TestInvocationSummaryResponseModel, TestRunStatus,
    UnitTestSummaryResponseModel,
};
use serde::Serialize;
use serde_json::Value;

use crate::failure::Failure;

/// Writes `value` as one line of JSON.
pub fn json_line(out: &mut (impl Write + ?Sized), value: &impl Serialize) -> Result<(), Failure> {
    let line = serde_json::to_string(value)
        .map_err(|e| Failure::Io(format!("cannot encode the output as JSON: {e}")))?;
    writeln!(out, "{line}")?;
    Ok(())
}

/// Replaces control characters (a newline in a name would break a table row).
pub fn clean(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// `2025-07-08T18:40:00Z` from unix seconds.
pub fn rfc3339(unix_secs: i64) -> String {
    chrono::DateTime::from_timestamp(unix_secs, 0)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_else(|| unix_secs.to_string())
}

/// A table in the program's style.
pub fn table(header: &[&str]) -> Table {
    let mut table = Table::new();
    table
        .load_style(presets::NOTHING)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(header.to_vec());
    table
}

/// Prints a table: columns two spaces apart, no margin, no trailing spaces.
pub fn print_table(out: &mut (impl Write + ?Sized), table: &mut Table) -> io::Result<()> {
    for column in table.column_iter_mut() {
        column.set_padding((0, 2));
    }
    for line in table.lines() {
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}

/// The columns of a streamed invocation listing: fixed widths, so each row can be printed
/// as soon as it arrives; the title, of any length, is last.
pub const INVOCATION_HEADER: &str = "ID                            CREATED               PASSED FAILED PENDING CANCELLED REPEAT  TITLE";

pub fn invocation_row(i: &TestInvocationSummaryResponseModel) -> String {
    format!(
        "{:<29} {:<21} {:>6} {:>6} {:>7} {:>9} {:>6}  {}",
        clean(&i.id),
        rfc3339(i.created_at_unix_secs),
        i.passed_count,
        i.failed_count,
        i.pending_count,
        // Absent on responses older than the field (and on the pinned spec): none.
        i.cancelled_count.unwrap_or(0),
        i.repeat_count,
        clean(&i.title)
    )
}

/// The columns of a streamed test listing.
pub const TEST_HEADER: &str =
    "ID                            TYPE        UPDATED               NAME";

pub fn test_row(t: &UnitTestSummaryResponseModel) -> String {
    format!(
        "{:<29} {:<11} {:<21} {}",
        clean(&t.id),
        t.type_.to_string(),
        rfc3339(t.last_updated_at_unix_secs),
        clean(&t.name)
    )
}

/// A key/value table of an object's scalar fields (nested values summarised).
pub fn print_object(out: &mut (impl Write + ?Sized), value: &Value) -> io::Result<()> {
    let mut table = table(&["FIELD", "VALUE"]);
    if let Value::Object(map) = value {
        for (k, v) in map {
            let shown = match v {
                Value::String(s) => clean(s),
                Value::Array(a) => format!("[{} items]", a.len()),
                Value::Object(o) => format!("{{{} fields}}", o.len()),
                other => other.to_string(),
            };
            table.add_row(vec![k.clone(), shown]);
        }
    }
    print_table(out, &mut table)
}

/// The human form of an invocation: a line of counts, a table of its runs, and each run that
/// did not pass with its rationale.
pub fn print_invocation(
    out: &mut (impl Write + ?Sized),
    invocation: &GetTestSuiteInvocationResponseModel,
) -> io::Result<()> {
    let outcome = invocation.outcome();
    let agent = invocation
        .agent_id
        .as_deref()
        .or_else(|| invocation.test_runs.first().map(|r| r.agent_id.as_str()))
        .unwrap_or("-");
    writeln!(
        out,
        "invocation {}  agent {}  {}",
        clean(&invocation.id),
        clean(agent),
        counts_line(&outcome)
    )?;
    if invocation.repeat_count > 1 {
        writeln!(out, "repeat count {}", invocation.repeat_count)?;
    }
    // The agent version and the draft flag, when the API gives them.
    let mut based_on = Vec::new();
    if let Some(version) = &invocation.version_id {
        based_on.push(format!("agent version {}", clean(version)));
    }
    if invocation.ran_against_draft {
        based_on.push("ran against a draft".to_owned());
    }
    if !based_on.is_empty() {
        writeln!(out, "{}", based_on.join(", "))?;
    }
    let mut runs = table(&["TEST", "STATUS", "RUN"]);
    for run in &invocation.test_runs {
        runs.add_row(vec![
            clean(&run.test_name),
            status_label(&run.status).to_owned(),
            clean(&run.test_run_id),
        ]);
    }
    writeln!(out)?;
    print_table(out, &mut runs)?;
    if !outcome.not_passed.is_empty() {
        writeln!(out)?;
        for report in &outcome.not_passed {
            writeln!(
                out,
                "{} {}: {}",
                status_label(&report.status).to_ascii_uppercase(),
                clean(&report.test_name),
                clean(
                    report
                        .rationale
                        .as_deref()
                        .unwrap_or("(no rationale given)")
                )
            )?;
            for message in &report.messages {
                writeln!(out, "    - {}", clean(message))?;
            }
        }
    }
    Ok(())
}

/// `3 passed, 1 failed, 0 pending` (and cancelled and unknown statuses, when any).
pub fn counts_line(outcome: &elevenlabs_agent_tests::outcome::Outcome) -> String {
    let mut line = format!(
        "{} passed, {} failed, {} pending",
        outcome.passed, outcome.failed, outcome.pending
    );
    if outcome.cancelled > 0 {
        line.push_str(&format!(", {} cancelled", outcome.cancelled));
    }
    for (status, n) in &outcome.unknown {
        line.push_str(&format!(", {n} {status}"));
    }
    line
}

/// A run status as the API spells it.
pub fn status_label(status: &TestRunStatus) -> &str {
    status.as_str()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_object_is_a_two_column_table_of_its_fields() {
        let mut out = Vec::new();
        print_object(
            &mut out,
            &serde_json::json!({"id": "t_1", "name": "two\nlines", "tags": [1, 2], "meta": {"a": 1}, "n": 3}),
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "FIELD  VALUE\nid     t_1\nmeta   {1 fields}\nn      3\nname   two lines\ntags   [2 items]\n"
        );
    }

    #[test]
    fn an_invocation_is_counts_runs_and_what_did_not_pass() {
        let invocation: GetTestSuiteInvocationResponseModel = serde_json::from_value(serde_json::json!({
            "id": "inv_1", "agent_id": "agent_1", "created_at": 1_752_000_000, "repeat_count": 2,
            "test_runs": [
                {"test_run_id": "run_1", "test_invocation_id": "inv_1", "agent_id": "agent_1",
                 "test_id": "t1", "test_name": "Greets", "status": "passed"},
                {"test_run_id": "run_2", "test_invocation_id": "inv_1", "agent_id": "agent_1",
                 "test_id": "t2", "test_name": "Refunds", "status": "failed",
                 "condition_result": {"result": "failure",
                     "rationale": {"summary": "no refund offered", "messages": ["asked twice"]}}}
            ]
        }))
        .unwrap();
        let mut out = Vec::new();
        print_invocation(&mut out, &invocation).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "invocation inv_1  agent agent_1  1 passed, 1 failed, 0 pending\n\
             repeat count 2\n\
             \n\
             TEST     STATUS  RUN\n\
             Greets   passed  run_1\n\
             Refunds  failed  run_2\n\
             \n\
             FAILED Refunds: no refund offered\n    - asked twice\n"
        );
        // Run once: no repeat line.
        let once = GetTestSuiteInvocationResponseModel {
            repeat_count: 1,
            ..invocation
        };
        let mut out = Vec::new();
        print_invocation(&mut out, &once).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(!text.contains("repeat"), "no repeat line");
        assert!(
            !text.contains("version") && !text.contains("draft"),
            "{text}"
        );
        let draft = GetTestSuiteInvocationResponseModel {
            version_id: Some("agtvrsn_1".into()),
            ran_against_draft: true,
            ..once
        };
        let mut out = Vec::new();
        print_invocation(&mut out, &draft).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.starts_with(
                "invocation inv_1  agent agent_1  1 passed, 1 failed, 0 pending\n\
                 agent version agtvrsn_1, ran against a draft\n"
            ),
            "{text}"
        );
    }
}
