//! Properties of the whole pipeline over generated input:
//! - arbitrary well-typed plans validate, never panic in compile, compile to the same
//!   bytes twice, and their shards sum exactly to the plan's total;
//! - every load pod of such plans (every tool and shape, k6 included, and every
//!   region's bundle), run by a real shell for every index, gives its tool a share,
//!   and the shares sum exactly to the plan's load (`tests/support/pods.rs` runs them);
//! - arbitrary text never panics in validate;
//! - a fuzz harness: mutated example plans through parse, validate and compile.

mod support;

use proptest::prelude::*;
use serde_json::{Value, json};
use std::path::Path;
use support::*;

/// A valid plan's text, from generated parts.
#[derive(Debug, Clone)]
struct Parts {
    shape: usize,
    name: String,
    generators: u32,
    per_generator: u64,
    extra_users: u64,
    arrival: bool,
    /// Added to twice the users for the arrival rate, so a rate share mixed up with a
    /// users share shows.
    extra_rate: u64,
    duration: u64,
    ramp_percent: u64,
    path: String,
    port: u16,
    property: String,
    label: String,
    baseline: bool,
}

const SHAPES: [(&str, &str, &str); 5] = [
    (
        "jmeter",
        "t.jmx",
        "jmeter:\n  rmi: {ssl: false}\n  properties: {custom.prop: %P}\n",
    ),
    ("k6", "t.js", ""),
    ("k6", "t.js", "k6: {workload: deployment}\n"),
    (
        "gatling",
        "S.scala",
        "image: registry.example.com/gatling-cluster:1.0\ngatling: {simulationClass: a.S}\n",
    ),
    (
        "gatling",
        "S.scala",
        "gatling: {simulationClass: a.S, mode: independent}\n",
    ),
];

fn parts() -> impl Strategy<Value = Parts> {
    parts_over(prop_oneof![1u32..=40, Just(10_000u32)])
}

/// Plans with `generators` from the given strategy.
fn parts_over(generators: impl Strategy<Value = u32>) -> impl Strategy<Value = Parts> {
    (
        (
            0..SHAPES.len(),
            "[a-z][a-z0-9]{0,12}",
            generators,
            1u64..500,
            0u64..1000,
            any::<bool>(),
            0u64..1000,
        ),
        (
            1u64..7200,
            0u64..=100,
            "[a-zA-Z0-9/$'();`_.-]{0,30}",
            1u16..,
            "\\PC{0,40}",
            "[a-z0-9]{0,20}",
            any::<bool>(),
        ),
    )
        .prop_map(
            |(
                (shape, name, generators, per_generator, extra_users, arrival, extra_rate),
                (duration, ramp_percent, path, port, property, label, baseline),
            )| Parts {
                shape,
                name,
                generators,
                per_generator,
                extra_users,
                arrival,
                extra_rate,
                duration,
                ramp_percent,
                path,
                port,
                property,
                label,
                baseline,
            },
        )
}

impl Parts {
    /// Total users (or maxUsers); a Deployment needs an even split.
    fn users(&self) -> u64 {
        let even = u64::from(self.generators) * self.per_generator;
        if self.deployment() {
            even
        } else {
            even + self.extra_users
        }
    }

    /// The arrival rate (an arrival-rate plan's), even for a Deployment as users are.
    fn rate(&self) -> Option<u64> {
        let extra = if self.deployment() { 0 } else { self.extra_rate };
        self.arrival.then(|| 2 * self.users() + extra)
    }

