//! JMeter: RMI controller and workers.
//!
//! Workers are a StatefulSet (`podManagementPolicy: Parallel`) behind a headless
//! Service, so `<set>-<i>.<service>` resolves for every `i`. JMeter runs the whole
//! thread group on every worker, so each worker computes its own share from its
//! ordinal (`-Jthreads` etc.). The controller is a Job (backoffLimit 0) whose init
//! container waits until every worker resolves, then runs
//! `jmeter -n -t PLAN -R <every worker> -X` with results on a mounted volume.
//!
//! RMI needs fixed ports in both directions: workers listen on 1099 (registry) and
//! 50000 (`server.rmi.localport`, random by default); workers call back to the
//! controller on `client.rmi.localport` and the two ports after it.

use super::{Splits, secs};
use crate::lower::metrics::Credential;
use crate::lower::{Component, Flow, Object, Topology, meta, pod, shell, single_ports, workload};
use crate::model::{LoadModel, Plan};
use crate::spec::MetricsOutput;
use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{Container, EnvVar, PodSpec, SecretVolumeSource, Volume};

/// How the workers start together, for `perfplan explain`.
pub fn start_barrier(plan: &Plan) -> String {
    format!(
        "the controller's init container waits until all {} workers resolve in DNS (each name looked up until it \
         resolves, every 0.2s, up to {}s); the controller \
         then starts every worker's engine over RMI (`jmeter -r`), one after another as JMeter's distributed \
         runner does",
        plan.load.generators,
        shell::WAIT_TIMEOUT_SECS
    )
}

pub const REGISTRY_PORT: u16 = 1099;
pub const SERVER_PORT: u16 = 50000;
/// The first of the three ports the controller listens on for worker callbacks.
pub const CLIENT_PORT: u16 = 60000;
const CLIENT_PORTS: [u16; 3] = [CLIENT_PORT, CLIENT_PORT + 1, CLIENT_PORT + 2];

const RMI_DIR: &str = "/etc/perfplan/rmi";
const RMI_VOLUME: &str = "rmi-keystore";

pub fn lower(plan: &Plan) -> Topology {
    let mut objects = Vec::new();
    objects.extend(pod::script_config_map(plan).map(Object::ConfigMap));
    objects.push(Object::Service(workload::worker_service(
        plan,
        &[("rmi-registry", REGISTRY_PORT), ("rmi-server", SERVER_PORT)],
    )));
    objects.push(Object::StatefulSet(workers(plan)));
    objects.push(Object::Job(controller(plan)));
    let mut rmi = vec![REGISTRY_PORT, SERVER_PORT];
    rmi.sort_unstable();
    Topology {
        objects,
        load_generators: vec![Component::Worker],
        // The Backend Listener is `Remoteable`: in distributed mode JMeter runs it in
        // the controller's JVM on the samples the workers send back (ConvertListeners
        // in org.apache.jmeter.engine wraps Remoteable listeners for the client), and
        // resolves its `${__P(…)}` properties there.
        metrics_senders: vec![Component::Controller],
        flows: vec![
            Flow {
                from: Component::Controller,
                to: Component::Worker,
                ports: single_ports(&rmi),
                why: "RMI: the controller starts the test on each worker (registry 1099, server 50000)",
            },
            Flow {
                from: Component::Worker,
                to: Component::Controller,
                ports: callback_ports(plan),
                why: "RMI: workers send samples back to the controller (client.rmi.localport)",
            },
        ],
    }
}

