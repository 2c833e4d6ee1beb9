//! Pod Security Standards "restricted" (with "baseline") and perfplan's own pod
//! guarantees, checked rule by rule (see tests/pod_security.rs); shared so generated
//! plans are checked too.

use serde_json::Value;

pub fn pod_spec(object: &Value) -> Option<&Value> {
    object.pointer("/spec/template/spec")
}

/// Published PSS rules, baseline then restricted, for one pod spec.
pub fn pss_violations(pod: &Value) -> Vec<String> {
    let mut v = Vec::new();
    let is_true = |p: &str| pod.pointer(p) == Some(&Value::Bool(true));
    for host in ["hostNetwork", "hostPID", "hostIPC"] {
        if is_true(&format!("/{host}")) {
            v.push(format!("baseline: {host} is true"));
        }
    }
    if is_true("/securityContext/windowsOptions/hostProcess") {
        v.push("baseline: hostProcess".into());
    }
    const ALLOWED_VOLUMES: [&str; 8] = [
        "configMap",
        "csi",
        "downwardAPI",
        "emptyDir",
        "ephemeral",
        "persistentVolumeClaim",
        "projected",
        "secret",
    ];
    for vol in pod.get("volumes").and_then(Value::as_array).into_iter().flatten() {
        for key in vol.as_object().unwrap().keys().filter(|k| *k != "name") {
            if key == "hostPath" {
                v.push(format!("baseline: hostPath volume {}", vol["name"]));
            } else if !ALLOWED_VOLUMES.contains(&key.as_str()) {
                v.push(format!("restricted: volume type {key}"));
            }
        }
    }
    let pod_sc = pod.get("securityContext").cloned().unwrap_or(Value::Null);
    if let Some(sysctls) = pod_sc.get("sysctls").and_then(Value::as_array)
        && !sysctls.is_empty()
    {
        v.push("baseline: sysctls set".into());
    }
    let pod_non_root = pod_sc.get("runAsNonRoot") == Some(&Value::Bool(true));
    let pod_seccomp = pod_sc.pointer("/seccompProfile/type").and_then(Value::as_str);
    if pod_sc.get("runAsNonRoot") == Some(&Value::Bool(false)) {
        v.push("restricted: pod runAsNonRoot false".into());
    }
    if pod_sc.get("runAsUser").and_then(Value::as_i64) == Some(0) {
        v.push("restricted: pod runAsUser 0".into());
    }
    if let Some(t) = pod_seccomp
        && !matches!(t, "RuntimeDefault" | "Localhost")
    {
        v.push(format!("restricted: pod seccompProfile {t}"));
    }
    let containers = ["initContainers", "containers", "ephemeralContainers"]
        .iter()
        .flat_map(|k| pod.get(*k).and_then(Value::as_array).cloned().unwrap_or_default());
    for c in containers {
        let name = c["name"].as_str().unwrap_or("?").to_owned();
        let sc = c.get("securityContext").cloned().unwrap_or(Value::Null);
        let mut bad = |rule: &str| v.push(format!("{rule} (container {name})"));
        if sc.get("privileged") == Some(&Value::Bool(true)) {
            bad("baseline: privileged");
        }
        for p in c.get("ports").and_then(Value::as_array).into_iter().flatten() {
            if p.get("hostPort").and_then(Value::as_i64).unwrap_or(0) != 0 {
                bad("baseline: hostPort");
            }
        }
        if sc.pointer("/seLinuxOptions/user").is_some() || sc.pointer("/seLinuxOptions/role").is_some() {
            bad("baseline: SELinux user/role");
        }
        if sc
            .get("procMount")
            .and_then(Value::as_str)
            .is_some_and(|m| m != "Default")
        {
            bad("baseline: procMount");
        }
        if sc.get("allowPrivilegeEscalation") != Some(&Value::Bool(false)) {
            bad("restricted: allowPrivilegeEscalation is not false");
        }
        match sc.get("runAsNonRoot") {
            Some(Value::Bool(false)) => bad("restricted: runAsNonRoot false"),
            Some(Value::Bool(true)) => {}
            _ if pod_non_root => {}
            _ => bad("restricted: runAsNonRoot not set on pod or container"),
        }
        if sc.get("runAsUser").and_then(Value::as_i64) == Some(0) {
            bad("restricted: runAsUser 0");
        }
        match sc.pointer("/seccompProfile/type").and_then(Value::as_str) {
            Some("RuntimeDefault" | "Localhost") => {}
            Some(t) => bad(&format!("restricted: seccompProfile {t}")),
            None if pod_seccomp.is_some() => {}
            None => bad("restricted: seccompProfile not set on pod or container"),
        }
        let drops = sc.pointer("/capabilities/drop").and_then(Value::as_array);
        if !drops.is_some_and(|d| d.iter().any(|c| c == "ALL")) {
            bad("restricted: capabilities do not drop ALL");
        }
        for add in sc
            .pointer("/capabilities/add")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if add != "NET_BIND_SERVICE" {
                bad(&format!("restricted: adds capability {add}"));
            }
        }
    }
    v
}

/// perfplan's guarantees beyond PSS.
pub fn perfplan_violations(pod: &Value) -> Vec<String> {
    let mut v = Vec::new();
    if pod.get("automountServiceAccountToken") != Some(&Value::Bool(false)) {
        v.push("automountServiceAccountToken is not false".into());
    }
    let containers = ["initContainers", "containers"]
        .iter()
        .flat_map(|k| pod.get(*k).and_then(Value::as_array).cloned().unwrap_or_default());
    for c in containers {
        let name = c["name"].as_str().unwrap_or("?");
        if c.pointer("/securityContext/readOnlyRootFilesystem") != Some(&Value::Bool(true)) {
            v.push(format!("root filesystem is writable (container {name})"));
        }
        for part in ["requests", "limits"] {
            for res in ["cpu", "memory"] {
                if c.pointer(&format!("/resources/{part}/{res}")).is_none() {
                    v.push(format!("no {part}.{res} (container {name})"));
                }
            }
        }
        let image = c["image"].as_str().unwrap_or_default();
        let tag = image.rsplit('/').next().unwrap_or_default();
        if !(image.contains('@') || tag.contains(':')) || tag.ends_with(":latest") {
            v.push(format!("image {image} is not pinned (container {name})"));
        }
        let mounts_token = c
            .get("volumeMounts")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .any(|m| m["mountPath"] == "/var/run/secrets/kubernetes.io/serviceaccount");
        if mounts_token {
            v.push(format!("container {name} mounts a service account token"));
        }
    }
    v
}
