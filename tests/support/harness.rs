//! Running compiled bundles through the local kubelet of `tests/harness/` with the real
//! tools, and reading what happened: shared by `tests/real_tools.rs` (bundles of test
//! plans) and `tests/real_examples.rs` (the example plans as written).

use serde_json::Value;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

/// One harness run at a time within a test binary: runs share the target's address and
/// the CPU.
static HARNESS: Mutex<()> = Mutex::new(());

/// One harness run at a time across test binaries too. `cargo test` runs its test
/// binaries one after the other ("each target compiles to a special executable … and
/// then is run serially", cargo-test(1)), but a runner that starts binaries in parallel
/// (cargo-nextest, two `cargo test --test …` at once) would put two runs on the same
/// target address. The lock is released when the file closes, so a killed test never
/// leaves it held.
fn machine_lock() -> File {
    let file = File::create(std::env::temp_dir().join("perfplan-kubelet.lock"))
        .expect("create the harness lock file");
    file.lock().expect("lock the harness lock file");
    file
}

/// Hold this for the length of a harness run: one run at a time, within the test binary
/// ([`HARNESS`]) and across test binaries ([`machine_lock`]).
pub fn one_at_a_time() -> (std::sync::MutexGuard<'static, ()>, File) {
    let one = HARNESS.lock().unwrap_or_else(|e| e.into_inner());
    (one, machine_lock())
}

/// The target every plan aims at, as the harness serves it.
pub const TARGET: &str = "target.test=127.77.2.1:8080";

/// `NAME=PATH` lines of `tools/real-tools.sh TOOL`, installing on first use.
pub fn real_tools(tool: &str) -> Vec<(String, String)> {
    let out = Command::new(super::root().join("tools/real-tools.sh"))
        .arg(tool)
        .output()
        .expect("run tools/real-tools.sh");
    assert!(
        out.status.success(),
        "tools/real-tools.sh {tool} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

/// Run a bundle through the harness; the parsed report and the harness's exit code.
pub fn run(bundle: &Path, tools: &[(String, String)], timeout_s: u32) -> (Value, i32) {
    run_with(bundle, tools, timeout_s, &[])
}

/// [`run`], with objects the user creates beside the bundle (a Secret, say); the run's
/// folder is `run` beside the bundle.
pub fn run_with(
    bundle: &Path,
    tools: &[(String, String)],
    timeout_s: u32,
    objects: &[&Path],
) -> (Value, i32) {
    let run_dir = bundle.parent().unwrap().join("run");
    run_in(bundle, &run_dir, tools, timeout_s, objects, &[TARGET])
}

/// The general run: the run's folder, and the targets (`NAME=IP:PORTS` of
/// `kubelet.py --target`, e.g. `target.test=127.77.2.1:8080,2003/graphite`).
pub fn run_in(
    bundle: &Path,
    run_dir: &Path,
    tools: &[(String, String)],
    timeout_s: u32,
    objects: &[&Path],
    targets: &[&str],
) -> (Value, i32) {
    let _one = one_at_a_time();
    let mut cmd = Command::new("python3");
    cmd.arg(super::root().join("tests/harness/kubelet.py"))
        .arg("run")
        .arg(bundle)
        .args(["--timeout", &timeout_s.to_string()])
        .arg("--run-dir")
        .arg(run_dir);
    for target in targets {
        cmd.args(["--target", target]);
    }
    for object in objects {
        cmd.arg("--object").arg(object);
    }
    for (name, path) in tools {
        let tool = match name.as_str() {
            "K6_BIN" => "k6",
            "JMETER_HOME" => "jmeter_home",
            "GATLING_HOME" => "gatling_home",
            "JAVA_HOME" => "java_home",
            _ => continue,
        };
        cmd.args(["--tool", &format!("{tool}={path}")]);
    }
    let out = cmd.output().expect("run the harness");
    let code = out.status.code().unwrap_or(-1);
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!("{stderr}");
    assert_ne!(code, 2, "harness error:\n{stderr}");
    let report =
        std::fs::read_to_string(run_dir.join("report.json")).expect("the harness writes report.json");
    (serde_json::from_str(&report).unwrap(), code)
}

/// A Job's final condition in the report: `Complete` or `Failed`.
pub fn job_status<'a>(report: &'a Value, job: &str) -> &'a str {
    report["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["name"] == job)
        .and_then(|j| j["condition"].as_str())
        .unwrap_or_else(|| panic!("no finished job {job} in {:#}", report["jobs"]))
}

/// What the target `target.test` counted.
pub fn target(report: &Value) -> &Value {
    &report["targets"]["target.test"]
}

/// Per generator index (`gen` in each request): (distinct VUs, requests).
pub fn per_generator(report: &Value) -> Vec<(u64, u64)> {
    let by_gen = target(report)["by_gen"].as_object().expect("requests carry gen=");
    let mut out: Vec<(usize, u64, u64)> = by_gen
        .iter()
        .map(|(g, v)| {
            (
                g.parse().unwrap(),
                v["vus"].as_u64().unwrap(),
                v["requests"].as_u64().unwrap(),
            )
        })
        .collect();
    out.sort();
    out.into_iter().map(|(_, vus, req)| (vus, req)).collect()
}

/// Requests the target counted per client (each pod has its own address), sorted.
pub fn per_client(report: &Value) -> Vec<u64> {
    let mut counts: Vec<u64> = target(report)["by_client"]
        .as_object()
        .expect("per-client counts")
        .values()
        .map(|c| c["requests"].as_u64().unwrap())
        .collect();
    counts.sort_unstable();
    counts
}

/// Replace `old` (which must be there) in a bundle file.
pub fn edit(file: &Path, old: &str, new: &str) {
    let text = std::fs::read_to_string(file).unwrap();
    assert!(text.contains(old), "{} lacks {old:?}:\n{text}", file.display());
    std::fs::write(file, text.replacen(old, new, 1)).unwrap();
}

/// A claim the user creates beside the bundle (the harness keeps it as a folder
/// under `run/pvc/<namespace>_<name>/`, each pod writing to its own subfolder).
const RESULTS_CLAIM: &str = "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: perf-results\n  \
namespace: perf-testing\nspec:\n  accessModes: [ReadWriteMany]\n  resources:\n    requests:\n      storage: 1Gi\n";

/// The claim's manifest written beside the bundle, for `run_with`.
pub fn results_claim(dir: &Path) -> PathBuf {
    let path = dir.join("claim.yaml");
    std::fs::write(&path, RESULTS_CLAIM).unwrap();
    path
}

/// `perfplan report RESULTS --plan PLAN --output json [extra…]`: exit code and JSON.
pub fn report(results: &Path, plan: &Path, extra: &[&str]) -> (i32, Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_perfplan"))
        .arg("report")
        .arg(results)
        .arg("--plan")
        .arg(plan)
        .args(["--output", "json"])
        .args(extra)
        .output()
        .unwrap();
    eprintln!("{}", String::from_utf8_lossy(&out.stderr));
    let json = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (out.status.code().unwrap_or(-1), json)
}

/// Requests per generator in a report's JSON, sorted.
pub fn report_counts(json: &Value) -> Vec<u64> {
    let mut counts: Vec<u64> = json["generators"]
        .as_array()
        .unwrap_or_else(|| panic!("no generators in {json:#}"))
        .iter()
        .map(|g| g["requests"].as_u64().unwrap())
        .collect();
    counts.sort_unstable();
    counts
}

/// Every file under `dir` (links not followed) whose bytes contain `needle`.
pub fn find_text(dir: &Path, needle: &str, out: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        let Ok(kind) = entry.file_type() else { continue };
        if kind.is_dir() {
            find_text(&path, needle, out);
        } else if kind.is_file()
            && std::fs::read(&path).is_ok_and(|b| b.windows(needle.len()).any(|w| w == needle.as_bytes()))
        {
            out.push(path.display().to_string());
        }
    }
}

