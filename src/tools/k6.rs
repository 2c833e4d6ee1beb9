//! k6: stateless, interchangeable runners; no controller, no RBAC, no init containers.
//!
//! Default: an Indexed Job. Runner `i` of `N` runs `--execution-segment i/N:(i+1)/N`
//! with the shared `--execution-segment-sequence 0,1/N,…,1`, so k6 itself partitions
//! VUs and arrival rate exactly (3000 users on 7 runners run 3000, never 3003).
//! `k6.workload: deployment` keeps long-running runners for soak load; Deployment
//! pods have no index, so validation requires an even split and each runner runs its
//! equal share with `--linger` (a finished runner idles instead of restarting into a
//! second run).

use super::{Splits, secs};
use crate::lower::metrics::{self, Credential};
use crate::lower::{Component, Flow, Object, Topology, meta, pod, shell, single_ports, workload};
use crate::model::{LoadModel, Plan};
use crate::names::content_hash;
use crate::spec::{K6Workload, MetricsOutput};
use crate::split::{LoadSplit, k6_sequence};
use k8s_openapi::api::apps::v1::{Deployment, DeploymentSpec, DeploymentStrategy};
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{
    ConfigMap, ConfigMapVolumeSource, Container, EnvVar, ExecAction, PodSpec, Probe, Volume,
};
use std::collections::BTreeMap;

/// Where the generated options file (arrival-rate scenarios) is mounted.
const OPTIONS_DIR: &str = "/etc/perfplan/k6";
const OPTIONS_VOLUME: &str = "options";
const OPTIONS_FILE: &str = "options.json";

pub fn lower(plan: &Plan, workload: K6Workload) -> Topology {
    let splits = Splits::of(plan);
    let mut objects = Vec::new();
    objects.extend(pod::script_config_map(plan).map(Object::ConfigMap));
    let options = options_config_map(plan, workload);
    let mut flows = Vec::new();
    let runner = match workload {
        K6Workload::IndexedJob => Object::Job(indexed_job(plan, &splits, options.as_ref())),
        K6Workload::Deployment => Object::Deployment(deployment(plan, &splits, options.as_ref())),
    };
    objects.extend(options.map(Object::ConfigMap));
    objects.push(runner);
    if workload == K6Workload::IndexedJob {
        objects.push(Object::Service(workload::worker_service_for(
            plan,
            Component::Runner,
            &[("k6-api", API_PORT)],
        )));
        let script = starter_config_map(plan);
        let job = starter(plan, &script);
        objects.push(Object::ConfigMap(script));
        objects.push(Object::Job(job));
        flows.push(Flow {
            from: Component::Starter,
            to: Component::Runner,
            ports: single_ports(&[API_PORT]),
            why: "k6 REST API: the starter resumes the paused runners all at once",
        });
    }
    Topology {
        objects,
        load_generators: vec![Component::Runner],
        metrics_senders: vec![Component::Runner],
        flows,
    }
}

/// k6's REST API, which a paused runner serves until it is resumed.
pub const API_PORT: u16 = 6565;

/// Runners start `--paused`; this Job waits (bounded) until every runner reports
/// "paused" at its stable DNS name (`<job>-<index>.<service>`), then resumes them all
/// in parallel, so no runner starts seconds before the others and skews the
/// percentiles. It needs no Kubernetes API access. The waiting and resuming is a k6
/// script ([`STARTER_SCRIPT`]) run by the runners' own image: one process, every
/// resume in flight at once (up to [`RESUME_FAN_OUT`]).
/// How the runners start together, for `perfplan explain`.
pub fn start_barrier(plan: &Plan, workload: K6Workload) -> String {
    let n = plan.load.generators;
    match workload {
        K6Workload::IndexedJob => format!(
            "all {n} runner(s) start paused (`k6 run --paused`); the starter Job waits until every runner's REST \
             API (port {API_PORT}) reports paused, up to {}s, then resumes them all at once ({} in flight)",
            shell::WAIT_TIMEOUT_SECS,
            n.min(RESUME_FAN_OUT)
        ),
        K6Workload::Deployment => format!(
            "no barrier: each of the {n} runners starts its equal share when its pod starts (a soak workload), \
             then lingers"
        ),
    }
}