fn workers(plan: &Plan) -> StatefulSet {
    let splits = Splits::of(plan);
    let secrets = secrets(plan, true);
    let script = format!(
        "set -eu\n{ordinal}\
         {shares}\
         echo \"perfplan: JMeter worker $ordinal of $GENERATORS: {share_log}\"\n\
         {secrets}\
         exec jmeter -s -n -j {tmp}/jmeter-server.log \\\n\
         \x20 -Djava.rmi.server.hostname=\"$POD_IP\" -Djava.io.tmpdir={tmp} \\\n\
         \x20 -Jserver_port={REGISTRY_PORT} -Jserver.rmi.localport={SERVER_PORT} \\\n\
         \x20 -Jshard=\"$ordinal\" -Jshards=\"$GENERATORS\" {load_props} \\\n\
         {ssl}\
         {load_secrets}\
         \x20 \"$@\"\n",
        ordinal = shell::ordinal_from_pod_name(),
        secrets = secrets_file_lines(&secrets),
        load_secrets = load_secrets_line(&secrets),
        shares = splits.shell_lines("ordinal", "threads"),
        share_log = share_log(&splits),
        tmp = pod::TMP_DIR,
        load_props = load_properties(plan, &splits),
        ssl = ssl_lines(plan),
    );
    let (readiness, liveness) = pod::tcp_probes(REGISTRY_PORT);
    let mut env = vec![
        pod::env_field("POD_NAME", "metadata.name"),
        pod::env_field("POD_IP", "status.podIP"),
    ];
    env.extend(splits.env());
    env.extend(target_env(plan));
    env.push(heap_env(plan));
    let container = Container {
        name: "jmeter-worker".to_owned(),
        command: Some(shell::command("jmeter-worker", script)),
        args: Some(user_properties(plan)),
        ports: Some(vec![
            pod::port("rmi-registry", REGISTRY_PORT),
            pod::port("rmi-server", SERVER_PORT),
        ]),
        readiness_probe: Some(readiness),
        liveness_probe: Some(liveness),
        env: Some(env),
        ..jmeter_container(plan, false)
    };
    workload::worker_set(
        plan,
        splits.annotation(plan),
        pod_spec(plan, vec![container], None),
    )
}

