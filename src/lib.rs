//! perfplan: one declarative `perfplan.yaml` → a correct, secure, distributed load test
//! on Kubernetes, for JMeter, k6 or Gatling.
//!
//! The pipeline reads top to bottom, one module per stage:
//!
//! | stage | module | produces |
//! |---|---|---|
//! | parse | [`parse`] | spanned YAML tree |
//! | validate | [`validate`] (schema from [`spec`] via [`schema`], then semantic rules) | [`Plan`] |
//! | split | [`split`] | exact per-generator shares ([`LoadSplit`]) |
//!
//! Lowering per tool, posture and emit come next (see the README's status table).
//! Library users need no CLI: [`is_valid`] and [`validate()`] are the entry points.

pub mod cli;
pub mod diag;
pub mod model;
pub mod names;
pub mod parse;
pub mod schema;
pub mod spec;
pub mod split;
pub mod starter;
pub mod validate;

pub use diag::{Diagnostic, Report, Severity, Source};
pub use model::Plan;
pub use split::LoadSplit;
pub use validate::{Validated, validate};

/// Whether a plan's text is valid, with relative paths resolved against `dir`.
pub fn is_valid(text: &str, dir: &std::path::Path) -> bool {
    validate(&Source::new("<plan>", text, dir)).is_ok()
}
