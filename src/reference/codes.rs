//! `docs/reference/codes.md`: every diagnostic code, from [`crate::diag::codes::REFERENCE`].
//!
//! The help shown with a diagnostic is written where the problem is found (it names
//! the plan's own values), so it is not in the list and not on this page; the
//! rendered example at the top shows what a diagnostic carries besides its code.

use super::{cell, header};
use crate::diag::codes::{Level, REFERENCE};

/// The Markdown page: the codes in declaration order (by pipeline stage).
pub fn codes_markdown() -> String {
    let mut text = header("Diagnostic codes", "src/diag/codes.rs");
    text.push_str(
        "Every diagnostic perfplan reports carries one of these codes. Codes are stable: once released a code \
         never changes meaning, so scripts and editors may match on it (`perfplan validate --output json` gives \
         it as `code`). Each diagnostic also has a position (file:line:column), a label under the offending \
         token and, where there is a fix, help that names it.\n\n\
         Severity: an **error** makes the plan invalid (exit 1, `compile` writes nothing); a **warning** leaves \
         it valid unless `--deny-warnings` is given; **error or warning** depends on the plan's posture or a \
         flag, as the meaning says.\n\n\
         | code | severity | meaning |\n|---|---|---|\n",
    );
    for entry in REFERENCE {
        text.push_str(&format!(
            "| `{}` | {} | {} |\n",
            entry.code,
            entry.level.as_str(),
            cell(entry.meaning)
        ));
    }
    let (errors, warnings, either) = REFERENCE
        .iter()
        .fold((0, 0, 0), |(e, w, x), entry| match entry.level {
            Level::Error => (e + 1, w, x),
            Level::Warning => (e, w + 1, x),
            Level::Either => (e, w, x + 1),
        });
    text.push_str(&format!(
        "\n{} codes: {errors} errors, {warnings} warnings, {either} either.\n",
        REFERENCE.len()
    ));
    text
}
