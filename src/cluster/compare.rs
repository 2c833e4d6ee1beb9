//! The live object made comparable with what perfplan would apply.

use serde_json::Value;

/// Drop what the server owns: status, bookkeeping metadata, and annotations tools
/// write; what is left is what a plan can change.
pub fn normalize(mut v: Value) -> Value {
    if let Some(map) = v.as_object_mut() {
        map.remove("status");
    }
    if let Some(meta) = v.get_mut("metadata").and_then(Value::as_object_mut) {
        for key in [
            "managedFields",
            "uid",
            "resourceVersion",
            "generation",
            "creationTimestamp",
            "selfLink",
        ] {
            meta.remove(key);
        }
        if let Some(annotations) = meta.get_mut("annotations").and_then(Value::as_object_mut) {
            annotations.remove("kubectl.kubernetes.io/last-applied-configuration");
            annotations.remove("deployment.kubernetes.io/revision");
            if annotations.is_empty() {
                meta.remove("annotations");
            }
        }
    }
    v
}

/// `live` cut to the paths `manifest` sets, so that comparing the two shows what
/// applying the manifest would change and not what the server defaulted or added
/// (a Job's generated selector and `controller-uid` labels, a container's
/// `terminationMessagePath`). Used where no dry-run result exists: the server
/// refuses to patch an immutable field, so the diff of a replace is computed here.
///
/// Maps keep the manifest's keys; lists of named items (containers, env) keep the
/// live items whose names the manifest lists; other lists of maps of the same
/// length are cut item by item; any other value is kept whole. What the manifest
/// no longer sets (an env var the plan dropped) is therefore not shown, though the
/// replace removes it.
pub fn project(live: &Value, manifest: &Value) -> Value {
    match (live, manifest) {
        (Value::Object(l), Value::Object(m)) => Value::Object(
            m.iter()
                .filter_map(|(k, mv)| l.get(k).map(|lv| (k.clone(), project(lv, mv))))
                .collect(),
        ),
        (Value::Array(l), Value::Array(m)) => Value::Array(project_list(l, m)),
        _ => live.clone(),
    }
}

fn project_list(live: &[Value], manifest: &[Value]) -> Vec<Value> {
    let name = |v: &Value| v.get("name").and_then(Value::as_str).map(str::to_owned);
    let named = !manifest.is_empty() && manifest.iter().all(|v| name(v).is_some());
    if named {
        return live
            .iter()
            .filter_map(|l| {
                let n = name(l)?;
                let m = manifest.iter().find(|m| name(m).as_deref() == Some(n.as_str()))?;
                Some(project(l, m))
            })
            .collect();
    }
    if live.len() == manifest.len() && manifest.iter().all(Value::is_object) {
        return live.iter().zip(manifest).map(|(l, m)| project(l, m)).collect();
    }
    live.to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn server_additions_are_cut_and_manifest_values_kept() {
        let live = json!({"spec": {"selector": {"x": 1}, "completions": 3, "template": {
            "metadata": {"labels": {"a": "1", "controller-uid": "u"}},
            "spec": {"containers": [{"name": "k6", "args": ["a", "b"], "terminationMessagePath": "/dev/t"},
                                    {"name": "sidecar"}],
                     "dnsPolicy": "ClusterFirst"}}}});
        let manifest = json!({"spec": {"completions": 5, "template": {
            "metadata": {"labels": {"a": "1"}},
            "spec": {"containers": [{"name": "k6", "args": ["a", "c"]}]}}}});
        assert_eq!(
            project(&live, &manifest),
            json!({"spec": {"completions": 3, "template": {
                "metadata": {"labels": {"a": "1"}},
                "spec": {"containers": [{"name": "k6", "args": ["a", "b"]}]}}}})
        );
    }
}
