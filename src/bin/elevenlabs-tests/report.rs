//! The history report: the HTML page, one self-contained file (no network, no JavaScript) with
//! a chart of the pass rate over time (plotters' SVG backend, inlined), totals, a table of the
//! invocations, then the tests ranked and a grid of tests x invocations; and the ranked table
//! as Markdown.
//!
//! The pass rate of an invocation is `passed / (passed + failed)`, over its finished runs. In
//! the chart each invocation is one `<circle>`: green when none of its runs failed, red when
//! some did, grey (on the 0% line, outside the pass-rate line) when none has finished yet.

use std::fmt::Write as _;

use elevenlabs_agent_tests::types::TestInvocationSummaryResponseModel;
use plotters::prelude::*;

use crate::history::{Cell, History, TestStats};
use crate::output::rfc3339;

/// Colour of an invocation without failures.
pub const PASS_COLOUR: RGBColor = RGBColor(0x1a, 0x7f, 0x37);
/// Colour of an invocation with failures.
pub const FAIL_COLOUR: RGBColor = RGBColor(0xcf, 0x22, 0x2e);
/// Colour of an invocation none of whose runs has finished.
pub const PENDING_COLOUR: RGBColor = RGBColor(0x8c, 0x95, 0x9f);

/// The percentage of finished runs that passed; `None` when none has finished.
fn pass_rate(i: &TestInvocationSummaryResponseModel) -> Option<f64> {
    let finished = i.passed_count + i.failed_count;
    (finished > 0).then(|| i.passed_count as f64 / finished as f64 * 100.0)
}

