//! `docs/reference/plan.md`: every plan field, read from the JSON schema.
//!
//! The schema is generated from the spec types (`src/spec/`), whose doc comments are
//! its descriptions, so this page says exactly what an editor shows while typing and
//! what validation enforces: a field added to the types appears here on the next
//! regeneration, with nothing to copy by hand.

use super::{cell, header};
use serde_json::Value;

/// One field of the plan, flattened for the reference table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// Dotted path from the plan's root: `load.users`, `regions[].name`,
    /// `labels.<key>` for the entries of a map.
    pub path: String,
    /// `integer`, `string or object`, `list of string`, `map of string to string`, …
    pub ty: String,
    /// Whether the enclosing object (or list item) must have it.
    pub required: bool,
    /// The schema's default, as it would be written in the plan.
    pub default: Option<String>,
    /// What the value must be: choices, range, length, pattern, item counts.
    pub allowed: Vec<String>,
    /// The field's description, with its examples.
    pub description: String,
    /// The meaning of each choice (`` `k6`: Grafana k6, … ``) or shape (`As a string: …`).
    pub meanings: Vec<String>,
}

/// Every field of the plan the schema describes, depth first: the required
/// top-level keys first, in the schema's order (the order a plan is written in), then
/// the others and every nested key in alphabetical order.
pub fn fields(schema: &Value) -> Vec<Field> {
    let mut walk = Walk {
        schema,
        out: Vec::new(),
        stack: Vec::new(),
    };
    walk.children(schema, "");
    let required = string_list(schema.get("required"));
    let rank = |f: &Field| {
        let top = f.path.split(['.', '[']).next().unwrap_or_default();
        required.iter().position(|r| r == top).unwrap_or(required.len())
    };
    // Stable: each top-level key's rows stay together and in walk order.
    walk.out.sort_by_key(rank);
    walk.out
}

