//! Every example plan of `plans/` run as written with the real tools, through the local
//! kubelet of `tests/harness/` (see `tests/real_tools.rs` for what it emulates): the
//! example's own script, load model, claims, thresholds and metrics block, with only
//! its scale, duration and target changed, each by an edit that must apply. What ran
//! is counted at the target, per pod, and compared with the plan's split annotation;
//! the tools' own summaries say how many VUs/threads each generator ran.
//!
//! Not run: `gatling-cluster` and `gatling-uneven` (Gatling cluster mode needs an image
//! that implements perfplan's cluster contract, which no public image does).
//!
//! Needs root and the tools of `tools/real-tools.sh`, like `tests/real_tools.rs`.

mod support;

use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use support::harness::{
    TARGET, assert_paced, find_text, jmeter_rmi_secret, job_status, per_client, real_tools, report,
    report_counts, results_claim, run, run_in, run_with, secret, target,
};

/// An example plan as written, scripts and all, with only its scale and target
/// changed for a run on this machine (each edit must apply) and, with `drop_from`,
/// everything from that key on left out; compiled into `dir/bundle` (a folder per
/// region for a plan with regions). Returns the plan's path.
fn example_as_written(dir: &Path, name: &str, edits: &[(&str, &str)], drop_from: Option<&str>) -> PathBuf {
    std::fs::create_dir_all(dir.join("scripts")).unwrap();
    for entry in std::fs::read_dir(support::root().join("plans/scripts")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, dir.join("scripts").join(path.file_name().unwrap())).unwrap();
    }
    let mut text =
        std::fs::read_to_string(support::root().join("plans").join(format!("{name}.yaml"))).unwrap();
    for (old, new) in edits {
        assert!(text.contains(old), "{name}.yaml no longer holds {old:?}");
        text = text.replacen(old, new, 1);
    }
    if let Some(key) = drop_from {
        let cut = text
            .find(key)
            .unwrap_or_else(|| panic!("{name}.yaml no longer holds {key:?}"));
        text.truncate(cut);
    }
    let path = dir.join("plan.yaml");
    std::fs::write(&path, &text).unwrap();
    let plan = support::plan_from_text(&text, dir);
    perfplan::emit::write_folder(&dir.join("bundle"), &support::folder_files(&plan)).unwrap();
    path
}

/// The edits that point an example at the harness's target.
const LOCAL_TARGET: [(&str, &str); 2] = [
    (
        "url: https://shop.staging.example.com",
        "url: http://target.test:8080",
    ),
    ("cidr: 10.20.0.0/16", "cidr: 127.77.2.1/32"),
];

/// Run an example's bundle (from [`example_as_written`]) with the results claim and
/// `objects`: `job` completes, each of `generators` generators sends, and `perfplan
/// report` over the claim passes the plan's thresholds counting exactly what each
/// generator sent to the target. The run's report.
fn run_example_and_report(
    dir: &Path,
    plan: &Path,
    tools: &[(String, String)],
    (timeout_s, objects, targets): (u32, &[&Path], &[&str]),
    job: &str,
    generators: usize,
) -> Value {
    let claim = results_claim(dir);
    let objects: Vec<&Path> = objects.iter().copied().chain([claim.as_path()]).collect();
    let (run_report, code) = run_in(
        &dir.join("bundle"),
        &dir.join("run"),
        tools,
        timeout_s,
        &objects,
        targets,
    );
    assert_eq!(job_status(&run_report, job), "Complete", "{run_report:#}");
    assert_eq!(code, 0, "{run_report:#}");
    let counts = per_client(&run_report);
    assert_eq!(counts.len(), generators, "every generator sends: {counts:?}");
    let (code, json) = report(&dir.join("run/pvc/perf-testing_perf-results"), plan, &[]);
    eprintln!(
        "{job}: {counts:?} at the target, {:?} in the report",
        report_counts(&json)
    );
    assert_eq!(code, 0, "{json:#}");
    assert_eq!(
        report_counts(&json),
        counts,
        "the report counts what each generator sent"
    );
    run_report
}

