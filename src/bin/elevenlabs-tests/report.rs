//! The HTML history report: one self-contained file (no network, no JavaScript) with a chart
//! of the pass rate over time (plotters' SVG backend, inlined), totals, and a table of the
//! invocations.
//!
//! The pass rate of an invocation is `passed / (passed + failed)`, over its finished runs. In
//! the chart each invocation is one `<circle>`: green when none of its runs failed, red when
//! some did, grey (on the 0% line, outside the pass-rate line) when none has finished yet.

use std::fmt::Write as _;

use elevenlabs_agent_tests::types::TestInvocationSummaryResponseModel;
use plotters::prelude::*;

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
pub fn html(
    agent: &str,
    since: Option<i64>,
    invocations: &[TestInvocationSummaryResponseModel],
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
    h.push_str("</tbody>\n</table>\n</body>\n</html>\n");
    Ok(h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_history_still_renders() {
        let html = html("agent_1", Some(0), &[]).unwrap();
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
        let page = html("agent_1", None, &invocations).unwrap();
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
        let page = html("agent_1", None, &[at(0, 0, 1, 0)]).unwrap();
        assert!(page.contains("<b id=\"total-pass-rate\">n/a</b>"));
        let page = html("agent_1", None, &[at(0, 2, 0, 0)]).unwrap();
        assert!(page.contains("<b id=\"total-pass-rate\">0.0%</b>"));
    }

    #[test]
    fn the_chart_labels_days() {
        assert_eq!(day(1_752_000_000), "2025-07-08");
        assert_eq!(day(0), "1970-01-01");
    }
}
