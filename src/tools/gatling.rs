//! Gatling, in one of two modes.
//!
//! `cluster` (the seed's Akka model, for images that implement it): workers are a
//! StatefulSet with Akka remoting on 2552 behind a headless Service; the master is a
//! Job whose init container resolves each worker's DNS name (`<set>-<i>.<service>`)
//! and writes the pod IPs, in ordinal order, into a shared volume. Like the JMeter
//! controller, it needs no Kubernetes API access: no RBAC, no token, no API egress.
//!
//! `independent` (stock Gatling images): an Indexed Job whose pod `i` runs its exact
//! share of the injection profile with `gatling.sh`; no coordination.
//!
//! Either way each generator's share reaches the simulation as Java system
//! properties (`-Dusers`, `-Drampup`, …) through `JAVA_TOOL_OPTIONS`, which the JVM
//! itself reads: no launcher script word-splits or globs it.

use super::{Splits, secs};
use crate::lower::{Component, Flow, Object, Topology, meta, pod, shell, single_ports, workload};
use crate::model::{LoadModel, Plan};
use crate::names::content_hash;
use crate::spec::GatlingMode;
use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{
    ConfigMap, ConfigMapVolumeSource, Container, EnvVar, ExecAction, KeyToPath, PodSpec, Probe, Volume,
};
use std::collections::BTreeMap;

/// How the generators start together, for `perfplan explain`.
pub fn start_barrier(plan: &Plan, mode: GatlingMode) -> String {
    let n = plan.load.generators;
    match mode {
        GatlingMode::Independent => format!(
            "each of the {n} runners compiles the simulation, then waits: runner 0 until the other runners' DNS \
             names resolve (a runner's name resolves once it has compiled and its readiness probe passed), then it \
             becomes ready itself; every runner starts its share once runner 0's name resolves (one lookup per \
             runner every 0.2s, up to {}s each)",
            shell::WAIT_TIMEOUT_SECS
        ),
        GatlingMode::Cluster => format!(
            "the master's init container waits until all {n} workers' DNS names resolve (every 2s, up to {}s) \
             and hands their pod IPs to the master image, which drives them over Akka on port {AKKA_PORT}",
            shell::WAIT_TIMEOUT_SECS
        ),
    }
}

pub const AKKA_PORT: u16 = 2552;
/// Where the discovery init container writes the worker IPs, one per line.
const DISCOVERY_DIR: &str = "/etc/perfplan/discovery";
const DISCOVERY_VOLUME: &str = "discovery";

pub fn lower(plan: &Plan, mode: GatlingMode) -> Topology {
    match mode {
        GatlingMode::Cluster => cluster(plan),
        GatlingMode::Independent => independent(plan),
    }
}

fn cluster(plan: &Plan) -> Topology {
    let mut objects = Vec::new();
    objects.extend(pod::script_config_map(plan).map(Object::ConfigMap));
    objects.push(Object::Service(workload::worker_service(
        plan,
        &[("akka", AKKA_PORT)],
    )));
    objects.push(Object::StatefulSet(workers(plan)));
    objects.push(Object::Job(master(plan)));
    Topology {
        objects,
        load_generators: vec![Component::Worker],
        metrics_senders: vec![Component::Worker],
        flows: vec![
            Flow {
                from: Component::Master,
                to: Component::Worker,
                ports: single_ports(&[AKKA_PORT]),
                why: "Akka remoting: the master drives the workers",
            },
            Flow {
                from: Component::Worker,
                to: Component::Master,
                ports: single_ports(&[AKKA_PORT]),
                why: "Akka remoting: workers report back to the master",
            },
        ],
    }
}

fn independent(plan: &Plan) -> Topology {
    let mut objects = Vec::new();
    objects.extend(pod::script_config_map(plan).map(Object::ConfigMap));
    let launcher = launcher_config_map(plan);
    objects.push(Object::ConfigMap(launcher.clone()));
    objects.push(Object::Service(barrier_service(plan)));
    objects.push(Object::Job(runners(plan, &launcher)));
    Topology {
        objects,
        load_generators: vec![Component::Runner],
        metrics_senders: vec![Component::Runner],
        flows: Vec::new(),
    }
}