/// The runner's raw samples in its results folder, the file `perfplan report` reads.
pub const SAMPLES_FILE: &str = "samples.csv.gz";

fn starter(plan: &Plan, script: &ConfigMap) -> Job {
    let runner = meta::names(plan).object(Component::Runner.as_str());
    let fan_out = plan.load.generators.clamp(1, RESUME_FAN_OUT);
    let container = Container {
        name: "start-runners".to_owned(),
        image: Some(plan.image.clone()),
        command: Some(vec!["k6".to_owned()]),
        args: Some(
            [
                "run",
                "--quiet",
                "--no-usage-report",
                "--no-summary",
                "--no-thresholds",
                // http.batch's limits: every runner's resume in flight at once, one per runner.
                "--batch",
                &fan_out.to_string(),
                "--batch-per-host",
                "1",
                &format!("{STARTER_DIR}/{STARTER_FILE}"),
            ]
            .map(str::to_owned)
            .to_vec(),
        ),
        env: Some(vec![
            pod::env("RUNNERS_TOTAL", plan.load.generators.to_string()),
            // The headless Service has the Job's name.
            pod::env("RUNNER_JOB", &runner),
            pod::env("RUNNER_SERVICE", &runner),
            pod::env("RUNNER_API_PORT", API_PORT.to_string()),
            pod::env("RUNNER_SELECTOR", meta::selector_text(plan, Component::Runner)),
            pod::env("WAIT_SECONDS", shell::WAIT_TIMEOUT_SECS.to_string()),
        ]),
        resources: Some(pod::coordinator_resources()),
        working_dir: Some(pod::TMP_DIR.to_owned()),
        volume_mounts: Some(vec![
            pod::mount(STARTER_VOLUME, STARTER_DIR, true),
            pod::mount(pod::TMP_VOLUME, pod::TMP_DIR, false),
        ]),
        ..Default::default()
    };
    let spec = PodSpec {
        containers: vec![container],
        volumes: Some(vec![
            config_map_volume(STARTER_VOLUME, script),
            pod::empty_dir(pod::TMP_VOLUME),
        ]),
        ..Default::default()
    };
    workload::run_once(plan, Component::Starter, spec)
}

/// The starter's k6 script: constant text, so its ConfigMap never changes.
const STARTER_SCRIPT: &str = include_str!("k6_starter.js");
const STARTER_DIR: &str = "/etc/perfplan/starter";
const STARTER_VOLUME: &str = "starter";
const STARTER_FILE: &str = "start.js";
/// At most this many resumes in flight at once (k6's `--batch`): enough that 100
/// runners start in one round, few enough to stay far below any descriptor limit.
const RESUME_FAN_OUT: u32 = 100;

fn starter_config_map(plan: &Plan) -> ConfigMap {
    hashed_config_map(
        plan,
        "starter",
        "k6 starter: resumes the paused runners together",
        STARTER_FILE,
        STARTER_SCRIPT.to_owned(),
    )
}

/// An immutable ConfigMap of one file, named `<plan>-k6-<role>-<hash of the text>` so
/// a change of the text rolls the pods that mount it.
fn hashed_config_map(plan: &Plan, role: &str, purpose: &str, file: &str, text: String) -> ConfigMap {
    let name = meta::names(plan).object(&format!("{role}-{}", content_hash(&text)));
    ConfigMap {
        metadata: meta::annotated(
            plan,
            name,
            None,
            BTreeMap::from([(meta::PURPOSE.to_owned(), purpose.to_owned())]),
        ),
        data: Some(BTreeMap::from([(file.to_owned(), text)])),
        immutable: Some(true),
        ..Default::default()
    }
}