/// Escapes text for HTML (elements and attribute values).
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' && c != '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// `2025-07-08` of unix seconds.
fn day(unix_secs: i64) -> String {
    chrono::DateTime::from_timestamp(unix_secs, 0)
        .map(|t| t.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

/// The chart's time axis, `invocations` oldest first: from the first to the last with 5 %
/// room on both sides (at least an hour, so a single invocation has a range too); a day
/// when there is none.
fn time_range(invocations: &[TestInvocationSummaryResponseModel]) -> (i64, i64) {
    let (lo, hi) = match (invocations.first(), invocations.last()) {
        (Some(a), Some(b)) => (a.created_at_unix_secs, b.created_at_unix_secs),
        _ => (0, 86_400),
    };
    let pad = ((hi - lo) / 20).max(3_600);
    (lo - pad, hi + pad)
}

/// The chart as an SVG document (no XML declaration), `invocations` oldest first.
pub fn chart_svg(invocations: &[TestInvocationSummaryResponseModel]) -> Result<String, String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (960, 360)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let (lo, hi) = time_range(invocations);
        let mut chart = ChartBuilder::on(&root)
            .margin(16)
            .caption("Pass rate per invocation", ("sans-serif", 24))
            .x_label_area_size(44)
            .y_label_area_size(72)
            .build_cartesian_2d(lo..hi, 0f64..105f64)
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .x_labels(6)
            .y_labels(6)
            .x_label_formatter(&|t| day(*t))
            .y_label_formatter(&|v| format!("{v:.0}%"))
            .y_desc("finished runs passed")
            .label_style(("sans-serif", 15))
            .axis_desc_style(("sans-serif", 15))
            .light_line_style(RGBColor(0xf3, 0xf3, 0xf3))
            .draw()
            .map_err(|e| e.to_string())?;
        chart
            .draw_series(LineSeries::new(
                invocations
                    .iter()
                    .filter_map(|i| Some((i.created_at_unix_secs, pass_rate(i)?))),
                RGBColor(0x88, 0x88, 0x88).stroke_width(1),
            ))
            .map_err(|e| e.to_string())?;
        chart
            .draw_series(invocations.iter().map(|i| {
                let colour = match pass_rate(i) {
                    None => PENDING_COLOUR,
                    Some(_) if i.failed_count > 0 => FAIL_COLOUR,
                    Some(_) => PASS_COLOUR,
                };
                Circle::new(
                    (i.created_at_unix_secs, pass_rate(i).unwrap_or(0.0)),
                    if i.failed_count > 0 { 5 } else { 4 },
                    colour.filled(),
                )
            }))
            .map_err(|e| e.to_string())?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}

/// The whole HTML page. `invocations` in any order; the table lists them newest first.
/// `ranked`: the tests of `history`, as [`History::ranked`] gives them.
pub fn html(
    agent: &str,
    since: Option<i64>,
    invocations: &[TestInvocationSummaryResponseModel],
    history: &History,
    ranked: &[TestStats],
) -> Result<String, String> {
    let mut oldest_first = invocations.to_vec();
    oldest_first.sort_by_key(|i| i.created_at_unix_secs);
    let svg = chart_svg(&oldest_first)?;
    let (passed, failed, pending) = invocations.iter().fold((0, 0, 0), |acc, i| {
        (
            acc.0 + i.passed_count,
            acc.1 + i.failed_count,
            acc.2 + i.pending_count,
        )
    });
    let with_failures = invocations.iter().filter(|i| i.failed_count > 0).count();
    let rate = if passed + failed > 0 {
        format!("{:.1}%", passed as f64 / (passed + failed) as f64 * 100.0)
    } else {
        "n/a".to_owned()
    };
    let period = match (oldest_first.first(), oldest_first.last()) {
        (Some(a), Some(b)) => format!(
            "{} to {}",
            rfc3339(a.created_at_unix_secs),
            rfc3339(b.created_at_unix_secs)
        ),
        _ => "no invocations".to_owned(),
    };

    let mut h = String::new();
    let a = escape(agent);
    // `write!` to a String cannot fail.
    let _ = write!(
        h,
        r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8"/>
<meta name="viewport" content="width=device-width, initial-scale=1"/>
<title>Test history of {a}</title>
<style>
body {{ font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 2rem; color: #1f2328; }}
h1 {{ font-size: 1.5rem; margin-bottom: 0.25rem; }}
.sub {{ color: #59636e; margin-top: 0; }}
.totals {{ display: flex; gap: 1rem; flex-wrap: wrap; margin: 1rem 0; padding: 0; list-style: none; }}
.totals li {{ border: 1px solid #d1d9e0; border-radius: 6px; padding: 0.5rem 1rem; min-width: 7rem; }}
.totals b {{ display: block; font-size: 1.4rem; }}
.chart svg {{ max-width: 100%; height: auto; border: 1px solid #d1d9e0; border-radius: 6px; }}
table {{ border-collapse: collapse; width: 100%; font-size: 0.9rem; }}
th, td {{ text-align: left; padding: 0.35rem 0.6rem; border-bottom: 1px solid #d1d9e0; }}
td.n {{ text-align: right; font-variant-numeric: tabular-nums; }}
tr.failed td.failed {{ color: #cf222e; font-weight: 600; }}
.legend span {{ margin-right: 1rem; }}
.dot {{ display: inline-block; width: 0.7rem; height: 0.7rem; border-radius: 50%; margin-right: 0.3rem; }}
h2 {{ font-size: 1.2rem; margin-top: 2rem; }}
#tests td.status {{ font-weight: 600; }}
#tests tr.regression td.status, #tests tr.failing td.status {{ color: #cf222e; }}
#tests tr.flaky td.status {{ color: #9a6700; }}
#tests tr.passing td.status {{ color: #1a7f37; }}
code.id {{ color: #59636e; font-size: 0.8em; }}
.grid {{ overflow: auto; max-height: 85vh; border: 1px solid #d1d9e0; border-radius: 6px; }}
#grid {{ border-collapse: separate; border-spacing: 2px; width: auto; font-size: 0.75rem; }}
#grid th, #grid td {{ border: 0; }}
#grid thead th {{ position: sticky; top: 0; background: #fff; z-index: 2; }}
#grid th.name {{ position: sticky; left: 0; background: #fff; z-index: 1; text-align: left; white-space: nowrap; max-width: 20rem; overflow: hidden; text-overflow: ellipsis; padding: 0 0.5rem 0 0.3rem; font-weight: normal; }}
#grid thead th.name {{ z-index: 3; font-weight: 600; }}
#grid th.inv {{ writing-mode: vertical-rl; transform: rotate(180deg); font-weight: normal; color: #59636e; padding: 0.3rem 0; height: 3rem; }}
#grid td {{ width: 0.75rem; min-width: 0.75rem; height: 0.95rem; padding: 0; border-radius: 2px; }}
.cell {{ display: inline-block; width: 0.8rem; height: 0.8rem; border-radius: 2px; vertical-align: middle; margin-right: 0.3rem; }}
#grid td.passed, .cell.passed {{ background: #1a7f37; }}
#grid td.failed, .cell.failed {{ background: #cf222e; }}
#grid td.mixed, .cell.mixed {{ background: linear-gradient(135deg, #cf222e 50%, #1a7f37 50%); }}
#grid td.cancelled, .cell.cancelled {{ background: #bf8700; }}
#grid td.pending, .cell.pending {{ background: #8c959f; }}
#grid td.none, .cell.none {{ background: #f0f2f4; }}
</style>
</head>
<body>
<h1>Test history of agent <code>{a}</code></h1>
<p class="sub">{n} invocations, {period}{since}</p>
<ul class="totals">
<li><b id="total-invocations">{n}</b>invocations</li>
<li><b id="total-pass-rate">{rate}</b>of finished runs passed</li>
<li><b id="total-passed">{passed}</b>passed</li>
<li><b id="total-failed">{failed}</b>failed</li>
<li><b id="total-pending">{pending}</b>pending</li>
<li><b id="total-with-failures">{with_failures}</b>invocations with failures</li>
</ul>
<div class="chart">
{svg}
</div>
<p class="legend"><span><i class="dot" style="background:#1a7f37"></i>no failed run</span><span><i class="dot" style="background:#cf222e"></i>some runs failed</span><span><i class="dot" style="background:#8c959f"></i>no run finished yet</span></p>
<table id="invocations">
<thead><tr><th>Date</th><th>Title</th><th>Passed</th><th>Failed</th><th>Pending</th><th>Repeat</th><th>Invocation</th></tr></thead>
<tbody>
"#,
        n = invocations.len(),
        since = since
            .map(|s| format!(" (since {})", rfc3339(s)))
            .unwrap_or_default(),
    );
    let mut newest_first = oldest_first;
    newest_first.reverse();
    for i in &newest_first {
        let _ = writeln!(
            h,
            r#"<tr class="{class}"><td>{date}</td><td>{title}</td><td class="n passed">{p}</td><td class="n failed">{f}</td><td class="n pending">{q}</td><td class="n">{r}</td><td><code>{id}</code></td></tr>"#,
            class = if i.failed_count > 0 { "failed" } else { "ok" },
            date = rfc3339(i.created_at_unix_secs),
            title = escape(&i.title),
            p = i.passed_count,
            f = i.failed_count,
            q = i.pending_count,
            r = i.repeat_count,
            id = escape(&i.id),
        );
    }
    h.push_str("</tbody>\n</table>\n");
    tests_section(&mut h, history, ranked);
    h.push_str("</body>\n</html>\n");
    Ok(h)
}

/// `regression since 2025-07-08T18:40:00Z`, or the status alone.
fn status_text(s: &TestStats) -> String {
    // `regression_since` is set only for a regression.
    match &s.regression_since {
        Some(since) => format!("regression since {since}"),
        None => s.status.to_owned(),
    }
}

/// The tooltip of a grid cell.
fn cell_title(date: &str, title: &str, cell: Option<&Cell>) -> String {
    let Some(c) = cell else {
        return format!("{date} {title}: not run");
    };
    let mut text = format!("{date} {title}: ");
    let parts: Vec<String> = [
        (c.passed, "passed"),
        (c.failed, "failed"),
        (c.other, "cancelled or other"),
        (c.pending, "pending"),
    ]
    .iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, what)| format!("{n} {what}"))
    .collect();
    text.push_str(&parts.join(", "));
    if let Some(r) = &c.rationale {
        text.push_str(&format!(" \u{2014} {r}"));
    }
    text
}

/// The section under the invocations: the tests ranked, then the grid of tests x
/// invocations (newest on the right; a cell's tooltip has its counts and the rationale of a
/// failure).
fn tests_section(h: &mut String, history: &History, ranked: &[TestStats]) {
    let columns: Vec<_> = history.columns().collect();
    let _ = writeln!(
        h,
        r#"<h2 id="tests-heading">Tests</h2>
<p class="sub">{n} tests over {read} invocations read: failing now first, then flaky, then the rest</p>"#,
        n = ranked.len(),
        read = history.read(),
    );
    if !history.unreadable().is_empty() {
        let _ = writeln!(
            h,
            r#"<p class="sub">{} invocations could not be read:</p>
<ul id="unreadable">"#,
            history.unreadable().len()
        );
        for u in history.unreadable() {
            let _ = writeln!(
                h,
                "<li><code>{}</code>: {}</li>",
                escape(&u.id),
                escape(&u.reason)
            );
        }
        h.push_str("</ul>\n");
    }
    h.push_str(
        r#"<table id="tests">
<thead><tr><th>Test</th><th>Status</th><th>Pass rate</th><th>Runs</th><th>Passed</th><th>Failed</th><th>Other</th><th>Last failure</th><th>Streak</th></tr></thead>
<tbody>
"#,
    );
    for s in ranked {
        let _ = writeln!(
            h,
            r#"<tr class="{class}" data-test="{id}"><td>{name} <code class="id">{id}</code></td><td class="status">{status}</td><td class="n rate">{rate}</td><td class="n">{runs}</td><td class="n">{passed}</td><td class="n">{failed}</td><td class="n">{other}</td><td>{last}</td><td>{streak}</td></tr>"#,
            class = s.status.replace(' ', "-"),
            id = escape(&s.test_id),
            name = escape(&s.name),
            status = escape(&status_text(s)),
            rate = s.pass_rate_text(),
            runs = s.runs,
            passed = s.passed,
            failed = s.failed,
            other = s.other,
            last = s.last_failure.as_deref().unwrap_or("-"),
            streak = s.streak_text(),
        );
    }
    h.push_str("</tbody>\n</table>\n");

    let _ = writeln!(
        h,
        r#"<h2 id="grid-heading">Runs per test and invocation</h2>
<p class="sub">The newest {n} invocations read, the newest on the right; hover a cell for its runs and why one failed.</p>
<p class="legend"><span><i class="cell passed"></i>passed</span><span><i class="cell failed"></i>failed</span><span><i class="cell mixed"></i>passed and failed</span><span><i class="cell cancelled"></i>cancelled or other</span><span><i class="cell pending"></i>pending</span><span><i class="cell none"></i>not run</span></p>
<div class="grid">
<table id="grid">
<thead><tr><th class="name">Test</th>"#,
        n = columns.len(),
    );
    let dates: Vec<String> = columns.iter().map(|c| rfc3339(c.created_at)).collect();
    for (c, date) in columns.iter().zip(&dates) {
        let _ = write!(
            h,
            r#"<th class="inv" title="{date} {title} ({id})">{day}</th>"#,
            title = escape(&c.title),
            id = escape(&c.id),
            day = &date[5..10.min(date.len())],
        );
    }
    h.push_str("</tr></thead>\n<tbody>\n");
    for s in ranked {
        let _ = write!(
            h,
            r#"<tr data-test="{id}"><th class="name" title="{id}">{name}</th>"#,
            id = escape(&s.test_id),
            name = escape(&s.name),
        );
        for ((cell, c), date) in history
            .cells(&s.test_id)
            .into_iter()
            .zip(&columns)
            .zip(&dates)
        {
            let _ = write!(
                h,
                r#"<td class="{class}" title="{title}"></td>"#,
                class = cell.map_or("none", Cell::class),
                title = escape(&cell_title(date, &c.title, cell)),
            );
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</tbody>\n</table>\n</div>\n");
}

/// Escapes text for a Markdown table cell.
fn markdown_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '#' | '~' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// The ranked table of tests as Markdown (for a pull request comment).
pub fn markdown(agent: &str, history: &History, ranked: &[TestStats]) -> String {
    let mut m = String::new();
    let _ = writeln!(
        m,
        "### Test history of agent `{}`\n\n{} tests over {} invocations read: failing now first, then flaky, then the rest.\n",
        agent.replace('`', "'"),
        ranked.len(),
        history.read()
    );
    if !history.unreadable().is_empty() {
        let ids: Vec<String> = history
            .unreadable()
            .iter()
            .map(|u| markdown_escape(&u.id))
            .collect();
        let _ = writeln!(
            m,
            "{} invocations could not be read: {}.\n",
            ids.len(),
            ids.join(", ")
        );
    }
    m.push_str(
        "| Test | Status | Pass rate | Runs | Passed | Failed | Other | Last failure | Streak |\n",
    );
    m.push_str("|---|---|--:|--:|--:|--:|--:|---|---|\n");
    for s in ranked {
        let _ = writeln!(
            m,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            markdown_escape(&s.name),
            status_text(s),
            s.pass_rate_text(),
            s.runs,
            s.passed,
            s.failed,
            s.other,
            s.last_failure.as_deref().unwrap_or("-"),
            s.streak_text(),
        );
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_escapes_cells_and_names_unreadable_invocations_when_there_are_some() {
        assert_eq!(markdown_escape("a\nb|c_d"), "a b\\|c\\_d");
        let mut history = History::new(0);
        let m = markdown("agent_1", &history, &[]);
        assert!(!m.contains("could not be read"), "{m}");
        history.add_unreadable("inv_1", "boom".to_owned());
        let m = markdown("agent_1", &history, &[]);
        assert!(
            m.contains("1 invocations could not be read: inv\\_1."),
            "{m}"
        );
    }

    #[test]
    fn an_empty_history_still_renders() {
        let html = html("agent_1", Some(0), &[], &History::new(1), &[]).unwrap();
        assert!(html.contains("no invocations"));
        assert!(html.contains("<svg"));
        assert_eq!(html.matches("<circle").count(), 0);
    }

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
        // Control characters become spaces, except line breaks and tabs.
        assert_eq!(escape("a\u{7}b\u{1b}c\nd\te"), "a b c\nd\te");
    }

    fn summary(passed: i64, failed: i64) -> TestInvocationSummaryResponseModel {
        serde_json::from_value(serde_json::json!({
            "id": "inv_1", "agent_id": "agent_1", "created_at_unix_secs": 1_752_000_000,
            "title": "t", "test_run_count": passed + failed, "passed_count": passed,
            "failed_count": failed, "pending_count": 0, "repeat_count": 1
        }))
        .unwrap()
    }

    #[test]
    fn pass_rate_is_over_finished_runs() {
        assert_eq!(pass_rate(&summary(3, 1)), Some(75.0));
        assert_eq!(pass_rate(&summary(2, 0)), Some(100.0));
        assert_eq!(pass_rate(&summary(0, 2)), Some(0.0));
        assert_eq!(pass_rate(&summary(0, 0)), None);
    }

    #[test]
    fn the_time_axis_has_room_on_both_sides() {
        let at = |t: i64| {
            let mut s = summary(1, 0);
            s.created_at_unix_secs = t;
            s
        };
        assert_eq!(time_range(&[]), (-4_320, 90_720));
        assert_eq!(time_range(&[at(100_000)]), (96_400, 103_600));
        assert_eq!(time_range(&[at(0), at(86_400)]), (-4_320, 90_720));
        assert_eq!(time_range(&[at(0), at(200_000)]), (-10_000, 210_000));
    }

    #[test]
    fn totals_rows_and_marks_follow_the_counts() {
        let at = |passed, failed, pending: i64, day: i64| {
            let mut s = summary(passed, failed);
            s.pending_count = pending;
            s.created_at_unix_secs = 1_752_000_000 + day * 86_400;
            s
        };
        let invocations = [at(3, 1, 0, 0), at(2, 0, 2, 1), at(0, 0, 4, 2)];
        let page = html("agent_1", None, &invocations, &History::new(1), &[]).unwrap();
        for (id, value) in [
            ("total-pending", "6"),
            ("total-passed", "5"),
            ("total-failed", "1"),
            ("total-pass-rate", "83.3%"),
            ("total-with-failures", "1"),
        ] {
            assert!(
                page.contains(&format!("<b id=\"{id}\">{value}</b>")),
                "{id} should be {value}"
            );
        }
        assert!(
            page.contains("3 invocations, 2025-07-08T18:40:00Z to 2025-07-10T18:40:00Z</p>"),
            "the period, oldest to newest"
        );
        // Newest first: only the oldest row has failures.
        let classes: Vec<&str> = page
            .match_indices("<tr class=\"")
            .map(|(i, m)| page[i + m.len()..].split('"').next().unwrap())
            .collect();
        assert_eq!(classes, ["ok", "ok", "failed"]);
        // A larger mark for the invocation with failures, in red; grey for the unfinished one.
        let circles: Vec<&str> = page
            .match_indices("<circle")
            .map(|(i, _)| &page[i..i + page[i..].find("/>").unwrap()])
            .collect();
        assert_eq!(circles.len(), 3);
        let radius = |c: &str| {
            c.split("r=\"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap()
                .to_owned()
        };
        assert_eq!(
            circles.iter().map(|c| radius(c)).collect::<Vec<_>>(),
            ["5", "4", "4"]
        );
        assert!(circles[0].contains("#CF222E"), "{}", circles[0]);
        assert!(circles[1].contains("#1A7F37"), "{}", circles[1]);
        assert!(circles[2].contains("#8C959F"), "{}", circles[2]);
        // Nothing finished at all: no rate; everything failed: 0 %.
        let page = html("agent_1", None, &[at(0, 0, 1, 0)], &History::new(1), &[]).unwrap();
        assert!(page.contains("<b id=\"total-pass-rate\">n/a</b>"));
        let page = html("agent_1", None, &[at(0, 2, 0, 0)], &History::new(1), &[]).unwrap();
        assert!(page.contains("<b id=\"total-pass-rate\">0.0%</b>"));
    }

    /// 200 tests x 100 invocations (each test failing in one invocation out of 7): a cell
    /// per test and invocation, the tooltip only where a run failed says why, and the page
    /// stays a few megabytes.
    #[test]
    fn a_grid_of_200_tests_by_100_invocations() {
        use crate::history::{Column, RunFact, RunKind};
        let names: Vec<String> = (0..200).map(|t| format!("Test <{t}>")).collect();
        let ids: Vec<String> = (0..200).map(|t| format!("t{t:03}")).collect();
        let mut history = History::new(100);
        let mut invocations = Vec::new();
        for k in (0..100i64).rev() {
            let mut s = summary(150, 50);
            s.id = format!("inv_{k}");
            s.created_at_unix_secs = 1_752_000_000 + k * 3_600;
            history.add_invocation(
                Column {
                    id: s.id.clone(),
                    created_at: s.created_at_unix_secs,
                    title: s.title.clone(),
                },
                (0..200).map(|t| RunFact {
                    test_id: &ids[t],
                    test_name: &names[t],
                    kind: if (t as i64 + k) % 7 == 0 {
                        RunKind::Failed
                    } else {
                        RunKind::Passed
                    },
                    version_id: None,
                    rationale: Some("the agent & the caller disagreed"),
                }),
            );
            invocations.push(s);
        }
        let ranked = history.ranked();
        let page = html("agent_1", None, &invocations, &history, &ranked).unwrap();
        let grid = &page[page.find("<table id=\"grid\">").unwrap()..];
        assert_eq!(grid.matches("<td class=\"").count(), 200 * 100);
        assert_eq!(grid.matches("<td class=\"failed\"").count(), 2_857);
        assert_eq!(
            grid.matches("the agent &amp; the caller disagreed").count(),
            2_857
        );
        assert_eq!(grid.matches("<th class=\"inv\"").count(), 100);
        assert!(grid.contains("Test &lt;199&gt;"));
        assert!(page.len() < 4_000_000, "{} bytes", page.len());
        if let Ok(path) = std::env::var("HISTORY_DUMP") {
            std::fs::write(path, &page).unwrap();
        }
    }

    #[test]
    fn the_chart_labels_days() {
        assert_eq!(day(1_752_000_000), "2025-07-08");
        assert_eq!(day(0), "1970-01-01");
    }
}
