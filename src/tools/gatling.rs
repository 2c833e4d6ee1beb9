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
use crate::spec::GatlingMode;
use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{Container, EnvVar, PodSpec, Volume};

/// How the generators start together, for `perfplan explain`.
pub fn start_barrier(plan: &Plan, mode: GatlingMode) -> String {
    let n = plan.load.generators;
    match mode {
        GatlingMode::Independent => format!(
            "each of the {n} runners waits until all {n} runners' DNS names resolve (every 2s, up to {}s), \
             then compiles the simulation and starts its share, so starts differ by the compile times",
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
    // Stable DNS names for the start barrier; no ports: nothing connects to runners.
    objects.push(Object::Service(workload::worker_service_for(
        plan,
        Component::Runner,
        &[],
    )));
    objects.push(Object::Job(runners(plan)));
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

fn runners(plan: &Plan) -> Job {
    let splits = Splits::of(plan);
    // Start barrier: every runner waits until all its peers' DNS names resolve (they
    // do once every pod has an IP), so runners start within one poll of each other,
    // without any Kubernetes API access.
    let barrier = shell::wait_for_dns(
        "all $GENERATORS Gatling runners to be up",
        "GENERATORS",
        "$RUNNER_JOB-$i.$RUNNER_SERVICE",
        "see kubectl get pods --selector $RUNNER_SELECTOR",
    );
    // The compiler walks `-sf` following links, so in the kubelet's configMap layout
    // (`..data` -> `..<time>/`, each key a link through `..data`) it reads every source
    // three times ("already defined"). Compile a plain copy of the sources instead.
    let script = prelude(plan, &splits, shell::index_from_runner_index(), "index", "runner")
        + &barrier
        + &format!(
            "mkdir -p {sources}\n\
             cp -L \"$SIMULATIONS_DIR\"/*.scala {sources}/\n\
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
    let container = Container {
        name: "gatling".to_owned(),
        command: Some(shell::command("gatling-runner", script)),
        env: Some(env),
        ..gatling_container(plan)
    };
    let spec = PodSpec {
        subdomain: Some(runner),
        containers: vec![container],
        volumes: Some(base_volumes(plan)),
        ..Default::default()
    };
    workload::indexed(plan, Component::Runner, splits.annotation(plan), spec)
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