fn controller(plan: &Plan) -> Job {
    let set = meta::names(plan).object(Component::Worker.as_str());
    let wait = format!(
        "set -eu\n{}echo \"perfplan: all $GENERATORS JMeter workers resolve\"\n",
        shell::wait_for_dns(
            "$GENERATORS JMeter workers to resolve in DNS",
            0,
            "GENERATORS",
            "$WORKER_SET-$i.$WORKER_SERVICE",
            "see kubectl get pods --selector $WORKER_SELECTOR",
        )
    );
    let names_env = vec![
        pod::env("GENERATORS", plan.load.generators.to_string()),
        // The Service has the StatefulSet's name.
        pod::env("WORKER_SET", &set),
        pod::env("WORKER_SERVICE", &set),
        pod::env("WORKER_SELECTOR", meta::selector_text(plan, Component::Worker)),
    ];
    let init = Container {
        name: "wait-for-workers".to_owned(),
        command: Some(shell::command("wait-for-workers", wait)),
        env: Some(names_env.clone()),
        volume_mounts: Some(vec![pod::mount(pod::TMP_VOLUME, pod::TMP_DIR, false)]),
        ..jmeter_container(plan, false)
    };
    let secrets = secrets(plan, false);
    // results.jtl is what `perfplan report` reads: CSV with a header, millisecond
    // start times (`sampleresult.timestamp.start`), each row naming the worker that
    // ran it (`hostname`: the SampleEvent is made on the worker), and no sub-results
    // (a redirect's or transaction's parts would count as extra requests). Checked
    // with the real JMeter 5.5 in distributed mode (tests/fixtures/report/README.md).
    let run = format!(
        "set -eu\n\
         i=0\n\
         {{\n\
         \x20 printf 'remote_hosts='\n\
         \x20 while [ \"$i\" -lt \"$GENERATORS\" ]; do\n\
         \x20   if [ \"$i\" -gt 0 ]; then printf ','; fi\n\
         \x20   printf '%s' \"$WORKER_SET-$i.$WORKER_SERVICE:{REGISTRY_PORT}\"\n\
         \x20   i=$((i + 1))\n\
         \x20 done\n\
         \x20 printf '\\n'\n\
         }} > {HOSTS_FILE}\n\
         echo \"perfplan: JMeter controller driving $GENERATORS workers\"\n\
         {secrets}\
         exec jmeter -n -t \"$TEST_PLAN\" -q {HOSTS_FILE} -r -X \\\n\
         \x20 -j {res}/jmeter.log -l {res}/results.jtl -e -o {res}/report \\\n\
         \x20 -Jjmeter.save.saveservice.output_format=csv -Jjmeter.save.saveservice.print_field_names=true \\\n\
         \x20 -Jjmeter.save.saveservice.default_delimiter=, -Jjmeter.save.saveservice.timestamp_format=ms \\\n\
         \x20 -Jjmeter.save.saveservice.hostname=true -Jjmeter.save.saveservice.subresults=false \\\n\
         \x20 -Jsampleresult.timestamp.start=true \\\n\
         \x20 -Djava.rmi.server.hostname=\"$POD_IP\" -Djava.io.tmpdir={tmp} \\\n\
         \x20 -Jclient.rmi.localport={client_port} -Jclient.tries=12 -Jclient.retries_delay=5000 \\\n\
         \x20 -Jclient.continue_on_fail=false \\\n\
         {metrics}\
         {ssl}\
         {load_secrets}\
         \x20 \"$@\"\n",
        res = pod::RESULTS_DIR,
        tmp = pod::TMP_DIR,
        client_port = client_local_port(plan),
        secrets = secrets_file_lines(&secrets),
        metrics = metrics_lines(plan),
        ssl = ssl_lines(plan),
        load_secrets = load_secrets_line(&secrets),
    );
    let mut env = vec![
        pod::env_field("POD_NAME", "metadata.name"),
        pod::env_field("POD_IP", "status.podIP"),
        pod::env("TEST_PLAN", pod::script_path(plan)),
    ];
    env.extend(names_env);
    env.extend(target_env(plan));
    env.push(heap_env(plan));
    let main = Container {
        name: "jmeter-controller".to_owned(),
        command: Some(shell::command("jmeter-controller", run)),
        args: Some(
            user_properties(plan)
                .into_iter()
                .chain(metrics_properties(plan))
                .collect(),
        ),
        // Over SSL the callback ports are anonymous: none to declare.
        ports: (keystore(plan).is_none()).then(|| {
            CLIENT_PORTS
                .iter()
                .enumerate()
                .map(|(i, p)| pod::port(&format!("rmi-client-{i}"), *p))
                .collect()
        }),
        env: Some(env),
        ..jmeter_container(plan, true)
    };
    workload::run_once(
        plan,
        Component::Controller,
        pod_spec(plan, vec![main], Some(init)),
    )
}

fn share_log(splits: &Splits) -> &'static str {
    if splits.rate.is_some() {
        "rate=$rate max.threads=$threads"
    } else {
        "threads=$threads"
    }
}

/// The load properties a test plan reads with `${__P(name)}`.
fn load_properties(plan: &Plan, splits: &Splits) -> String {
    let (ramp, duration) = (secs(plan.load.ramp_up), secs(plan.load.duration));
    let mut props = format!("-Jthreads=\"$threads\" -Jrampup={ramp} -Jduration={duration}");
    if let LoadModel::ArrivalRate { time_unit, .. } = plan.load.model {
        debug_assert!(splits.rate.is_some());
        props.push_str(&format!(
            " -Jmax.threads=\"$threads\" -Jrate=\"$rate\" -Jrate.unit={}",
            secs(time_unit)
        ));
    }
    props
}

/// RMI over SSL with the user's keystore Secret, or SSL off because the plan said so.
/// The password is a secret property (see [`SECRETS_FILE`]).
fn ssl_lines(plan: &Plan) -> String {
    match keystore(plan) {
        Some(_) => format!(
            "  -Jserver.rmi.ssl.keystore.file={RMI_DIR}/rmi_keystore.jks \
             -Jserver.rmi.ssl.truststore.file={RMI_DIR}/rmi_keystore.jks \\\n"
        ),
        None => "  -Jserver.rmi.ssl.disable=true \\\n".to_owned(),
    }
}

