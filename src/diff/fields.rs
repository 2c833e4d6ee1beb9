//! Field-level differences between two JSON values, with readable paths:
//! `spec.replicas`, `metadata.annotations["perfplan.dev/split"]`,
//! `spec.template.spec.containers[name=controller].args[4]`.
//!
//! Lists whose items all have a unique `name` are matched by name, so inserting one
//! env var does not show every later item as changed; lists of plain values are
//! compared with a Myers diff, so an inserted argument is one insertion.

use serde::Serialize;
use serde_json::Value;
use similar::{Algorithm, DiffOp, capture_diff_slices};

/// One changed field: `old` is `None` when it was added, `new` when it was removed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldChange {
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new: Option<Value>,
}

/// Every changed field between `old` and `new`, in document order.
pub fn diff(old: &Value, new: &Value) -> Vec<FieldChange> {
    let mut out = Vec::new();
    walk(String::new(), Some(old), Some(new), &mut out);
    out
}

fn walk(path: String, old: Option<&Value>, new: Option<&Value>, out: &mut Vec<FieldChange>) {
    match (old, new) {
        (Some(a), Some(b)) if a == b => {}
        (Some(Value::Object(a)), Some(Value::Object(b))) => {
            let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                walk(join_key(&path, k), a.get(k), b.get(k), out);
            }
        }
        (Some(Value::Array(a)), Some(Value::Array(b))) => match (names(a), names(b)) {
            (Some(na), Some(nb)) => by_name(&path, a, &na, b, &nb, out),
            _ if a.iter().chain(b).all(is_scalar) => scalars(&path, a, b, out),
            _ => {
                for i in 0..a.len().max(b.len()) {
                    walk(format!("{path}[{i}]"), a.get(i), b.get(i), out);
                }
            }
        },
        (old, new) => out.push(FieldChange {
            path,
            old: old.cloned(),
            new: new.cloned(),
        }),
    }
}

fn is_scalar(v: &Value) -> bool {
    !matches!(v, Value::Object(_) | Value::Array(_))
}

/// The items' `name`s, if every item has one and they are unique.
fn names(items: &[Value]) -> Option<Vec<&str>> {
    let names: Vec<&str> = items
        .iter()
        .map(|v| v.get("name").and_then(Value::as_str))
        .collect::<Option<_>>()?;
    let mut sorted = names.clone();
    sorted.sort_unstable();
    sorted.dedup();
    (sorted.len() == names.len() && !names.is_empty()).then_some(names)
}

fn by_name(path: &str, a: &[Value], na: &[&str], b: &[Value], nb: &[&str], out: &mut Vec<FieldChange>) {
    let at = |name: &str| format!("{path}[name={name}]");
    for (item, name) in a.iter().zip(na) {
        if !nb.contains(name) {
            walk(at(name), Some(item), None, out);
        }
    }
    for (item, name) in b.iter().zip(nb) {
        let old = na.iter().position(|n| n == name).map(|i| &a[i]);
        walk(at(name), old, Some(item), out);
    }
}

fn scalars(path: &str, a: &[Value], b: &[Value], out: &mut Vec<FieldChange>) {
    let ka: Vec<String> = a.iter().map(Value::to_string).collect();
    let kb: Vec<String> = b.iter().map(Value::to_string).collect();
    for op in capture_diff_slices(Algorithm::Myers, &ka, &kb) {
        match op {
            DiffOp::Equal { .. } => {}
            DiffOp::Delete {
                old_index, old_len, ..
            } => {
                for (i, item) in a.iter().enumerate().skip(old_index).take(old_len) {
                    walk(format!("{path}[{i}]"), Some(item), None, out);
                }
            }
            DiffOp::Insert {
                new_index, new_len, ..
            } => {
                for (i, item) in b.iter().enumerate().skip(new_index).take(new_len) {
                    walk(format!("{path}[{i}]"), None, Some(item), out);
                }
            }
            DiffOp::Replace {
                old_index,
                old_len,
                new_index,
                new_len,
            } => {
                for k in 0..old_len.max(new_len) {
                    let (o, n) = (
                        a.get(old_index + k).filter(|_| k < old_len),
                        b.get(new_index + k).filter(|_| k < new_len),
                    );
                    let i = if n.is_some() { new_index + k } else { old_index + k };
                    walk(format!("{path}[{i}]"), o, n, out);
                }
            }
        }
    }
}

/// `a.b` for identifier-like keys, `a["perfplan.dev/split"]` otherwise.
fn join_key(path: &str, key: &str) -> String {
    let plain = key
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    match (path.is_empty(), plain) {
        (true, true) => key.to_owned(),
        (false, true) => format!("{path}.{key}"),
        (_, false) => format!(
            "{path}[{}]",
            serde_json::to_string(key).expect("strings serialize")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn paths(a: Value, b: Value) -> Vec<String> {
        diff(&a, &b).into_iter().map(|c| c.path).collect()
    }

    #[test]
    fn scalars_maps_and_odd_keys() {
        assert_eq!(
            paths(json!({"spec": {"replicas": 3}}), json!({"spec": {"replicas": 5}})),
            ["spec.replicas"]
        );
        let c = diff(&json!({"a": 1}), &json!({"a": 2}));
        assert_eq!(
            (c[0].old.clone(), c[0].new.clone()),
            (Some(json!(1)), Some(json!(2)))
        );
        assert_eq!(
            paths(
                json!({"metadata": {"annotations": {"perfplan.dev/split": "a"}}}),
                json!({"metadata": {"annotations": {"perfplan.dev/split": "b"}}})
            ),
            [r#"metadata.annotations["perfplan.dev/split"]"#]
        );
        assert!(diff(&json!({"a": [1, {"b": 2}]}), &json!({"a": [1, {"b": 2}]})).is_empty());
    }

    #[test]
    fn named_items_match_by_name_so_an_insert_is_one_change() {
        let old = json!({"env": [{"name": "A", "value": "1"}, {"name": "C", "value": "3"}]});
        let new = json!({"env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}, {"name": "C", "value": "3"}]});
        let changes = diff(&old, &new);
        assert_eq!(changes.len(), 1, "{changes:?}");
        assert_eq!(changes[0].path, "env[name=B]");
        assert_eq!(changes[0].old, None);
        let changed = diff(
            &json!({"c": [{"name": "x", "image": "a"}]}),
            &json!({"c": [{"name": "x", "image": "b"}]}),
        );
        assert_eq!(changed[0].path, "c[name=x].image");
    }

    #[test]
    fn inserted_argument_is_one_insertion() {
        let changes = diff(
            &json!({"args": ["run", "-a", "s.js"]}),
            &json!({"args": ["run", "-a", "-b", "s.js"]}),
        );
        assert_eq!(changes.len(), 1, "{changes:?}");
        assert_eq!(changes[0].path, "args[2]");
        assert_eq!(changes[0].new, Some(json!("-b")));
        let replaced = diff(
            &json!({"args": ["x", "0,1/3,2/3,1"]}),
            &json!({"args": ["x", "0,1/5,2/5,3/5,4/5,1"]}),
        );
        assert_eq!(replaced.len(), 1);
        assert_eq!(replaced[0].path, "args[1]");
    }
}