/// The Markdown page: a table per top-level key.
pub fn plan_markdown(schema: &Value) -> String {
    let mut text = header("Plan reference", "the plan's JSON schema (src/spec/)");
    let title = schema.get("title").and_then(Value::as_str).unwrap_or("perfplan");
    let description = schema.get("description").and_then(Value::as_str).unwrap_or("");
    text.push_str(&format!(
        "`{title}.yaml`: {description}\n\nEvery field of the plan format, from the published schema \
         ([`schema/perfplan.schema.json`](../../schema/perfplan.schema.json), what `perfplan schema` prints \
         and what editors read). A path is written `load.users`; `regions[].name` is a field of each list item, \
         `labels.<key>` an entry of a map. Keys are case-sensitive and any key not listed here is an error \
         (`perfplan::schema::unknown_key`).\n\n"
    ));
    let required = string_list(schema.get("required"));
    text.push_str(&format!(
        "Required at the top level: {}.\n",
        required
            .iter()
            .map(|k| format!("`{k}`"))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    let all = fields(schema);
    let mut top = String::new();
    for field in &all {
        let key = field.path.split(['.', '[']).next().unwrap_or_default();
        if key != top {
            top = key.to_owned();
            text.push_str(&format!(
                "\n## `{top}`\n\n| field | type | default | allowed | description |\n|---|---|---|---|---|\n"
            ));
        }
        let ty = if field.required {
            format!("{}, required", field.ty)
        } else {
            field.ty.clone()
        };
        text.push_str(&format!(
            "| `{}` | {} | {} | {} | {} |\n",
            field.path,
            cell(&ty),
            field
                .default
                .as_deref()
                .map(|d| format!("`{}`", cell(d)))
                .unwrap_or_default(),
            cell(&field.allowed.join("; ")),
            std::iter::once(&field.description)
                .chain(&field.meanings)
                .map(|t| cell(t))
                .collect::<Vec<_>>()
                .join("<br>"),
        ));
    }
    text
}

struct Walk<'a> {
    schema: &'a Value,
    out: Vec<Field>,
    /// Definitions being expanded, so a recursive type stops instead of looping.
    stack: Vec<String>,
}

impl Walk<'_> {
    /// The fields of an object node (and of object-shaped alternatives, list items
    /// and map values below it), under `prefix`.
    fn children(&mut self, view: &Value, prefix: &str) {
        let required = string_list(view.get("required"));
        if let Some(properties) = view.get("properties").and_then(Value::as_object) {
            for (name, node) in properties {
                let path = if prefix.is_empty() {
                    name.clone()
                } else {
                    format!("{prefix}.{name}")
                };
                self.field(node, path, required.contains(name));
            }
        }
    }

    fn field(&mut self, node: &Value, path: String, required: bool) {
        let (view, refs) = self.resolve(node);
        if refs.iter().any(|r| self.stack.contains(r)) {
            self.out.push(Field {
                path,
                ty: "object (recursive)".to_owned(),
                required,
                default: None,
                allowed: vec![],
                description: describe(&view),
                meanings: meanings(&view),
            });
            return;
        }
        self.out.push(Field {
            path: path.clone(),
            ty: self.type_of(&view),
            required,
            default: view.get("default").map(render),
            allowed: self.allowed(&view),
            description: describe(&view),
            meanings: meanings(&view),
        });
        let depth = self.stack.len();
        self.stack.extend(refs);
        self.descend(&view, &path);
        self.stack.truncate(depth);
    }

    /// Fields below a field: its properties, its list items', its map values', and
    /// those of each object-shaped alternative.
    fn descend(&mut self, view: &Value, path: &str) {
        self.children(view, path);
        if let Some(items) = view.get("items") {
            let (items, refs) = self.resolve(items);
            if has_fields(&items) && !refs.iter().any(|r| self.stack.contains(r)) {
                let depth = self.stack.len();
                self.stack.extend(refs);
                self.descend(&items, &format!("{path}[]"));
                self.stack.truncate(depth);
            }
        }
        if let Some(values) = view.get("additionalProperties").filter(|v| v.is_object()) {
            let (values, refs) = self.resolve(values);
            if has_fields(&values) && !refs.iter().any(|r| self.stack.contains(r)) {
                let depth = self.stack.len();
                self.stack.extend(refs);
                self.descend(&values, &format!("{path}.<key>"));
                self.stack.truncate(depth);
            }
        }
        for alternative in alternatives(view) {
            let (alternative, refs) = self.resolve(alternative);
            if has_fields(&alternative) && !refs.iter().any(|r| self.stack.contains(r)) {
                let depth = self.stack.len();
                self.stack.extend(refs);
                self.descend(&alternative, path);
                self.stack.truncate(depth);
            }
        }
    }

    /// A node with its `$ref` (or schemars' `allOf: [{$ref}]`) folded in: the
    /// definition's keywords, overlaid by the node's own (a field's description and
    /// default win over its type's). Also the definitions followed.
    fn resolve(&self, node: &Value) -> (Value, Vec<String>) {
        let Some(map) = node.as_object() else {
            return (node.clone(), vec![]);
        };
        let target = map.get("$ref").and_then(Value::as_str).or_else(|| {
            match map.get("allOf").and_then(Value::as_array).map(Vec::as_slice) {
                Some([only]) => only.get("$ref").and_then(Value::as_str),
                _ => None,
            }
        });
        let Some(target) = target else {
            return (node.clone(), vec![]);
        };
        let Some(definition) = target.strip_prefix('#').and_then(|p| self.schema.pointer(p)) else {
            return (node.clone(), vec![]);
        };
        let (mut merged, mut refs) = self.resolve(definition);
        refs.insert(0, target.to_owned());
        if let Value::Object(merged) = &mut merged {
            for (key, value) in map {
                if key != "$ref" && key != "allOf" {
                    merged.insert(key.clone(), value.clone());
                }
            }
        }
        (merged, refs)
    }

    fn type_of(&self, view: &Value) -> String {
        if let Some(choices) = choices(view) {
            let kinds: Vec<&str> = choices.iter().map(|(v, _)| json_type(v)).collect();
            return dedup_join(kinds);
        }
        let alternatives = alternatives(view);
        if !alternatives.is_empty() {
            let kinds = alternatives
                .iter()
                .map(|a| self.type_of(&self.resolve(a).0))
                .collect();
            return dedup_join(kinds);
        }
        let types: Vec<&str> = match view.get("type") {
            Some(Value::String(t)) => vec![t.as_str()],
            Some(Value::Array(ts)) => ts
                .iter()
                .filter_map(Value::as_str)
                .filter(|t| *t != "null")
                .collect(),
            _ if view.get("properties").is_some() => vec!["object"],
            _ => vec![],
        };
        let named: Vec<String> = types
            .iter()
            .map(|t| match *t {
                "array" => match view.get("items") {
                    Some(items) => format!("list of {}", self.type_of(&self.resolve(items).0)),
                    None => "list".to_owned(),
                },
                "object" => match view.get("additionalProperties").filter(|v| v.is_object()) {
                    Some(values) if view.get("properties").is_none() => {
                        format!("map of string to {}", self.type_of(&self.resolve(values).0))
                    }
                    _ => "object".to_owned(),
                },
                other => other.to_owned(),
            })
            .collect();
        if named.is_empty() {
            "any".to_owned()
        } else {
            dedup_join(named)
        }
    }

    /// The constraints on a value, in words.
    fn allowed(&self, view: &Value) -> Vec<String> {
        let mut allowed = Vec::new();
        if let Some(choices) = choices(view) {
            let values: Vec<String> = choices.iter().map(|(v, _)| format!("`{}`", render(v))).collect();
            allowed.push(format!("one of {}", values.join(", ")));
        }
        allowed.extend(bounds(view, "minimum", "maximum", ""));
        allowed.extend(bounds(view, "exclusiveMinimum", "exclusiveMaximum", "exclusive "));
        allowed.extend(bounds(view, "minLength", "maxLength", "length "));
        allowed.extend(bounds(view, "minItems", "maxItems", "items: "));
        allowed.extend(bounds(view, "minProperties", "maxProperties", "entries: "));
        if let Some(pattern) = view.get("pattern").and_then(Value::as_str) {
            allowed.push(format!("pattern `{pattern}`"));
        }
        for alternative in alternatives(view) {
            let alternative = self.resolve(alternative).0;
            if !has_fields(&alternative) {
                let inner = self.allowed(&alternative);
                if !inner.is_empty() {
                    allowed.push(format!("as {}: {}", json_kind(&alternative), inner.join(", ")));
                }
            }
        }
        for (key, what) in [("items", "each item"), ("additionalProperties", "each value")] {
            let Some(inner) = view.get(key).filter(|v| v.is_object()) else {
                continue;
            };
            let inner = self.resolve(inner).0;
            if !has_fields(&inner) {
                let inner_allowed = self.allowed(&inner);
                if !inner_allowed.is_empty() {
                    allowed.push(format!("{what}: {}", inner_allowed.join(", ")));
                }
            }
        }
        allowed
    }
}

