//! A [`Report`] for people (a plain-text table) and for programs (JSON).
//!
//! The JSON document (`format: "perfplan.report/v1"`; fields are only ever added
//! within a format version):
//!
//! ```text
//! { "format": "perfplan.report/v1",
//!   "verdict": "pass" | "fail" | "error",
//!   "tool": "k6" | "jmeter" | "gatling",
//!   "summary": STATS,                       every sample of every generator
//!   "span_seconds": first start to last end over every generator (null: none),
//!   "generators": [ {"name": …, STATS…} ],  by name
//!   "requests":   [ {"name": …, STATS…} ],  by name, over every generator
//!   "thresholds": [ {"name", "request" (null: every request), "metric", "unit",
//!                    "limit", "measured" (null: not measurable), "outcome": "pass" |
//!                    "fail" | "error", "message"} ],  in the plan's order
//!   "completeness": {"complete", "expected": {"generators", "regions"} | null,
//!                    "found", "missing": [sentence…], "allow_incomplete"},
//!   "files": [ {"path", "generator" (null: a JMeter controller's), "samples",
//!               "truncated_line" (null: whole), "notes": […]} ] }
//! STATS = "requests", "failed", "error_rate" (0–1), "throughput_per_second",
//!         "min", "mean", "p50", "p90", "p95", "p99", "max" (milliseconds);
//!         null where there is nothing to measure.
//! ```
//!
//! When no report can be made (no files, a malformed line): `{"format", "verdict":
//! "error", "error": {"code", "message", "help"}}`.

use super::completeness::Completeness;
use super::verdict::{Checked, Named, Outcome, Report, Verdict, show, trim};
use super::{Error, FileSummary, Stats};
use crate::spec::Tool;
use std::fmt::Write;

/// The JSON document's format marker.
pub const FORMAT: &str = "perfplan.report/v1";

#[derive(serde::Serialize)]
struct Document<'a> {
    format: &'static str,
    verdict: Verdict,
    tool: Tool,
    summary: &'a Stats,
    span_seconds: Option<f64>,
    generators: &'a [Named],
    requests: &'a [Named],
    thresholds: &'a [Checked],
    completeness: &'a Completeness,
    files: &'a [FileSummary],
}

/// The report as a JSON document, with a final newline.
pub fn json(report: &Report) -> String {
    let doc = Document {
        format: FORMAT,
        verdict: report.verdict,
        tool: report.tool,
        summary: &report.summary,
        span_seconds: report.span_seconds,
        generators: &report.generators,
        requests: &report.requests,
        thresholds: &report.thresholds,
        completeness: &report.completeness,
        files: &report.files,
    };
    serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
}

