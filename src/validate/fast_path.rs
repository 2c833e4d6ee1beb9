//! The common path: a plan that is valid against the schema is confirmed without
//! building the full JSON-schema validator, whose construction (regex engines,
//! reference resolution) costs milliseconds at start-up, more than all of perfplan's
//! other work on a plan.
//!
//! [`accepts`] evaluates the keywords the generated schema uses, directly over the
//! published schema. It is conservative: any keyword it does not know makes it
//! answer `false`, and `false` only means "ask the full validator", which then
//! reports precise errors (or none). It must never accept what the full validator
//! rejects; a property test checks that over thousands of mutated plans.

use crate::schema::schema_value;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

/// Whether the plan certainly satisfies the schema.
pub fn accepts(instance: &Value) -> bool {
    let root = schema_value();
    check(root, root, instance)
}

/// Keywords that only annotate.
const ANNOTATIONS: [&str; 8] = [
    "description",
    "default",
    "examples",
    "title",
    "$schema",
    "$id",
    "definitions",
    "format",
];

fn check(root: &Value, schema: &Value, v: &Value) -> bool {
    let Some(map) = schema.as_object() else {
        return schema.as_bool().unwrap_or(false);
    };
    map.iter().all(|(key, s)| match key.as_str() {
        k if ANNOTATIONS.contains(&k) => true,
        "$ref" => s
            .as_str()
            .and_then(|r| r.strip_prefix('#'))
            .and_then(|p| root.pointer(p))
            .is_some_and(|target| check(root, target, v)),
        "allOf" => items(s).iter().all(|sub| check(root, sub, v)),
        "anyOf" => items(s).iter().any(|sub| check(root, sub, v)),
        "oneOf" => items(s).iter().filter(|sub| check(root, sub, v)).count() == 1,
        "const" => v == s,
        "enum" => items(s).contains(v),
        "type" => match s {
            Value::String(t) => has_type(v, t),
            Value::Array(ts) => ts.iter().filter_map(Value::as_str).any(|t| has_type(v, t)),
            _ => false,
        },
        "properties" | "additionalProperties" | "required" | "maxProperties" | "minProperties" => {
            v.as_object().is_none_or(|o| object(root, map, key, o))
        }
        "items" => v.as_array().is_none_or(|a| a.iter().all(|i| check(root, s, i))),
        "maxItems" => v
            .as_array()
            .is_none_or(|a| s.as_u64().is_some_and(|m| a.len() as u64 <= m)),
        "minItems" => v
            .as_array()
            .is_none_or(|a| s.as_u64().is_some_and(|m| a.len() as u64 >= m)),
        "maxLength" => v
            .as_str()
            .is_none_or(|t| s.as_u64().is_some_and(|m| t.chars().count() as u64 <= m)),
        "minLength" => v
            .as_str()
            .is_none_or(|t| s.as_u64().is_some_and(|m| t.chars().count() as u64 >= m)),
        "pattern" => v
            .as_str()
            .is_none_or(|t| s.as_str().is_some_and(|p| matches(p, t))),
        "minimum" => v.as_f64().is_none_or(|n| s.as_f64().is_some_and(|m| n >= m)),
        "maximum" => v.as_f64().is_none_or(|n| s.as_f64().is_some_and(|m| n <= m)),
        // Anything else: not sure, so not accepted here.
        _ => false,
    })
}

fn items(s: &Value) -> &[Value] {
    s.as_array().map_or(&[], Vec::as_slice)
}

/// The object keywords of one schema, checked once (on `properties`, or on the
/// first of them present) so `additionalProperties` sees `properties`.
fn object(
    root: &Value,
    schema: &serde_json::Map<String, Value>,
    key: &str,
    o: &serde_json::Map<String, Value>,
) -> bool {
    let first = [
        "properties",
        "additionalProperties",
        "required",
        "maxProperties",
        "minProperties",
    ]
    .into_iter()
    .find(|k| schema.contains_key(*k));
    if first != Some(key) {
        return true;
    }
    let props = schema.get("properties").and_then(Value::as_object);
    let required = schema.get("required").map(items).unwrap_or_default();
    if !required
        .iter()
        .filter_map(Value::as_str)
        .all(|r| o.contains_key(r))
    {
        return false;
    }
    let count = o.len() as u64;
    if schema
        .get("maxProperties")
        .and_then(Value::as_u64)
        .is_some_and(|m| count > m)
        || schema
            .get("minProperties")
            .and_then(Value::as_u64)
            .is_some_and(|m| count < m)
    {
        return false;
    }
    o.iter().all(|(k, val)| match props.and_then(|p| p.get(k)) {
        Some(sub) => check(root, sub, val),
        None => match schema.get("additionalProperties") {
            None => true,
            Some(extra) => check(root, extra, val),
        },
    })
}