/// An example plan's script, as written in `plans/scripts/`, copied beside a test plan.
pub fn example_script(dir: &Path, name: &str) {
    std::fs::create_dir_all(dir.join("scripts")).unwrap();
    std::fs::copy(
        super::root().join("plans/scripts").join(name),
        dir.join("scripts").join(name),
    )
    .unwrap();
}

/// Arrivals counted at the target: within 10 % of the plan's per generator (unpaced
/// threads would send thousands; JMeter's timer was seen sending 52 of 50, the
/// generators' clocks start a little apart from the target's count).
pub fn assert_paced(tool: &str, counts: &[u64], per_generator: u64) {
    eprintln!("{tool}: requests per generator {counts:?}, expected {per_generator} each");
    for &c in counts {
        assert!(
            c * 10 <= per_generator * 11 && c * 10 >= per_generator * 9,
            "{tool}: {counts:?} requests per generator, expected {per_generator} each"
        );
    }
}

/// A Secret manifest beside the bundle: `name` with `data` (key, plain value).
pub fn secret(dir: &Path, name: &str, data: &[(&str, &[u8])]) -> PathBuf {
    let mut text =
        format!("apiVersion: v1\nkind: Secret\nmetadata: {{name: {name}, namespace: perf-testing}}\ndata:\n");
    for (key, value) in data {
        text += &format!("  {key}: {}\n", base64(value));
    }
    let path = dir.join(format!("secret-{name}.yaml"));
    std::fs::write(&path, text).unwrap();
    path
}

fn base64(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ABC[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The RMI keystore Secret `jmeter-rmi` the JMeter examples name, made as JMeter's
/// `create-rmi-keystore.sh` makes it (keytool, RSA 2048), with `password`.
pub fn jmeter_rmi_secret(dir: &Path, java_home: &str, password: &str) -> PathBuf {
    let keystore = dir.join("rmi_keystore.jks");
    let made = Command::new(Path::new(java_home).join("bin/keytool"))
        .args([
            "-genkey",
            "-keyalg",
            "RSA",
            "-alias",
            "rmi",
            "-validity",
            "7",
            "-keysize",
            "2048",
        ])
        .args([
            "-storepass",
            password,
            "-keypass",
            password,
            "-dname",
            "CN=perfplan-rmi",
            "-keystore",
        ])
        .arg(&keystore)
        .output()
        .unwrap();
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let jks = std::fs::read(&keystore).unwrap();
    std::fs::remove_file(&keystore).unwrap();
    secret(
        dir,
        "jmeter-rmi",
        &[("rmi_keystore.jks", &jks), ("password", password.as_bytes())],
    )
}