fn workers(plan: &Plan) -> StatefulSet {
    let splits = Splits::of(plan);
    let script = prelude(plan, &splits, shell::ordinal_from_pod_name(), "ordinal", "worker")
        + "exec gatling-cluster worker\n";
    let (readiness, liveness) = pod::tcp_probes(AKKA_PORT);
    let mut env = vec![pod::env_field("POD_NAME", "metadata.name")];
    env.extend(splits.env());
    env.extend(akka_env());
    env.extend(common_env(plan));
    env.extend(graphite_env(plan));
    let container = Container {
        name: "gatling-worker".to_owned(),
        command: Some(shell::command("gatling-worker", script)),
        ports: Some(vec![pod::port("akka", AKKA_PORT)]),
        readiness_probe: Some(readiness),
        liveness_probe: Some(liveness),
        env: Some(env),
        ..gatling_container(plan)
    };
    let spec = PodSpec {
        containers: vec![container],
        volumes: Some(base_volumes(plan)),
        ..Default::default()
    };
    workload::worker_set(plan, splits.annotation(plan), spec)
}

fn master(plan: &Plan) -> Job {
    let splits = Splits::of(plan);
    let n = plan.load.generators;
    let set = meta::names(plan).object(Component::Worker.as_str());
    let init = Container {
        name: "discover-workers".to_owned(),
        image: Some(discovery_image(plan).to_owned()),
        command: Some(shell::command("discover-workers", discovery_script())),
        env: Some(vec![
            // The master's own address: its family is the one Akka listens on.
            pod::env_field("POD_IP", "status.podIP"),
            pod::env_field("POD_NAMESPACE", "metadata.namespace"),
            pod::env("GENERATORS", n.to_string()),
            // The headless Service has the StatefulSet's name.
            pod::env("WORKER_SET", &set),
            pod::env("WORKER_SERVICE", &set),
            pod::env("WORKER_SELECTOR", meta::selector_text(plan, Component::Worker)),
        ]),
        volume_mounts: Some(vec![pod::mount(DISCOVERY_VOLUME, DISCOVERY_DIR, false)]),
        ..Default::default()
    };
    let mut env = vec![
        pod::env("WORKERS_FILE", format!("{DISCOVERY_DIR}/workers")),
        pod::env("WORKERS_TOTAL", n.to_string()),
    ];
    env.extend(akka_env());
    env.extend(common_env(plan));
    if let Some(java) = env.iter_mut().find(|e| e.name == "JAVA_TOOL_OPTIONS") {
        let total = pod::literal(&format!(" -Dusers={}", splits.users.total));
        java.value.get_or_insert_default().push_str(&total);
    }
    let mut main = gatling_container(plan);
    main.volume_mounts
        .get_or_insert_default()
        .push(pod::mount(DISCOVERY_VOLUME, DISCOVERY_DIR, true));
    let main = Container {
        name: "gatling-master".to_owned(),
        command: Some(vec!["gatling-cluster".to_owned(), "master".to_owned()]),
        ports: Some(vec![pod::port("akka", AKKA_PORT)]),
        env: Some(env),
        ..main
    };
    let mut volumes = base_volumes(plan);
    volumes.push(pod::empty_dir(DISCOVERY_VOLUME));
    let spec = PodSpec {
        init_containers: Some(vec![init]),
        containers: vec![main],
        volumes: Some(volumes),
        ..Default::default()
    };
    workload::run_once(plan, Component::Master, spec)
}

/// `gatling.discoveryImage`, else [`crate::model::DEFAULT_DISCOVERY_IMAGE`].
fn discovery_image(plan: &Plan) -> &str {
    plan.gatling
        .as_ref()
        .map_or(crate::model::DEFAULT_DISCOVERY_IMAGE, |g| {
            g.discovery_image.as_str()
        })
}

