//! Input an attacker or an accident produces: a diagnostic, never a panic, and fast.
//! (Speed is not asserted here — timings are benchmarks' job — but each case must
//! finish; a hang or stack overflow fails the run.)

use perfplan::diag::codes;
use perfplan::{Source, validate};

fn first_code(text: &str) -> &'static str {
    let source = Source::new("hostile.yaml", text, ".");
    let report = validate(&source).expect_err("hostile input must be rejected");
    report.diagnostics[0].code.as_str()
}

#[test]
fn deep_flow_nesting_is_a_budget_error() {
    let text = "[".repeat(100_000) + &"]".repeat(100_000);
    assert_eq!(first_code(&text), codes::YAML_BUDGET.as_str());
}

#[test]
fn deep_block_nesting_is_a_budget_error() {
    // 1,000 levels of block mappings (about 500 KB of indentation).
    let text: String = (0..1_000).map(|i| format!("{}a:\n", " ".repeat(i))).collect();
    assert_eq!(first_code(&text), codes::YAML_BUDGET.as_str());
}

#[test]
fn oversized_text_is_refused_by_the_library_too() {
    let text = "# padding\n".repeat(200_000);
    assert_eq!(first_code(&text), codes::INPUT_TOO_LARGE.as_str());
}

#[test]
fn alias_bomb_is_a_budget_error() {
    let mut text = "a0: &a0 [x,x,x,x,x,x,x,x,x,x]\n".to_owned();
    for i in 1..20 {
        text += &format!("a{i}: &a{i} [{}]\n", vec![format!("*a{}", i - 1); 10].join(","));
    }
    assert_eq!(first_code(&text), codes::YAML_BUDGET.as_str());
}

#[test]
fn a_fifty_megabyte_file_is_refused_before_parsing() {
    let big = vec![b'a'; 50 * 1024 * 1024];
    let report = perfplan::parse::decode("big.yaml", &big, std::path::Path::new(".")).unwrap_err();
    assert_eq!(report.diagnostics[0].code, codes::INPUT_TOO_LARGE);
}

#[test]
fn binary_garbage_is_not_utf8() {
    let bytes: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    let report = perfplan::parse::decode("bin.yaml", &bytes, std::path::Path::new(".")).unwrap_err();
    assert_eq!(report.diagnostics[0].code, codes::INPUT_NOT_UTF8);
}

#[test]
fn nul_bytes_and_control_characters_are_diagnostics() {
    for text in [
        "\0\0\0",
        "perfplan: v1\nname: \u{1b}[31m\n",
        "\u{feff}",
        "{",
        "]",
        "&a *a",
        "!!binary x",
    ] {
        let source = Source::new("x.yaml", text, ".");
        assert!(validate(&source).is_err(), "{text:?} was accepted");
    }
}

#[test]
fn scalars_and_lists_are_not_plans() {
    assert_eq!(first_code("42\n"), codes::SCHEMA_TYPE.as_str());
    assert_eq!(first_code("- a\n- b\n"), codes::SCHEMA_TYPE.as_str());
    assert_eq!(first_code("\"just a string\"\n"), codes::SCHEMA_TYPE.as_str());
}

fn k6_plan(load: &str, extra: &str) -> String {
    format!(
        "perfplan: v1\nname: shop\ntool: k6\nscript: {{configMap: scripts, key: t.js}}\n\
         load: {{{load}, duration: 1m}}\ntarget: {{url: \"https://10.0.0.1\"}}\n{extra}"
    )
}

#[test]
fn more_than_ten_thousand_generators_is_a_clear_error() {
    // Not a 2 GB bundle: past 10,000 generators the plan is refused.
    assert_eq!(
        first_code(&k6_plan("users: 20000, generators: 10001", "")),
        codes::SCHEMA_RANGE.as_str()
    );
    let source = Source::new("ok.yaml", k6_plan("users: 20000, generators: 10000", ""), ".");
    assert!(validate(&source).is_ok());
}

