//! The explanation as plain text: aligned tables, no colour, stable for goldens.

use super::{Explanation, Part, Share};
use std::fmt::Write;

/// The human-readable explanation.
pub fn to_text(e: &Explanation) -> String {
    let mut out = String::new();
    for (i, part) in e.parts.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let title = match &part.region {
            Some(r) => format!("{} ({}), region {r}", e.plan, e.tool),
            None => format!("{} ({})", e.plan, e.tool),
        };
        let _ = writeln!(out, "{title}\n{}", "=".repeat(title.chars().count()));
        write_part(&mut out, part);
    }
    out
}

fn write_part(out: &mut String, p: &Part) {
    let _ = writeln!(out, "namespace {}, image {}", p.namespace, p.image);
    let _ = writeln!(
        out,
        "load: {}\nduration: {}s, ramp-up {}s\n",
        p.load, p.duration_seconds, p.ramp_up_seconds
    );
    shares(out, &p.generators);
    pods(out, p);
    let _ = writeln!(out, "start: {}\n", p.start);
    network(out, p);
    let _ = writeln!(out, "results: {}\n  files: {}", p.results.volume, p.results.files);
    if p.results.thresholds.is_empty() {
        let _ = writeln!(
            out,
            "  thresholds: none (`perfplan report` prints the numbers, exit 0)"
        );
    } else {
        let _ = writeln!(out, "  thresholds (perfplan report RESULTS_DIR --plan PLAN):");
        for t in &p.results.thresholds {
            let _ = writeln!(out, "    {t}");
        }
    }
    out.push('\n');
    if p.capacity.is_empty() {
        let _ = writeln!(out, "capacity: no finding");
    } else {
        for c in &p.capacity {
            let _ = writeln!(out, "capacity: {c}");
        }
    }
    let _ = writeln!(out, "\nobjects ({}):", p.objects.len());
    for o in &p.objects {
        let _ = writeln!(out, "  {o}");
    }
}

fn shares(out: &mut String, generators: &[Share]) {
    let mut rows = vec![header(generators)];
    for s in generators {
        let mut row = vec![s.index.to_string(), s.users.to_string()];
        if let Some(rate) = s.rate {
            row.push(number(rate));
        }
        if let Some(segment) = &s.segment {
            row.push(segment.clone());
        }
        rows.push(row);
    }
    table(out, &rows);
    out.push('\n');
}

fn header(generators: &[Share]) -> Vec<String> {
    let mut h = vec!["generator".to_owned(), "users".to_owned()];
    if generators.first().is_some_and(|s| s.rate.is_some()) {
        h.push("rate".to_owned());
    }
    if generators.first().is_some_and(|s| s.segment.is_some()) {
        h.push("k6 segment".to_owned());
    }
    h
}

fn pods(out: &mut String, p: &Part) {
    let mut rows = vec![
        ["pods", "component", "count", "cpu req/limit", "memory req/limit"]
            .map(str::to_owned)
            .to_vec(),
    ];
    for g in &p.pods {
        rows.push(vec![
            g.workload.clone(),
            g.component.clone(),
            g.count.to_string(),
            format!("{}/{}", number(g.cpu_request), number(g.cpu_limit)),
            format!(
                "{}/{}",
                memory(g.memory_request_bytes),
                memory(g.memory_limit_bytes)
            ),
        ]);
    }
    let t = &p.total;
    rows.push(vec![
        "total".to_owned(),
        String::new(),
        t.pods.to_string(),
        format!("{}/{}", number(t.cpu_request), number(t.cpu_limit)),
        format!(
            "{}/{}",
            memory(t.memory_request_bytes),
            memory(t.memory_limit_bytes)
        ),
    ]);
    table(out, &rows);
    out.push('\n');
}

fn network(out: &mut String, p: &Part) {
    let _ = writeln!(out, "network (NetworkPolicies; everything else is denied):");
    for r in &p.network {
        let arrow = if r.direction == "egress" { "->" } else { "<-" };
        let _ = writeln!(out, "  {} {arrow} {}: {}  ({})", r.pods, r.peer, r.ports, r.why);
    }
    out.push('\n');
}

/// Rows as left-aligned columns two spaces apart, indented by two.
fn table(out: &mut String, rows: &[Vec<String>]) {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for row in rows {
        let line: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(c, cell)| format!("{cell:<width$}", width = widths[c]))
            .collect();
        let _ = writeln!(out, "  {}", line.join("  ").trim_end());
    }
}

/// A number with at most three decimals and no trailing zeros: `2`, `0.1`, `6.667`.
fn number(v: f64) -> String {
    let s = format!("{v:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// Bytes in the largest binary unit that keeps the value readable: `4Gi`, `128Mi`.
fn memory(bytes: f64) -> String {
    const GI: f64 = 1024.0 * 1024.0 * 1024.0;
    const MI: f64 = 1024.0 * 1024.0;
    if bytes >= GI {
        format!("{}Gi", number(bytes / GI))
    } else {
        format!("{}Mi", number(bytes / MI))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn numbers_and_memory_read_plainly() {
        assert_eq!(super::number(2.0), "2");
        assert_eq!(super::number(20.0 / 3.0), "6.667");
        assert_eq!(super::memory(4.0 * 1024.0 * 1024.0 * 1024.0), "4Gi");
        assert_eq!(super::memory(128.0 * 1024.0 * 1024.0), "128Mi");
        assert_eq!(super::memory(1.5 * 1024.0 * 1024.0 * 1024.0), "1.5Gi");
    }
}
