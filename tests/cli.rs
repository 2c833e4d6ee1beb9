//! The `perfplan` binary end to end: exit codes, streams, colour, files written.

mod support;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn perfplan(args: &[&str]) -> Output {
    perfplan_in(&root(), args, None)
}

fn perfplan_in(dir: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_perfplan"))
        .args(args)
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.unwrap_or("").as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// The lines that differ, `-` expected and `+` actual, for a readable failure.
fn line_diff(expected: &str, actual: &str) -> String {
    similar::TextDiff::from_lines(expected, actual)
        .unified_diff()
        .context_radius(1)
        .to_string()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn validate_exit_codes_follow_the_contract() {
    assert_eq!(
        perfplan(&["validate", "plans/k6-basic.yaml"]).status.code(),
        Some(0)
    );
    assert_eq!(
        perfplan(&["validate", "plans/invalid/too-few-users.yaml"])
            .status
            .code(),
        Some(1)
    );
    let missing = perfplan(&["validate", "plans/no-such-plan.yaml"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(text(&missing.stderr).contains("cannot read `plans/no-such-plan.yaml`"));
    assert_eq!(
        perfplan(&["validate"]).status.code(),
        Some(2),
        "no plan is a usage error"
    );
    assert_eq!(perfplan(&["frobnicate"]).status.code(), Some(2));
}

#[test]
fn validate_reports_every_plan_and_every_problem() {
    let out = perfplan(&[
        "validate",
        "--color",
        "never",
        "plans/k6-basic.yaml",
        "plans/invalid/every-error-at-once.yaml",
        "plans/invalid/misspelt-tool.yaml",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    for expected in [
        "perfplan::load::too_few_users",
        "perfplan::target::url",
        "perfplan::script::missing",
        "[plans/invalid/misspelt-tool.yaml:4:7]",
        "did you mean `gatling`?",
    ] {
        assert!(err.contains(expected), "missing {expected:?} in:\n{err}");
    }
}

#[test]
fn rendered_diagnostics_match_the_snapshot() {
    let out = perfplan(&[
        "validate",
        "--color",
        "never",
        "plans/invalid/every-error-at-once.yaml",
    ]);
    let golden = root().join("golden/cli/validate-every-error-at-once.txt");
    let actual = text(&out.stderr);
    let expected = std::fs::read_to_string(&golden).unwrap_or_default();
    let stale = if actual == expected {
        vec![]
    } else {
        vec![format!(
            "{}:\n{}",
            golden.display(),
            line_diff(&expected, &actual)
        )]
    };
    support::settle(stale, "cargo test --test cli", || {
        std::fs::write(&golden, &actual).unwrap()
    });
}

#[test]
fn json_output_is_machine_readable() {
    let out = perfplan(&["validate", "--output", "json", "plans/invalid/too-few-users.yaml"]);
    assert_eq!(out.status.code(), Some(1));
    let items: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let first = &items[0];
    assert_eq!(first["code"], "perfplan::load::too_few_users");
    assert_eq!(first["file"], "plans/invalid/too-few-users.yaml");
    assert_eq!(
        (first["line"].as_u64(), first["column"].as_u64()),
        (Some(7), Some(10))
    );
    assert!(
        first["help"]
            .as_str()
            .unwrap()
            .contains("lower `load.generators` to 3")
    );
}

#[test]
fn stdin_is_a_plan_named_dash() {
    let plan = std::fs::read_to_string(root().join("plans/k6-single.yaml")).unwrap();
    let dir = root().join("plans");
    assert_eq!(
        perfplan_in(&dir, &["validate", "-"], Some(&plan)).status.code(),
        Some(0)
    );
    let broken = plan.replace("generators: 1", "generators: 0");
    let out = perfplan_in(&dir, &["validate", "--color", "never", "-"], Some(&broken));
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("<stdin>"));
}

#[test]
fn colour_is_opt_in_off_a_terminal() {
    let plain = perfplan(&["validate", "plans/invalid/misspelt-tool.yaml"]);
    assert!(
        !text(&plain.stderr).contains('\u{1b}'),
        "piped output must be plain"
    );
    let always = perfplan(&[
        "validate",
        "--color",
        "always",
        "plans/invalid/misspelt-tool.yaml",
    ]);
    assert!(text(&always.stderr).contains('\u{1b}'));
}

#[test]
fn schema_prints_the_published_file() {
    let out = perfplan(&["schema"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        text(&out.stdout),
        std::fs::read_to_string(root().join("schema/perfplan.schema.json")).unwrap()
    );
}

#[test]
fn init_writes_valid_starters_and_never_overwrites() {
    for tool in ["k6", "jmeter", "gatling"] {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().to_str().unwrap();
        assert_eq!(
            perfplan(&["init", "--tool", tool, "--dir", d]).status.code(),
            Some(0),
            "{tool}"
        );
        let out = perfplan(&["validate", &format!("{d}/perfplan.yaml")]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{tool} starter invalid: {}",
            text(&out.stderr)
        );
        // The modeline names a schema that exists beside the plan, and it is perfplan's.
        let plan = std::fs::read_to_string(dir.path().join("perfplan.yaml")).unwrap();
        assert!(plan.starts_with("# yaml-language-server: $schema=./perfplan.schema.json\n"));
        assert_eq!(
            std::fs::read_to_string(dir.path().join("perfplan.schema.json")).unwrap(),
            text(&perfplan(&["schema"]).stdout)
        );

        std::fs::write(dir.path().join("perfplan.yaml"), "mine").unwrap();
        let again = perfplan(&["init", "--tool", tool, "--dir", d]);
        assert_eq!(again.status.code(), Some(2));
        assert_eq!(
            std::fs::read_to_string(dir.path().join("perfplan.yaml")).unwrap(),
            "mine"
        );
    }
    assert_eq!(perfplan(&["init", "--tool", "locust"]).status.code(), Some(2));
}

#[test]
fn compile_prints_the_golden_stream_and_exits_zero() {
    for plan in ["k6-basic", "jmeter-basic", "gatling-cluster"] {
        let out = perfplan(&["compile", &format!("plans/{plan}.yaml")]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let golden = std::fs::read_to_string(root().join(format!("golden/{plan}.yaml"))).unwrap();
        assert!(
            out.stdout == golden.as_bytes(),
            "stdout of {plan} differs from golden/{plan}.yaml"
        );
        assert!(
            out.stderr.is_empty(),
            "a valid plan compiles quietly: {}",
            text(&out.stderr)
        );
    }
}

#[test]
fn compile_rejects_invalid_plans_with_nothing_on_stdout() {
    let invalid = perfplan(&["compile", "plans/invalid/too-few-users.yaml"]);
    assert_eq!(invalid.status.code(), Some(1));
    assert!(invalid.stdout.is_empty(), "no partial bundle on stdout");
    assert!(text(&invalid.stderr).contains("perfplan::load::too_few_users"));
}

#[test]
fn compile_helm_values_warns_or_fails_under_strict() {
    let out = perfplan(&["compile", "plans/k6-uneven.yaml", "--format", "helm-values"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let golden = std::fs::read_to_string(root().join("golden/helm/k6-uneven/values.yaml")).unwrap();
    assert!(
        out.stdout == golden.as_bytes(),
        "stdout differs from golden/helm/k6-uneven/values.yaml"
    );
    let stderr = text(&out.stderr);
    assert!(stderr.contains("perfplan::helm::unmapped"), "{stderr}");
    assert!(
        stderr.contains("k6-uneven.yaml:9:10"),
        "the warning points at load.users: {stderr}"
    );

    let strict = perfplan(&[
        "compile",
        "plans/k6-uneven.yaml",
        "--format",
        "helm-values",
        "--strict",
    ]);
    assert_eq!(strict.status.code(), Some(1));
    assert!(strict.stdout.is_empty(), "nothing is emitted under --strict");

    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("values");
    let written = perfplan(&[
        "compile",
        "plans/gatling-cluster.yaml",
        "--format",
        "helm-values",
        "-o",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(written.status.code(), Some(0), "{}", text(&written.stderr));
    assert_eq!(
        listing(&dir),
        listing(&root().join("golden/helm/gatling-cluster"))
    );
}

#[test]
fn compile_reads_a_plan_from_stdin() {
    let plan = std::fs::read_to_string(root().join("plans/k6-basic.yaml")).unwrap();
    let out = perfplan_in(&root().join("plans"), &["compile", "-"], Some(&plan));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let golden = std::fs::read_to_string(root().join("golden/k6-basic.yaml")).unwrap();
    assert!(out.stdout == golden.as_bytes());
}

fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn compile_out_writes_the_golden_folder_and_replaces_only_its_own_bundle() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("bundle");
    let o = out.to_str().unwrap();
    let run = |plan: &str| perfplan(&["compile", &format!("plans/{plan}.yaml"), "-o", o]);

    let first = run("jmeter-basic");
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stderr));
    assert!(first.stdout.is_empty());
    assert!(text(&first.stderr).contains("kubectl apply -k"));
    assert_eq!(listing(&out), listing(&root().join("golden/jmeter-basic")));
    for name in listing(&out) {
        assert_eq!(
            std::fs::read(out.join(&name)).unwrap(),
            std::fs::read(root().join("golden/jmeter-basic").join(&name)).unwrap(),
            "{name}"
        );
    }

    // A second compile of another plan replaces the bundle: no stale files remain.
    let second = run("k6-basic");
    assert_eq!(second.status.code(), Some(0), "{}", text(&second.stderr));
    assert_eq!(listing(&out), listing(&root().join("golden/k6-basic")));

    // A file perfplan did not write makes it refuse, and nothing is touched.
    std::fs::write(out.join("notes.txt"), "mine").unwrap();
    let before = listing(&out);
    let refused = run("jmeter-basic");
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        text(&refused.stderr).contains("notes.txt"),
        "{}",
        text(&refused.stderr)
    );
    assert_eq!(listing(&out), before);
    assert_eq!(std::fs::read_to_string(out.join("notes.txt")).unwrap(), "mine");
    // No staging folders are left behind.
    assert_eq!(listing(tmp.path()), vec!["bundle".to_owned()]);

    // --force writes perfplan's files among the user's, and leaves the user's alone.
    let forced = perfplan(&["compile", "plans/jmeter-basic.yaml", "-o", o, "--force"]);
    assert_eq!(forced.status.code(), Some(0), "{}", text(&forced.stderr));
    let mut expected = listing(&root().join("golden/jmeter-basic"));
    expected.push("notes.txt".to_owned());
    expected.sort();
    assert_eq!(
        listing(&out),
        expected,
        "k6-basic's stale files are gone, notes.txt stays"
    );
    assert_eq!(std::fs::read_to_string(out.join("notes.txt")).unwrap(), "mine");
    assert_eq!(
        std::fs::read(out.join("kustomization.yaml")).unwrap(),
        std::fs::read(root().join("golden/jmeter-basic/kustomization.yaml")).unwrap()
    );

    // A folder without perfplan's marker is never replaced, even if it looks like a bundle.
    let foreign = tmp.path().join("foreign");
    std::fs::create_dir(&foreign).unwrap();
    std::fs::write(foreign.join("kustomization.yaml"), "resources: []\n").unwrap();
    let refused = perfplan(&["compile", "plans/k6-basic.yaml", "-o", foreign.to_str().unwrap()]);
    assert_eq!(refused.status.code(), Some(2));
    assert_eq!(
        std::fs::read_to_string(foreign.join("kustomization.yaml")).unwrap(),
        "resources: []\n"
    );

    // An invalid plan writes nothing at all.
    let fresh = tmp.path().join("fresh");
    let invalid = perfplan(&[
        "compile",
        "plans/invalid/too-few-users.yaml",
        "-o",
        fresh.to_str().unwrap(),
    ]);
    assert_eq!(invalid.status.code(), Some(1));
    assert!(!fresh.exists());
}

#[test]
fn lints_warn_with_spans_and_deny_warnings_fails_compile() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("t.jmx"),
        r#"<jmeterTestPlan><hashTree><ThreadGroup testclass="ThreadGroup" testname="buyers">
           <stringProp name="ThreadGroup.num_threads">100</stringProp></ThreadGroup></hashTree></jmeterTestPlan>"#,
    )
    .unwrap();
    std::fs::write(
        dir.path().join("plan.yaml"),
        "perfplan: v1\nname: shop\ntool: jmeter\nscript: t.jmx\nload: {users: 100, generators: 4, duration: 1m}\n\
         target: {url: \"https://10.0.0.1\"}\njmeter: {rmi: {ssl: false}}\n",
    )
    .unwrap();
    let validate = perfplan_in(dir.path(), &["validate", "plan.yaml"], None);
    assert_eq!(validate.status.code(), Some(0), "a lint is a warning");
    let err = text(&validate.stderr);
    assert!(err.contains("perfplan::lint::jmeter_threads"), "{err}");
    assert!(
        err.contains("hard-codes 100 threads: with 4 workers JMeter runs 400 threads"),
        "{err}"
    );
    assert!(err.contains("plan.yaml:4:9"), "points at the script: {err}");

    let compiled = perfplan_in(dir.path(), &["compile", "plan.yaml"], None);
    assert_eq!(compiled.status.code(), Some(0));
    assert!(!compiled.stdout.is_empty());
    let denied = perfplan_in(dir.path(), &["compile", "plan.yaml", "--deny-warnings"], None);
    assert_eq!(denied.status.code(), Some(1));
    assert!(
        denied.stdout.is_empty(),
        "nothing is emitted when warnings are denied"
    );
}

/// Every file under `dir`, relative, `/`-separated, sorted.
fn tree(dir: &Path) -> Vec<String> {
    fn walk(dir: &Path, prefix: &str, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let e = e.unwrap();
            let name = format!("{prefix}{}", e.file_name().to_string_lossy());
            if e.path().is_dir() {
                walk(&e.path(), &format!("{name}/"), out);
            } else {
                out.push(name);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, "", &mut out);
    out.sort();
    out
}

#[test]
fn a_multi_region_plan_compiles_to_a_folder_per_region_never_to_one_stream() {
    // To stdout, all regions at once would be applied to one cluster: refused.
    let all = perfplan(&["compile", "plans/k6-regions.yaml"]);
    assert_eq!(all.status.code(), Some(2));
    assert!(all.stdout.is_empty());
    assert!(
        text(&all.stderr).contains("2 regions (eu-west, us-east)"),
        "{}",
        text(&all.stderr)
    );
    assert!(text(&all.stderr).contains("--region NAME"));

    // One region: exactly that region's objects, as in the golden folder.
    let one = perfplan(&["compile", "plans/k6-regions.yaml", "--region", "us-east"]);
    assert_eq!(one.status.code(), Some(0), "{}", text(&one.stderr));
    let stream = text(&one.stdout);
    assert!(stream.contains("name: checkout-geo-us-east-k6-runner"));
    assert!(!stream.contains("eu-west"), "only the chosen region");
    let golden_runner = std::fs::read_to_string(
        root().join("golden/k6-regions/us-east/job-checkout-geo-us-east-k6-runner.yaml"),
    )
    .unwrap();
    assert!(stream.contains(&golden_runner));
    let unknown = perfplan(&["compile", "plans/k6-regions.yaml", "--region", "mars"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(text(&unknown.stderr).contains("eu-west, us-east"));
    let none = perfplan(&["compile", "plans/k6-basic.yaml", "--region", "eu-west"]);
    assert_eq!(none.status.code(), Some(2));
    assert!(text(&none.stderr).contains("has no `regions`"));
    let helm = perfplan(&["compile", "plans/k6-regions.yaml", "--format", "helm-values"]);
    assert_eq!(helm.status.code(), Some(2), "a chart is installed per cluster");

    // The folder: byte for byte the golden one, regions in subfolders.
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("geo");
    let o = out.to_str().unwrap();
    let write = perfplan(&["compile", "plans/k6-regions.yaml", "-o", o]);
    assert_eq!(write.status.code(), Some(0), "{}", text(&write.stderr));
    assert!(text(&write.stderr).contains("for 2 regions"));
    let golden = root().join("golden/k6-regions");
    assert_eq!(tree(&out), tree(&golden));
    for name in tree(&out) {
        assert_eq!(
            std::fs::read(out.join(&name)).unwrap(),
            std::fs::read(golden.join(&name)).unwrap(),
            "{name}"
        );
    }

    // Recompiling another multi-region plan over it replaces it, stale regions too.
    let again = perfplan(&["compile", "plans/jmeter-regions.yaml", "-o", o]);
    assert_eq!(again.status.code(), Some(0), "{}", text(&again.stderr));
    assert_eq!(tree(&out), tree(&root().join("golden/jmeter-regions")));

    // A file of the user's inside a region folder makes it refuse; --force keeps it.
    std::fs::write(out.join("fra/notes.txt"), "mine").unwrap();
    let refused = perfplan(&["compile", "plans/k6-regions.yaml", "-o", o]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        text(&refused.stderr).contains("fra/notes.txt"),
        "{}",
        text(&refused.stderr)
    );
    let forced = perfplan(&["compile", "plans/k6-regions.yaml", "-o", o, "--force"]);
    assert_eq!(forced.status.code(), Some(0), "{}", text(&forced.stderr));
    assert_eq!(
        std::fs::read_to_string(out.join("fra/notes.txt")).unwrap(),
        "mine"
    );
    let mut expected = tree(&golden);
    expected.push("fra/notes.txt".to_owned());
    expected.sort();
    assert_eq!(
        tree(&out),
        expected,
        "the stale region's files are gone, the user's file stays"
    );
}

#[test]
fn metrics_and_baseline_lints_warn_where_the_problem_is() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        root().join("plans/scripts/checkout.jmx"),
        dir.path().join("plain.jmx"),
    )
    .unwrap();
    std::fs::copy(
        root().join("plans/scripts/checkout-metrics.jmx"),
        dir.path().join("live.jmx"),
    )
    .unwrap();
    let plan = |script: &str, output: &str, extra: &str| {
        format!(
            "perfplan: v1\nname: shop\ntool: jmeter\nscript: {script}\nload: {{users: 10, generators: 2, duration: 1m}}\n\
             target: {{url: \"https://10.0.0.1\"}}\njmeter: {{rmi: {{ssl: false}}}}\n\
             metrics: {{output: {output}, url: \"{url}\"}}\n{extra}",
            url = if output == "graphite" {
                "tcp://10.0.0.9"
            } else {
                "http://10.0.0.9:8086/write?db=j"
            }
        )
    };
    let cases = [
        ("plain.jmx", "influxdb", "", Some("has no Backend Listener")),
        ("live.jmx", "graphite", "", Some("Backend Listener is not a")),
        ("live.jmx", "influxdb", "", None),
        (
            "live.jmx",
            "influxdb",
            "security: {posture: baseline}\n",
            Some("perfplan::lint::resources"),
        ),
        (
            "live.jmx",
            "influxdb",
            "security: {posture: baseline}\nresources: {cpu: 2, memory: 4Gi}\n",
            None,
        ),
    ];
    for (script, output, extra, warning) in cases {
        std::fs::write(dir.path().join("plan.yaml"), plan(script, output, extra)).unwrap();
        let run = perfplan_in(dir.path(), &["validate", "plan.yaml", "--deny-warnings"], None);
        let err = text(&run.stderr);
        match warning {
            Some(w) => {
                assert_eq!(run.status.code(), Some(1), "{script} {output} {extra}: {err}");
                assert!(err.contains(w), "{err}");
            }
            None => assert_eq!(run.status.code(), Some(0), "{script} {output} {extra}: {err}"),
        }
    }
}

#[test]
fn capacity_is_checked_per_region_not_on_the_plan_wide_average() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("t.js"), "export default function () {}\n").unwrap();
    // 100,000 users over 10 runners is 10,000 each on average, but region `eu`
    // runs 90,000 on 2 runners: 45,000 each, beyond one k6 instance.
    let plan = "perfplan: v1\nname: geo\ntool: k6\nscript: t.js\nload: {users: 100000, generators: 10, duration: 1m}\n\
                target: {url: \"https://10.0.0.1\"}\nresources: {cpu: \"8\", memory: 256Gi}\nregions:\n\
                \x20 - {name: eu, share: 9, generators: 2}\n  - {name: us, share: 1, generators: 8}\n";
    std::fs::write(dir.path().join("plan.yaml"), plan).unwrap();
    let run = perfplan_in(dir.path(), &["validate", "plan.yaml"], None);
    let err = text(&run.stderr);
    assert_eq!(run.status.code(), Some(0), "{err}");
    assert!(err.contains("region `eu`: 45000 users per k6 runner"), "{err}");
    assert!(!err.contains("region `us`"), "{err}");
}

/// The k6 memory warning names both fixes exactly, and each of them, applied as
/// written, silences it.
#[test]
fn the_k6_memory_warning_says_exactly_what_to_set() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("t.js"), "export default function () {}\n").unwrap();
    let plan = |generators: u32, memory: &str| {
        format!(
            "perfplan: v1\nname: cap\ntool: k6\nscript: t.js\nload: {{users: 1000, generators: {generators}, duration: 1m}}\n\
             target: {{url: \"https://10.0.0.1\"}}\nresources: {{cpu: \"1\", memory: {memory}}}\n"
        )
    };
    let warnings = |yaml: String| {
        std::fs::write(dir.path().join("plan.yaml"), yaml).unwrap();
        let run = perfplan_in(dir.path(), &["validate", "plan.yaml"], None);
        assert_eq!(run.status.code(), Some(0));
        text(&run.stderr)
    };
    // 500 users per runner at ~3 MB each is ~1.5 GiB: more than 1Gi.
    let err = warnings(plan(2, "1Gi"));
    assert!(err.contains("500 users per k6 runner need about 2 GiB"), "{err}");
    let help = err.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        help.contains("raise `resources.memory` to `2Gi`, or `load.generators` to at least 3;"),
        "{help}"
    );
    assert!(!warnings(plan(2, "2Gi")).contains("perfplan::lint::capacity"));
    assert!(!warnings(plan(3, "1Gi")).contains("perfplan::lint::capacity"));
}

#[test]
fn create_namespace_puts_the_labelled_namespace_first() {
    let out = perfplan(&["compile", "plans/k6-basic.yaml", "--create-namespace"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stream = text(&out.stdout);
    let first = stream.split("\n---\n").next().unwrap();
    assert!(first.contains("kind: Namespace\n"), "{first}");
    assert!(
        first.contains("pod-security.kubernetes.io/enforce: restricted\n"),
        "{first}"
    );
    assert!(first.trim_end().ends_with("name: perf-testing"), "{first}");
    // Helm installs create their namespace themselves.
    let helm = perfplan(&[
        "compile",
        "plans/k6-basic.yaml",
        "--create-namespace",
        "--format",
        "helm-values",
    ]);
    assert_eq!(helm.status.code(), Some(2));
    assert!(
        text(&helm.stderr).contains("helm install"),
        "{}",
        text(&helm.stderr)
    );
}
