//! Stage 2, schema: every JSON-schema error, mapped back to the YAML token.
//!
//! A jsonschema error carries the instance path (`/load/users`) and the schema
//! keyword path (`/definitions/Load/additionalProperties`). The first finds the node
//! in the spanned tree; the second finds what the schema allows there, for "did you
//! mean" and for help text taken from the field's own description.

use crate::diag::suggest::did_you_mean;
use crate::diag::{Code, Diagnostic, codes};
use crate::parse::Node;
use crate::schema::{deref, schema_at, validator};
use jsonschema::error::{TypeKind, ValidationErrorKind};
use serde_json::Value;

/// Validate the tree's JSON form against the schema; one diagnostic per problem.
pub fn check(root: &Node, json: &Value) -> Vec<Diagnostic> {
    validator()
        .iter_errors(json)
        .flat_map(|error| {
            let path: Vec<String> = error
                .instance_path()
                .iter()
                .map(|s| match s {
                    jsonschema::paths::LocationSegment::Property(p) => p.to_string(),
                    jsonschema::paths::LocationSegment::Index(i) => i.to_string(),
                })
                .collect();
            let keyword = error.schema_path().as_str().to_owned();
            to_diagnostics(root, &path, &keyword, error.kind(), error.instance())
        })
        .collect()
}

