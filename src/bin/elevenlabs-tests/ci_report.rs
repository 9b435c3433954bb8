//! What CI shows of a gated run: a Markdown summary (GitHub's step summary, `--summary FILE`)
//! and GitHub workflow-command annotations (`--annotations github`).

use std::fmt::Write as _;

use elevenlabs_agent_tests::types::{GetTestSuiteInvocationResponseModel, TestRunStatus};

use crate::gate::{Attempts, Cost, FailedAttempt, Verdict, percent};
use crate::junit::agent_of;

/// The longest rationale a summary table cell shows, in characters (then `…`).
pub const RATIONALE_MAX_CHARS: usize = 300;

/// Everything a report is made from.
pub struct Gated<'a> {
    /// The invocation, as it finished.
    pub invocation: &'a GetTestSuiteInvocationResponseModel,
    /// The failed attempts of its runs.
    pub attempts: &'a Attempts,
    /// The gate's decision.
    pub verdict: &'a Verdict,
    /// The cost the API reported.
    pub cost: Cost,
}

/// The Markdown summary: result, totals and pass rate, cost when known, flaky tests, and a
/// table of the runs that did not pass with their rationale (escaped, cut).
pub fn markdown(g: &Gated<'_>) -> String {
    let inv = g.invocation;
    let v = g.verdict;
    let mut md = String::new();
    let result = if v.ok { "passed" } else { "failed" };
    let _ = writeln!(md, "## elevenlabs-tests: {result}\n");
    let _ = write!(
        md,
        "Agent `{}`, invocation `{}`",
        code(&agent_of(inv)),
        code(&inv.id)
    );
    if let Some(version) = &inv.version_id {
        let _ = write!(md, ", version `{}`", code(version));
    }
    if inv.ran_against_draft {
        md.push_str(", ran against a draft");
    }
    md.push_str(".\n\n");
    if let Some(reason) = &v.reason {
        let _ = writeln!(md, "Gate: {}.\n", cell(reason, RATIONALE_MAX_CHARS));
    }
    md.push_str("| runs | passed | failed | other | flaky | pass rate | retries |\n");
    md.push_str("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
    let rate = match v.min_pass_rate {
        Some(min) => format!("{} (min {})", percent(v.pass_rate), percent(Some(min))),
        None => percent(v.pass_rate),
    };
    let _ = writeln!(
        md,
        "| {} | {} | {} | {} | {} | {rate} | {} |\n",
        inv.test_runs.len(),
        v.passed,
        v.failed,
        v.other + v.pending,
        v.flaky,
        v.retries
    );
    let mut cost = Vec::new();
    if let Some(credits) = g.cost.credits_used {
        cost.push(format!("{credits} credits"));
    }
    if let Some(price) = g.cost.total_price {
        cost.push(format!("${price:.4}"));
    }
    if !cost.is_empty() {
        let _ = writeln!(md, "Cost: {}.\n", cost.join(", "));
    }
    let flaky: Vec<_> = inv
        .test_runs
        .iter()
        .filter(|r| g.attempts.is_flaky(r))
        .collect();
    if !flaky.is_empty() {
        md.push_str("### Flaky tests\n\n");
        for run in flaky {
            let failures = g.attempts.failures(&run.test_run_id);
            let _ = writeln!(
                md,
                "- {}: failed {} time{}, then passed; first failure: {}",
                cell(&run.test_name, RATIONALE_MAX_CHARS),
                failures.len(),
                if failures.len() == 1 { "" } else { "s" },
                cell(failures[0].summary(), RATIONALE_MAX_CHARS)
            );
        }
        md.push('\n');
    }
    let not_passed: Vec<_> = inv
        .test_runs
        .iter()
        .filter(|r| r.status != TestRunStatus::Passed)
        .collect();
    if !not_passed.is_empty() {
        md.push_str("### Runs that did not pass\n\n");
        md.push_str("| test | status | attempts | rationale |\n");
        md.push_str("| --- | --- | ---: | --- |\n");
        for run in not_passed {
            let failures = g.attempts.failures(&run.test_run_id);
            let rationale = if failures.is_empty() {
                FailedAttempt::of(run).summary().to_owned()
            } else {
                failures
                    .iter()
                    .map(|f| f.summary())
                    .collect::<Vec<_>>()
                    .join(" / ")
            };
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} |",
                cell(&run.test_name, RATIONALE_MAX_CHARS),
                cell(run.status.as_str(), RATIONALE_MAX_CHARS),
                failures.len().max(1),
                cell(&rationale, RATIONALE_MAX_CHARS)
            );
        }
        md.push('\n');
    }
    md
}

