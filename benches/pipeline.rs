//! `cargo bench`: each pipeline stage per example plan, and compile at scale.
//!
//! Scale: generators = 1 … 10,000 for each workload shape. Host lists, segment
//! sequences and shares are generated from the count inside the pods, so the cost
//! must grow no faster than the one O(N) value (k6's segment sequence).

use perfplan::{Source, compile, validate};
use std::path::{Path, PathBuf};

fn main() {
    divan::main();
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

const EXAMPLES: [&str; 5] = [
    "jmeter-basic",
    "k6-basic",
    "k6-single",
    "gatling-cluster",
    "gatling-independent",
];

fn source(name: &str) -> Source {
    let path = root().join(format!("plans/{name}.yaml"));
    let text = std::fs::read_to_string(&path).unwrap();
    Source::new(path.display().to_string(), text, path.parent().unwrap())
}

#[divan::bench(args = EXAMPLES)]
fn parse(bencher: divan::Bencher, name: &str) {
    let source = source(name);
    bencher.bench(|| perfplan::parse::parse(divan::black_box(&source)).is_ok());
}

#[divan::bench(args = EXAMPLES)]
fn validate_plan(bencher: divan::Bencher, name: &str) {
    let source = source(name);
    bencher.bench(|| validate(divan::black_box(&source)).is_ok());
}

#[divan::bench(args = EXAMPLES)]
fn compile_to_yaml(bencher: divan::Bencher, name: &str) {
    let plan = validate(&source(name)).unwrap().plan;
    bencher.bench(|| compile(divan::black_box(&plan)).to_yaml_stream().len());
}

/// Every workload shape at 1 to 10,000 generators (users = 10 per generator).
fn scaled(shape: &str, generators: u32) -> perfplan::Plan {
    let (tool, script, extra) = match shape {
        "jmeter" => ("jmeter", "scripts/checkout.jmx", "jmeter: {rmi: {ssl: false}}\n"),
        "k6" => ("k6", "scripts/checkout.js", ""),
        _ => (
            "gatling",
            "scripts/CheckoutSimulation.scala",
            "gatling: {simulationClass: shop.CheckoutSimulation, mode: independent}\n",
        ),
    };
    let text = format!(
        "perfplan: v1\nname: scale\nnamespace: perf\ntool: {tool}\nscript: {script}\n\
         load: {{users: {}, generators: {generators}, duration: 10m}}\n\
         target: {{url: \"https://10.0.0.1\"}}\n{extra}",
        u64::from(generators) * 10
    );
    let dir: &Path = &root().join("plans");
    validate(&Source::new("scale.yaml", text, dir)).unwrap().plan
}

const GENERATORS: [u32; 5] = [1, 10, 100, 1_000, 10_000];

#[divan::bench(consts = GENERATORS)]
fn k6_at_scale<const N: u32>(bencher: divan::Bencher) {
    let plan = scaled("k6", N);
    bencher.bench(|| compile(divan::black_box(&plan)).to_yaml_stream().len());
}

#[divan::bench(consts = GENERATORS)]
fn jmeter_at_scale<const N: u32>(bencher: divan::Bencher) {
    let plan = scaled("jmeter", N);
    bencher.bench(|| compile(divan::black_box(&plan)).to_yaml_stream().len());
}

#[divan::bench(consts = GENERATORS)]
fn gatling_at_scale<const N: u32>(bencher: divan::Bencher) {
    let plan = scaled("gatling", N);
    bencher.bench(|| compile(divan::black_box(&plan)).to_yaml_stream().len());
}