    fn tool(&self) -> &'static str {
        SHAPES[self.shape].0
    }

    fn deployment(&self) -> bool {
        SHAPES[self.shape].2.contains("deployment")
    }

    fn text(&self) -> String {
        let (tool, script, block) = SHAPES[self.shape];
        let ramp = self.duration * self.ramp_percent / 100;
        let load = if let Some(rate) = self.rate() {
            format!("arrivalRate: {{rate: {rate}, maxUsers: {}}}", self.users())
        } else {
            format!("users: {}", self.users())
        };
        let url = json!(format!("http://10.1.2.3:{}/{}", self.port, self.path));
        let property = serde_json::to_string(&self.property).unwrap();
        let security = if self.baseline {
            "security: {posture: baseline, writableRootFilesystem: true}\n"
        } else {
            ""
        };
        format!(
            "perfplan: v1\nname: {name}\nnamespace: perf\ntool: {tool}\nscript: {script}\n\
             load: {{{load}, generators: {g}, duration: {d}s, rampUp: {ramp}s}}\n\
             target: {{url: {url}}}\nlabels: {{team: \"{label}\"}}\n{security}{block}",
            name = self.name,
            label = self.label,
            g = self.generators,
            d = self.duration,
            block = block.replace("%P", &property),
        )
    }
}

fn scripts(dir: &Path) {
    std::fs::write(dir.join("t.jmx"), "<jmeterTestPlan/>").unwrap();
    std::fs::write(dir.join("t.js"), "export default function () {}\n").unwrap();
    std::fs::write(dir.join("S.scala"), "package a\nclass S\n").unwrap();
}

/// A k6 Indexed Job's runners: the total they are each given (VUs, the last stage's
/// target, or the arrival rate), the segment sequence, and how many runners run.
/// `None` for a Deployment (each runner gets an even share instead).
fn k6_split(bundle: &perfplan::Bundle) -> Option<(u64, String, u32)> {
    let job = bundle
        .manifests
        .iter()
        .find(|m| m.kind == "Job" && m.name.ends_with("-k6-runner"))?;
    let args = container_args(&job.value)?;
    let sequence = flag_value(&args, "--execution-segment-sequence")?.to_owned();
    let completions = job.value.pointer("/spec/completions")?.as_u64()?;
    Some((
        k6_load(bundle, &args)?,
        sequence,
        u32::try_from(completions).ok()?,
    ))
}

/// A k6 Deployment's load: each runner's share times replicas.
fn k6_deployment_total(bundle: &perfplan::Bundle) -> Option<u64> {
    let d = bundle.manifests.iter().find(|m| m.kind == "Deployment")?;
    let args = container_args(&d.value)?;
    Some(k6_load(bundle, &args)? * d.value.pointer("/spec/replicas")?.as_u64()?)
}

fn container_args(workload: &Value) -> Option<Vec<&str>> {
    let args = workload
        .pointer("/spec/template/spec/containers/0/args")?
        .as_array()?;
    Some(args.iter().filter_map(Value::as_str).collect())
}

/// The value after the last `flag` in `args`.
fn flag_value<'a>(args: &[&'a str], flag: &str) -> Option<&'a str> {
    args.iter().rposition(|a| *a == flag).map(|i| args[i + 1])
}

/// The load a k6 runner is given: `--vus`, the last `--stage`'s target, or the arrival
/// rate of the scenario in the options ConfigMap.
fn k6_load(bundle: &perfplan::Bundle, args: &[&str]) -> Option<u64> {
    match (flag_value(args, "--vus"), flag_value(args, "--stage")) {
        (Some(v), _) => v.parse().ok(),
        (None, Some(stage)) => stage.rsplit(':').next()?.parse().ok(),
        (None, None) => {
            let options = bundle
                .manifests
                .iter()
                .find(|m| m.name.contains("-k6-options-"))?;
            let text = options.value.pointer("/data/options.json")?.as_str()?;
            let json: Value = serde_json::from_str(text).ok()?;
            let scenario = &json["scenarios"]["perfplan"];
            scenario["rate"]
                .as_u64()
                .or_else(|| scenario["stages"].as_array()?.last()?["target"].as_u64())
        }
    }
}

/// The users each workload's pods run, from the env the shares are computed from.
fn shards_sum(bundle: &perfplan::Bundle) -> Option<u64> {
    let env = |c: &Value, name: &str| -> Option<u64> {
        c["env"].as_array()?.iter().find(|e| e["name"] == name)?["value"]
            .as_str()?
            .parse()
            .ok()
    };
    bundle.manifests.iter().find_map(|m| {
        let c = m.value.pointer("/spec/template/spec/containers/0")?;
        let (n, base, rem) = (
            env(c, "GENERATORS")?,
            env(c, "USERS_BASE")?,
            env(c, "USERS_REMAINDER")?,
        );
        Some(n * base + rem)
    })
}

