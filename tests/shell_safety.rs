//! A plan is untrusted input. Values with quotes, `$()`, backticks, `;` and spaces
//! must reach the tools verbatim, as data, and never be executed by the container's
//! shell or expanded by the kubelet.
//!
//! These tests run each generated container command with the real `sh`, as the
//! kubelet would start it (downward-API values filled in, `$$` reduced to `$`), with
//! stub `jmeter`/`k6`/`gatling.sh`/`gatling-cluster` binaries that record the
//! arguments and environment they receive.

mod support;

use serde_json::Value;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

const CANARY: &str = "PWNED";

/// A value built to break out of every quoting mistake, and to create `CANARY` in
/// the working folder if it ever runs.
fn hostile() -> String {
    format!("a'b\"c `touch {CANARY}` $(touch {CANARY}) ; touch {CANARY} # $HOME ${{HOME}} $(HOME) $$ \\ end")
}

fn write_plan(dir: &Path, body: &str, script: (&str, &str)) -> perfplan::Plan {
    std::fs::write(dir.join(script.0), script.1).unwrap();
    let text = format!("perfplan: v1\nname: hostile\nnamespace: perf\n{body}");
    let source = perfplan::Source::new("hostile.yaml", text, dir);
    match perfplan::validate(&source) {
        Ok(v) => v.plan,
        Err(r) => panic!("{r}"),
    }
}

