//! perfplan: one declarative `perfplan.yaml` → a correct, secure, distributed load test
//! on Kubernetes, for JMeter, k6 or Gatling.
//!
//! The pipeline reads top to bottom, one module per stage:
//!
//! | stage | module | produces |
//! |---|---|---|
//! | parse | [`parse`] | spanned YAML tree |
//! | validate | [`validate`] (schema from [`spec`] via [`schema`], then semantic rules) | [`Plan`] |
//! | lint | [`lint`] (after validation: warnings about scripts and capacity) | warnings |
//! | lower | [`lower`] (one file per tool in [`tools`], shares from [`split`]) | [`lower::Topology`] |
//! | place | [`placement`] (spread, node selector, tolerations, results volume) | placed topology |
//! | secure | [`posture`] | hardened objects + NetworkPolicies |
//! | emit | [`emit`] | [`Bundle`]: YAML stream or folder; Helm values |
//! | diff | [`diff`] (and `cluster` with the `cluster` feature) | [`diff::Diff`] |
//! | report | [`report`] (after the test: every generator's results, merged) | [`report::Report`] |
//!
//! Library users need no CLI: [`is_valid`], [`validate()`] and [`compile()`] are the
//! entry points.

pub mod cli;
#[cfg(feature = "cluster")]
pub mod cluster;
pub mod diag;
pub mod diff;
pub mod emit;
pub mod explain;
pub mod lint;
pub mod lower;
pub mod model;
pub mod names;
pub mod parse;
pub mod placement;
pub mod posture;
pub mod quantity;
pub mod reference;
pub mod report;
pub mod schema;
pub mod spec;
pub mod split;
pub mod starter;
pub mod tools;
pub mod validate;
pub mod version;

pub use diag::{Diagnostic, Report, Severity, Source};
pub use emit::{Bundle, Manifest, compile};
pub use model::Plan;
pub use split::LoadSplit;
pub use validate::{Validated, validate};

/// Whether a plan's text is valid, with relative paths resolved against `dir`.
pub fn is_valid(text: &str, dir: &std::path::Path) -> bool {
    validate(&Source::new("<plan>", text, dir)).is_ok()
}