/// A fraction `numerator/denominator`, as k6 writes execution segments.
type Fraction = (u64, u64);

fn fraction(text: &str) -> Fraction {
    match text.split_once('/') {
        Some((n, d)) => (n.parse().unwrap(), d.parse().unwrap()),
        None => (text.parse().unwrap(), 1),
    }
}

fn same(a: Fraction, b: Fraction) -> bool {
    u128::from(a.0) * u128::from(b.1) == u128::from(b.0) * u128::from(a.1)
}

/// What k6 gives the segment `from:to` of an integer `total` (VUs, iterations):
/// `round(total * to) - round(total * from)` (lib/execution_segment.go, `Scale`),
/// rounding halves up.
fn k6_scale(total: u64, from: Fraction, to: Fraction) -> u64 {
    let round =
        |(n, d): Fraction| (2 * u128::from(total) * u128::from(n) + u128::from(d)) / (2 * u128::from(d));
    u64::try_from(round(to) - round(from)).unwrap()
}

/// One load pod's load, as the pod itself computed it and handed it to its tool.
#[derive(Debug)]
enum PodLoad {
    /// JMeter threads or Gatling users, and the rate where the plan has one.
    Share { users: u64, rate: Option<u64> },
    /// A k6 runner's `--execution-segment`.
    Segment { from: Fraction, to: Fraction },
    /// A k6 Deployment runner's load (VUs or rate): the same in every replica.
    Whole(u64),
}

/// The load workloads of a bundle (StatefulSets, Indexed Jobs, Deployments) and
/// how many pods each runs.
fn load_workloads(bundle: &perfplan::Bundle) -> Vec<(&Value, u64)> {
    let spec = |m: &perfplan::Manifest, key: &str| m.value.pointer(&format!("/spec/{key}"))?.as_u64();
    bundle
        .manifests
        .iter()
        .filter_map(|m| match m.kind.as_str() {
            "StatefulSet" | "Deployment" => Some((&m.value, spec(m, "replicas")?)),
            "Job" if m.value.pointer("/spec/completionMode") == Some(&json!("Indexed")) => {
                Some((&m.value, spec(m, "completions")?))
            }
            _ => None,
        })
        .collect()
}

/// The value of the first `key=` among `tokens`.
fn property(tokens: &[&str], key: &str) -> Option<u64> {
    tokens.iter().find_map(|t| t.strip_prefix(key)?.parse().ok())
}

/// Runs pod `index` of `workload` with a real shell and reads its load. The pod
/// must also say which shard it is (`-Jshard`, `-Dshard`, k6's `perfplan_runner`
/// tag): a pod that read the wrong index would run another pod's share twice.
fn pod_load(
    bundle: &perfplan::Bundle,
    stubs: &support::pods::Stubs,
    workload: &Value,
    index: u64,
    dir: &Path,
) -> PodLoad {
    let run = support::pods::run(stubs, workload, u32::try_from(index).unwrap(), dir);
    let argv: Vec<&str> = run.argv.iter().map(String::as_str).collect();
    if let Some(segment) = flag_value(&argv, "--execution-segment") {
        assert_eq!(
            flag_value(&argv, "--tag"),
            Some(format!("perfplan_runner={index}").as_str())
        );
        let (from, to) = segment.split_once(':').unwrap();
        return PodLoad::Segment {
            from: fraction(from),
            to: fraction(to),
        };
    }
    let tokens: Vec<&str> = argv.iter().copied().chain(run.java.split_whitespace()).collect();
    let users = property(&tokens, "-Jthreads=").or_else(|| property(&tokens, "-Dusers="));
    match users {
        Some(users) => {
            let shard = property(&tokens, "-Jshard=").or_else(|| property(&tokens, "-Dshard="));
            assert_eq!(shard, Some(index), "the pod's shard number: {tokens:?}");
            let rate = property(&tokens, "-Jrate=").or_else(|| property(&tokens, "-Drate="));
            PodLoad::Share { users, rate }
        }
        None => PodLoad::Whole(k6_load(bundle, &argv).expect("a k6 runner's VUs or rate")),
    }
}