/// The `discover-workers` script: wait until every worker's DNS name
/// `$WORKER_SET-<i>.$WORKER_SERVICE` resolves (the headless Service publishes a
/// worker as soon as it has an IP, `publishNotReadyAddresses`), then write the
/// addresses, one per line in ordinal order, to `$WORKERS_FILE`. No API access.
///
/// Each worker's Akka listens on its `status.podIP`, the pod's primary address, so
/// in a dual-stack cluster the file must hold that family: the one of the master's
/// own `status.podIP` (pods get their families in the cluster's order). `getent
/// ahostsv4` asks getaddrinfo for IPv4 only; `getent hosts` asks for IPv6 first
/// (Alpine's musl-utils getent.c `hosts()`: `gethostbyname2(AF_INET6)`, then
/// `AF_INET`; glibc's getent alike). Both print the address as the first field. An
/// answer that is not made of address characters is refused, so nothing but
/// addresses reaches the master.
fn discovery_script() -> String {
    let check = "  ok=1; status=\"\"; i=0\n\
         \x20 : >\"$partial\"\n\
         \x20 while [ \"$i\" -lt \"$GENERATORS\" ]; do\n\
         \x20   host=\"$WORKER_SET-$i.$WORKER_SERVICE\"\n\
         \x20   ip=$(getent \"$database\" \"$host\" 2>/dev/null | awk 'NR == 1 { print $1 }') || ip=\"\"\n\
         \x20   case \"$ip\" in\n\
         \x20     ''|*[!0-9A-Fa-f.:]*)\n\
         \x20       ok=0; status=\"$i of $GENERATORS workers resolve; $host does not resolve yet\"; break ;;\n\
         \x20   esac\n\
         \x20   echo \"$ip\" >>\"$partial\"\n\
         \x20   i=$((i + 1))\n\
         \x20 done\n";
    format!(
        "set -eu\n\
         case \"$POD_IP\" in\n\
         \x20 *:*) database=hosts ;;\n\
         \x20 *) database=ahostsv4 ;;\n\
         esac\n\
         partial={DISCOVERY_DIR}/workers.partial\n\
         {wait}\
         mv \"$partial\" {DISCOVERY_DIR}/workers\n\
         echo \"perfplan: found all $GENERATORS Gatling workers:\" $(cat {DISCOVERY_DIR}/workers)\n",
        wait = shell::bounded_wait(
            "the DNS names of all $GENERATORS Gatling workers",
            shell::WAIT_TIMEOUT_SECS,
            check,
            "see kubectl get pods --namespace $POD_NAMESPACE --selector $WORKER_SELECTOR",
        ),
    )
}

/// Stable DNS names for the start barrier, published only for *ready* runners (a
/// runner is ready once it has compiled and entered the barrier): so a name that
/// resolves means that runner waits, and runner 0's name resolves only once the
/// barrier is open. No ports: nothing connects to runners.
fn barrier_service(plan: &Plan) -> k8s_openapi::api::core::v1::Service {
    let mut service = workload::worker_service_for(plan, Component::Runner, &[]);
    if let Some(spec) = service.spec.as_mut() {
        spec.publish_not_ready_addresses = Some(false);
    }
    service
}

fn runners(plan: &Plan, launcher: &ConfigMap) -> Job {
    let splits = Splits::of(plan);
    // The compiler walks `-sf` following links, so in the kubelet's configMap layout
    // (`..data` -> `..<time>/`, each key a link through `..data`) it reads every source
    // three times ("already defined"). Compile a plain copy of the sources instead.
    // gatling.sh compiles and then starts Gatling, both with `$JAVA_HOME/bin/java`;
    // pointing `JAVA_HOME` at the launcher puts the start barrier between the two.
    let script = prelude(plan, &splits, shell::index_from_runner_index(), "index", "runner")
        + &format!(
            "mkdir -p {sources}\n\
             cp -L \"$SIMULATIONS_DIR\"/*.scala {sources}/\n\
             export PERFPLAN_JAVA_HOME=\"${{JAVA_HOME:-}}\"\n\
             export JAVA_HOME={LAUNCHER_DIR}\n\
             exec gatling.sh -sf {sources} -s \"$SIMULATION_CLASS\" \\\n\
             \x20 -bf {tmp}/gatling-classes -rf \"$RESULTS_DIR\" -rd \"perfplan runner $index of $GENERATORS\"\n",
            tmp = pod::TMP_DIR,
            sources = SOURCES_COPY,
        );
    let runner = meta::names(plan).object(Component::Runner.as_str());
    let mut env = vec![pod::env_completion_index("RUNNER_INDEX")];
    env.extend(splits.env());
    env.extend([
        // The headless Service has the Job's name.
        pod::env("RUNNER_JOB", &runner),
        pod::env("RUNNER_SERVICE", &runner),
        pod::env("RUNNER_SELECTOR", meta::selector_text(plan, Component::Runner)),
    ]);
    env.extend(common_env(plan));
    env.extend(graphite_env(plan));
    let mut base = gatling_container(plan);
    base.volume_mounts
        .get_or_insert_default()
        .push(pod::mount(LAUNCHER_VOLUME, LAUNCHER_DIR, true));
    let container = Container {
        name: "gatling".to_owned(),
        command: Some(shell::command("gatling-runner", script)),
        env: Some(env),
        readiness_probe: Some(barrier_probe()),
        ..base
    };
    let mut volumes = base_volumes(plan);
    volumes.push(launcher_volume(launcher));
    let spec = PodSpec {
        subdomain: Some(runner),
        containers: vec![container],
        volumes: Some(volumes),
        ..Default::default()
    };
    workload::indexed(plan, Component::Runner, splits.annotation(plan), spec)
}