/// Stub tools that record argv (one per line) and `JAVA_TOOL_OPTIONS`.
fn stubs(dir: &Path) -> std::path::PathBuf {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    // `getent`: every peer's DNS name resolves (the start barrier passes at once).
    for tool in ["jmeter", "k6", "gatling.sh", "gatling-cluster", "getent"] {
        let path = bin.join(tool);
        std::fs::write(
            &path,
            "#!/bin/sh\nprintf '%s\\n' \"$@\" > \"$STUB_OUT/argv\"\nprintf '%s' \"${JAVA_TOOL_OPTIONS:-}\" > \"$STUB_OUT/java\"\n\
             printf '%s' \"${K6_PROMETHEUS_RW_PASSWORD:-}\" > \"$STUB_OUT/password\"\n",
        )
        .unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    bin
}

use support::pods::kubelet_expand;

/// What the downward API would give the pod at index 3.
fn field(path: &str) -> String {
    match path {
        "metadata.name" => "hostile-worker-3".to_owned(),
        "status.podIP" => "10.1.2.3".to_owned(),
        "metadata.namespace" => "perf".to_owned(),
        p if p.contains("job-completion-index") => "3".to_owned(),
        p => panic!("unexpected field {p}"),
    }
}

struct Run {
    argv: Vec<String>,
    java: String,
    /// What k6 found in `K6_PROMETHEUS_RW_PASSWORD`.
    password: String,
}

/// Where the test puts the files of the metrics credentials volume.
const METRICS_MOUNT: &str = "/etc/perfplan/metrics";
/// Where the test puts the RMI keystore Secret's files.
const RMI_MOUNT: &str = "/etc/perfplan/rmi";
/// The JMeter secrets file, which the test reads back from its own folder.
const SECRETS_FILE: &str = "/tmp/perfplan-secrets.properties";
/// The JMeter controller's `remote_hosts` file, read back from the test's folder.
const HOSTS_FILE: &str = "/tmp/perfplan-hosts.properties";
/// The script volume, which the test's folder stands in for (it holds the script).
const SCRIPT_MOUNT: &str = "/etc/perfplan/script";
/// Where a Gatling runner copies its sources, in the test's folder instead.
const SOURCES_COPY: &str = "/tmp/simulations";

/// Run a container's `sh -c` command as the kubelet would.
fn run_container(container: &Value, dir: &Path) -> Run {
    let mut env: Vec<(String, String)> = Vec::new();
    for e in container["env"].as_array().into_iter().flatten() {
        let name = e["name"].as_str().unwrap().to_owned();
        let value = match e.get("value").and_then(Value::as_str) {
            Some(v) => kubelet_expand(v, &env).replace(SCRIPT_MOUNT, dir.to_str().unwrap()),
            None => field(
                e.pointer("/valueFrom/fieldRef/fieldPath")
                    .unwrap()
                    .as_str()
                    .unwrap(),
            ),
        };
        env.push((name, value));
    }
    let strings = |key: &str| -> Vec<String> {
        container[key]
            .as_array()
            .into_iter()
            .flatten()
            .map(|v| kubelet_expand(v.as_str().unwrap(), &env))
            .collect()
    };
    // The credentials volume is mounted at `metrics/` in the test's folder.
    let mounted = dir.join("metrics");
    let secrets = dir.join("secrets.properties");
    let command: Vec<String> = strings("command")
        .into_iter()
        .map(|c| {
            c.replace(METRICS_MOUNT, mounted.to_str().unwrap())
                .replace(RMI_MOUNT, dir.join("rmi").to_str().unwrap())
                .replace(SECRETS_FILE, secrets.to_str().unwrap())
                .replace(HOSTS_FILE, dir.join("hosts.properties").to_str().unwrap())
                .replace(SOURCES_COPY, dir.join("simulations").to_str().unwrap())
        })
        .collect();
    let args = strings("args");
    let out = dir.join("out");
    std::fs::create_dir_all(&out).unwrap();
    let bin = stubs(dir);
    let status = Command::new(&command[0])
        .args(&command[1..])
        .args(&args)
        .current_dir(dir)
        .env_clear()
        .env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
        .env("STUB_OUT", &out)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .status()
        .unwrap();
    assert!(status.success(), "{command:?} failed");
    assert!(!dir.join(CANARY).exists(), "a plan value was executed");
    Run {
        argv: std::fs::read_to_string(out.join("argv"))
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect(),
        java: std::fs::read_to_string(out.join("java")).unwrap(),
        password: std::fs::read_to_string(out.join("password")).unwrap(),
    }
}

/// The load-generating containers of a compiled plan.
fn containers(plan: &perfplan::Plan) -> Vec<(String, Value)> {
    perfplan::compile(plan)
        .manifests
        .iter()
        .filter_map(|m| m.value.pointer("/spec/template/spec/containers").cloned())
        .flat_map(|cs| cs.as_array().unwrap().clone())
        .map(|c| (c["name"].as_str().unwrap().to_owned(), c))
        .collect()
}

#[test]
fn jmeter_properties_and_url_reach_jmeter_verbatim() {
    let dir = tempfile::tempdir().unwrap();
    let value = hostile();
    let escaped = serde_json::to_string(&value).unwrap();
    let plan = write_plan(
        dir.path(),
        &format!(
            "tool: jmeter\nscript: t.jmx\nload: {{users: 10, generators: 4, duration: 1m}}\n\
             target: {{url: \"https://10.0.0.1/$(touch${{IFS}}{CANARY})/a;b'c\"}}\n\
             jmeter:\n  rmi: {{ssl: false}}\n  properties:\n    evil: {escaped}\n"
        ),
        ("t.jmx", "<jmeterTestPlan/>"),
    );
    let url = plan.target.url_text().to_owned();
    assert!(url.contains("$(touch"), "the URL keeps its `$(`: {url}");
    for (name, c) in containers(&plan) {
        let run = run_container(&c, dir.path());
        assert!(
            run.argv.contains(&format!("-Jevil={value}")),
            "{name}: {:?}",
            run.argv
        );
        assert!(
            run.argv.contains(&format!("-Jtarget.url={url}")),
            "{name}: {:?}",
            run.argv
        );
        if name == "jmeter-worker" {
            // Worker 3 of 4 with 10 users: 3, 3, 2, 2.
            assert!(run.argv.contains(&"-Jthreads=2".to_owned()), "{:?}", run.argv);
            assert!(run.argv.contains(&"-Jshard=3".to_owned()), "{:?}", run.argv);
        } else {
            // The hosts go through a properties file and `-r`, never one long argument.
            assert!(run.argv.contains(&"-r".to_owned()) && !run.argv.contains(&"-R".to_owned()));
            let q = run.argv.iter().position(|a| a == "-q").unwrap();
            let hosts = std::fs::read_to_string(&run.argv[q + 1]).unwrap();
            assert_eq!(
                hosts,
                "remote_hosts=hostile-jmeter-worker-0.hostile-jmeter-worker:1099,hostile-jmeter-worker-1.hostile-jmeter-worker:1099,\
                 hostile-jmeter-worker-2.hostile-jmeter-worker:1099,hostile-jmeter-worker-3.hostile-jmeter-worker:1099\n"
            );
        }
    }
}

#[test]
fn k6_runners_get_their_segment_and_the_url_as_data() {
    let dir = tempfile::tempdir().unwrap();
    let plan = write_plan(
        dir.path(),
        &format!(
            "tool: k6\nscript: t.js\nload: {{users: 3000, generators: 7, duration: 1m}}\n\
             target: {{url: \"http://10.0.0.1:8080/`touch${{IFS}}{CANARY}`/$(touch${{IFS}}{CANARY})\"}}\n"
        ),
        ("t.js", "export default function () {}\n"),
    );
    let (_, c) = containers(&plan).remove(0);
    let run = run_container(&c, dir.path());
    let seg = run.argv.iter().position(|a| a == "--execution-segment").unwrap();
    assert_eq!(run.argv[seg + 1], "3/7:4/7");
    assert_eq!(run.argv[0], "run");
    let env = c["env"].as_array().unwrap();
    let url = env.iter().find(|e| e["name"] == "TARGET_URL").unwrap()["value"]
        .as_str()
        .unwrap();
    assert_eq!(kubelet_expand(url, &[]), plan.target.url_text());
}

#[test]
fn gatling_runners_get_their_share_as_system_properties() {
    let dir = tempfile::tempdir().unwrap();
    let plan = write_plan(
        dir.path(),
        &format!(
            "tool: gatling\nscript: S.scala\nload: {{users: 1001, generators: 4, duration: 1m}}\n\
             target: {{url: \"https://10.0.0.1/a'b/$(touch${{IFS}}{CANARY})\"}}\n\
             gatling: {{simulationClass: a.S, mode: independent}}\n"
        ),
        ("S.scala", "package a\nclass S\n"),
    );
    let (_, c) = containers(&plan).remove(0);
    let run = run_container(&c, dir.path());
    // 1001 over 4: 251, 250, 250, 250; runner 3 gets 250.
    assert!(run.java.contains(" -Dusers=250 "), "{}", run.java);
    assert!(run.java.contains("-Dshard=3"), "{}", run.java);
    assert!(
        run.java
            .contains("-Dtarget.url=https://10.0.0.1/a%27b/$(touch$%7BIFS%7D"),
        "{}",
        run.java
    );
    assert!(
        !run.java.contains('\''),
        "no quote reaches the JVM's option parser"
    );
    // A plain copy of the sources is compiled, not the ConfigMap's linked layout.
    let copy = dir.path().join("simulations");
    assert_eq!(run.argv[..4], ["-sf", copy.to_str().unwrap(), "-s", "a.S"]);
    assert_eq!(
        std::fs::read_to_string(copy.join("S.scala")).unwrap(),
        "package a\nclass S\n"
    );
    // gatling.sh runs the launcher as its java, so the start barrier sits between
    // its compile step and Gatling; the image's own JAVA_HOME is kept for the launcher.
    let script = c["command"][2].as_str().unwrap();
    let launcher = script.find("export JAVA_HOME=/etc/perfplan/launcher\n").unwrap();
    assert!(script.find("PERFPLAN_JAVA_HOME=\"${JAVA_HOME:-}\"").unwrap() < launcher);
    assert!(launcher < script.find("exec gatling.sh").unwrap());
}

/// The Gatling launcher of a 3-runner plan, as its ConfigMap holds it.
fn gatling_launcher(dir: &Path) -> String {
    let plan = write_plan(
        dir,
        "tool: gatling\nscript: S.scala\nload: {users: 3, generators: 3, duration: 1m}\n\
         target: {url: \"https://10.0.0.1/\"}\ngatling: {simulationClass: a.S, mode: independent}\n",
        ("S.scala", "package a\nclass S\n"),
    );
    let manifests = perfplan::compile(&plan).manifests;
    let launcher = manifests
        .iter()
        .find(|m| m.value["kind"] == "ConfigMap" && m.value["data"]["java"].is_string())
        .expect("a launcher ConfigMap");
    launcher.value["data"]["java"].as_str().unwrap().to_owned()
}

/// Runs the launcher as gatling.sh would (`$JAVA_HOME/bin/java ARGS`), as runner
/// `index` of 3, with a stub java and a stub `getent` that resolves a name only from
/// its second lookup on for the names in `late`. Returns the names looked up, in
/// order, and what java received (argv, then `JAVA_HOME`).
fn run_launcher(dir: &Path, index: u32, args: &[&str], late: &[&str]) -> (Vec<String>, Vec<String>) {
    let text = gatling_launcher(dir).replace(
        "/tmp/perfplan-at-barrier",
        dir.join("at-barrier").to_str().unwrap(),
    );
    let launcher = dir.join("launcher");
    std::fs::write(&launcher, text).unwrap();
    std::fs::set_permissions(&launcher, std::fs::Permissions::from_mode(0o755)).unwrap();
    let (bin, jdk) = (dir.join("bin"), dir.join("jdk/bin"));
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::create_dir_all(&jdk).unwrap();
    let stubs = [
        (
            bin.join("getent"),
            "#!/bin/sh\nprintf '%s\\n' \"$2\" >> \"$STUB_OUT/lookups\"\n\
             for n in $LATE; do\n  if [ \"$2\" = \"$n\" ] && [ ! -e \"$STUB_OUT/seen-$n\" ]; then\n\
             \x20   : > \"$STUB_OUT/seen-$n\"; exit 2\n  fi\ndone\nexit 0\n",
        ),
        (bin.join("nslookup"), "#!/bin/sh\nexit 1\n"),
        (
            jdk.join("java"),
            "#!/bin/sh\nprintf '%s\\n' \"$@\" \"JAVA_HOME=$JAVA_HOME\" > \"$STUB_OUT/java\"\n",
        ),
    ];
    for (path, body) in stubs {
        std::fs::write(&path, body).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let out = dir.join("out");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::remove_file(out.join("lookups")).ok();
    let status = Command::new(&launcher)
        .args(args)
        .env_clear()
        .env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
        .env("STUB_OUT", &out)
        .env("LATE", late.join(" "))
        .env("JAVA_HOME", "/etc/perfplan/launcher")
        .env("PERFPLAN_JAVA_HOME", dir.join("jdk"))
        .env("RUNNER_INDEX", index.to_string())
        .env("GENERATORS", "3")
        .env("RUNNER_JOB", "r")
        .env("RUNNER_SERVICE", "svc")
        .env("RUNNER_SELECTOR", "x=y")
        .status()
        .unwrap();
    assert!(status.success());
    let lines = |f: &str| -> Vec<String> {
        std::fs::read_to_string(out.join(f))
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    };
    (lines("lookups"), lines("java"))
}

#[test]
fn gatling_launcher_compiles_at_once_and_starts_gatling_after_the_barrier() {
    let dir = tempfile::tempdir().unwrap();
    let jdk = format!("JAVA_HOME={}", dir.path().join("jdk").display());
    let hostile = hostile();
    // The compile step: no lookup, no barrier file, the image's java with the same
    // arguments and its own JAVA_HOME.
    let compile = ["-Xss100M", "io.gatling.compiler.ZincCompiler", "-sf", &hostile];
    let (lookups, java) = run_launcher(dir.path(), 1, &compile, &[]);
    assert!(lookups.is_empty(), "{lookups:?}");
    assert!(!dir.path().join("at-barrier").exists());
    assert_eq!(java, [&compile[..], &[jdk.as_str()]].concat());
    // Gatling itself, runner 1: at the barrier (the readiness file), it waits for
    // runner 0's name only, looked up again until it resolves.
    let run = ["-Xmx1536m", "io.gatling.app.Gatling", "-rd", &hostile];
    let (lookups, java) = run_launcher(dir.path(), 1, &run, &["r-0.svc"]);
    assert_eq!(lookups, ["r-0.svc", "r-0.svc"]);
    assert!(dir.path().join("at-barrier").exists());
    assert_eq!(java, [&run[..], &[jdk.as_str()]].concat());
    assert!(!dir.path().join(CANARY).exists(), "a value was executed");
    // Runner 0 first waits for runners 1 and 2, looking up a name again only until
    // it resolved (runner 2 comes late), then for its own name, like every runner.
    std::fs::remove_file(dir.path().join("at-barrier")).unwrap();
    let (lookups, _) = run_launcher(dir.path(), 0, &run, &["r-2.svc"]);
    assert_eq!(lookups, ["r-1.svc", "r-2.svc", "r-2.svc", "r-0.svc"]);
    assert!(dir.path().join("at-barrier").exists());
}

#[test]
fn every_generated_script_is_free_of_plan_text() {
    let dir = tempfile::tempdir().unwrap();
    let plan = write_plan(
        dir.path(),
        "tool: jmeter\nscript: t.jmx\nload: {users: 10, generators: 2, duration: 1m}\n\
         target: {url: \"https://10.0.0.1/unique-path-marker\"}\n\
         jmeter:\n  rmi: {ssl: false}\n  properties: {marker: unique-value-marker}\n",
        ("t.jmx", "<jmeterTestPlan/>"),
    );
    for m in perfplan::compile(&plan).manifests {
        let Some(spec) = m.value.pointer("/spec/template/spec") else {
            continue;
        };
        for c in ["initContainers", "containers"]
            .iter()
            .flat_map(|k| spec[*k].as_array().cloned().unwrap_or_default())
        {
            if let Some(script) = c.pointer("/command/2").and_then(Value::as_str) {
                for marker in ["unique-path-marker", "unique-value-marker", "hostile"] {
                    assert!(
                        !script.contains(marker),
                        "plan text `{marker}` in a script:\n{script}"
                    );
                }
            }
        }
    }
}

/// A Secret volume as the test mounts it (`<dir>/<folder>/<file>`), every file
/// holding the hostile value with a trailing newline, as `kubectl create secret
/// --from-file` often stores it. Returns the value.
fn mount_secret(dir: &Path, folder: &str, files: &[&str]) -> String {
    let value = hostile();
    std::fs::create_dir_all(dir.join(folder)).unwrap();
    for file in files {
        std::fs::write(dir.join(folder).join(file), format!("{value}\n")).unwrap();
    }
    value
}

/// Metrics credentials are read from the mounted Secret's files inside the
/// container: a hostile password or token reaches the tool verbatim, runs nothing,
/// and the manifest never holds it.
#[test]
fn metrics_credentials_reach_the_tools_verbatim_from_files() {
    let dir = tempfile::tempdir().unwrap();
    let secret = mount_secret(dir.path(), "metrics", &["username", "password", "token"]);
    let k6 = write_plan(
        dir.path(),
        "tool: k6\nscript: t.js\nload: {users: 30, generators: 3, duration: 1m}\ntarget: {url: \"https://10.0.0.1\"}\n\
         metrics:\n  output: prometheusRemoteWrite\n  url: \"https://10.9.0.1/api/v1/write?x=$(touch${IFS}PWNED)\"\n\
         \x20 credentials: {secret: rw, usernameKey: u, passwordKey: p}\n",
        ("t.js", "export default function () {}\n"),
    );
    let (_, runner) = containers(&k6).remove(0);
    let run = run_container(&runner, dir.path());
    assert_eq!(run.password, secret);
    // Two outputs: the raw samples for `perfplan report`, and the live metrics.
    let outs: Vec<&str> = run
        .argv
        .windows(2)
        .filter(|w| w[0] == "--out")
        .map(|w| w[1].as_str())
        .collect();
    assert_eq!(
        outs,
        ["csv=/results/samples.csv.gz", "experimental-prometheus-rw"]
    );
    let jmeter = write_plan(
        dir.path(),
        "tool: jmeter\nscript: t.jmx\nload: {users: 10, generators: 4, duration: 1m}\ntarget: {url: \"https://10.0.0.1\"}\n\
         jmeter: {rmi: {ssl: false}}\nmetrics:\n  output: influxdb\n  url: \"http://10.9.0.2:8086/write?db=j&x=$(touch${IFS}PWNED)\"\n\
         \x20 credentials: {secret: influx, tokenKey: t}\n",
        ("t.jmx", "<jmeterTestPlan/>"),
    );
    // The Backend Listener runs on the controller: it gets the token.
    let (name, controller) = containers(&jmeter)
        .into_iter()
        .find(|(name, _)| name == "jmeter-controller")
        .unwrap();
    assert_eq!(name, "jmeter-controller");
    let run = run_container(&controller, dir.path());
    // JMeter logs every -J value: the token travels in a 0600 properties file instead,
    // backslashes doubled as Java's Properties.load expects.
    assert!(
        !run.argv.iter().any(|a| a.contains("metrics.token")),
        "{:?}",
        run.argv
    );
    let file = dir.path().join("secrets.properties");
    assert!(
        run.argv
            .windows(2)
            .any(|w| w[0] == "-q" && w[1] == file.to_str().unwrap()),
        "{:?}",
        run.argv
    );
    let properties = std::fs::read_to_string(&file).unwrap();
    assert_eq!(
        properties,
        format!("metrics.token={}\n", secret.replace('\\', "\\\\"))
    );
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "only the container's user reads the secrets file");
    assert!(
        run.argv
            .contains(&"-Jmetrics.instance=hostile-worker-3".to_owned()),
        "{:?}",
        run.argv
    );
    let url = jmeter.metrics.as_ref().unwrap().url_text();
    assert!(
        run.argv.contains(&format!("-Jmetrics.url={url}")),
        "{:?}",
        run.argv
    );
    for (plan, secret_name) in [(&k6, "secretName: rw\n"), (&jmeter, "secretName: influx\n")] {
        let yaml = perfplan::compile(plan).to_yaml_stream();
        assert!(yaml.contains(secret_name), "the Secret is mounted as a volume");
        assert!(
            !yaml.contains("secretKeyRef"),
            "credentials never become env vars of the pod spec"
        );
    }
}

/// The RMI keystore password never travels as `-J` (JMeter would log it): both
/// roles load it from their secrets file.
#[test]
fn rmi_keystore_password_reaches_jmeter_through_the_secrets_file_only() {
    let dir = tempfile::tempdir().unwrap();
    let password = mount_secret(dir.path(), "rmi", &["password"]);
    let plan = write_plan(
        dir.path(),
        "tool: jmeter\nscript: t.jmx\nload: {users: 10, generators: 2, duration: 1m}\ntarget: {url: \"https://10.0.0.1\"}\n\
         jmeter: {rmi: {ssl: true, keystoreSecret: rmi-keystore}}\n",
        ("t.jmx", "<jmeterTestPlan/>"),
    );
    let escaped = password.replace('\\', "\\\\");
    for (name, c) in containers(&plan) {
        let run = run_container(&c, dir.path());
        assert!(
            !run.argv.iter().any(|a| a.contains("password")),
            "{name}: {:?}",
            run.argv
        );
        assert!(run.argv.contains(&"-q".to_owned()), "{name}: {:?}", run.argv);
        let properties = std::fs::read_to_string(dir.path().join("secrets.properties")).unwrap();
        assert_eq!(
            properties,
            format!(
                "server.rmi.ssl.keystore.password={escaped}\nserver.rmi.ssl.truststore.password={escaped}\n"
            ),
            "{name}"
        );
    }
}

/// Every argument and env value a plan contributes reaches the tool as written, after
/// the kubelet's `$(VAR)` expansion, even when the plan names a variable the container
/// defines. (Found by an audit: removing the `$$` escaping of k6's `--out influxdb=URL`
/// passed every test; this one fails on it.)
#[test]
fn plan_values_survive_the_kubelets_expansion_in_every_argument() {
    let dir = tempfile::tempdir().unwrap();
    // `$(TARGET_URL)` and `$(RUNNERS_TOTAL)` are env vars of the runner: unescaped, the
    // kubelet would substitute them.
    let url = "http://10.9.0.2:8086/perf?x=$(TARGET_URL)&y=$(RUNNERS_TOTAL)";
    let plan = write_plan(
        dir.path(),
        &format!(
            "tool: k6\nscript: t.js\nload: {{users: 30, generators: 3, duration: 1m}}\n\
             target: {{url: \"https://10.0.0.1/a/$(RUNNER_INDEX)\"}}\n\
             metrics:\n  output: influxdb\n  url: \"{url}\"\n  allow: [{{cidr: 10.9.0.0/16}}]\n"
        ),
        ("t.js", "export default function () {}\n"),
    );
    let (_, c) = containers(&plan).into_iter().find(|(n, _)| n == "k6").unwrap();
    let env: Vec<(String, String)> = c["env"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let value = e.get("value").and_then(Value::as_str).unwrap_or("0");
            (e["name"].as_str().unwrap().to_owned(), value.to_owned())
        })
        .collect();
    let expanded = |v: &Value| kubelet_expand(v.as_str().unwrap(), &env);
    let args: Vec<String> = c["args"].as_array().unwrap().iter().map(expanded).collect();
    let m = plan.metrics.as_ref().unwrap();
    assert!(args.contains(&format!("influxdb={}", m.url_text())), "{args:?}");
    let target = env.iter().find(|(n, _)| n == "TARGET_URL").unwrap();
    assert_eq!(kubelet_expand(&target.1, &env), plan.target.url_text());
}