/// Every load pod of `bundle`, run by a real shell for every index, in index order.
fn pod_loads(bundle: &perfplan::Bundle) -> Vec<PodLoad> {
    let dir = tempfile::tempdir().unwrap();
    let stubs = support::pods::Stubs::new(dir.path());
    let workloads = load_workloads(bundle);
    assert_eq!(workloads.len(), 1, "one load workload per bundle");
    let (workload, pods) = workloads[0];
    (0..pods)
        .map(|i| pod_load(bundle, &stubs, workload, i, dir.path()))
        .collect()
}

/// Shares that sum to exactly `total` and differ by at most one.
fn check_exact(what: &str, shares: &[u64], total: u64) -> Result<(), TestCaseError> {
    prop_assert_eq!(shares.iter().sum::<u64>(), total, "{} shares {:?}", what, shares);
    let (min, max) = (shares.iter().min().unwrap(), shares.iter().max().unwrap());
    prop_assert!(
        max - min <= 1,
        "{} shares differ by more than one: {:?}",
        what,
        shares
    );
    Ok(())
}

/// The pods of `bundle`, each run by a real shell with its own index, split exactly
/// `users` (users, threads, VUs or max users) and `rate` over `generators` pods.
fn check_pod_shares(
    bundle: &perfplan::Bundle,
    generators: u32,
    users: u64,
    rate: Option<u64>,
) -> Result<(), TestCaseError> {
    let loads = pod_loads(bundle);
    prop_assert_eq!(loads.len() as u64, u64::from(generators));
    match loads[0] {
        PodLoad::Share { .. } => check_shares(&loads, users, rate),
        PodLoad::Segment { .. } => check_segments(bundle, &loads, generators, rate.unwrap_or(users)),
        PodLoad::Whole(_) => check_equal_runners(&loads, generators, rate.unwrap_or(users)),
    }
}

/// JMeter and Gatling pods: each computes its share in `sh` from its index and the
/// `*_BASE`/`*_REMAINDER` env (`split::shell_share`, `Splits::shell_lines`).
///
/// Catches an off-by-one in the shell share (`<=` for `<` gives pods 0..=R one more:
/// one user too many in all), the remainder or base of the wrong split in env, users
/// and rate swapped (the rate is generated unlike the users), a rate share missing
/// from an arrival-rate pod or given to a closed-model one, and (in [`pod_load`]) a
/// pod reading the wrong index.
fn check_shares(loads: &[PodLoad], users: u64, rate: Option<u64>) -> Result<(), TestCaseError> {
    let (mut user_shares, mut rate_shares) = (Vec::new(), Vec::new());
    for load in loads {
        let PodLoad::Share { users, rate } = *load else {
            panic!("pods of one workload differ: {loads:?}")
        };
        user_shares.push(users);
        rate_shares.extend(rate);
    }
    check_exact("users", &user_shares, users)?;
    match rate {
        Some(rate) => {
            prop_assert_eq!(rate_shares.len(), loads.len(), "every pod's rate: {:?}", loads);
            check_exact("rate", &rate_shares, rate)
        }
        None => {
            prop_assert!(
                rate_shares.is_empty(),
                "a rate without an arrival rate: {:?}",
                loads
            );
            Ok(())
        }
    }
}

