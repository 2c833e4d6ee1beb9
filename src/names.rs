//! Names of generated objects, and the Kubernetes length limits they must fit.
//!
//! Validation and lowering both use this module, so a name that passed validation
//! is exactly the name that is emitted.

use crate::spec::{GatlingMode, K6Workload, Tool};
use sha2::{Digest, Sha256};

/// The workload shape a plan compiles to; it decides which objects exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Jmeter,
    K6(K6Workload),
    Gatling(GatlingMode),
}

impl Shape {
    pub fn tool(self) -> Tool {
        match self {
            Shape::Jmeter => Tool::Jmeter,
            Shape::K6(_) => Tool::K6,
            Shape::Gatling(_) => Tool::Gatling,
        }
    }
}

/// Object names for one plan.
#[derive(Debug, Clone)]
pub struct Names {
    base: String,
}

impl Names {
    pub fn new(plan_name: &str, tool: Tool) -> Self {
        Names {
            base: format!("{plan_name}-{}", tool.as_str()),
        }
    }

    /// `<name>-<tool>-<suffix>`.
    pub fn object(&self, suffix: &str) -> String {
        format!("{}-{suffix}", self.base)
    }

    /// The script ConfigMap: the content hash makes a script change a new object,
    /// which rolls the pods and shows up in a diff.
    pub fn script_config_map(&self, hash: &str) -> String {
        self.object(&format!("script-{hash}"))
    }
}

/// First 10 hex digits of SHA-256: enough to make collisions irrelevant for a
/// handful of script versions, short enough to keep object names readable.
pub fn content_hash(content: &str) -> String {
    let digest = Sha256::digest(content.as_bytes());
    digest.iter().take(5).map(|b| format!("{b:02x}")).collect()
}

/// A generated name and the most characters Kubernetes allows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameLimit {
    pub name: String,
    pub max: usize,
    pub why: &'static str,
}

/// Every length-limited name the plan generates, with its limit.
///
/// StatefulSet pods carry `controller-revision-hash: <set>-<10 chars>` (a label value,
/// max 63), so a StatefulSet name may have at most 52; its pods are named
/// `<set>-<ordinal>` and that is their host name (max 63). Indexed Job pods with a
/// subdomain get the host name `<job>-<index>`; Job names are label values (`job-name`).
pub fn limits(plan_name: &str, shape: Shape, generators: u32) -> Vec<NameLimit> {
    let names = Names::new(plan_name, shape.tool());
    let last_index = generators.saturating_sub(1).to_string();
    let mut out = vec![NameLimit {
        name: plan_name.to_owned(),
        max: 63,
        why: "it is the value of the app.kubernetes.io/instance label",
    }];
    let stateful = |suffix: &str, out: &mut Vec<NameLimit>| {
        let set = names.object(suffix);
        out.push(NameLimit {
            name: format!("{set}-0000000000"),
            max: 63,
            why: "StatefulSet pods are labelled controller-revision-hash=<set>-<hash>, a label value",
        });
        out.push(NameLimit {
            name: format!("{set}-{last_index}"),
            max: 63,
            why: "a StatefulSet pod's name is its DNS host name",
        });
    };
    let job = |suffix: &str, indexed: bool, out: &mut Vec<NameLimit>| {
        let job = names.object(suffix);
        if indexed {
            out.push(NameLimit {
                name: format!("{job}-{last_index}"),
                max: 63,
                why: "an Indexed Job pod's host name is <job>-<index>",
            });
        }
        out.push(NameLimit {
            name: job,
            max: 63,
            why: "a Job's name is the value of its pods' job-name label",
        });
    };
    match shape {
        Shape::Jmeter => {
            stateful("worker", &mut out);
            job("controller", false, &mut out);
        }
        Shape::K6(K6Workload::IndexedJob) => {
            job("runner", true, &mut out);
            job("starter", false, &mut out);
        }
        Shape::K6(K6Workload::Deployment) => out.push(NameLimit {
            name: names.object("runner"),
            max: 63,
            why: "a Deployment's name prefixes its ReplicaSets and pods",
        }),
        Shape::Gatling(GatlingMode::Cluster) => {
            stateful("worker", &mut out);
            job("master", false, &mut out);
        }
        Shape::Gatling(GatlingMode::Independent) => job("runner", true, &mut out),
    }
    out
}

/// The generated name that overshoots its limit the most, if any does: what a
/// too-long plan (or plan and region) name is reported by.
pub fn worst_overshoot(plan_name: &str, shape: Shape, generators: u32) -> Option<NameLimit> {
    limits(plan_name, shape, generators)
        .into_iter()
        .filter(|l| l.name.len() > l.max)
        .max_by_key(|l| l.name.len() - l.max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statefulset_names_leave_room_for_the_revision_hash() {
        // 38 + "-jmeter-worker" (14) = 52: exactly fits.
        let fits = "a".repeat(38);
        assert!(
            limits(&fits, Shape::Jmeter, 5)
                .iter()
                .all(|l| l.name.len() <= l.max)
        );
        let too_long = "a".repeat(39);
        assert!(
            limits(&too_long, Shape::Jmeter, 5)
                .iter()
                .any(|l| l.name.len() > l.max)
        );
    }

    #[test]
    fn indexed_job_host_names_grow_with_generators() {
        let name = "a".repeat(50); // + "-k6-runner" = 60
        assert!(
            limits(&name, Shape::K6(K6Workload::IndexedJob), 10)
                .iter()
                .all(|l| l.name.len() <= l.max)
        );
        // index 99 adds "-99": 63 fits; 1000 runners add "-999": 64 does not.
        assert!(
            limits(&name, Shape::K6(K6Workload::IndexedJob), 1000)
                .iter()
                .any(|l| l.name.len() > l.max)
        );
    }
}