/// At the 10,000-worker maximum the controller's worker list is ~440 KB: on the
/// command line (`-R`) one argument over Linux's 128 KiB limit ("Argument list too
/// long"). Through the `remote_hosts` file and `-r`, every argument stays small.
#[test]
fn the_jmeter_controller_reaches_ten_thousand_workers() {
    let dir = tempfile::tempdir().unwrap();
    let plan = write_plan(
        dir.path(),
        "tool: jmeter\nscript: t.jmx\nload: {users: 10000, generators: 10000, duration: 1m}\n\
         target: {url: \"https://10.0.0.1\"}\njmeter: {rmi: {ssl: false}}\n",
        ("t.jmx", "<jmeterTestPlan/>"),
    );
    let (_, controller) = containers(&plan)
        .into_iter()
        .find(|(name, _)| name == "jmeter-controller")
        .unwrap();
    let run = run_container(&controller, dir.path());
    let longest = run.argv.iter().map(String::len).max().unwrap();
    assert!(longest < 4096, "an argument of {longest} bytes");
    let hosts = std::fs::read_to_string(dir.path().join("hosts.properties")).unwrap();
    let list = hosts.strip_prefix("remote_hosts=").unwrap().trim_end();
    assert_eq!(list.split(',').count(), 10_000);
    assert!(list.ends_with("hostile-jmeter-worker-9999.hostile-jmeter-worker:1099"));
    assert!(
        hosts.len() > 128 * 1024,
        "the list is what would not fit one argument"
    );
}