/// k6 Indexed Job runners: each computes `--execution-segment` in `sh` from its index,
/// and k6 partitions the total it is given by segment.
///
/// Catches a gap or overlap between runners (`$((index + 2))` for `$((index + 1))`),
/// segments not ending at 1 (the wrong `RUNNERS_TOTAL`), a segment k6 would refuse
/// because it is not on `--execution-segment-sequence` (`split::k6_sequence`), the
/// wrong completions, and a runner given less or more than the plan's total.
fn check_segments(
    bundle: &perfplan::Bundle,
    loads: &[PodLoad],
    generators: u32,
    expected: u64,
) -> Result<(), TestCaseError> {
    let (total, sequence, runners) = k6_split(bundle).expect("a k6 runner Job");
    prop_assert_eq!(total, expected);
    prop_assert_eq!(runners, generators);
    let points: Vec<Fraction> = sequence.split(',').map(fraction).collect();
    let on_sequence = |f: Fraction| points.iter().any(|p| same(*p, f));
    let (mut at, mut scaled) = ((0, 1), Vec::new());
    for load in loads {
        let PodLoad::Segment { from, to } = *load else {
            panic!("pods of one workload differ: {loads:?}")
        };
        // Runner i starts where runner i-1 ended: no gap, no overlap.
        prop_assert!(
            same(from, at),
            "a segment starts at {:?}, not {:?}: {:?}",
            from,
            at,
            loads
        );
        let forward = u128::from(to.0) * u128::from(from.1) > u128::from(from.0) * u128::from(to.1);
        prop_assert!(forward, "an empty or backward segment {:?}", load);
        prop_assert!(
            on_sequence(from) && on_sequence(to),
            "{:?} is not on {}",
            load,
            sequence
        );
        scaled.push(k6_scale(total, from, to));
        at = to;
    }
    prop_assert!(same(at, (1, 1)), "the segments end at {:?}, not 1", at);
    // Tiling 0..1 exactly, the runners' VUs (or iterations) add up to the total.
    check_exact("k6 segment", &scaled, total)
}