/// The users (threads, VUs) per generator of the first `perfplan.dev/split` annotation
/// in a bundle folder, sorted: `users 11 over 7: 4 x 2, 3 x 1` is [1, 1, 1, 2, 2, 2, 2].
fn split_annotation(bundle: &Path) -> Vec<u64> {
    let line = std::fs::read_dir(bundle)
        .unwrap()
        .filter_map(|e| std::fs::read_to_string(e.unwrap().path()).ok())
        .find_map(|text| {
            text.lines()
                .find(|l| l.contains("perfplan.dev/split:"))
                .map(str::to_owned)
        })
        .unwrap_or_else(|| panic!("no split annotation in {}", bundle.display()));
    let parts = line
        .split_once(": \"users ")
        .and_then(|(_, rest)| rest.split_once(": "))
        .unwrap_or_else(|| panic!("not a users split: {line}"))
        .1
        .trim_end_matches('"');
    let mut users = Vec::new();
    for part in parts.split(", ") {
        let (count, share) = part.split_once(" x ").unwrap();
        for _ in 0..count.parse().unwrap() {
            users.push(share.parse().unwrap());
        }
    }
    users.sort_unstable();
    users
}

/// The pods of a run that ran a container named `container`, with its log's text.
fn logs_of<'a>(report: &'a Value, container: &str) -> Vec<(&'a str, String)> {
    report["pods"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| {
            let c = p["containers"]
                .as_array()?
                .iter()
                .find(|c| c["name"] == container)?;
            let log = std::fs::read_to_string(c["log"].as_str()?).unwrap_or_default();
            Some((p["name"].as_str().unwrap(), log))
        })
        .collect()
}

/// A metric's first value in k6's end-of-test summary (`vus_max....: 2 min=2 max=2`).
fn k6_summary_text<'a>(log: &'a str, metric: &str) -> &'a str {
    log.lines()
        .map(str::trim_start)
        .find(|l| l.starts_with(metric) && l[metric.len()..].starts_with('.'))
        .and_then(|l| l.split_once(':'))
        .and_then(|(_, v)| v.split_whitespace().next())
        .unwrap_or_else(|| panic!("no {metric} in k6's summary:\n{log}"))
}

/// [`k6_summary_text`] as a number.
fn k6_summary(log: &str, metric: &str) -> u64 {
    let text = k6_summary_text(log, metric);
    text.parse()
        .unwrap_or_else(|_| panic!("{metric} is {text:?} in k6's summary"))
}

/// Requests the target `name` counted per pod.
fn per_pod<'a>(report: &'a Value, name: &str) -> BTreeMap<&'a str, u64> {
    report["targets"][name]["by_client"]
        .as_object()
        .unwrap_or_else(|| panic!("no requests at {name}"))
        .values()
        .map(|c| (c["pod"].as_str().unwrap_or("?"), c["requests"].as_u64().unwrap()))
        .collect()
}

/// Each k6 runner of a run as its own summary tells it: (VUs, iterations, requests,
/// failed requests), checked against what the target counted from that pod, so no
/// iteration ran twice and none went uncounted. Sorted by VUs.
fn k6_runners(report: &Value, target_name: &str) -> Vec<u64> {
    let at_target = per_pod(report, target_name);
    let mut vus = Vec::new();
    for (pod, log) in logs_of(report, "k6") {
        let requests = k6_summary(&log, "http_reqs");
        assert_eq!(
            at_target.get(pod).copied(),
            Some(requests),
            "{pod}: k6 says it sent {requests}, the target counted {at_target:?}"
        );
        assert_eq!(
            k6_summary_text(&log, "http_req_failed"),
            "0.00%",
            "{pod}: failed requests:\n{log}"
        );
        eprintln!(
            "{pod}: {} VUs, {} iterations, {requests} requests",
            k6_summary(&log, "vus_max"),
            k6_summary(&log, "iterations")
        );
        vus.push(k6_summary(&log, "vus_max"));
    }
    vus.sort_unstable();
    vus
}

/// No container of the run restarted: each pod ran its share once.
fn assert_no_restarts(report: &Value) {
    for pod in report["pods"].as_array().unwrap() {
        for c in pod["containers"].as_array().unwrap() {
            assert_eq!(c["restarts"], 0, "{} restarted: {c:#}", pod["name"]);
        }
    }
}