/// Where the launcher is mounted: `JAVA_HOME` for gatling.sh, so its `bin/java`.
const LAUNCHER_DIR: &str = "/etc/perfplan/launcher";
const LAUNCHER_VOLUME: &str = "launcher";
/// The file a runner creates when it has compiled and waits at the barrier; its
/// readiness probe passes from then on (runner 0 creates it when all others wait).
const BARRIER_FILE: &str = "/tmp/perfplan-at-barrier";

/// Ready once the runner waits at the barrier. Checked every 2 s: the period only
/// delays when the barrier opens, not how far apart runners start (they all wait
/// for the same event, runner 0's name resolving).
fn barrier_probe() -> Probe {
    Probe {
        exec: Some(ExecAction {
            command: Some(vec!["test".to_owned(), "-e".to_owned(), BARRIER_FILE.to_owned()]),
        }),
        period_seconds: Some(2),
        ..Default::default()
    }
}

/// The launcher: perfplan's stand-in for `$JAVA_HOME/bin/java`, run by gatling.sh
/// for its two steps (Gatling 3.2.1's bin/gatling.sh: `JAVA="$JAVA_HOME"/bin/java`,
/// then `"$JAVA" … io.gatling.compiler.ZincCompiler "$@"` and `"$JAVA" $DEFAULT_JAVA_OPTS
/// $JAVA_OPTS -cp … io.gatling.app.Gatling "$@"`, as tools/real-tools.sh writes it).
/// The compiler runs at once; before Gatling itself, the runner meets the others at
/// the start barrier, so starts no longer differ by the compile times. Both then run
/// the image's own java with the same arguments, so `JAVA_OPTS` and
/// `JAVA_TOOL_OPTIONS` reach it exactly as before.
fn launcher_script() -> String {
    let peers = shell::wait_for_dns(
        "the other Gatling runners to compile and wait",
        1,
        "GENERATORS",
        "$RUNNER_JOB-$i.$RUNNER_SERVICE",
        "see kubectl get pods --selector $RUNNER_SELECTOR: a runner that is not Ready has not compiled",
    );
    let open = shell::wait_for_name(
        "runner 0 to open the start barrier",
        "$RUNNER_JOB-0.$RUNNER_SERVICE",
        "see the log of runner 0 (kubectl get pods --selector $RUNNER_SELECTOR)",
    );
    format!(
        "#!/bin/sh\n\
         # perfplan: gatling.sh runs this as $JAVA_HOME/bin/java (see the runner's script).\n\
         set -eu\n\
         {index}\
         if [ -n \"${{PERFPLAN_JAVA_HOME:-}}\" ]; then\n\
         \x20 JAVA_HOME=\"$PERFPLAN_JAVA_HOME\"; export JAVA_HOME; java=\"$JAVA_HOME/bin/java\"\n\
         else\n\
         \x20 unset JAVA_HOME; java=java\n\
         fi\n\
         gatling=0\n\
         for arg in \"$@\"; do\n\
         \x20 if [ \"$arg\" = io.gatling.app.Gatling ]; then gatling=1; fi\n\
         done\n\
         if [ \"$gatling\" = 1 ]; then\n\
         if [ \"$index\" = 0 ]; then\n\
         {peers}\
         fi\n\
         : > {BARRIER_FILE}\n\
         {open}\
         echo \"perfplan: start barrier open, runner $index of $GENERATORS starts\"\n\
         fi\n\
         exec \"$java\" \"$@\"\n",
        index = shell::index_from_runner_index(),
    )
}