/// k6 Deployment runners have no index: each is given an equal share in its args.
/// Catches replicas times that share differing from the plan's total.
fn check_equal_runners(loads: &[PodLoad], generators: u32, expected: u64) -> Result<(), TestCaseError> {
    let PodLoad::Whole(each) = loads[0] else {
        panic!("{loads:?}")
    };
    let equal = loads.iter().all(|l| matches!(l, PodLoad::Whole(x) if *x == each));
    prop_assert!(equal, "k6 Deployment runners differ: {:?}", loads);
    prop_assert_eq!(each * u64::from(generators), expected);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    /// A plan split over regions by share: each region's bundle runs exactly its
    /// apportioned part, the parts add up to the plan's totals, and every object
    /// belongs to its region. Plans where a region's part is smaller than its
    /// generators are rejected with that error and nothing else.
    #[test]
    fn regions_split_the_load_exactly(
        shares in prop::collection::vec(1u64..=100, 1..=6),
        users in 1u64..=100_000,
        generators in 6u32..=60,
        tool in prop::sample::select(vec!["jmeter", "k6"]),
    ) {
        let dir = tempfile::tempdir().unwrap();
        scripts(dir.path());
        let regions: String = shares
            .iter()
            .enumerate()
            .map(|(i, s)| format!("  - {{name: r{i}, context: ctx-{i}, share: {s}}}\n"))
            .collect();
        let script = if tool == "jmeter" { "t.jmx\njmeter: {rmi: {ssl: false}}" } else { "t.js" };
        let text = format!(
            "perfplan: v1\nname: geo\ntool: {tool}\nscript: {script}\n\
             load: {{users: {users}, generators: {generators}, duration: 60s}}\n\
             target: {{url: \"http://10.1.2.3\"}}\nregions:\n{regions}"
        );
        let expected_users = perfplan::split::apportion(users, &shares);
        let expected_gens = perfplan::split::apportion_at_least_one(u64::from(generators), &shares);
        let source = perfplan::Source::new("p.yaml", text.clone(), dir.path());
        let plan = match perfplan::validate(&source) {
            Ok(v) => v.plan,
            Err(r) => {
                prop_assert!(users < u64::from(generators)
                    || expected_users.iter().zip(&expected_gens).any(|(u, g)| u < g), "rejected:\n{}\n{}", text, r);
                prop_assert!(r.diagnostics.iter().all(|d| d.code.as_str() == "perfplan::load::too_few_users"), "{}", r);
                return Ok(());
            }
        };
        let regional = perfplan::emit::compile_regions(&plan);
        prop_assert_eq!(regional.len(), shares.len());
        prop_assert_eq!(regional.iter().map(|(r, _)| r.load.total_users()).sum::<u64>(), users);
        prop_assert_eq!(regional.iter().map(|(r, _)| u64::from(r.load.generators)).sum::<u64>(), u64::from(generators));
        for (i, (region, bundle)) in regional.iter().enumerate() {
            prop_assert_eq!(region.load.total_users(), expected_users[i]);
            prop_assert_eq!(u64::from(region.load.generators), expected_gens[i]);
            let prefix = format!("geo-r{i}-");
            prop_assert!(bundle.manifests.iter().all(|m| m.name.starts_with(&prefix)));
            if let Some(sum) = shards_sum(bundle) {
                prop_assert_eq!(sum, expected_users[i]);
            }
        }
    }

    #[test]
    fn well_typed_plans_compile_deterministically_and_split_exactly(p in parts()) {
        let dir = tempfile::tempdir().unwrap();
        scripts(dir.path());
        let text = p.text();
        let source = perfplan::Source::new("p.yaml", text.clone(), dir.path());
        let plan = match perfplan::validate(&source) {
            Ok(v) => v.plan,
            Err(r) => return Err(TestCaseError::fail(format!("generated plan rejected:\n{text}\n{r}"))),
        };
        let (a, b) = (perfplan::compile(&plan), perfplan::compile(&plan));
        prop_assert_eq!(a.to_yaml_stream(), b.to_yaml_stream());
        prop_assert!(!a.manifests.is_empty());
        // JMeter and Gatling pods compute their share from these env vars; k6 runners
        // each get the total and their execution segment, which k6 partitions exactly
        // itself (shown with the real k6 in tests/real_tools.rs).
        match SHAPES[p.shape].0 {
            "k6" if SHAPES[p.shape].2.contains("deployment") => {
                // Equal runners: each runs its share, replicas times.
                prop_assert_eq!(k6_deployment_total(&a), Some(p.rate().unwrap_or(p.users())));
            }
            "k6" => {
                let (total, sequence, segments) = k6_split(&a).expect("a k6 runner workload");
                prop_assert_eq!(total, p.rate().unwrap_or(p.users()));
                prop_assert_eq!(segments, p.generators);
                let expected: Vec<String> = std::iter::once("0".to_owned())
                    .chain((1..p.generators).map(|i| format!("{i}/{}", p.generators)))
                    .chain(std::iter::once("1".to_owned()))
                    .collect();
                prop_assert_eq!(sequence, expected.join(","));
            }
            _ => prop_assert_eq!(shards_sum(&a), Some(p.users())),
        }
        let annotation = a
            .manifests
            .iter()
            .find_map(|m| m.value.pointer("/metadata/annotations/perfplan.dev~1split").cloned());
        let expected = format!("{} over {}", p.users(), p.generators);
        let annotated = annotation.is_some_and(|s| s.as_str().unwrap().contains(&expected));
        prop_assert!(annotated, "the split annotation names {}", expected);
    }

    /// What the compiler produces for generated plans (not the goldens) meets the
    /// Pod Security rules and allows exactly the flows the test needs, by the same
    /// checks tests/pod_security.rs and tests/network_policy.rs apply to the examples.
    #[test]
    fn generated_bundles_are_secure_and_allow_exactly_the_needed_flows(p in parts()) {
        let dir = tempfile::tempdir().unwrap();
        scripts(dir.path());
        let text = p.text();
        let source = perfplan::Source::new("p.yaml", text.clone(), dir.path());
        let plan = match perfplan::validate(&source) {
            Ok(v) => v.plan,
            Err(r) => return Err(TestCaseError::fail(format!("generated plan rejected:\n{text}\n{r}"))),
        };
        let bundle = perfplan::compile(&plan);
        for m in &bundle.manifests {
            if let Some(pod) = support::pss::pod_spec(&m.value) {
                let mut problems = support::pss::pss_violations(pod);
                // `baseline` plans may relax what only restricted forbids.
                if !p.baseline {
                    problems.extend(support::pss::perfplan_violations(pod));
                    prop_assert!(problems.is_empty(), "{} {}: {:?}\n{}", m.kind, m.name, problems, text);
                }
            }
        }
        let differences = support::netpol::differences(&plan);
        prop_assert!(differences.is_empty(), "{:?}\n{}", differences, text);
    }

    #[test]
    fn arbitrary_text_never_panics_in_validate(text in "\\PC{0,400}") {
        let source = perfplan::Source::new("x.yaml", text, ".");
        let _ = perfplan::validate(&source);
    }

    #[test]
    fn yaml_shaped_noise_never_panics_in_validate(
        tokens in prop::collection::vec(prop::sample::select(vec![
            "perfplan: v1\n", "name: x\n", "tool: k6\n", "load:\n", "  users: ", "  generators: ", "1", "0",
            "-1", "99999999999999999999", "\n", "  ", "- ", "[", "]", "{", "}", ": ", "&a ", "*a", "<<: *a\n",
            "!!str ", "'", "\"", "#", "\t", "---\n", "~", "null", "true", "on", "1e9", ".inf", "script: ",
            "target: {url: ", "https://", "10.0.0.1", "}", ",",
        ]), 0..80),
    ) {
        let text: String = tokens.concat();
        let source = perfplan::Source::new("x.yaml", text, ".");
        let _ = perfplan::validate(&source);
    }
}