fn to_diagnostics(
    root: &Node,
    path: &[String],
    keyword_path: &str,
    kind: &ValidationErrorKind,
    instance: &Value,
) -> Vec<Diagnostic> {
    let Some(here) = root.walk(path) else {
        return vec![];
    };
    let field = display_path(path);
    let schema_node = parent_pointer(keyword_path).and_then(schema_at).map(deref);
    match kind {
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            let allowed = allowed_keys(schema_node);
            unexpected
                .iter()
                .map(|key| {
                    let span = here.node.entry(key).map_or(here.owner_span(), |e| e.key_span);
                    let where_ = if path.is_empty() {
                        "the plan".to_owned()
                    } else {
                        format!("`{field}`")
                    };
                    let d = Diagnostic::error(
                        codes::SCHEMA_UNKNOWN_KEY,
                        span,
                        format!("unknown key `{key}` in {where_}"),
                    )
                    .label("unknown key");
                    match did_you_mean(key, allowed.iter().map(String::as_str)) {
                        Some(s) => d.help(format!("did you mean `{s}`?")),
                        None if allowed.is_empty() => d.help("remove this key"),
                        None => d.help(format!("keys allowed here: {}", allowed.join(", "))),
                    }
                })
                .collect()
        }
        ValidationErrorKind::Required { property } => {
            let name = property.as_str().unwrap_or_default();
            let where_ = if path.is_empty() {
                "the plan".to_owned()
            } else {
                format!("`{field}`")
            };
            let about = schema_node
                .and_then(|s| s.get("properties"))
                .and_then(|p| p.get(name))
                .map(deref)
                .and_then(describe);
            let mut help = format!("add `{name}:`");
            if let Some(about) = about {
                help.push_str(&format!(" ({about})"));
            }
            vec![
                Diagnostic::error(
                    codes::SCHEMA_MISSING_KEY,
                    here.owner_span(),
                    format!("missing required key `{name}` in {where_}"),
                )
                .label(format!("`{name}` is missing"))
                .help(help),
            ]
        }
        ValidationErrorKind::Type { kind } => {
            let expected = expected_types(kind);
            let found = json_type(instance);
            let mut d = Diagnostic::error(
                codes::SCHEMA_TYPE,
                here.value_span(),
                if path.is_empty() {
                    format!("a plan must be a mapping of keys to values, found {found}")
                } else {
                    format!("`{field}` must be {expected}, found {found}")
                },
            )
            .label(format!("expected {expected}"));
            d = match (instance, expected.as_str()) {
                (Value::String(s), "an integer") if s.trim().parse::<u64>().is_ok() => {
                    d.help(format!("write the number without quotes: {}", s.trim()))
                }
                // A bare number where a form like `10m` is wanted: quoting it is not enough.
                (Value::Number(_) | Value::Bool(_), "a string") if accepted_form(schema_node).is_some() => d
                    .help(format!(
                        "write it as text {}",
                        accepted_form(schema_node).unwrap_or_default()
                    )),
                (Value::Number(_) | Value::Bool(_), "a string") => {
                    d.help(format!("quote the value: \"{}\"", instance))
                }
                (Value::Null, _) => d.help("the value is empty; write one after the colon"),
                _ => with_description(d, schema_node),
            };
            vec![d]
        }
        ValidationErrorKind::Enum { options } => {
            let choices: Vec<&str> = options
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            vec![enum_error(here.value_span(), path, &field, &choices, instance)]
        }
        ValidationErrorKind::AnyOf { .. } | ValidationErrorKind::OneOfNotValid { .. }
            if enum_choices(schema_node).is_some() =>
        {
            let choices = enum_choices(schema_node).unwrap_or_default();
            vec![enum_error(here.value_span(), path, &field, &choices, instance)]
        }
        ValidationErrorKind::Pattern { .. } => {
            let d = Diagnostic::error(
                codes::SCHEMA_PATTERN,
                here.value_span(),
                format!("`{field}` has an invalid form: {instance}"),
            )
            .label("does not match the required form");
            let help: Vec<String> = [
                schema_node.and_then(describe),
                accepted_form(schema_node).map(|f| format!("accepted: {f}")),
            ]
            .into_iter()
            .flatten()
            .collect();
            vec![if help.is_empty() {
                d
            } else {
                d.help(help.join(" "))
            }]
        }
        ValidationErrorKind::Minimum { limit } | ValidationErrorKind::ExclusiveMinimum { limit } => {
            vec![range(
                here.value_span(),
                &field,
                format!("at least {limit}"),
                schema_node,
            )]
        }
        ValidationErrorKind::Maximum { limit } | ValidationErrorKind::ExclusiveMaximum { limit } => {
            vec![range(
                here.value_span(),
                &field,
                format!("at most {limit}"),
                schema_node,
            )]
        }
        ValidationErrorKind::MinLength { limit } => {
            vec![range(
                here.value_span(),
                &field,
                format!("at least {limit} characters long"),
                schema_node,
            )]
        }
        ValidationErrorKind::MaxLength { limit } => {
            vec![range(
                here.value_span(),
                &field,
                format!("at most {limit} characters long"),
                schema_node,
            )]
        }
        ValidationErrorKind::MaxItems { limit } => {
            vec![range(
                here.value_span(),
                &field,
                format!("at most {limit} entries long"),
                schema_node,
            )]
        }
        ValidationErrorKind::MaxProperties { limit } => {
            vec![range(
                here.value_span(),
                &field,
                format!("at most {limit} entries long"),
                schema_node,
            )]
        }
        ValidationErrorKind::AnyOf { .. } | ValidationErrorKind::OneOfNotValid { .. } => {
            let d = Diagnostic::error(
                codes::SCHEMA_SHAPE,
                here.value_span(),
                format!("`{field}` has an unexpected shape"),
            )
            .label("matches none of the accepted forms");
            vec![match path.first().map(String::as_str) {
                Some("script") => d.help("write a path relative to the plan (`script: scripts/test.js`) or name an existing ConfigMap (`script: {configMap: my-scripts, key: test.js}`)"),
                _ => with_description(d, schema_node),
            }]
        }
        other => {
            let d = Diagnostic::error(
                codes::SCHEMA_SHAPE,
                here.value_span(),
                format!("`{field}` is invalid: {}", describe_kind(other)),
            )
            .label("invalid value");
            vec![with_description(d, schema_node)]
        }
    }
}

/// A value outside a closed set of strings, with "did you mean".
fn enum_error(
    span: crate::diag::Span,
    path: &[String],
    field: &str,
    choices: &[&str],
    instance: &Value,
) -> Diagnostic {
    let given = instance
        .as_str()
        .map_or_else(|| instance.to_string(), str::to_owned);
    let code: Code = if path.len() == 1 && path[0] == "perfplan" {
        codes::SCHEMA_VERSION
    } else {
        codes::SCHEMA_ENUM
    };
    let d = Diagnostic::error(
        code,
        span,
        format!("`{given}` is not a valid value for `{field}`"),
    )
    .label(format!("expected one of: {}", choices.join(", ")));
    match did_you_mean(&given, choices.iter().copied()) {
        Some(s) => d.help(format!("did you mean `{s}`?")),
        None => d.help(format!("use one of: {}", choices.join(", "))),
    }
}

