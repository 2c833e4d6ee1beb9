//! The published JSON schema: generated from [`crate::spec`], and used to validate.
//!
//! `schema/perfplan.schema.json` holds the same bytes as [`schema_json`]; a test fails
//! when they drift. Draft-07 is the output dialect because every editor's YAML
//! language server supports it.

use crate::spec::PlanSpec;
use serde_json::Value;
use std::sync::OnceLock;

/// Where editors find the schema, relative to the repository root.
pub const SCHEMA_PATH: &str = "schema/perfplan.schema.json";

/// The published schema, compiled into the binary. A test checks it is exactly what
/// [`generate`] produces from the types, so it cannot drift; reading it is several
/// times cheaper at start-up than generating it.
pub const PUBLISHED: &str = include_str!("../schema/perfplan.schema.json");

/// The schema as a JSON value.
pub fn schema_value() -> &'static Value {
    static SCHEMA: OnceLock<Value> = OnceLock::new();
    SCHEMA.get_or_init(|| serde_json::from_str(PUBLISHED).expect("the published schema is JSON"))
}

/// Generate the schema from the plan types (what `schema/perfplan.schema.json` holds).
pub fn generate() -> Value {
    let generator = schemars::generate::SchemaSettings::draft07().into_generator();
    let schema = generator.into_root_schema_for::<PlanSpec>();
    let mut value = schema.to_value();
    drop_null_alternatives(&mut value);
    if let Value::Object(map) = &mut value {
        map.insert(
            "$id".to_owned(),
            Value::String("https://perfplan.dev/schema/v1/perfplan.schema.json".to_owned()),
        );
    }
    value
}

/// schemars writes `Option<T>` as `anyOf: [T, {type: null}]`. In a plan an absent
/// key is how one says "default" and `null` means nothing; worse, the `anyOf` hides
/// T's precise error ("bad pattern") behind "matches no shape". Rewrite it as
/// `allOf: [T]` (keeps a `$ref` valid under draft-07, where its siblings are ignored).
fn drop_null_alternatives(value: &mut Value) {
    match value {
        Value::Object(map) => {
            let nullable = map.get("anyOf").and_then(Value::as_array).is_some_and(|alts| {
                alts.len() == 2 && alts.iter().any(|a| a == &serde_json::json!({"type": "null"}))
            });
            if nullable && let Some(Value::Array(alts)) = map.remove("anyOf") {
                let null = serde_json::json!({"type": "null"});
                let kept: Vec<Value> = alts.into_iter().filter(|a| a != &null).collect();
                map.insert("allOf".to_owned(), Value::Array(kept));
            }
            map.values_mut().for_each(drop_null_alternatives);
        }
        Value::Array(items) => items.iter_mut().for_each(drop_null_alternatives),
        _ => {}
    }
}

/// The schema as published: pretty JSON with a trailing newline, generated from the
/// types (the drift test compares it with [`PUBLISHED`]).
pub fn schema_json() -> String {
    let mut text = serde_json::to_string_pretty(&generate()).expect("a JSON value always serializes");
    text.push('\n');
    text
}

/// The compiled validator, built once per process and only when a plan is validated
/// (`perfplan schema` never pays for it).
pub(crate) fn validator() -> &'static jsonschema::Validator {
    static VALIDATOR: OnceLock<jsonschema::Validator> = OnceLock::new();
    VALIDATOR.get_or_init(|| {
        jsonschema::draft7::new(schema_value()).expect("the generated schema is a valid draft-07 schema")
    })
}

/// Resolve a JSON pointer (`/definitions/Load/properties/users`) in the schema.
pub(crate) fn schema_at(pointer: &str) -> Option<&'static Value> {
    schema_value().pointer(pointer)
}

/// Follow a local `$ref` if the node has one.
pub(crate) fn deref(node: &'static Value) -> &'static Value {
    node.get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix('#'))
        .and_then(schema_at)
        .unwrap_or(node)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_is_draft_07_and_closed() {
        let s = schema_value();
        assert_eq!(s["$schema"], "http://json-schema.org/draft-07/schema#");
        assert_eq!(s["additionalProperties"], false);
        for key in ["perfplan", "name", "tool", "script", "load", "target"] {
            assert!(
                s["required"].as_array().unwrap().iter().any(|r| r == key),
                "{key} is required"
            );
        }
        assert!(s["properties"]["load"].is_object());
    }

    #[test]
    fn every_property_has_a_description() {
        fn walk(v: &Value, path: &str, missing: &mut Vec<String>) {
            if let Some(props) = v.get("properties").and_then(Value::as_object) {
                for (k, p) in props {
                    let described = p.get("description").is_some()
                        || p.get("$ref").is_some_and(|r| {
                            deref(Box::leak(Box::new(serde_json::json!({"$ref": r}))))
                                .get("description")
                                .is_some()
                        });
                    if !described {
                        missing.push(format!("{path}/{k}"));
                    }
                }
            }
            if let Some(defs) = v.get("definitions").and_then(Value::as_object) {
                for (k, d) in defs {
                    walk(d, &format!("{path}/definitions/{k}"), missing);
                }
            }
        }
        let mut missing = Vec::new();
        walk(schema_value(), "", &mut missing);
        assert!(missing.is_empty(), "undocumented fields: {missing:?}");
    }
}
