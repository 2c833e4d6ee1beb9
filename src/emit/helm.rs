//! `compile --format helm-values`: the plan drives the chart that matches its tool
//! (`perf-jmeter`, `perf-k6`, `perf-gatling`, 1.0.0) instead of perfplan's own bundle.
//!
//! Emits `values.yaml` (commented where a key's meaning is not obvious), the
//! ConfigMap holding the script under the key the chart reads, and `INSTALL.md` with
//! the exact commands. Every plan field the chart cannot express is reported as an
//! [`Unmapped`] (a warning, or an error under `--strict`), never dropped silently.

mod unmapped;

use super::helm_values::*;
use crate::lower::meta;
use crate::model::{Egress, Peer as PlanPeer, Plan, Script};
use crate::names::content_hash;
use crate::spec::Tool;
use k8s_openapi::api::core::v1::ConfigMap;
use serde::Serialize;
use std::collections::BTreeMap;

pub const CHART_VERSION: &str = "1.0.0";
pub const CHART_REPOSITORY: &str = "oci://ghcr.io/markslilley/charts";

/// A plan field the chart has no key for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unmapped {
    /// The field's path in the plan (for its source span).
    pub path: Vec<&'static str>,
    pub message: String,
    pub help: String,
}

/// The chart values of one plan.
#[derive(Debug, Clone, PartialEq)]
pub struct HelmValues {
    pub chart: &'static str,
    /// The plan's name, used as the Helm release name.
    pub release: String,
    pub namespace: String,
    /// `values.yaml`.
    pub values_yaml: String,
    /// The values as JSON, for validation against the published schema.
    pub values: serde_json::Value,
    /// The ConfigMap holding the script, unless the plan names an existing one.
    pub config_map: Option<super::Manifest>,
    pub unmapped: Vec<Unmapped>,
}

/// The chart for a tool.
pub fn chart(tool: Tool) -> &'static str {
    match tool {
        Tool::Jmeter => "perf-jmeter",
        Tool::K6 => "perf-k6",
        Tool::Gatling => "perf-gatling",
    }
}

/// The key under which each chart reads the script.
fn script_key(plan: &Plan) -> String {
    match plan.tool() {
        Tool::Jmeter => "test-plan.jmx".to_owned(),
        Tool::K6 => "script.js".to_owned(),
        Tool::Gatling => {
            let class = plan.gatling.as_ref().map_or("", |g| g.simulation_class.as_str());
            format!("{}.scala", class.rsplit('.').next().unwrap_or(class))
        }
    }
}

/// Build the values for the plan's chart.
pub fn values(plan: &Plan) -> HelmValues {
    let mut unmapped = unmapped::common(plan);
    let (config_map_name, config_map) = script_config_map(plan, &mut unmapped);
    let common = common(plan);
    let global = Global {
        image_pull_secrets: plan.image_pull_secrets.clone(),
    };
    let role = role(plan);
    // The YAML keeps the struct's key order: global first, then the chart's keys.
    let (values, yaml) = match plan.tool() {
        Tool::Jmeter => {
            unmapped::jmeter(plan, &mut unmapped);
            let v = JmeterValues {
                global,
                common,
                test: JmeterTest { config_map_name },
                worker: role,
            };
            (to_value(&v), super::to_yaml(&v))
        }
        Tool::K6 => {
            unmapped::k6(plan, &mut unmapped);
            let v = K6Values {
                global,
                common,
                test: K6Test {
                    config_map_name,
                    vu_count: plan.load.total_users(),
                },
                runner: role,
            };
            (to_value(&v), super::to_yaml(&v))
        }
        Tool::Gatling => {
            unmapped::gatling(plan, &mut unmapped);
            let v = GatlingValues {
                global,
                common,
                test: GatlingTest {
                    config_map_name,
                    simulation_class: plan
                        .gatling
                        .as_ref()
                        .map(|g| g.simulation_class.clone())
                        .unwrap_or_default(),
                },
                worker: role,
            };
            (to_value(&v), super::to_yaml(&v))
        }
    };
    let chart = chart(plan.tool());
    HelmValues {
        chart,
        release: plan.name.clone(),
        namespace: plan.namespace.clone(),
        values_yaml: header(plan, chart, config_map.as_ref()) + &commented(&yaml, &COMMENTS),
        values,
        config_map,
        unmapped,
    }
}

fn to_value<T: Serialize>(v: &T) -> serde_json::Value {
    serde_json::to_value(v).expect("values serialize")
}