#[test]
fn over_long_strings_and_collections_are_range_errors() {
    let long_value = format!("jmeter: {{properties: {{p: \"{}\"}}}}\n", "x".repeat(4097));
    let jmeter = k6_plan("users: 10, generators: 1", &long_value).replace("tool: k6", "tool: jmeter");
    assert_eq!(first_code(&jmeter), codes::SCHEMA_RANGE.as_str());
    let labels: String = (0..65).map(|i| format!("l{i}: v\n  ")).collect();
    let many = k6_plan("users: 10, generators: 1", &format!("labels:\n  {labels}\n"));
    assert_eq!(first_code(&many), codes::SCHEMA_RANGE.as_str());
    let long_label = k6_plan(
        "users: 10, generators: 1",
        &format!("labels: {{team: {}}}\n", "a".repeat(64)),
    );
    assert_eq!(first_code(&long_label), codes::SCHEMA_RANGE.as_str());
}

const K6_PLAN: &str = "perfplan: v1\nname: shop\ntool: k6\nscript: test.js\nload:\n  users: USERS\n  generators: 2\n  duration: 1m\ntarget:\n  url: https://10.0.0.1\n";

#[test]
fn a_script_over_the_configmap_limit_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("test.js"), "//".repeat(600_000)).unwrap();
    let text = K6_PLAN.replace("USERS", "10");
    let report = validate(&Source::new("plan.yaml", text.as_str(), dir.path())).unwrap_err();
    assert_eq!(report.diagnostics[0].code, codes::SCRIPT_TOO_LARGE);
}

/// `users: 2.0` or `1e3` once gave "internal error: the plan passed the schema but
/// not the types" at line 1. JSON Schema counts an integral float as an integer, so
/// the plan means what it says; a fraction is a schema error at the value.
#[test]
fn integral_floats_are_the_integers_they_equal() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("test.js"), "export default function () {}\n").unwrap();
    let compile = |users: &str| {
        let text = K6_PLAN.replace("USERS", users);
        validate(&Source::new("plan.yaml", text.as_str(), dir.path()))
            .map(|v| perfplan::compile(&v.plan).to_yaml_stream())
    };
    let exact = compile("1000").unwrap();
    assert_eq!(compile("1e3").unwrap(), exact);
    assert_eq!(compile("1000.0").unwrap(), exact);
    let fraction = compile("2.5").unwrap_err();
    assert_eq!(fraction.diagnostics[0].code, codes::SCHEMA_TYPE);
    let huge = compile("1e30").unwrap_err();
    assert_eq!(huge.diagnostics[0].code, codes::SCHEMA_RANGE, "{huge}");
}

/// 230 JMeter properties of 4 KB once made the StatefulSet and the Job ~950 KB each,
/// over client-side `kubectl apply`'s 256 KiB annotation. The total is bounded, and
/// what is accepted compiles to objects that fit.
#[test]
fn jmeter_properties_are_bounded_so_every_object_can_be_applied() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("t.jmx"), "<jmeterTestPlan/>").unwrap();
    let plan = |count: usize| {
        let props: String = (0..count)
            .map(|i| format!("    p{i}: \"{}\"\n", "x".repeat(4000)))
            .collect();
        format!(
            "perfplan: v1\nname: shop\ntool: jmeter\nscript: t.jmx\nload: {{users: 10, generators: 2, duration: 1m}}\n\
             target: {{url: \"https://10.0.0.1\"}}\njmeter:\n  rmi: {{ssl: false}}\n  properties:\n{props}"
        )
    };
    let big = plan(230);
    let report = validate(&Source::new("plan.yaml", big.as_str(), dir.path())).unwrap_err();
    assert_eq!(report.diagnostics[0].code, codes::JMETER_PROPERTY, "{report}");
    let fits = plan(16);
    let valid = validate(&Source::new("plan.yaml", fits.as_str(), dir.path())).unwrap();
    for m in perfplan::compile(&valid.plan).manifests {
        let size = serde_json::to_vec(&m.value).unwrap().len();
        assert!(size < 200 * 1024, "{} {} is {size} bytes", m.kind, m.name);
    }
}