// Each case runs a shell per pod (up to 40 of them): fewer cases than above.
proptest! {
    #![proptest_config(ProptestConfig { cases: 32, failure_persistence: None, ..ProptestConfig::default() })]

    /// For generated plans of every tool and shape, every load pod's script, run by a
    /// real shell with the pod's own index, gives its tool a share; the shares add up
    /// to exactly the plan's users (threads, VUs, max users) and rate, each within one
    /// of the others; k6's segments tile 0..1. [`check_shares`], [`check_segments`]
    /// and [`check_equal_runners`] say which broken code each assertion catches.
    #[test]
    fn every_pod_run_by_a_real_shell_takes_its_exact_share(p in parts_over(1u32..=40)) {
        let dir = tempfile::tempdir().unwrap();
        scripts(dir.path());
        let text = p.text();
        let source = perfplan::Source::new("p.yaml", text.clone(), dir.path());
        let plan = match perfplan::validate(&source) {
            Ok(v) => v.plan,
            Err(r) => return Err(TestCaseError::fail(format!("generated plan rejected:\n{text}\n{r}"))),
        };
        let bundle = perfplan::compile(&plan);
        check_pod_shares(&bundle, p.generators, p.users(), p.rate())
            .map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        // Every tool and shape is generated: a shape that stopped compiling to pods
        // with shares would fail above, never be skipped.
        prop_assert!(["jmeter", "k6", "gatling"].contains(&p.tool()));
    }

    /// The same in every region's bundle of a multi-region plan, k6 included: each
    /// region's pods, run by a real shell, split exactly that region's part.
    #[test]
    fn every_regional_pod_run_by_a_real_shell_takes_its_exact_share(
        shares in prop::collection::vec(1u64..=100, 1..=4),
        users in 40u64..=10_000,
        generators in 6u32..=40,
        tool in prop::sample::select(vec!["jmeter", "k6", "gatling"]),
    ) {
        let dir = tempfile::tempdir().unwrap();
        scripts(dir.path());
        let regions: String = shares
            .iter()
            .enumerate()
            .map(|(i, s)| format!("  - {{name: r{i}, context: ctx-{i}, share: {s}}}\n"))
            .collect();
        let script = match tool {
            "jmeter" => "t.jmx\njmeter: {rmi: {ssl: false}}",
            "k6" => "t.js",
            _ => "S.scala\ngatling: {simulationClass: a.S, mode: independent}",
        };
        let text = format!(
            "perfplan: v1\nname: geo\ntool: {tool}\nscript: {script}\n\
             load: {{users: {users}, generators: {generators}, duration: 60s}}\n\
             target: {{url: \"http://10.1.2.3\"}}\nregions:\n{regions}"
        );
        let source = perfplan::Source::new("p.yaml", text.clone(), dir.path());
        // Plans where a region gets fewer users than generators are rejected (the
        // test above checks that); the rest are checked here.
        let Ok(plan) = perfplan::validate(&source).map(|v| v.plan) else { return Ok(()) };
        let expected_users = perfplan::split::apportion(users, &shares);
        for (i, (region, bundle)) in perfplan::emit::compile_regions(&plan).iter().enumerate() {
            prop_assert_eq!(region.load.total_users(), expected_users[i]);
            check_pod_shares(bundle, region.load.generators, expected_users[i], None)
                .map_err(|e| TestCaseError::fail(format!("region {i}: {e}\n{text}")))?;
        }
    }
}