/// schemars writes a documented enum as `oneOf: [{enum: [..], description}, ..]`:
/// the closed set of strings it accepts, if the node is such an enum.
fn enum_choices(schema: Option<&'static Value>) -> Option<Vec<&'static str>> {
    let variants = schema?
        .get("oneOf")
        .or_else(|| schema?.get("anyOf"))?
        .as_array()?;
    let mut choices = Vec::new();
    for v in variants {
        if let Some(c) = v.get("const").and_then(Value::as_str) {
            choices.push(c);
        } else {
            choices.extend(
                v.get("enum")?
                    .as_array()?
                    .iter()
                    .map(Value::as_str)
                    .collect::<Option<Vec<_>>>()?,
            );
        }
    }
    (!choices.is_empty()).then_some(choices)
}

fn range(span: crate::diag::Span, field: &str, bound: String, schema: Option<&'static Value>) -> Diagnostic {
    let d = Diagnostic::error(codes::SCHEMA_RANGE, span, format!("`{field}` must be {bound}"))
        .label(format!("must be {bound}"));
    with_description(d, schema)
}

/// The form a patterned field accepts, in words a user can copy: its examples if the
/// schema gives some (`like `10m``), and the pattern itself.
fn accepted_form(schema: Option<&'static Value>) -> Option<String> {
    let schema = schema?;
    let pattern = schema.get("pattern")?.as_str()?;
    let examples: Vec<String> = schema
        .get("examples")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(|e| format!("`{e}`"))
        .collect();
    Some(if examples.is_empty() {
        format!("matching `{pattern}`")
    } else {
        format!("like {} (matching `{pattern}`)", examples.join(", "))
    })
}

fn with_description(d: Diagnostic, schema: Option<&'static Value>) -> Diagnostic {
    match schema.and_then(describe) {
        Some(text) => d.help(text),
        None => d,
    }
}

/// The first sentence of a schema node's description, as help text.
fn describe(schema: &Value) -> Option<String> {
    let text = schema.get("description")?.as_str()?;
    let text = text.replace('\n', " ");
    // A sentence ends at ". " before a capital letter ("e.g. `10m`" does not end one).
    let end = text
        .match_indices(". ")
        .find(|(i, _)| text[i + 2..].starts_with(|c: char| c.is_ascii_uppercase()))
        .map(|(i, _)| i);
    let first = match end {
        Some(i) => &text[..=i],
        None => &text,
    };
    Some(first.trim().to_owned())
}

fn allowed_keys(schema: Option<&'static Value>) -> Vec<String> {
    schema
        .and_then(|s| s.get("properties"))
        .and_then(Value::as_object)
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default()
}

/// `/definitions/Load/properties/users/minimum` → `/definitions/Load/properties/users`.
fn parent_pointer(pointer: &str) -> Option<&str> {
    pointer.rfind('/').map(|i| &pointer[..i])
}

/// `["target", "allow", "0", "cidr"]` → `target.allow[0].cidr`.
pub(crate) fn display_path<S: AsRef<str>>(path: &[S]) -> String {
    let mut out = String::new();
    for segment in path {
        let s = segment.as_ref();
        if s.parse::<usize>().is_ok() {
            out.push_str(&format!("[{s}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(s);
        }
    }
    out
}

fn expected_types(kind: &TypeKind) -> String {
    let names: Vec<&str> = match kind {
        TypeKind::Single(t) => vec![type_name(*t)],
        TypeKind::Multiple(set) => set.iter().map(type_name).collect(),
    };
    names.join(" or ")
}

fn type_name(t: jsonschema::JsonType) -> &'static str {
    use jsonschema::JsonType as J;
    match t {
        J::Array => "a list",
        J::Boolean => "true or false",
        J::Integer => "an integer",
        J::Null => "empty",
        J::Number => "a number",
        J::Object => "a mapping",
        J::String => "a string",
    }
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "nothing (null)",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_u64() || n.is_i64() => "an integer",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

fn describe_kind(kind: &ValidationErrorKind) -> String {
    match kind {
        ValidationErrorKind::MinItems { limit } => format!("needs at least {limit} item(s)"),
        ValidationErrorKind::MaxItems { limit } => format!("takes at most {limit} item(s)"),
        ValidationErrorKind::UniqueItems => "items must be unique".to_owned(),
        ValidationErrorKind::Constant { expected_value } => format!("must be {expected_value}"),
        _ => "does not match the schema".to_owned(),
    }
}