/// `-q` with the secrets file, if the container has secrets.
fn load_secrets_line(secrets: &[(&str, String)]) -> String {
    if secrets.is_empty() {
        String::new()
    } else {
        format!("  -q {SECRETS_FILE} \\\n")
    }
}

/// The workers' addresses, as `remote_hosts` for `-r`. On the command line (`-R`) the
/// list is one argument, which passes Linux's 128 KiB limit for one argument at about
/// 3,000 workers (`Argument list too long`); a properties file has no such limit.
const HOSTS_FILE: &str = "/tmp/perfplan-hosts.properties";

/// Where a container's secret properties go. JMeter logs every `-J` property with
/// its value (`Setting JMeter property: name=value`), so secrets never travel as
/// `-J`: they are written to this file (readable by the container's user only)
/// and loaded with `-q`, which logs the file's name, not its contents.
const SECRETS_FILE: &str = "/tmp/perfplan-secrets.properties";

/// The secret properties of a container, each with the mounted file it is read
/// from: the RMI keystore password (both roles), the metrics token (the controller,
/// where the Backend Listener runs).
fn secrets(plan: &Plan, worker: bool) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    if keystore(plan).is_some() {
        for prop in [
            "server.rmi.ssl.keystore.password",
            "server.rmi.ssl.truststore.password",
        ] {
            out.push((prop, format!("{RMI_DIR}/password")));
        }
    }
    if !worker && Credential::Token.provided(plan) {
        out.push(("metrics.token", Credential::Token.path()));
    }
    out
}

/// Lines that write the secrets file: created empty with mode 0600, then one
/// `name=value` line per secret with backslashes doubled, the one character Java's
/// `Properties.load` would otherwise read as an escape in a value.
fn secrets_file_lines(secrets: &[(&str, String)]) -> String {
    if secrets.is_empty() {
        return String::new();
    }
    let mut lines = format!("(umask 077 && : > {SECRETS_FILE})\n");
    for (prop, file) in secrets {
        lines.push_str(&format!(
            "printf '%s=%s\\n' {prop} \"$(sed 's/\\\\/\\\\\\\\/g' {file})\" >> {SECRETS_FILE}\n"
        ));
    }
    lines
}

/// The metrics property naming who reports (`metrics.instance`, for a Graphite path
/// or an InfluxDB tag): the controller's pod, whose Backend Listener sees every
/// worker's samples. The token goes through the secrets file.
fn metrics_lines(plan: &Plan) -> String {
    if plan.metrics.is_none() {
        return String::new();
    }
    "  -Jmetrics.instance=\"$POD_NAME\" \\\n".to_owned()
}

/// The metrics endpoint as properties the test plan's Backend Listener reads with
/// `${__P(…)}`: `metrics.url` (InfluxDB) or `metrics.host` and `metrics.port`
/// (Graphite), and `metrics.application` (the plan's name).
fn metrics_properties(plan: &Plan) -> Vec<String> {
    let Some(m) = &plan.metrics else {
        return Vec::new();
    };
    let mut props = vec![format!("-Jmetrics.application={}", plan.name)];
    match m.output {
        MetricsOutput::Graphite => {
            props.push(format!("-Jmetrics.host={}", m.host()));
            props.push(format!("-Jmetrics.port={}", m.port));
        }
        _ => props.push(format!("-Jmetrics.url={}", m.url_text())),
    }
    props.iter().map(|a| pod::literal(a)).collect()
}

/// Where the controller receives the workers' callbacks. In clear text, the three
/// fixed ports from `client.rmi.localport`. Over SSL JMeter cannot share a fixed port
/// between its exported listeners (its SSL server socket factory has no `equals()`,
/// so each export binds the port again and fails: `Listen failed on port: 60002`, no
/// engine starts, and the controller still exits 0; seen with the real JMeter 5.5 in
/// tests/real_tools.rs), so it exports them on anonymous ports, which Linux takes from
/// the pod's ephemeral range (net.ipv4.ip_local_port_range, 32768-60999 by default).
fn callback_ports(plan: &Plan) -> Vec<(u16, u16)> {
    if keystore(plan).is_some() {
        vec![EPHEMERAL_PORTS]
    } else {
        single_ports(&CLIENT_PORTS)
    }
}