/// Text for a Markdown table cell: one line, at most `max` characters (then `…`), every
/// character Markdown or HTML would read as syntax escaped.
pub fn cell(text: &str, max: usize) -> String {
    let mut chars: Vec<char> = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if chars.len() > max {
        chars.truncate(max.saturating_sub(1));
        chars.push('…');
    }
    let mut out = String::with_capacity(chars.len());
    for c in chars {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '~' | '#' | '!' | '$' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// Text inside a code span: backticks (which would end it) and control characters replaced.
fn code(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() || c == '`' { ' ' } else { c })
        .collect()
}

/// An attempt's rationale with its messages, one a line.
fn with_messages(f: &FailedAttempt) -> String {
    let mut text = f.summary().to_owned();
    for m in &f.messages {
        text.push_str("\n- ");
        text.push_str(m);
    }
    text
}

/// GitHub workflow commands: `::error` for each run that did not pass (every attempt's
/// rationale and messages), `::warning` for each flaky one (its first failure's), one line
/// each.
pub fn github_annotations(g: &Gated<'_>) -> String {
    let mut out = String::new();
    for run in &g.invocation.test_runs {
        let failures = g.attempts.failures(&run.test_run_id);
        let (level, title, message) = if g.attempts.is_flaky(run) {
            (
                "warning",
                format!("flaky test: {}", run.test_name),
                format!(
                    "failed {} time{}, then passed; first failure: {}",
                    failures.len(),
                    if failures.len() == 1 { "" } else { "s" },
                    with_messages(&failures[0])
                ),
            )
        } else if matches!(run.status, TestRunStatus::Passed) {
            continue;
        } else {
            let rationale = if failures.is_empty() {
                with_messages(&FailedAttempt::of(run))
            } else {
                failures
                    .iter()
                    .enumerate()
                    .map(|(i, f)| format!("attempt {}: {}", i + 1, with_messages(f)))
                    .collect::<Vec<_>>()
                    .join("\n")
            };
            (
                "error",
                format!("test {}: {}", run.status.as_str(), run.test_name),
                rationale,
            )
        };
        let _ = writeln!(
            out,
            "::{level} title={}::{}",
            escape_property(&title),
            escape_data(&message)
        );
    }
    out
}

/// A workflow command's message: `%`, `\r`, `\n` percent-encoded.
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A workflow command's property value: as [`escape_data`], and `:` and `,` too.
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gate::{Rule, verdict};

    fn invocation(runs: serde_json::Value) -> GetTestSuiteInvocationResponseModel {
        serde_json::from_value(serde_json::json!({
            "id": "inv_1", "agent_id": "agent_1", "version_id": "v_1", "ran_against_draft": true,
            "test_runs": runs
        }))
        .unwrap()
    }

    fn run(id: &str, name: &str, status: &str, why: &str) -> serde_json::Value {
        serde_json::json!({
            "test_run_id": id, "test_invocation_id": "inv_1", "agent_id": "agent_1",
            "test_id": format!("t_{id}"), "test_name": name, "status": status,
            "condition_result": {"result": "failure", "rationale": {"summary": why,
                "messages": if status == "failed" { vec!["m, 1%"] } else { vec![] }}}
        })
    }

    #[test]
    fn a_code_span_loses_its_backticks_and_control_characters() {
        assert_eq!(code("agent`1\nx\ty"), "agent 1 x y");
        assert_eq!(code("plain-id_1"), "plain-id_1");
    }

    #[test]
    fn cells_are_one_escaped_line_cut_at_the_limit() {
        assert_eq!(cell("a|b\nc", 10), "a\\|b c");
        assert_eq!(
            cell("<b>*x*</b> & `y`", 100),
            "&lt;b&gt;\\*x\\*&lt;/b&gt; &amp; \\`y\\`"
        );
        assert_eq!(cell("abcdef", 4), "abc…");
        assert_eq!(cell("abcd", 4), "abcd");
        assert_eq!(cell("[l](u) _e_ \\", 100), "\\[l\\](u) \\_e\\_ \\\\");
    }

    #[test]
    fn workflow_command_values_are_percent_encoded() {
        assert_eq!(escape_data("50% a\r\nb::c,d"), "50%25 a%0D%0Ab::c,d");
        assert_eq!(escape_property("50% a\nb::c,d"), "50%25 a%0Ab%3A%3Ac%2Cd");
    }

    #[test]
    fn flaky_and_failed_runs_are_annotated_and_summarised() {
        let first = invocation(serde_json::json!([
            run("r1", "Flaky, one", "failed", "first: 50%\nthen"),
            run("r2", "Always | fails", "failed", "nope 1"),
            run("r3", "Fine", "passed", ""),
        ]));
        let mut attempts = Attempts::default();
        attempts.record(&first);
        attempts.retries = 1;
        let last = invocation(serde_json::json!([
            run("r1", "Flaky, one", "passed", "ok"),
            run("r2", "Always | fails", "failed", "nope 2"),
            run("r3", "Fine", "passed", ""),
        ]));
        attempts.record(&last);
        let v = verdict(Rule::default(), &last, &attempts);
        let g = Gated {
            invocation: &last,
            attempts: &attempts,
            verdict: &v,
            cost: Cost {
                credits_used: Some(75),
                total_price: None,
            },
        };
        assert_eq!(
            github_annotations(&g),
            "::warning title=flaky test%3A Flaky%2C one::failed 1 time, then passed; first failure: first: 50%25%0Athen%0A- m, 1%25\n\
             ::error title=test failed%3A Always | fails::attempt 1: nope 1%0A- m, 1%25%0Aattempt 2: nope 2%0A- m, 1%25\n"
        );
        let md = markdown(&g);
        assert!(md.starts_with("## elevenlabs-tests: failed\n"), "{md}");
        assert!(md.contains("version `v_1`, ran against a draft"), "{md}");
        assert!(md.contains("| 3 | 2 | 1 | 0 | 1 | 66.7 % | 1 |"), "{md}");
        assert!(md.contains("Cost: 75 credits.\n"), "{md}");
        assert!(!md.contains('$'), "no price was reported: {md}");
        assert!(
            md.contains("- Flaky, one: failed 1 time, then passed; first failure: first: 50% then"),
            "{md}"
        );
        assert!(
            md.contains("| Always \\| fails | failed | 2 | nope 1 / nope 2 |"),
            "{md}"
        );
    }
}
