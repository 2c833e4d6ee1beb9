//! Diagnostics: what went wrong, where, and how to fix it.
//!
//! Every problem perfplan reports is a [`Diagnostic`] with a stable [`Code`], a byte
//! [`Span`] into one [`Source`], a label under the offending token and help text.
//! Stages collect diagnostics instead of failing fast, so a user sees every problem
//! of a stage at once.

pub mod codes;
mod render;
pub mod suggest;

pub use codes::Code;
pub use render::{ColorChoice, render_human, render_json};

use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A plan's text and where it came from.
#[derive(Debug, Clone)]
pub struct Source {
    /// The name shown in diagnostics: the path as the user gave it, or `<stdin>`.
    pub name: String,
    /// The file's text.
    pub text: Arc<str>,
    /// Folder that relative paths in the plan (the script) are resolved against.
    pub dir: PathBuf,
}

impl Source {
    pub fn new(name: impl Into<String>, text: impl Into<Arc<str>>, dir: impl AsRef<Path>) -> Self {
        Source {
            name: name.into(),
            text: text.into(),
            dir: dir.as_ref().to_path_buf(),
        }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = floor_char_boundary(&self.text, offset);
        let before = &self.text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before[line_start..].chars().count() + 1;
        (line, column)
    }
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// A byte range in a [`Source`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Span {
    pub offset: usize,
    pub len: usize,
}

impl Span {
    pub fn new(offset: usize, len: usize) -> Self {
        Span { offset, len }
    }
}

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// One problem in a plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    /// One sentence: what is wrong.
    pub message: String,
    pub span: Span,
    /// Short text shown under the span.
    pub label: String,
    /// How to fix it.
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(code: Code, span: Span, message: impl Into<String>) -> Self {
        let message = message.into();
        Diagnostic {
            code,
            severity: Severity::Error,
            label: String::new(),
            message,
            span,
            help: None,
        }
    }

    pub fn warning(code: Code, span: Span, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, span, message)
        }
    }

    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = label.into();
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

/// Every diagnostic about one source, sorted by position so output is stable.
#[derive(Debug, Clone)]
pub struct Report {
    pub source: Source,
    pub diagnostics: Vec<Diagnostic>,
}

impl Report {
    pub fn new(source: Source, mut diagnostics: Vec<Diagnostic>) -> Self {
        diagnostics.sort_by(|a, b| (a.span, a.code, &a.message).cmp(&(b.span, b.code, &b.message)));
        diagnostics.dedup();
        Report { source, diagnostics }
    }

    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(|d| d.severity == Severity::Error)
    }
}

impl std::fmt::Display for Report {
    /// Plain text, one line per diagnostic: `file:line:col: error[code]: message`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for d in &self.diagnostics {
            let (line, col) = self.source.line_col(d.span.offset);
            writeln!(
                f,
                "{}:{line}:{col}: {}[{}]: {}",
                self.source.name,
                d.severity.as_str(),
                d.code,
                d.message
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for Report {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_characters_not_bytes() {
        let s = Source::new("p.yaml", "a: 1\nnäme: x\n", ".");
        assert_eq!(s.line_col(0), (1, 1));
        assert_eq!(s.line_col(5), (2, 1));
        // 'ä' is two bytes (6..8): the ':' after "näme" is byte 10, character column 5.
        assert_eq!(s.line_col(10), (2, 5));
        // Past the end clamps instead of panicking.
        assert_eq!(s.line_col(1000), (3, 1));
    }
}