/// Linux's default ephemeral port range (a per-network-namespace sysctl, so a pod's own).
const EPHEMERAL_PORTS: (u16, u16) = (32768, 60999);

/// `client.rmi.localport`: the first fixed callback port, or 0 (anonymous) over SSL.
fn client_local_port(plan: &Plan) -> u16 {
    if keystore(plan).is_some() { 0 } else { CLIENT_PORT }
}

fn keystore(plan: &Plan) -> Option<&str> {
    plan.jmeter.as_ref()?.rmi_keystore_secret.as_deref()
}

/// The target as properties, passed as arguments (never parsed by the shell).
/// `HEAP` sized from the memory limit: the command runs `bin/jmeter` directly (not
/// the image's entrypoint), and `bin/jmeter` uses `HEAP` in place of its default
/// `-Xms1g -Xmx1g -XX:MaxMetaspaceSize=256m` (JMeter 5.5 bin/jmeter: `: "${HEAP:=…}"`).
fn heap_env(plan: &Plan) -> EnvVar {
    let mib = plan.resources.jvm_heap_mib();
    pod::env("HEAP", format!("-Xms{mib}m -Xmx{mib}m -XX:MaxMetaspaceSize=256m"))
}

fn target_env(plan: &Plan) -> Vec<EnvVar> {
    vec![pod::env("TARGET_URL", plan.target.url_text())]
}

/// `-J` arguments: the target and the plan's own properties, one argument each,
/// escaped for the kubelet and never parsed by the shell (`"$@"`).
fn user_properties(plan: &Plan) -> Vec<String> {
    let url = &plan.target.url;
    let mut args = vec![
        format!("-Jtarget.url={}", plan.target.url_text()),
        format!("-Jtarget.protocol={}", url.scheme()),
        format!("-Jtarget.host={}", url.host_str().unwrap_or_default()),
        format!("-Jtarget.port={}", plan.target.port),
    ];
    if let Some(options) = &plan.jmeter {
        args.extend(options.properties.iter().map(|(k, v)| format!("-J{k}={v}")));
    }
    args.iter().map(|a| pod::literal(a)).collect()
}

fn jmeter_container(plan: &Plan, with_results: bool) -> Container {
    let mut mounts = vec![
        pod::mount(pod::SCRIPT_VOLUME, pod::SCRIPT_DIR, true),
        pod::mount(pod::TMP_VOLUME, pod::TMP_DIR, false),
    ];
    if with_results {
        mounts.push(pod::mount(pod::RESULTS_VOLUME, pod::RESULTS_DIR, false));
    }
    if keystore(plan).is_some() {
        mounts.push(pod::mount(RMI_VOLUME, RMI_DIR, true));
    }
    Container {
        name: String::new(),
        image: Some(plan.image.clone()),
        working_dir: Some(pod::TMP_DIR.to_owned()),
        volume_mounts: Some(mounts),
        ..Default::default()
    }
}

fn pod_spec(plan: &Plan, containers: Vec<Container>, init: Option<Container>) -> PodSpec {
    let mut volumes = vec![pod::script_volume(plan), pod::empty_dir(pod::TMP_VOLUME)];
    if init.is_some() {
        volumes.push(pod::empty_dir(pod::RESULTS_VOLUME));
    }
    if let Some(secret) = keystore(plan) {
        volumes.push(Volume {
            name: RMI_VOLUME.to_owned(),
            secret: Some(SecretVolumeSource {
                secret_name: Some(secret.to_owned()),
                // Owner and group (fsGroup) may read; nobody else.
                default_mode: Some(0o440),
                ..Default::default()
            }),
            ..Default::default()
        });
    }
    PodSpec {
        init_containers: init.map(|c| vec![c]),
        containers,
        volumes: Some(volumes),
        ..Default::default()
    }
}