/// The script under the chart's key, in a content-hashed ConfigMap; or the plan's
/// existing ConfigMap, with a warning if its key is not the one the chart reads.
fn script_config_map(plan: &Plan, unmapped: &mut Vec<Unmapped>) -> (String, Option<super::Manifest>) {
    let key = script_key(plan);
    match &plan.script {
        Script::Inline { content, .. } => {
            let name =
                meta::names(plan).object(&format!("test-{}", content_hash(&format!("{key}\n{content}"))));
            let config_map = ConfigMap {
                metadata: meta::annotated(
                    plan,
                    name.clone(),
                    None,
                    BTreeMap::from([(
                        meta::PURPOSE.to_owned(),
                        format!("test script for the {} chart", chart(plan.tool())),
                    )]),
                ),
                data: Some(BTreeMap::from([(key, content.clone())])),
                immutable: Some(true),
                ..Default::default()
            };
            (
                name,
                Some(super::Manifest::new(&crate::lower::Object::ConfigMap(config_map))),
            )
        }
        Script::Existing {
            config_map,
            key: have,
        } => {
            if *have != key {
                unmapped.push(Unmapped {
                    path: vec!["script", "key"],
                    message: format!("{} reads the script from the key `{key}`, not `{have}`", chart(plan.tool())),
                    help: format!("store the script under `{key}` in ConfigMap `{config_map}`, or let perfplan embed a script file"),
                });
            }
            (config_map.clone(), None)
        }
    }
}

fn common(plan: &Plan) -> Common {
    let s = &plan.security;
    Common {
        common_labels: plan.labels.clone(),
        pod_security_context: PodSecurityContext {
            run_as_non_root: s.run_as_non_root(),
            run_as_user: s.run_as_user,
            run_as_group: s.run_as_group,
            fs_group: s.run_as_group,
            seccomp_profile: SeccompProfile {
                type_: "RuntimeDefault".to_owned(),
            },
        },
        security_context: SecurityContext {
            allow_privilege_escalation: false,
            privileged: false,
            read_only_root_filesystem: s.read_only_root(),
            capabilities: Capabilities {
                drop: vec!["ALL".to_owned()],
            },
        },
        network_policy: NetworkPolicy {
            enabled: true,
            egress: plan.target.egress.iter().map(egress).collect(),
        },
        node_selector: plan.placement.node_selector.clone(),
        tolerations: plan
            .placement
            .tolerations
            .iter()
            .map(|t| Toleration {
                key: (!t.key.is_empty()).then(|| t.key.clone()),
                operator: t.operator.as_str().to_owned(),
                value: t.value.clone(),
                effect: t.effect.map(|e| e.as_str().to_owned()),
            })
            .collect(),
        priority_class_name: plan.placement.priority_class_name.as_ref().map(|n| n.0.clone()),
        affinity: plan.placement.affinity.clone(),
    }
}

fn egress(rule: &Egress) -> EgressRule {
    let selector = |labels: &Option<BTreeMap<String, String>>| {
        labels.as_ref().map(|l| Selector {
            match_labels: l.clone(),
        })
    };
    let peer = match &rule.peer {
        PlanPeer::Cidr { cidr, except } => Peer {
            ip_block: Some(IpBlock {
                cidr: cidr.to_string(),
                except: except.iter().map(ToString::to_string).collect(),
            }),
            namespace_selector: None,
            pod_selector: None,
        },
        PlanPeer::Pods {
            namespace_labels,
            pod_labels,
        } => Peer {
            ip_block: None,
            namespace_selector: selector(namespace_labels),
            pod_selector: selector(pod_labels),
        },
    };
    EgressRule {
        to: vec![peer],
        ports: rule
            .ports
            .iter()
            .map(|p| Port {
                port: *p,
                protocol: "TCP".to_owned(),
            })
            .collect(),
    }
}

fn role(plan: &Plan) -> Role {
    let (repository, tag, digest) = split_image(&plan.image);
    let q = || Quantities {
        cpu: plan.resources.cpu.clone(),
        memory: plan.resources.memory.clone(),
    };
    Role {
        replicas: plan.load.generators,
        image: Image {
            repository,
            tag,
            digest,
            pull_policy: "Always".to_owned(),
        },
        resources: Resources {
            requests: q(),
            limits: q(),
        },
    }
}