/// Mutations of the example plans through the whole pipeline, a fixed number of
/// inputs so CI runs the same amount every time (cargo-fuzz needs a nightly
/// toolchain these machines cannot fetch). Prints how many inputs it ran.
#[test]
fn fuzz_harness_over_parse_validate_and_compile() {
    const INPUTS_PER_PLAN: usize = 2_500;
    let plans = example_plans();
    let mut rng = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let splices: [&[u8]; 12] = [
        b"\n",
        b": ",
        b"- ",
        b"{",
        b"[",
        b"'",
        b"\"",
        b"&x ",
        b"*x",
        b"0",
        b"99999999999",
        b"\t",
    ];
    let (mut ran, mut valid, mut compiled) = (0usize, 0usize, 0usize);
    for path in plans.values() {
        let original = std::fs::read(path).unwrap();
        for _ in 0..INPUTS_PER_PLAN {
            let mut bytes = original.clone();
            for _ in 0..1 + next() % 4 {
                let at = (next() as usize) % (bytes.len() + 1);
                match next() % 4 {
                    0 if at < bytes.len() => bytes[at] = (next() % 256) as u8,
                    1 if at < bytes.len() => {
                        bytes.remove(at);
                    }
                    2 => bytes
                        .splice(at..at, splices[(next() as usize) % splices.len()].iter().copied())
                        .for_each(drop),
                    _ => bytes.truncate(at),
                }
            }
            ran += 1;
            let outcome = std::panic::catch_unwind(|| {
                let Ok(source) = perfplan::parse::decode("fuzz.yaml", &bytes, path.parent().unwrap()) else {
                    return (false, false);
                };
                match perfplan::validate(&source) {
                    Ok(v) => {
                        let bundle = perfplan::compile(&v.plan);
                        // Every object lands in the plan's namespace, named after the plan.
                        let placed = bundle
                            .manifests
                            .iter()
                            .all(|m| m.namespace == v.plan.namespace && m.name.starts_with(&v.plan.name));
                        assert!(placed, "an object outside the plan's namespace or name");
                        (true, !bundle.to_yaml_stream().is_empty())
                    }
                    Err(report) => {
                        // A rejection says why, at a place inside the input.
                        assert!(!report.diagnostics.is_empty(), "rejected without a diagnostic");
                        let len = source.text.len();
                        assert!(
                            report
                                .diagnostics
                                .iter()
                                .all(|d| d.span.offset + d.span.len <= len),
                            "a diagnostic points past the end of the input"
                        );
                        (false, false)
                    }
                }
            });
            match outcome {
                Ok((v, c)) => {
                    valid += usize::from(v);
                    compiled += usize::from(c);
                }
                Err(_) => panic!("panic on input:\n{}", String::from_utf8_lossy(&bytes)),
            }
        }
    }
    println!("fuzz harness: {ran} inputs, {valid} still valid and compiled ({compiled}), 0 panics");
    assert_eq!(
        valid, compiled,
        "every valid mutation compiles to a non-empty bundle"
    );
    assert!(
        valid > 0 && valid < ran,
        "mutations should produce both valid and invalid plans"
    );
}