/// `value` appears under `dir` only in paths containing one of `allowed`.
fn assert_secret_stays_put(dir: &Path, value: &str, allowed: &[&str]) {
    let mut found = Vec::new();
    find_text(dir, value, &mut found);
    assert!(
        !found.is_empty(),
        "the search sees the pods' volumes: {value:?} is in its Secret's"
    );
    found.retain(|p| !allowed.iter().any(|a| p.contains(a)));
    assert!(found.is_empty(), "the secret value appears in {found:?}");
}

fn tool(tools: &[(String, String)], name: &str) -> String {
    tools.iter().find(|(k, _)| k == name).unwrap().1.clone()
}

/// `plans/k6-basic.yaml` as written (its `checkout.js`, the Indexed Job, the starter),
/// scaled to 3 users for 4 s: every runner sends the script's two requests, and the
/// Jobs complete.
#[test]
fn the_k6_example_runs_as_written() {
    let tools = real_tools("k6");
    let dir = tempfile::tempdir().unwrap();
    let mut edits = vec![
        ("users: 3000", "users: 3"),
        ("duration: 10m", "duration: 4s"),
        ("rampUp: 1m", "rampUp: 0s"),
    ];
    edits.extend(LOCAL_TARGET);
    example_as_written(dir.path(), "k6-basic", &edits, None);
    let (report, code) = run(&dir.path().join("bundle"), &tools, 300);
    assert_eq!(
        job_status(&report, "checkout-peak-k6-runner"),
        "Complete",
        "{report:#}"
    );
    assert_eq!(
        job_status(&report, "checkout-peak-k6-starter"),
        "Complete",
        "{report:#}"
    );
    assert_eq!(code, 0, "{report:#}");
    let counts = per_client(&report);
    eprintln!(
        "k6-basic as written: requests per runner {counts:?}, paths {:#}",
        target(&report)["by_path"]
    );
    assert_eq!(counts.len(), 3, "every runner sends: {counts:?}");
    for path in ["/products", "/cart"] {
        assert!(
            target(&report)["by_path"][path].as_u64() > Some(0),
            "no {path} request"
        );
    }
}

/// `plans/jmeter-basic.yaml` as written (`checkout.jmx`, the results claim and its
/// thresholds), with RMI in clear text (the example's keystore Secret is the user's)
/// and 4 threads over 2 workers for 4 s: both workers send, and `perfplan report`
/// judges the controller's results against the example's thresholds: pass.
#[test]
fn the_jmeter_example_runs_as_written_and_passes_its_thresholds() {
    let tools = real_tools("jmeter");
    let dir = tempfile::tempdir().unwrap();
    let mut edits = vec![
        ("users: 2500", "users: 4"),
        ("generators: 5", "generators: 2"),
        ("duration: 15m", "duration: 4s"),
        ("rampUp: 2m", "rampUp: 0s"),
        ("keystoreSecret: jmeter-rmi", "ssl: false"),
    ];
    edits.extend(LOCAL_TARGET);
    let plan = example_as_written(dir.path(), "jmeter-basic", &edits, None);
    run_example_and_report(
        dir.path(),
        &plan,
        &tools,
        (300, &[], &[TARGET]),
        "checkout-peak-jmeter-controller",
        2,
    );
}