/// `repo:tag` or `repo@sha256:…` (validated as pinned) into its parts.
fn split_image(image: &str) -> (String, Option<String>, Option<String>) {
    if let Some((repo, digest)) = image.split_once('@') {
        return (repo.to_owned(), None, Some(digest.to_owned()));
    }
    let slash = image.rfind('/').map_or(0, |i| i + 1);
    match image[slash..].rfind(':') {
        Some(i) => (
            image[..slash + i].to_owned(),
            Some(image[slash + i + 1..].to_owned()),
            None,
        ),
        None => (image.to_owned(), None, None),
    }
}

/// Comments for keys whose meaning is not obvious, by dotted path.
static COMMENTS: [(&str, &str); 9] = [
    (
        "global.imagePullSecrets",
        "Secrets for pulling the images (plan: imagePullSecrets).",
    ),
    (
        "test.configMapName",
        "The ConfigMap holding the script under the key the chart reads; apply it first (see INSTALL.md).",
    ),
    (
        "test.vuCount",
        "Total virtual users across all runners (plan: load.users).",
    ),
    (
        "runner.replicas",
        "Load-generating pods: the one value that scales the test (plan: load.generators).",
    ),
    (
        "worker.replicas",
        "Load-generating pods: the one value that scales the test (plan: load.generators).",
    ),
    (
        "podSecurityContext",
        "Pod Security Standards \"restricted\" (plan: security).",
    ),
    (
        "securityContext",
        "Every container: no privilege escalation, no capabilities, read-only root filesystem.",
    ),
    (
        "networkPolicy",
        "Load may reach only the target (plan: target.allow).",
    ),
    ("commonLabels", "Added to every object (plan: labels)."),
];

/// Insert `# comment` lines above the keys named in `comments`.
fn commented(yaml: &str, comments: &[(&str, &str)]) -> String {
    let mut out = String::new();
    let mut stack: Vec<(usize, String)> = Vec::new();
    for line in yaml.lines() {
        let indent = line.len() - line.trim_start().len();
        let body = line.trim_start();
        if !body.starts_with("- ")
            && let Some((key, _)) = body.split_once(':')
        {
            while stack.last().is_some_and(|(i, _)| *i >= indent) {
                stack.pop();
            }
            stack.push((indent, key.to_owned()));
            let path = stack
                .iter()
                .map(|(_, k)| k.as_str())
                .collect::<Vec<_>>()
                .join(".");
            if let Some((_, text)) = comments.iter().find(|(p, _)| *p == path) {
                out.push_str(&format!("{}# {text}\n", " ".repeat(indent)));
            }
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

fn header(plan: &Plan, chart: &str, config_map: Option<&super::Manifest>) -> String {
    let apply = config_map.map_or(String::new(), |m| {
        format!(
            "#   kubectl apply --namespace {} -f {}   # written by `compile --format helm-values -o DIR`\n",
            plan.namespace,
            m.file_name()
        )
    });
    format!(
        "# Values for the {chart} chart, generated by perfplan from plan `{name}`.\n\
         # Edit the plan, not this file. Install with:\n\
         {apply}\
         #   helm install {name} {CHART_REPOSITORY}/{chart} --version {CHART_VERSION} --namespace {ns} -f values.yaml\n",
        name = plan.name,
        ns = plan.namespace,
    )
}

impl HelmValues {
    /// The files of the `-o` folder: `values.yaml`, the ConfigMap, `INSTALL.md`.
    pub fn files(&self) -> Vec<(String, String)> {
        let mut files = vec![("values.yaml".to_owned(), self.values_yaml.clone())];
        let mut steps = String::new();
        if let Some(m) = &self.config_map {
            files.push((m.file_name(), m.to_yaml()));
            steps.push_str(&format!(
                "kubectl apply --namespace {} -f {}\n",
                self.namespace,
                m.file_name()
            ));
        }
        steps.push_str(&format!(
            "helm install {} {CHART_REPOSITORY}/{} --version {CHART_VERSION} --namespace {} -f values.yaml\n",
            self.release, self.chart, self.namespace
        ));
        let mut install = format!(
            "# Installing `{}` with the {} chart\n\n\
             Generated by perfplan; edit the plan, not these files. From this folder:\n\n\
             ```sh\n{steps}```\n",
            self.release, self.chart
        );
        if !self.unmapped.is_empty() {
            install.push_str("\nWhat the chart cannot express (perfplan's own bundle does):\n\n");
            for u in &self.unmapped {
                install.push_str(&format!("- `{}`: {} ({})\n", u.path.join("."), u.message, u.help));
            }
        }
        files.push(("INSTALL.md".to_owned(), install));
        files
    }
}