/// The meaning of each shape the value may take, then of each choice.
fn meanings(view: &Value) -> Vec<String> {
    let shapes = alternatives(view).into_iter().filter_map(|alternative| {
        let d = alternative.get("description").and_then(Value::as_str)?;
        Some(format!("As {}: {d}", json_kind(alternative)))
    });
    let choices = choices(view)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|(value, meaning)| Some(format!("`{}`: {}", render(&value), meaning?)));
    shapes.chain(choices).collect()
}

/// The field's own description and its examples.
fn describe(view: &Value) -> String {
    let mut text = view
        .get("description")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    if let Some(examples) = view
        .get("examples")
        .and_then(Value::as_array)
        .filter(|e| !e.is_empty())
    {
        let examples: Vec<String> = examples.iter().map(|e| format!("`{}`", render(e))).collect();
        text.push_str(&format!(" Example: {}.", examples.join(", ")));
    }
    text
}

/// The allowed values of a closed choice (`enum`, or schemars' `oneOf` of `const`s
/// with a description each), with each one's meaning when the schema has it.
fn choices(view: &Value) -> Option<Vec<(Value, Option<String>)>> {
    if let Some(values) = view.get("enum").and_then(Value::as_array) {
        return Some(values.iter().map(|v| (v.clone(), None)).collect());
    }
    if let Some(value) = view.get("const") {
        return Some(vec![(value.clone(), None)]);
    }
    let one_of = view.get("oneOf").and_then(Value::as_array)?;
    one_of
        .iter()
        .map(|alt| {
            let meaning = alt.get("description").and_then(Value::as_str).map(str::to_owned);
            match (alt.get("const"), alt.get("enum").and_then(Value::as_array)) {
                (Some(v), _) => Some(vec![(v.clone(), meaning)]),
                (None, Some(vs)) => Some(vs.iter().map(|v| (v.clone(), meaning.clone())).collect()),
                _ => None,
            }
        })
        .collect::<Option<Vec<_>>>()
        .map(|groups| groups.into_iter().flatten().collect())
}

/// The shapes a value may take (`anyOf`, or a `oneOf` that is not a closed choice).
fn alternatives(view: &Value) -> Vec<&Value> {
    let one_of = view.get("oneOf").filter(|_| choices(view).is_none());
    [view.get("anyOf"), one_of]
        .into_iter()
        .flatten()
        .filter_map(Value::as_array)
        .flatten()
        .collect()
}

fn has_fields(view: &Value) -> bool {
    view.get("properties")
        .is_some_and(|p| p.as_object().is_some_and(|p| !p.is_empty()))
        || alternatives(view)
            .iter()
            .any(|a| a.get("properties").is_some() || a.get("allOf").is_some())
}

/// `1–10000`, `≥ 1`, `≤ 64`, with a prefix such as `length `.
fn bounds(view: &Value, min: &str, max: &str, prefix: &str) -> Option<String> {
    match (view.get(min), view.get(max)) {
        (Some(lo), Some(hi)) => Some(format!("{prefix}{}–{}", render(lo), render(hi))),
        (Some(lo), None) => Some(format!("{prefix}≥ {}", render(lo))),
        (None, Some(hi)) => Some(format!("{prefix}≤ {}", render(hi))),
        (None, None) => None,
    }
}

/// A JSON value as it would be written in the plan: strings bare, the rest as JSON.
fn render(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::String(_) => "string",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::Bool(_) => "boolean",
        Value::Array(_) => "list",
        Value::Object(_) => "object",
        Value::Null => "null",
    }
}

/// How an alternative is named in a description: `a string`, `an object`.
fn json_kind(alternative: &Value) -> &'static str {
    match alternative.get("type").and_then(Value::as_str) {
        Some("string") => "a string",
        Some("integer") | Some("number") => "a number",
        Some("array") => "a list",
        _ => "an object",
    }
}

fn dedup_join<S: AsRef<str>>(kinds: Vec<S>) -> String {
    let mut seen: Vec<&str> = Vec::new();
    for k in &kinds {
        if !seen.contains(&k.as_ref()) {
            seen.push(k.as_ref());
        }
    }
    seen.join(" or ")
}

fn string_list(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
        .unwrap_or_default()
}