/// The launcher's ConfigMap, named by its content's hash like every perfplan script.
fn launcher_config_map(plan: &Plan) -> ConfigMap {
    let text = launcher_script();
    let name = meta::names(plan).object(&format!("launcher-{}", content_hash(&text)));
    ConfigMap {
        metadata: meta::annotated(
            plan,
            name,
            None,
            BTreeMap::from([(
                meta::PURPOSE.to_owned(),
                "Gatling launcher: compiles, then meets the other runners before starting".to_owned(),
            )]),
        ),
        data: Some(BTreeMap::from([(LAUNCHER_KEY.to_owned(), text)])),
        immutable: Some(true),
        ..Default::default()
    }
}

const LAUNCHER_KEY: &str = "java";

/// The launcher as `bin/java`, executable (gatling.sh runs it directly).
fn launcher_volume(launcher: &ConfigMap) -> Volume {
    Volume {
        name: LAUNCHER_VOLUME.to_owned(),
        config_map: Some(ConfigMapVolumeSource {
            name: launcher.metadata.name.clone().unwrap_or_default(),
            items: Some(vec![KeyToPath {
                key: LAUNCHER_KEY.to_owned(),
                path: format!("bin/{LAUNCHER_KEY}"),
                mode: Some(0o555),
            }]),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// What every load pod's script starts with: read its index into `$<var>` (with
/// `index_lines`), compute its shares, and append them to the JVM's options.
fn prelude(plan: &Plan, splits: &Splits, index_lines: &str, var: &str, role: &str) -> String {
    format!(
        "set -eu\n{index_lines}{shares}\
         export JAVA_TOOL_OPTIONS=\"$JAVA_TOOL_OPTIONS {per_pod} -Dshard=${var} -Dshards=$GENERATORS\"\n\
         {graphite}\
         echo \"perfplan: Gatling {role} ${var} of $GENERATORS: {log}\"\n",
        shares = splits.shell_lines(var, "users"),
        per_pod = per_pod_properties(splits),
        graphite = if plan.metrics.is_some() {
            // Each pod writes under its own path, so pods never overwrite each other.
            format!(
                "export JAVA_TOOL_OPTIONS=\"$JAVA_TOOL_OPTIONS $GRAPHITE_OPTIONS \
                 -Dgatling.data.graphite.rootPathPrefix=$GRAPHITE_PREFIX.shard${var}\"\n"
            )
        } else {
            String::new()
        },
        log = share_log(splits),
    )
}

/// Gatling's graphite data writer, switched on next to the console and file
/// writers (Typesafe Config reads `writers.N` system properties as the list).
/// Validation allows only Graphite for Gatling.
fn graphite_options(plan: &Plan) -> Option<String> {
    let m = plan.metrics.as_ref()?;
    Some(format!(
        "-Dgatling.data.writers.0=console -Dgatling.data.writers.1=file -Dgatling.data.writers.2=graphite \
         -Dgatling.data.graphite.host={} -Dgatling.data.graphite.port={}",
        jvm_safe(&m.host()),
        m.port
    ))
}

fn per_pod_properties(splits: &Splits) -> &'static str {
    if splits.rate.is_some() {
        "-Dusers=$users -Dmax.users=$users -Drate=$rate"
    } else {
        "-Dusers=$users"
    }
}

fn share_log(splits: &Splits) -> &'static str {
    if splits.rate.is_some() {
        "rate=$rate max.users=$users"
    } else {
        "users=$users"
    }
}

/// Env every Gatling pod gets. `JAVA_TOOL_OPTIONS` holds the properties that are the
/// same on every pod; the pod's own share is appended by its script.
fn common_env(plan: &Plan) -> Vec<EnvVar> {
    let (ramp, duration) = (secs(plan.load.ramp_up), secs(plan.load.duration));
    let mut java = format!(
        "-Dtarget.url={} -Drampup={ramp} -Dduration={duration} -Djava.io.tmpdir={}",
        jvm_safe(plan.target.url_text()),
        pod::TMP_DIR,
    );
    if let LoadModel::ArrivalRate { time_unit, .. } = plan.load.model {
        java.push_str(&format!(" -Drate.unit={}", secs(time_unit)));
    }
    let class = plan
        .gatling
        .as_ref()
        .map(|g| g.simulation_class.as_str())
        .unwrap_or_default();
    vec![
        pod::env("SIMULATION_CLASS", class),
        pod::env("SIMULATIONS_DIR", pod::SCRIPT_DIR),
        pod::env("RESULTS_DIR", pod::RESULTS_DIR),
        pod::env("TARGET_URL", plan.target.url_text()),
        pod::env("JAVA_TOOL_OPTIONS", java),
        // gatling.sh appends JAVA_OPTS after its own -Xmx1G, so this heap wins.
        pod::env("JAVA_OPTS", format!("-Xmx{}m", plan.resources.jvm_heap_mib())),
    ]
}

/// Where a cluster-mode pod's Akka remoting listens (only cluster mode uses Akka).
fn akka_env() -> Vec<EnvVar> {
    vec![
        pod::env_field("AKKA_HOSTNAME", "status.podIP"),
        pod::env("AKKA_PORT", AKKA_PORT.to_string()),
    ]
}

/// Env of the pods that generate load when the plan streams metrics to Graphite:
/// the writer's options and the path prefix each pod extends with its shard.
fn graphite_env(plan: &Plan) -> Vec<EnvVar> {
    let Some(options) = graphite_options(plan) else {
        return Vec::new();
    };
    vec![
        pod::env("GRAPHITE_OPTIONS", options),
        pod::env("GRAPHITE_PREFIX", format!("gatling.{}", plan.name)),
    ]
}

/// The JVM splits `JAVA_TOOL_OPTIONS` at whitespace and treats quotes specially. A
/// serialized URL holds no whitespace; percent-encode the quote characters and
/// backslash it may still hold, which leaves the URL's meaning unchanged.
fn jvm_safe(url: &str) -> String {
    url.replace('\\', "%5C").replace('\'', "%27").replace('"', "%22")
}

/// Where a runner copies the simulation sources before compiling them.
const SOURCES_COPY: &str = "/tmp/simulations";

/// `$GATLING_HOME` of the stock image (denvazh/gatling 3.2.1/Dockerfile:
/// `ENV GATLING_HOME /opt/gatling`). Its compiler keeps its incremental cache in
/// `$GATLING_HOME/target` (`inc_compile.zip`), which no option moves, so that folder
/// gets a volume of its own on a read-only root.
const GATLING_HOME: &str = "/opt/gatling";
const COMPILER_CACHE_VOLUME: &str = "compiler-cache";

fn gatling_container(plan: &Plan) -> Container {
    Container {
        name: String::new(),
        image: Some(plan.image.clone()),
        working_dir: Some(pod::TMP_DIR.to_owned()),
        volume_mounts: Some(vec![
            pod::mount(pod::SCRIPT_VOLUME, pod::SCRIPT_DIR, true),
            pod::mount(pod::TMP_VOLUME, pod::TMP_DIR, false),
            pod::mount(pod::RESULTS_VOLUME, pod::RESULTS_DIR, false),
            pod::mount(COMPILER_CACHE_VOLUME, &format!("{GATLING_HOME}/target"), false),
        ]),
        ..Default::default()
    }
}

fn base_volumes(plan: &Plan) -> Vec<Volume> {
    vec![
        pod::script_volume(plan),
        pod::empty_dir(pod::TMP_VOLUME),
        pod::empty_dir(pod::RESULTS_VOLUME),
        pod::empty_dir(COMPILER_CACHE_VOLUME),
    ]
}
