//! How a [`Diff`] is shown: for people (colour on a terminal) or as JSON for bots.

use super::{Change, Diff, ObjectDiff};
use serde_json::Value;

const RED: &str = "\x1b[31m";
const GREEN: &str = "\x1b[32m";
const YELLOW: &str = "\x1b[33m";
const MAGENTA: &str = "\x1b[35m";
const BOLD: &str = "\x1b[1m";
const RESET: &str = "\x1b[0m";

/// The human form: one block per object, one line per field.
pub fn human(d: &Diff, color: bool) -> String {
    let paint = |code: &str, text: &str| {
        if color {
            format!("{code}{text}{RESET}")
        } else {
            text.to_owned()
        }
    };
    let mut out = String::new();
    for o in &d.objects {
        let (sign, code) = match o.change {
            Change::Added => ("+", GREEN),
            Change::Removed => ("-", RED),
            Change::Changed => ("~", YELLOW),
            Change::Replaced => ("!", MAGENTA),
        };
        let name = match &o.renamed_from {
            Some(old) => format!("{old} -> {}", o.name),
            None => o.name.clone(),
        };
        out.push_str(&paint(code, &format!("{sign} {} {}/{name}", o.kind, o.namespace)));
        if o.renamed_from.is_some() {
            out.push_str(" (content-hashed name: its data changed)");
        }
        if !o.immutable.is_empty() {
            out.push_str(&format!(
                " (replace: {} cannot change in place)",
                o.immutable.join(", ")
            ));
        }
        out.push('\n');
        for f in &o.fields {
            out.push_str(&format!(
                "    {}: {} -> {}\n",
                f.path,
                show(f.old.as_ref()),
                show(f.new.as_ref())
            ));
        }
        for t in &o.text {
            out.push_str(&format!("    {}:\n", t.path));
            for line in t.diff.lines() {
                let line_code = match line.chars().next() {
                    Some('+') if !line.starts_with("+++") => GREEN,
                    Some('-') if !line.starts_with("---") => RED,
                    Some('@') => BOLD,
                    _ => "",
                };
                let shown = if line_code.is_empty() {
                    line.to_owned()
                } else {
                    paint(line_code, line)
                };
                out.push_str(&format!("      {shown}\n"));
            }
        }
        out.push_str(&how(o));
    }
    out.push_str(&replace(d));
    for f in &d.findings {
        out.push_str(&format!("note: {f}\n"));
    }
    out.push_str(&summary(d));
    out
}

/// The object's note.
fn how(o: &ObjectDiff) -> String {
    o.note
        .as_ref()
        .map(|note| format!("    ({note})\n"))
        .unwrap_or_default()
}

/// The commands that perform the replaces.
fn replace(d: &Diff) -> String {
    let mut out = String::new();
    if !d.replace.is_empty() {
        out.push_str("replace (delete, waiting for the pods to end, then apply):\n");
    }
    for c in &d.replace {
        out.push_str(&format!("    {c}\n"));
    }
    out
}

fn summary(d: &Diff) -> String {
    format!(
        "{} added, {} removed, {} changed, {} replaced, {} unchanged\n",
        d.count(Change::Added),
        d.count(Change::Removed),
        d.count(Change::Changed),
        d.count(Change::Replaced),
        d.unchanged
    )
}

/// A value on one line: JSON, `(none)` for a missing one.
fn show(v: Option<&Value>) -> String {
    match v {
        None => "(none)".to_owned(),
        Some(v) => serde_json::to_string(v).expect("JSON values serialize"),
    }
}

/// The JSON form: `{"summary": {...}, "objects": [...], "findings": [...]}`.
pub fn json(d: &Diff) -> String {
    let objects: Vec<&ObjectDiff> = d.objects.iter().collect();
    let value = serde_json::json!({
        "summary": {
            "added": d.count(Change::Added),
            "removed": d.count(Change::Removed),
            "changed": d.count(Change::Changed),
            "replaced": d.count(Change::Replaced),
            "unchanged": d.unchanged,
        },
        "objects": objects,
        "replace": d.replace,
        "findings": d.findings,
    });
    serde_json::to_string_pretty(&value).expect("JSON values serialize") + "\n"
}
