//! What `perfplan --version` says: the version, the commit it was built from, and
//! the Kubernetes versions its output is made for.
//!
//! The range is stated once, here. `tools/conformance.sh` checks every golden bundle
//! against both ends with kubernetes-validate and `tests/api_server.rs` applies them to
//! a real API server of the newest; `tests/reference_docs.rs` fails when the README or
//! the conformance script names another range.

/// Expands to the oldest Kubernetes minor version perfplan emits for. A macro, not a
/// `const`, so [`LONG`] can be one `concat!` and clap gets a `&'static str`.
macro_rules! kubernetes_oldest {
    () => {
        "1.24"
    };
}

/// Expands to the newest Kubernetes minor version perfplan is checked against.
macro_rules! kubernetes_newest {
    () => {
        "1.37"
    };
}

/// Oldest Kubernetes minor version perfplan emits for: every emitted field exists there.
pub const KUBERNETES_OLDEST: &str = kubernetes_oldest!();

/// Newest Kubernetes minor version perfplan's output is checked against.
pub const KUBERNETES_NEWEST: &str = kubernetes_newest!();

/// The supported range as people write it: `1.24–1.37`.
pub const KUBERNETES_RANGE: &str = concat!(kubernetes_oldest!(), "–", kubernetes_newest!());

/// The short commit this binary was built from, or `unknown` outside a git checkout
/// (a crates.io package); set by `build.rs`.
pub const COMMIT: &str = env!("PERFPLAN_COMMIT");

/// `--version` and `-V`: `0.1.0 (commit 1a2b3c4, Kubernetes 1.24–1.37)`, after the
/// program name clap prints. One line for both flags, so a bug report pasted from
/// either says everything.
pub const LONG: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("PERFPLAN_COMMIT"),
    ", Kubernetes ",
    kubernetes_oldest!(),
    "–",
    kubernetes_newest!(),
    ")"
);