/// A volume of a ConfigMap this bundle holds.
fn config_map_volume(volume: &str, config_map: &ConfigMap) -> Volume {
    Volume {
        name: volume.to_owned(),
        config_map: Some(ConfigMapVolumeSource {
            name: config_map.metadata.name.clone().unwrap_or_default(),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// The Indexed Job: one pod per execution segment, each run exactly once.
fn indexed_job(plan: &Plan, splits: &Splits, options: Option<&ConfigMap>) -> Job {
    let script = format!(
        "set -eu\n{index}\
         segment=\"$index/$RUNNERS_TOTAL:$((index + 1))/$RUNNERS_TOTAL\"\n\
         echo \"perfplan: k6 runner $index of $RUNNERS_TOTAL, execution segment $segment\"\n\
         {credentials}\
         exec k6 run --execution-segment \"$segment\" --tag \"perfplan_runner=$index\" \"$@\"\n",
        index = shell::index_from_runner_index(),
        credentials = credential_exports(plan),
    );
    let mut args = vec![
        // Wait for the starter's resume, serving the REST API on every address of the
        // pod (k6 defaults to localhost:6565, which no other pod can reach; `:port`
        // listens on IPv4 and IPv6 alike).
        "--paused".to_owned(),
        "--address".to_owned(),
        format!(":{API_PORT}"),
        "--execution-segment-sequence".to_owned(),
        k6_sequence(plan.load.generators),
    ];
    args.extend(load_args(plan, None, options));
    let mut env = vec![pod::env_completion_index("RUNNER_INDEX")];
    env.extend(common_env(plan));
    let container = Container {
        command: Some(shell::command("k6-runner", script)),
        args: Some(args),
        env: Some(env),
        ..runner_container(plan)
    };
    let container = Container {
        ports: Some(vec![pod::port("k6-api", API_PORT)]),
        ..container
    };
    let spec = PodSpec {
        // `<job>-<index>.<service>` resolves for every runner: the starter's address book.
        subdomain: Some(meta::names(plan).object(Component::Runner.as_str())),
        ..pod_spec(plan, container, options)
    };
    // Execution segments split VUs into whole shares but a rate into equal fractions.
    let annotation = splits.fractional_rate_annotation(plan);
    let mut job = workload::indexed(plan, Component::Runner, annotation, spec);
    // A paused runner waits for ever if the starter never comes: bound the whole Job
    // by the starter's wait, the test and ten minutes for teardown.
    let deadline = u64::from(shell::WAIT_TIMEOUT_SECS) + secs(plan.load.duration) + 600;
    if let Some(spec) = job.spec.as_mut() {
        spec.active_deadline_seconds = Some(i64::try_from(deadline).unwrap_or(i64::MAX));
    }
    job
}

/// The Deployment: N equal runners, each running its share once and then lingering.
fn deployment(plan: &Plan, splits: &Splits, options: Option<&ConfigMap>) -> Deployment {
    let mut args = vec!["run".to_owned(), "--linger".to_owned()];
    args.extend(load_args(plan, Some(splits), options));
    // A lingering runner serves k6's REST API on localhost:6565; `k6 status` asks it.
    let k6_status = || Probe {
        exec: Some(ExecAction {
            command: Some(vec!["k6".to_owned(), "status".to_owned()]),
        }),
        period_seconds: Some(30),
        timeout_seconds: Some(10),
        failure_threshold: Some(10),
        ..Default::default()
    };
    // Credentials are read from files by a shell; without them k6 runs directly.
    let exports = credential_exports(plan);
    let command = if exports.is_empty() {
        vec!["k6".to_owned()]
    } else {
        shell::command("k6-runner", format!("set -eu\n{exports}exec k6 \"$@\"\n"))
    };
    let container = Container {
        command: Some(command),
        args: Some(args),
        env: Some(common_env(plan)),
        readiness_probe: Some(k6_status()),
        liveness_probe: Some(Probe {
            initial_delay_seconds: Some(30),
            ..k6_status()
        }),
        ..runner_container(plan)
    };
    Deployment {
        metadata: meta::annotated(
            plan,
            meta::names(plan).object("runner"),
            Some(Component::Runner),
            splits.annotation(plan),
        ),
        spec: Some(DeploymentSpec {
            replicas: Some(i32::try_from(plan.load.generators).unwrap_or(i32::MAX)),
            selector: meta::selector(plan, Component::Runner),
            // A rolling update would run old and new runners side by side: more load
            // than the plan asks for.
            strategy: Some(DeploymentStrategy {
                type_: Some("Recreate".to_owned()),
                rolling_update: None,
            }),
            template: pod::template(
                plan,
                Component::Runner,
                PodSpec {
                    restart_policy: Some("Always".to_owned()),
                    ..pod_spec(plan, container, options)
                },
            ),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// `k6 run` arguments after the segment: the load and the script. With `per_runner`
/// (Deployment) the load is each runner's equal share; otherwise it is the total and
/// the execution segment takes this runner's part.
fn load_args(plan: &Plan, per_runner: Option<&Splits>, options: Option<&ConfigMap>) -> Vec<String> {
    let mut args = vec![
        "--no-usage-report".to_owned(),
        "--summary-export".to_owned(),
        format!("{}/summary.json", pod::RESULTS_DIR),
        // Every request's raw samples, for `perfplan report`: k6's CSV output gzips
        // when the name ends in `.gz` (about 1/10 the size) and writes millisecond
        // timestamps with K6_CSV_TIME_FORMAT (common_env).
        "--out".to_owned(),
        format!("csv={}/{SAMPLES_FILE}", pod::RESULTS_DIR),
    ];
    if let LoadModel::Users(total) = plan.load.model {
        let users = per_runner.map_or(total, |s| s.users.base());
        let (ramp, duration) = (secs(plan.load.ramp_up), secs(plan.load.duration));
        if ramp == 0 {
            args.extend(["--vus".to_owned(), users.to_string()]);
            args.extend(["--duration".to_owned(), format!("{duration}s")]);
        } else {
            // CLI stages override any vus/duration/stages/scenarios in the script.
            args.extend(["--stage".to_owned(), format!("{ramp}s:{users}")]);
            if duration > ramp {
                args.extend(["--stage".to_owned(), format!("{}s:{users}", duration - ramp)]);
            }
        }
    }
    if options.is_some() {
        args.extend(["--config".to_owned(), format!("{OPTIONS_DIR}/{OPTIONS_FILE}")]);
    }
    args.extend(metrics_args(plan));
    args.push(pod::script_path(plan));
    args
}

/// `--out` for the plan's metrics output, and a `testid` tag on every sample so a
/// dashboard can select one test's series (runners are told apart by
/// `perfplan_runner`). The endpoint itself is in env (Prometheus) or in the `--out`
/// value (InfluxDB v1), escaped for the kubelet.
fn metrics_args(plan: &Plan) -> Vec<String> {
    let Some(m) = &plan.metrics else {
        return Vec::new();
    };
    let out = match m.output {
        MetricsOutput::PrometheusRemoteWrite => "experimental-prometheus-rw".to_owned(),
        MetricsOutput::Influxdb => pod::literal(&format!("influxdb={}", m.url_text())),
        // Validation accepts only k6's own outputs.
        MetricsOutput::Graphite => return Vec::new(),
    };
    vec![
        "--out".to_owned(),
        out,
        "--tag".to_owned(),
        format!("testid={}", plan.name),
    ]
}

/// Lines that export the metrics credentials k6 reads from env.
fn credential_exports(plan: &Plan) -> String {
    let prefix = match plan.metrics.as_ref().map(|m| m.output) {
        Some(MetricsOutput::PrometheusRemoteWrite) => "K6_PROMETHEUS_RW",
        Some(MetricsOutput::Influxdb) => "K6_INFLUXDB",
        _ => return String::new(),
    };
    let (user, password) = (format!("{prefix}_USERNAME"), format!("{prefix}_PASSWORD"));
    metrics::export_lines(
        plan,
        &[(Credential::Username, &user), (Credential::Password, &password)],
    )
}

/// Arrival-rate load has no CLI shortcut: it is an options file with one scenario.
/// `None` for the closed model (users), which the CLI flags express.
fn options_config_map(plan: &Plan, workload: K6Workload) -> Option<ConfigMap> {
    let LoadModel::ArrivalRate {
        rate,
        time_unit,
        max_users,
    } = plan.load.model
    else {
        return None;
    };
    let n = plan.load.generators;
    // Deployment runners have no segment: each gets its (even) share.
    let (rate, max_users) = match workload {
        K6Workload::IndexedJob => (rate, max_users),
        K6Workload::Deployment => (
            LoadSplit::new(rate, n).base(),
            LoadSplit::new(max_users, n).base(),
        ),
    };
    let json = options_json(plan, rate, secs(time_unit), max_users);
    Some(hashed_config_map(
        plan,
        "options",
        "k6 options: the arrival-rate scenario",
        OPTIONS_FILE,
        json,
    ))
}

/// The scenario: constant arrival rate, or ramping from 0 over `rampUp` and holding.
fn options_json(plan: &Plan, rate: u64, time_unit: u64, max_users: u64) -> String {
    let (ramp, duration) = (secs(plan.load.ramp_up), secs(plan.load.duration));
    let scenario = if ramp == 0 {
        serde_json::json!({
            "executor": "constant-arrival-rate",
            "rate": rate,
            "timeUnit": format!("{time_unit}s"),
            "duration": format!("{duration}s"),
            "preAllocatedVUs": max_users,
            "maxVUs": max_users,
        })
    } else {
        let mut stages = vec![serde_json::json!({"target": rate, "duration": format!("{ramp}s")})];
        if duration > ramp {
            stages.push(serde_json::json!({"target": rate, "duration": format!("{}s", duration - ramp)}));
        }
        serde_json::json!({
            "executor": "ramping-arrival-rate",
            "startRate": 0,
            "timeUnit": format!("{time_unit}s"),
            "stages": stages,
            "preAllocatedVUs": max_users,
            "maxVUs": max_users,
        })
    };
    let options = serde_json::json!({"scenarios": {"perfplan": scenario}});
    serde_json::to_string_pretty(&options).expect("JSON values always serialize") + "\n"
}

/// What every runner is told, whatever the workload.
fn common_env(plan: &Plan) -> Vec<EnvVar> {
    let mut env = vec![
        pod::env("RUNNERS_TOTAL", plan.load.generators.to_string()),
        pod::env("VU_COUNT", plan.load.total_users().to_string()),
        pod::env("TARGET_URL", plan.target.url_text()),
        // Sub-second sample times, so `perfplan report`'s throughput and start
        // times are not rounded to whole seconds (k6's CSV default is `unix`, whole
        // seconds); a sample's time is the request's end, its start that minus the
        // duration, both to the microsecond.
        pod::env("K6_CSV_TIME_FORMAT", "unix_micro"),
    ];
    if let Some(m) = &plan.metrics
        && m.output == MetricsOutput::PrometheusRemoteWrite
    {
        env.push(pod::env("K6_PROMETHEUS_RW_SERVER_URL", m.url_text()));
        // The default exports only p(99); SLOs are usually written on p(95).
        env.push(pod::env("K6_PROMETHEUS_RW_TREND_STATS", "p(95),p(99),avg,max"));
    }
    env
}

fn runner_container(plan: &Plan) -> Container {
    Container {
        name: "k6".to_owned(),
        image: Some(plan.image.clone()),
        working_dir: Some(pod::TMP_DIR.to_owned()),
        volume_mounts: Some(vec![
            pod::mount(pod::SCRIPT_VOLUME, pod::SCRIPT_DIR, true),
            pod::mount(OPTIONS_VOLUME, OPTIONS_DIR, true),
            pod::mount(pod::TMP_VOLUME, pod::TMP_DIR, false),
            pod::mount(pod::RESULTS_VOLUME, pod::RESULTS_DIR, false),
        ]),
        ..Default::default()
    }
}

fn pod_spec(plan: &Plan, mut container: Container, options: Option<&ConfigMap>) -> PodSpec {
    let mut volumes = vec![pod::script_volume(plan)];
    match options {
        Some(options) => volumes.push(config_map_volume(OPTIONS_VOLUME, options)),
        None => {
            if let Some(mounts) = container.volume_mounts.as_mut() {
                mounts.retain(|m| m.name != OPTIONS_VOLUME);
            }
        }
    }
    volumes.push(pod::empty_dir(pod::TMP_VOLUME));
    volumes.push(pod::empty_dir(pod::RESULTS_VOLUME));
    PodSpec {
        containers: vec![container],
        volumes: Some(volumes),
        ..Default::default()
    }
}
