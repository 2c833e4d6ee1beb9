//! Rendering a [`Report`]: miette's graphical output for people, JSON for programs.

use super::{Diagnostic, Report, Severity};
use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceSpan};
use serde::Serialize;

/// Whether rendered output uses ANSI colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    /// Colour when writing to a terminal and `NO_COLOR` is unset.
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    /// Resolve `auto` against the terminal and the `NO_COLOR` convention.
    pub fn enabled(self, is_terminal: bool) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => is_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
        }
    }
}

/// A diagnostic bound to its source, in the shape miette renders.
struct Bound<'a> {
    diagnostic: &'a Diagnostic,
    source: NamedSource<String>,
}

impl std::fmt::Debug for Bound<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.diagnostic.message)
    }
}

impl std::fmt::Display for Bound<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.diagnostic.message)
    }
}

impl std::error::Error for Bound<'_> {}

impl miette::Diagnostic for Bound<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn std::fmt::Display + 'b>> {
        Some(Box::new(self.diagnostic.code))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.diagnostic.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'b>(&'b self) -> Option<Box<dyn std::fmt::Display + 'b>> {
        self.diagnostic
            .help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn std::fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let d = self.diagnostic;
        let label = (!d.label.is_empty()).then(|| d.label.clone());
        let span = SourceSpan::new(d.span.offset.into(), d.span.len);
        Some(Box::new(std::iter::once(LabeledSpan::new_with_span(label, span))))
    }
}

/// Render every diagnostic of a report for a person: source snippet, label, code, help.
pub fn render_human(report: &Report, color: bool) -> String {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    // Width fixed so that output (and the CLI snapshots) do not depend on the terminal.
    let handler = GraphicalReportHandler::new_themed(theme).with_width(100);
    let source = NamedSource::new(&report.source.name, report.source.text.to_string());
    let mut out = String::new();
    for diagnostic in &report.diagnostics {
        let bound = Bound {
            diagnostic,
            source: source.clone(),
        };
        if handler.render_report(&mut out, &bound).is_err() {
            out.push_str(&report.to_string());
        }
        out.push('\n');
    }
    out
}

/// One diagnostic as `--output json` prints it.
#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    file: &'a str,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    severity: &'static str,
    code: &'static str,
    message: &'a str,
    label: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    help: Option<&'a str>,
}

/// The diagnostics of several reports as one JSON array (stable field order).
pub fn render_json<'a>(reports: impl IntoIterator<Item = &'a Report>) -> String {
    let items: Vec<JsonDiagnostic> = reports
        .into_iter()
        .flat_map(|r| {
            r.diagnostics.iter().map(move |d| {
                let (line, column) = r.source.line_col(d.span.offset);
                let (end_line, end_column) = r.source.line_col(d.span.offset + d.span.len);
                JsonDiagnostic {
                    file: &r.source.name,
                    line,
                    column,
                    end_line,
                    end_column,
                    severity: d.severity.as_str(),
                    code: d.code.as_str(),
                    message: &d.message,
                    label: &d.label,
                    help: d.help.as_deref(),
                }
            })
        })
        .collect();
    let mut out = serde_json::to_string_pretty(&items).unwrap_or_else(|_| "[]".to_owned());
    out.push('\n');
    out
}