fn has_type(v: &Value, t: &str) -> bool {
    match t {
        "null" => v.is_null(),
        "boolean" => v.is_boolean(),
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "number" => v.is_number(),
        // Stricter than JSON Schema (which also counts 1.0): safe, falls back.
        "integer" => v.is_i64() || v.is_u64(),
        _ => false,
    }
}

/// A pattern match (JSON Schema patterns search, they are not anchored), each
/// pattern compiled once per process.
fn matches(pattern: &str, text: &str) -> bool {
    static CACHE: OnceLock<Mutex<HashMap<String, Option<regex_lite::Regex>>>> = OnceLock::new();
    let mut cache = CACHE
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    let compiled = cache
        .entry(pattern.to_owned())
        .or_insert_with(|| regex_lite::Regex::new(pattern).ok());
    compiled.as_ref().is_some_and(|r| r.is_match(text))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn full(v: &Value) -> bool {
        crate::schema::validator().is_valid(v)
    }

    fn example(name: &str) -> Value {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("plans")
            .join(name);
        let text = std::fs::read_to_string(path).unwrap();
        let source = crate::Source::new(name, text, ".");
        crate::parse::parse(&source).unwrap().to_json()
    }

    #[test]
    fn every_example_plan_takes_the_fast_path() {
        for entry in
            std::fs::read_dir(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("plans")).unwrap()
        {
            let name = entry.unwrap().file_name().to_string_lossy().into_owned();
            if name.ends_with(".yaml") {
                assert!(accepts(&example(&name)), "{name} falls back to the slow path");
            }
        }
    }

    #[test]
    fn it_rejects_what_the_schema_rejects() {
        let base = example("jmeter-basic.yaml");
        let cases = [
            ("/load/users", json!(0)),
            ("/load/users", json!("10")),
            ("/load/generators", json!(10_001)),
            ("/name", json!("Shop_Test")),
            ("/load/duration", json!("10 minutes")),
            ("/target/url", Value::Null),
            ("/tool", json!("gatlin")),
            ("/jmeter/properties/x", json!("a".repeat(4097))),
        ];
        for (pointer, value) in cases {
            let mut v = base.clone();
            let (parent, key) = pointer.rsplit_once('/').unwrap();
            v.pointer_mut(parent).unwrap()[key] = value.clone();
            assert!(!full(&v), "the full validator accepts {pointer} = {value}");
            assert!(!accepts(&v), "the fast path accepts {pointer} = {value}");
        }
        let mut extra = base.clone();
        extra["tools"] = json!("k6");
        assert!(!accepts(&extra));
    }

    /// Every node's JSON pointer, the root's (`""`) first.
    fn pointers(v: &Value, at: String, out: &mut Vec<String>) {
        out.push(at.clone());
        match v {
            // RFC 6901: `~` and `/` in keys (label keys like `app.kubernetes.io/name`) are escaped.
            Value::Object(m) => m.iter().for_each(|(k, c)| {
                pointers(
                    c,
                    format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")),
                    out,
                )
            }),
            Value::Array(a) => a
                .iter()
                .enumerate()
                .for_each(|(i, c)| pointers(c, format!("{at}/{i}"), out)),
            _ => {}
        }
    }

    /// Replace the node at index `pick` (of all nodes) with `replacement`, or add it
    /// as a new key of an object.
    fn mutate(v: &mut Value, pick: usize, add: bool, replacement: Value) {
        let mut all = Vec::new();
        pointers(v, String::new(), &mut all);
        let at = all[pick % all.len()].clone();
        let node = v.pointer_mut(&at).unwrap();
        match node {
            Value::Object(m) if add => {
                m.insert("added".to_owned(), replacement);
            }
            _ if at.is_empty() => {}
            _ => *node = replacement,
        }
    }

    fn replacement() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            (0u64..20_000).prop_map(Value::from),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(Value::from),
            "[a-zA-Z0-9 ._/:$-]{0,80}".prop_map(Value::from),
            "\\PC{0,300}".prop_map(Value::from),
            Just(json!({})),
            Just(json!([])),
            Just(json!({"unknown": 1})),
            Just(json!(["x"])),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        /// Soundness: whatever the fast path accepts, the full validator accepts.
        #[test]
        fn never_accepts_what_the_full_validator_rejects(
            plan in prop::sample::select(vec!["jmeter-basic.yaml", "k6-single.yaml", "gatling-cluster.yaml", "k6-uneven.yaml", "k6-regions.yaml", "jmeter-uneven.yaml"]),
            pick in 0usize..200,
            add in any::<bool>(),
            replacement in replacement(),
        ) {
            let mut v = example(plan);
            mutate(&mut v, pick, add, replacement);
            if accepts(&v) {
                prop_assert!(full(&v), "fast path accepted an invalid plan: {}", v);
            }
        }
    }
}