/// `plans/gatling-independent.yaml` as written (`CheckoutSimulation.scala` in its
/// closed model, the results claim and thresholds, its Graphite metrics), 10 users over
/// 2 runners for 10 s: both runners send, the report over their two simulation.logs
/// passes, and each runner's Graphite writer delivers its lines. The metrics endpoint
/// keeps the example's Service name (the harness serves a receiver by that name); its
/// `allow` becomes the receiver's address, since the harness's hosts are outside the
/// cluster and no pod selector can match them.
#[test]
fn the_gatling_example_runs_as_written_and_passes_its_thresholds() {
    let tools = real_tools("gatling");
    let dir = tempfile::tempdir().unwrap();
    // Each runner's first request pays the JVM's warm-up (730 and 1450 ms measured at a
    // load average of 7, the rest 2-3 ms): with 2 users for 4 s (6 requests) it alone
    // decides the example's p95 of 750 ms. 10 users ramped over 2 s for 10 s send about
    // 90, so the p95 is the load's, not the warm-up's.
    let mut edits = vec![
        ("users: 900", "users: 10"),
        ("generators: 3", "generators: 2"),
        ("duration: 10m", "duration: 10s"),
        ("rampUp: 1m", "rampUp: 2s"),
        (
            "- namespace: monitoring\n      podSelector: {matchLabels: {app: graphite}}",
            "- cidr: 127.77.2.2/32",
        ),
    ];
    edits.extend(LOCAL_TARGET);
    let plan = example_as_written(dir.path(), "gatling-independent", &edits, None);
    let graphite = "graphite.monitoring.svc.cluster.local=127.77.2.2:2003/graphite";
    let report = run_example_and_report(
        dir.path(),
        &plan,
        &tools,
        (400, &[], &[TARGET, graphite]),
        "checkout-indep-gatling-runner",
        2,
    );
    let senders = metric_senders(&report, "graphite.monitoring.svc.cluster.local", "graphite");
    eprintln!("gatling-independent graphite lines per pod: {senders:?}");
    assert_eq!(senders.len(), 2, "both runners send metrics: {senders:?}");
    assert!(
        senders.keys().all(|p| p.contains("-gatling-runner-")),
        "{senders:?}"
    );
}