/// An error that stopped the report, as a JSON document.
pub fn json_error(error: &Error) -> String {
    let doc = serde_json::json!({
        "format": FORMAT,
        "verdict": Verdict::Error,
        "error": {"code": error.code(), "message": error.to_string(), "help": error.help()},
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
}

/// The report as a plain-text table: warnings, figures, thresholds, verdict.
pub fn human(report: &Report) -> String {
    let mut out = String::new();
    let c = &report.completeness;
    let _ = writeln!(
        out,
        "perfplan report: {}, {} file(s), {} generator(s){}, {}",
        report.tool.as_str(),
        report.files.len(),
        c.found,
        c.expected
            .map(|e| format!(" of {} expected", e.generators))
            .unwrap_or_default(),
        report.span_seconds.map_or_else(
            || "no samples".to_owned(),
            |s| format!("{} s from first start to last end", trim(s, 3))
        )
    );
    for file in &report.files {
        if let Some(line) = file.truncated_line {
            let _ = writeln!(
                out,
                "warning: {}:{line}: unfinished last line skipped (the generator stopped while writing)",
                file.path
            );
        }
        for note in &file.notes {
            let _ = writeln!(out, "note: {}: {note}", file.path);
        }
    }
    if report.summary.requests == 0 {
        out.push_str("warning: the result files hold no samples\n");
    }
    if !c.complete {
        let head = if c.allow_incomplete {
            "INCOMPLETE RESULTS (--allow-incomplete): the verdict covers only the generators found"
        } else {
            "INCOMPLETE RESULTS: no verdict without every generator (--allow-incomplete judges what is there)"
        };
        let _ = writeln!(out, "{head}");
        for m in &c.missing {
            let _ = writeln!(out, "  {m}");
        }
    }
    out.push('\n');
    table(&mut out, report);
    thresholds(&mut out, report);
    let _ = writeln!(out, "\nverdict: {}", verdict_line(report));
    out
}

const HEADINGS: [&str; 11] = [
    "requests", "rate/s", "errors", "error %", "min", "mean", "p50", "p90", "p95", "p99", "max",
];

fn table(out: &mut String, report: &Report) {
    let mut rows: Vec<(String, Vec<String>)> = vec![("all".to_owned(), cells(&report.summary))];
    rows.push(("generators".to_owned(), Vec::new()));
    rows.extend(
        report
            .generators
            .iter()
            .map(|g| (format!("  {}", g.name), cells(&g.stats))),
    );
    rows.push(("requests".to_owned(), Vec::new()));
    rows.extend(
        report
            .requests
            .iter()
            .map(|r| (format!("  {}", r.name), cells(&r.stats))),
    );
    let label = rows
        .iter()
        .map(|(l, _)| l.chars().count())
        .max()
        .unwrap_or(0)
        .max(3);
    let widths: Vec<usize> = (0..HEADINGS.len())
        .map(|i| {
            rows.iter()
                .filter_map(|(_, c)| c.get(i).map(String::len))
                .chain([HEADINGS[i].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let _ = write!(out, "{:label$}", "");
    for (h, w) in HEADINGS.iter().zip(&widths) {
        let _ = write!(out, "  {h:>w$}");
    }
    out.push_str("   (latencies in ms)\n");
    for (name, cells) in rows {
        let pad = label.saturating_sub(name.chars().count());
        out.push_str(&name);
        if !cells.is_empty() {
            out.push_str(&" ".repeat(pad));
            for (c, w) in cells.iter().zip(&widths) {
                let _ = write!(out, "  {c:>w$}");
            }
        }
        out.push('\n');
    }
}

fn cells(s: &Stats) -> Vec<String> {
    let ms = |v: Option<f64>| v.map_or_else(|| "-".to_owned(), |v| format!("{v:.2}"));
    vec![
        s.requests.to_string(),
        s.throughput.map_or_else(|| "-".to_owned(), |v| format!("{v:.2}")),
        s.failed.to_string(),
        s.error_rate
            .map_or_else(|| "-".to_owned(), |v| format!("{:.2}%", v * 100.0)),
        ms(s.min),
        ms(s.mean),
        ms(s.p50),
        ms(s.p90),
        ms(s.p95),
        ms(s.p99),
        ms(s.max),
    ]
}

fn thresholds(out: &mut String, report: &Report) {
    if report.thresholds.is_empty() {
        out.push_str("\nno thresholds (pass --plan with results.thresholds to judge the test)\n");
        return;
    }
    out.push_str("\nthresholds\n");
    let width = report
        .thresholds
        .iter()
        .map(|t| t.name.chars().count())
        .max()
        .unwrap_or(0);
    for t in &report.thresholds {
        let (tag, detail) = match t.outcome {
            Outcome::Pass => ("pass ", t.measured.map(|v| show(v, t.unit)).unwrap_or_default()),
            Outcome::Fail => ("FAIL ", t.measured.map(|v| show(v, t.unit)).unwrap_or_default()),
            Outcome::Error => ("ERROR", t.message.clone()),
        };
        let pad = width - t.name.chars().count();
        let _ = writeln!(out, "  {tag}  {}{}  {detail}", t.name, " ".repeat(pad));
    }
}

fn verdict_line(report: &Report) -> String {
    let count = |o: Outcome| report.thresholds.iter().filter(|t| t.outcome == o).count();
    let n = report.thresholds.len();
    let incomplete = if report.completeness.complete {
        ""
    } else {
        ", results INCOMPLETE"
    };
    match report.verdict {
        Verdict::Pass if n == 0 => format!("PASS (no thresholds{incomplete})"),
        Verdict::Pass => format!(
            "PASS ({} of {n} thresholds held{incomplete})",
            count(Outcome::Pass)
        ),
        Verdict::Fail => format!(
            "FAIL ({} of {n} thresholds failed{incomplete})",
            count(Outcome::Fail)
        ),
        Verdict::Error if !report.completeness.complete && !report.completeness.allow_incomplete => {
            "ERROR (results missing)".to_owned()
        }
        Verdict::Error => format!(
            "ERROR ({} of {n} thresholds could not be measured{incomplete})",
            count(Outcome::Error)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Check, LatencyStat, Threshold};
    use crate::report::test_support::hundred;
    use crate::report::verdict::{Options, evaluate};

    #[test]
    fn thresholds_show_their_outcome_and_measure() {
        let thresholds = [
            Threshold {
                request: None,
                check: Check::Latency {
                    stat: LatencyStat::P95,
                    at_most: std::time::Duration::from_millis(100),
                },
            },
            Threshold {
                request: Some("a".to_owned()),
                check: Check::ErrorRate { at_most: 0.001 },
            },
            Threshold {
                request: Some("b".to_owned()),
                check: Check::Throughput {
                    at_least_per_second: 5.0,
                },
            },
        ];
        let report = evaluate(
            &hundred(),
            &Options {
                thresholds: &thresholds,
                ..Options::default()
            },
        );
        let text = human(&report);
        let tail: Vec<&str> = text.lines().skip_while(|l| *l != "thresholds").collect();
        assert_eq!(
            tail,
            [
                "thresholds",
                "  pass   p95 of every request ≤ 100 ms     95.05 ms",
                "  FAIL   error rate of request \"a\" ≤ 0.1%  1%",
                "  ERROR  throughput of request \"b\" ≥ 5/s   no samples of request \"b\"; the results have [\"a\"]",
                "",
                "verdict: ERROR (1 of 3 thresholds could not be measured)",
            ]
        );
        let doc: serde_json::Value = serde_json::from_str(&json(&report)).unwrap();
        assert_eq!(doc["thresholds"][1]["outcome"], "fail");
        assert_eq!(doc["thresholds"][1]["measured"], 0.01);
        assert_eq!(doc["thresholds"][2]["measured"], serde_json::Value::Null);
        assert_eq!(doc["verdict"], "error");
    }
}