/// The Gatling master's `discover-workers` init container, run by the real `sh` as
/// the kubelet starts it, with a stub `getent` answering for the cluster DNS.
struct Discovery {
    /// The exit status, stderr, and the workers file (if written).
    ok: bool,
    stderr: String,
    workers: Option<String>,
    /// The getent databases asked, one per call.
    databases: String,
}

/// Run `discover-workers` of a 3-worker plan; `answers[i]` is what DNS says for
/// worker i (an empty answer: it does not resolve), `pod_ip` the master's own.
fn discover(pod_ip: &str, answers: [&str; 3], timeout_s: &str) -> Discovery {
    let dir = tempfile::tempdir().unwrap();
    let plan = write_plan(
        dir.path(),
        "tool: gatling\nscript: S.scala\nload: {users: 30, generators: 3, duration: 1m}\n\
         target: {url: \"https://10.0.0.1\"}\nimage: example.com/gatling-cluster:1.0\n\
         gatling: {simulationClass: a.S}\n",
        ("S.scala", "class S\n"),
    );
    let master = perfplan::compile(&plan)
        .manifests
        .into_iter()
        .find(|m| m.kind == "Job")
        .unwrap();
    let init = &master
        .value
        .pointer("/spec/template/spec/initContainers")
        .unwrap()[0];
    assert_eq!(init["name"], "discover-workers");
    let mut env: Vec<(String, String)> = Vec::new();
    for e in init["env"].as_array().unwrap() {
        let value = match e.get("value").and_then(Value::as_str) {
            Some(v) => kubelet_expand(v, &env),
            None => match e
                .pointer("/valueFrom/fieldRef/fieldPath")
                .unwrap()
                .as_str()
                .unwrap()
            {
                "status.podIP" => pod_ip.to_owned(),
                path => field(path),
            },
        };
        env.push((e["name"].as_str().unwrap().to_owned(), value));
    }
    let found = dir.path().join("discovery");
    std::fs::create_dir_all(&found).unwrap();
    let command: Vec<String> = init["command"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            kubelet_expand(c.as_str().unwrap(), &env)
                .replace("/etc/perfplan/discovery", found.to_str().unwrap())
                // The 300 s bound, shortened so a refused answer ends the test quickly
                // (the message still says 300s).
                .replace("-ge 300", &format!("-ge {timeout_s}"))
        })
        .collect();
    // A stub getent: the address of each worker's DNS name, as getent prints it
    // (address first, padded), or "not found" (exit 2) for an empty answer.
    let bin = dir.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let getent = bin.join("getent");
    std::fs::write(
        &getent,
        "#!/bin/sh\nprintf '%s\\n' \"$1\" >>\"$STUB_OUT/databases\"\n\
         case \"$2\" in\n\
           hostile-gatling-worker-0.hostile-gatling-worker) a=\"$ANSWER_0\" ;;\n\
           hostile-gatling-worker-1.hostile-gatling-worker) a=\"$ANSWER_1\" ;;\n\
           hostile-gatling-worker-2.hostile-gatling-worker) a=\"$ANSWER_2\" ;;\n\
           *) exit 2 ;;\n\
         esac\n\
         [ -n \"$a\" ] || exit 2\n\
         printf '%-15s STREAM %s\\n%-15s DGRAM  \\n' \"$a\" \"$2\" \"$a\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&getent, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = Command::new(&command[0])
        .args(&command[1..])
        .current_dir(dir.path())
        .env_clear()
        .env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
        .env("STUB_OUT", dir.path())
        .env("ANSWER_0", answers[0])
        .env("ANSWER_1", answers[1])
        .env("ANSWER_2", answers[2])
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .unwrap();
    assert!(!dir.path().join(CANARY).exists(), "a DNS answer was executed");
    Discovery {
        ok: out.status.success(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        workers: std::fs::read_to_string(found.join("workers")).ok(),
        databases: std::fs::read_to_string(dir.path().join("databases")).unwrap_or_default(),
    }
}

/// The workers' addresses land in `$WORKERS_FILE` in ordinal order (not in the
/// order of the addresses), through IPv4 lookups when the master's own address is
/// IPv4, and IPv6-first lookups when it is IPv6.
#[test]
fn gatling_discovery_writes_the_workers_addresses_in_ordinal_order() {
    let v4 = discover("10.1.2.3", ["10.0.0.30", "10.0.0.20", "10.0.0.10"], "300");
    assert!(v4.ok, "{}", v4.stderr);
    assert_eq!(v4.workers.as_deref(), Some("10.0.0.30\n10.0.0.20\n10.0.0.10\n"));
    assert_eq!(v4.databases, "ahostsv4\nahostsv4\nahostsv4\n");
    let v6 = discover("fd00::5", ["fd00::30", "fd00::20", "fd00::10"], "300");
    assert!(v6.ok, "{}", v6.stderr);
    assert_eq!(v6.workers.as_deref(), Some("fd00::30\nfd00::20\nfd00::10\n"));
    assert_eq!(v6.databases, "hosts\nhosts\nhosts\n");
}

/// A worker that does not resolve, or an answer that is not an address (hostile
/// text from DNS), is waited for, never written or run; at the bound the script
/// fails naming the missing worker and the `kubectl get pods` to look at.
#[test]
fn gatling_discovery_refuses_answers_that_are_not_addresses_and_times_out_clearly() {
    for answer in [
        "",
        "$(touch PWNED)",
        "`touch PWNED`",
        "10.0.0.1;touch PWNED",
        "10.0.0.1/../../x",
    ] {
        let d = discover("10.1.2.3", ["10.0.0.30", "10.0.0.20", answer], "1");
        assert!(!d.ok, "{answer:?} was accepted");
        assert_eq!(d.workers, None, "{answer:?}");
        assert!(
            d.stderr.contains(
                "gave up after 300s waiting for the DNS names of all 3 Gatling workers: 2 of 3 workers resolve; \
                 hostile-gatling-worker-2.hostile-gatling-worker does not resolve yet"
            ),
            "{}",
            d.stderr
        );
        assert!(
            d.stderr.contains(
                "see kubectl get pods --namespace perf --selector app.kubernetes.io/component=worker,\
                 app.kubernetes.io/instance=hostile,"
            ),
            "{}",
            d.stderr
        );
    }
}