/// What a metrics receiver of target `name` got, per pod (posts, or Graphite lines).
fn metric_senders(report: &Value, name: &str, kind: &str) -> BTreeMap<String, u64> {
    report["targets"][name]["metrics"][kind]["by_client"]
        .as_object()
        .unwrap_or_else(|| panic!("no {kind} receiver at {name}: {:#}", report["targets"]))
        .values()
        .map(|c| {
            (
                c["pod"].as_str().unwrap_or("?").to_owned(),
                c["count"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// `plans/k6-deployment.yaml` as written (a Deployment of 4 lingering runners, no
/// starter), 8 users for 4 s: each runner's k6 runs the 2 VUs of the split annotation
/// (`users 8 over 4: 4 x 2`), every request it says it sent reached the target, and
/// no runner restarted (k6 lingers after the test, so the Deployment never runs a
/// second test). The target listens on the example's port 443 (plain HTTP), so the
/// example's `ports: [443]` stays as written.
#[test]
fn the_k6_deployment_example_runs_its_equal_share_on_every_runner() {
    let tools = real_tools("k6");
    let dir = tempfile::tempdir().unwrap();
    let edits = [
        ("users: 400", "users: 8"),
        ("duration: 8h", "duration: 4s"),
        ("rampUp: 10m", "rampUp: 0s"),
        (
            "url: https://shop.staging.example.com",
            "url: http://target.test:443",
        ),
        ("cidr: 10.20.0.0/16", "cidr: 127.77.2.1/32"),
    ];
    example_as_written(dir.path(), "k6-deployment", &edits, None);
    let bundle = dir.path().join("bundle");
    // A Deployment never finishes: the run ends at its timeout, the test long over.
    let (report, code) = run_in(
        &bundle,
        &dir.path().join("run"),
        &tools,
        14,
        &[],
        &["target.test=127.77.2.1:443"],
    );
    assert_eq!(code, 0, "{report:#}");
    assert_no_restarts(&report);
    let vus = k6_runners(&report, "target.test");
    assert_eq!(vus, split_annotation(&bundle), "VUs per runner");
    assert_eq!(vus, [2, 2, 2, 2]);
}

/// `plans/k6-single.yaml` as written (one runner, the open model through k6's
/// constant-arrival-rate), at 10 iterations/s for 4 s against the example's IP-literal
/// target (allowed as a /32 by itself): k6 starts 40 iterations (41: one at each end),
/// none dropped, each the script's two requests, all counted at the target.
#[test]
fn the_k6_single_example_paces_its_arrival_rate() {
    let tools = real_tools("k6");
    let dir = tempfile::tempdir().unwrap();
    let edits = [
        ("rate: 50", "rate: 10"),
        ("maxUsers: 200", "maxUsers: 20"),
        ("duration: 5m", "duration: 4s"),
        ("url: https://10.20.4.17:8443", "url: http://127.77.2.1:8443"),
    ];
    example_as_written(dir.path(), "k6-single", &edits, None);
    let (report, code) = run_in(
        &dir.path().join("bundle"),
        &dir.path().join("run"),
        &tools,
        120,
        &[],
        &["target.test=127.77.2.1:8443"],
    );
    assert_eq!(
        job_status(&report, "search-smoke-k6-runner"),
        "Complete",
        "{report:#}"
    );
    assert_eq!(code, 0, "{report:#}");
    k6_runners(&report, "target.test");
    let (_, log) = &logs_of(&report, "k6")[0];
    // k6 starts one iteration each 100 ms from t = 0, so one at each end: 41 was measured.
    let iterations = k6_summary(log, "iterations");
    assert!((40..=41).contains(&iterations), "10/s for 4 s: {iterations}");
    assert!(!log.contains("dropped_iterations"), "{log}");
    assert_eq!(target(&report)["requests"], 2 * iterations);
}

/// `plans/k6-uneven.yaml` as written (7 runners, placement, the results claim with its
/// thresholds, Prometheus remote write with basic auth from a Secret), 11 users for
/// 4 s: the runners run the split annotation's uneven shares (`users 11 over 7: 4 x 2,
/// 3 x 1`), `perfplan report` counts what each sent and passes the thresholds (the
/// throughput one scaled from 1000/s to 1/s with the users), every runner streams
/// remote-write posts, and the password appears in no log, manifest or results file.
/// The metrics URL keeps the example's Service name (a harness receiver serves it); the
/// target's and the receiver's `allow` become their addresses, since the harness's
/// hosts are outside the cluster and no pod selector can match them.
#[test]
fn the_k6_uneven_example_runs_its_uneven_shares_and_streams_metrics() {
    let tools = real_tools("k6");
    let dir = tempfile::tempdir().unwrap();
    let edits = [
        ("users: 3000", "users: 11"),
        ("duration: 10m", "duration: 4s"),
        ("rampUp: 2m", "rampUp: 0s"),
        (
            "url: http://checkout.shop.svc.cluster.local:8080",
            "url: http://target.test:8080",
        ),
        (
            "- namespace: shop\n      podSelector: {matchLabels: {app: checkout}}",
            "- cidr: 127.77.2.1/32",
        ),
        ("throughput: 1000", "throughput: 1"),
        (
            "- namespace: monitoring\n      podSelector: {matchLabels: {app.kubernetes.io/name: prometheus}}",
            "- cidr: 127.77.2.2/32",
        ),
    ];
    let plan = example_as_written(dir.path(), "k6-uneven", &edits, None);
    let password = "pw-k6-uneven-7f3a9c";
    let secret = secret(
        dir.path(),
        "prometheus-remote-write",
        &[("username", b"perfplan"), ("password", password.as_bytes())],
    );
    let prometheus = "prometheus.monitoring.svc.cluster.local=127.77.2.2:9090";
    let report = run_example_and_report(
        dir.path(),
        &plan,
        &tools,
        (180, &[secret.as_path()], &[TARGET, prometheus]),
        "checkout-uneven-k6-runner",
        7,
    );
    assert_eq!(job_status(&report, "checkout-uneven-k6-starter"), "Complete");
    let vus = k6_runners(&report, "target.test");
    assert_eq!(
        vus,
        split_annotation(&dir.path().join("bundle")),
        "VUs per runner"
    );
    assert_eq!(vus, [1, 1, 1, 2, 2, 2, 2]);
    let senders = metric_senders(
        &report,
        "prometheus.monitoring.svc.cluster.local",
        "prometheus_remote_write",
    );
    eprintln!("k6-uneven remote-write posts per pod: {senders:?}");
    assert_eq!(senders.len(), 7, "every runner sends metrics: {senders:?}");
    assert!(senders.keys().all(|p| p.contains("-k6-runner-")), "{senders:?}");
    let remote_write =
        &report["targets"]["prometheus.monitoring.svc.cluster.local"]["metrics"]["prometheus_remote_write"];
    assert_eq!(
        remote_write["authorized"], remote_write["posts"],
        "every post carries basic auth"
    );
    assert_secret_stays_put(
        dir.path(),
        password,
        &["secret-prometheus-remote-write.yaml", "metrics-credentials"],
    );
}

/// `plans/k6-regions.yaml` as written: one bundle per region (`<name>-<region>-…`, its
/// own split annotation), each run as its own cluster would run it, at 10 users for
/// 4 s: eu-west's 3 runners run 6 users (60 %) and us-east's 2 run 4 (40 %), 2 VUs on
/// every runner, as the regions' annotations say; every region's Jobs complete.
#[test]
fn the_k6_regions_example_runs_each_regions_share() {
    let tools = real_tools("k6");
    let dir = tempfile::tempdir().unwrap();
    let edits = [
        ("users: 5000", "users: 10"),
        ("duration: 15m", "duration: 4s"),
        ("rampUp: 3m", "rampUp: 0s"),
        (
            "url: https://shop.staging.example.com",
            "url: http://target.test:8080",
        ),
        ("cidr: 203.0.113.0/24", "cidr: 127.77.2.1/32"),
    ];
    example_as_written(dir.path(), "k6-regions", &edits, None);
    let mut total = 0;
    for (region, runners) in [("eu-west", 3), ("us-east", 2)] {
        let bundle = dir.path().join("bundle").join(region);
        let run_dir = dir.path().join(format!("run-{region}"));
        let (report, code) = run_in(&bundle, &run_dir, &tools, 120, &[], &[TARGET]);
        let job = format!("checkout-geo-{region}-k6-runner");
        assert_eq!(job_status(&report, &job), "Complete", "{report:#}");
        assert_eq!(code, 0, "{report:#}");
        let vus = k6_runners(&report, "target.test");
        eprintln!("k6-regions {region}: VUs per runner {vus:?}");
        assert_eq!(vus.len(), runners);
        assert_eq!(vus, split_annotation(&bundle), "{region}: VUs per runner");
        total += vus.iter().sum::<u64>();
    }
    assert_eq!(total, 10, "the regions' shares add up to the plan's users");
}

/// `plans/k6-peers.yaml` as written, with its in-cluster target name (the harness
/// serves a target by that name) and its `dns.allow` (NodeLocal DNSCache + kube-dns):
/// 2 users for 4 s. What the harness shows: the runners resolve the name through the
/// cluster DNS, which the harness models as kube-system/k8s-app=kube-dns, so the
/// second `dns.allow` entry is the one that lets the query out (the harness has no
/// NodeLocal cache at 169.254.20.10); the load reaches the target through the CIDR
/// entry (its block and `except` moved onto the harness's addresses: 127.77.2.0/24
/// except 127.77.2.128/25, the target at .1) on the example's port 8080, and no
/// NetworkPolicy drops anything. The namespace and pod-selector entries cannot be
/// exercised: the harness's target is outside the cluster.
#[test]
fn the_k6_peers_example_reaches_its_target_through_its_policies() {
    let tools = real_tools("k6");
    let dir = tempfile::tempdir().unwrap();
    let edits = [
        ("users: 200", "users: 2"),
        ("duration: 5m", "duration: 4s"),
        ("rampUp: 30s", "rampUp: 0s"),
        ("cidr: 10.30.0.0/16", "cidr: 127.77.2.0/24"),
        ("except: [10.30.99.0/24]", "except: [127.77.2.128/25]"),
    ];
    example_as_written(dir.path(), "k6-peers", &edits, None);
    let name = "checkout.shop.svc.cluster.local";
    let (report, code) = run_in(
        &dir.path().join("bundle"),
        &dir.path().join("run"),
        &tools,
        120,
        &[],
        &[&format!("{name}=127.77.2.1:8080")],
    );
    assert_eq!(
        job_status(&report, "checkout-mesh-k6-runner"),
        "Complete",
        "{report:#}"
    );
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["network_policies_enforced"], true);
    let vus = k6_runners(&report, name);
    assert_eq!(vus, [1, 1]);
    for pod in report["pods"].as_array().unwrap() {
        assert_eq!(pod["network_policy_drops"], serde_json::json!([]), "{pod:#}");
    }
}

/// Threads each JMeter worker started, as JMeter's own log says (`Starting thread
/// group... number=1 threads=3`, in the worker's `/tmp/jmeter-server.log`), by pod.
fn jmeter_threads(run_dir: &Path, report: &Value) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for pod in report["pods"].as_array().unwrap() {
        let name = pod["name"].as_str().unwrap();
        if !name.contains("-jmeter-worker-") {
            continue;
        }
        let log_path = run_dir
            .join("pods")
            .join(name)
            .join("volumes/tmp/jmeter-server.log");
        let log = std::fs::read_to_string(&log_path).unwrap_or_default();
        let threads = log
            .lines()
            .find_map(|l| l.split_once("Starting thread group... number=1 threads="))
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{name}: no thread group started in {}", log_path.display()));
        out.insert(name.to_owned(), threads);
    }
    out
}

/// Values of a map, sorted.
fn sorted(map: &BTreeMap<String, u64>) -> Vec<u64> {
    let mut values: Vec<u64> = map.values().copied().collect();
    values.sort_unstable();
    values
}

/// `plans/jmeter-uneven.yaml` as written (`checkout-metrics.jmx` with its InfluxDB
/// Backend Listener, RMI in clear text, an IP-literal target and metrics endpoint
/// allowed as /32s by themselves, the token from a Secret), 7 threads over 3 workers
/// for 4 s: JMeter starts the split annotation's uneven shares (`users 7 over 3: 1 x 3,
/// 2 x 2`; worker 0 takes the one left over), every worker sends, the line protocol
/// arrives from the controller alone (the listener runs in its JVM), and the token
/// appears in no log, manifest or results file.
#[test]
fn the_jmeter_uneven_example_runs_its_uneven_shares_and_sends_metrics() {
    let tools = real_tools("jmeter");
    let dir = tempfile::tempdir().unwrap();
    let edits = [
        ("users: 1000", "users: 7"),
        ("duration: 10m", "duration: 4s"),
        ("rampUp: 1m", "rampUp: 0s"),
        ("url: http://10.30.1.5:8080", "url: http://127.77.2.1:8080"),
        ("url: http://10.40.0.10:8086/", "url: http://127.77.2.2:8086/"),
    ];
    example_as_written(dir.path(), "jmeter-uneven", &edits, None);
    let token = "tok-jmeter-uneven-41c2";
    let secret = secret(dir.path(), "influxdb-jmeter", &[("token", token.as_bytes())]);
    let run_dir = dir.path().join("run");
    let (report, code) = run_in(
        &dir.path().join("bundle"),
        &run_dir,
        &tools,
        300,
        &[secret.as_path()],
        &[TARGET, "influxdb.test=127.77.2.2:8086"],
    );
    assert_eq!(
        job_status(&report, "login-uneven-jmeter-controller"),
        "Complete",
        "{report:#}"
    );
    assert_eq!(code, 0, "{report:#}");
    let threads = jmeter_threads(&run_dir, &report);
    eprintln!(
        "jmeter-uneven threads per worker {threads:?}, requests per worker {:?}",
        per_client(&report)
    );
    assert_eq!(sorted(&threads), split_annotation(&dir.path().join("bundle")));
    assert_eq!(threads["login-uneven-jmeter-worker-0"], 3);
    assert_eq!(per_client(&report).len(), 3, "every worker sends");
    let senders = metric_senders(&report, "influxdb.test", "influx");
    eprintln!("jmeter-uneven influx posts per pod: {senders:?}");
    assert_eq!(senders.len(), 1, "{senders:?}");
    assert!(
        senders.keys().all(|p| p.contains("-jmeter-controller-")),
        "{senders:?}"
    );
    let influx = &report["targets"]["influxdb.test"]["metrics"]["influx"];
    assert_eq!(
        influx["authorized"], influx["posts"],
        "every post carries the token"
    );
    assert_secret_stays_put(
        dir.path(),
        token,
        &[
            "secret-influxdb-jmeter.yaml",
            "metrics-credentials",
            "perfplan-secrets.properties",
        ],
    );
}

/// `plans/jmeter-single.yaml` as written (`login-rate.jmx`'s Precise Throughput Timer,
/// one worker, RMI over SSL with the keystore Secret the example names, made here by
/// keytool), at its 20 arrivals/s for 10 s with 20 threads: the worker sends 200
/// requests, within 10 %, and the keystore password appears in no log, manifest or
/// results file (only in its Secret's volume and the 0600 properties files).
#[test]
fn the_jmeter_single_example_paces_its_arrival_rate_over_ssl() {
    let tools = real_tools("jmeter");
    let dir = tempfile::tempdir().unwrap();
    let edits = [
        ("maxUsers: 100", "maxUsers: 20"),
        ("duration: 5m", "duration: 10s"),
        (
            "url: https://auth.staging.example.com",
            "url: http://target.test:8080",
        ),
        ("cidr: 10.20.8.0/24", "cidr: 127.77.2.1/32"),
    ];
    example_as_written(dir.path(), "jmeter-single", &edits, None);
    let password = "ks-pw-jmeter-single-5e1f";
    let secret = jmeter_rmi_secret(dir.path(), &tool(&tools, "JAVA_HOME"), password);
    let (report, code) = run_with(&dir.path().join("bundle"), &tools, 300, &[secret.as_path()]);
    assert_eq!(
        job_status(&report, "login-rate-jmeter-controller"),
        "Complete",
        "{report:#}"
    );
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(target(&report)["by_path"]["/login"], target(&report)["requests"]);
    assert_paced("jmeter-single", &per_client(&report), 200);
    assert_secret_stays_put(
        dir.path(),
        password,
        &[
            "secret-jmeter-rmi.yaml",
            "volumes/rmi-keystore/",
            "perfplan-secrets.properties",
        ],
    );
}

/// `plans/jmeter-regions.yaml` as written: a bundle per region, each run as its own
/// cluster would run it, at 5 threads (4 in fra on 2 workers, 1 in sin on 1) for 4 s:
/// each region's workers start the threads of its split annotation, and every worker
/// of every region sends.
#[test]
fn the_jmeter_regions_example_runs_each_regions_share() {
    let tools = real_tools("jmeter");
    let dir = tempfile::tempdir().unwrap();
    let edits = [
        ("users: 1001", "users: 5"),
        ("duration: 10m", "duration: 4s"),
        ("rampUp: 1m", "rampUp: 0s"),
        (
            "url: https://shop.staging.example.com",
            "url: http://target.test:8080",
        ),
        ("cidr: 203.0.113.0/24", "cidr: 127.77.2.1/32"),
        ("users: 700", "users: 4"),
        ("users: 301", "users: 1"),
    ];
    example_as_written(dir.path(), "jmeter-regions", &edits, None);
    let mut total = 0;
    for (region, workers, want) in [("fra", 2, [2, 2].as_slice()), ("sin", 1, &[1])] {
        let bundle = dir.path().join("bundle").join(region);
        let run_dir = dir.path().join(format!("run-{region}"));
        let (report, code) = run_in(&bundle, &run_dir, &tools, 300, &[], &[TARGET]);
        let job = format!("login-geo-{region}-jmeter-controller");
        assert_eq!(job_status(&report, &job), "Complete", "{report:#}");
        assert_eq!(code, 0, "{report:#}");
        let threads = jmeter_threads(&run_dir, &report);
        eprintln!(
            "jmeter-regions {region}: threads per worker {threads:?}, requests {:?}",
            per_client(&report)
        );
        assert_eq!(sorted(&threads), split_annotation(&bundle), "{region}");
        assert_eq!(sorted(&threads), want, "{region}");
        assert_eq!(per_client(&report).len(), workers, "{region}: every worker sends");
        total += threads.values().sum::<u64>();
    }
    assert_eq!(total, 5, "the regions' threads add up to the plan's users");
}

/// `plans/gatling-single.yaml` as written (`CheckoutSimulation.scala`'s open model, one
/// stock runner), at its 10 arrivals/s for 5 s: 50 visits, within 10 %.
#[test]
fn the_gatling_single_example_paces_its_arrival_rate() {
    let tools = real_tools("gatling");
    let dir = tempfile::tempdir().unwrap();
    let mut edits = vec![("duration: 5m", "duration: 5s")];
    edits.extend(LOCAL_TARGET);
    example_as_written(dir.path(), "gatling-single", &edits, None);
    let (report, code) = run(&dir.path().join("bundle"), &tools, 400);
    assert_eq!(
        job_status(&report, "browse-rate-gatling-runner"),
        "Complete",
        "{report:#}"
    );
    assert_eq!(code, 0, "{report:#}");
    assert_paced("gatling-single", &per_client(&report), 50);
}
