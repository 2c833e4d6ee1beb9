//! `cargo bench --bench report`: parsing and merging 1,000,000 samples in each
//! tool's format, from 4 generators of 250,000 each (goal: well under a second).
//!
//! Latencies are spread over 1 ms to ~2 s at the tools' resolution (k6: µs, so up to
//! hundreds of thousands of distinct values, the histograms' worst realistic case).
//! The k6 file also holds an `http_req_failed` row per request, as k6 writes.

use perfplan::report::{Results, gatling, jmeter, k6};
use perfplan::spec::Tool;
use std::fmt::Write;

fn main() {
    divan::main();
}

const GENERATORS: u64 = 4;
const PER_GENERATOR: u64 = 250_000;
const NAMES: [&str; 5] = ["products", "missing", "search \"a,b\"", "slow", "checkout"];

/// A deterministic pseudo-random latency in µs (1 ms to ~2 s, skewed low).
fn latency(i: u64) -> u64 {
    let x = i
        .wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(1_442_695_040_888_963_407)
        >> 33;
    let r = x % 1_000_000;
    1000 + r * r / 500_000
}

fn k6_file(g: u64) -> Vec<u8> {
    let mut out = String::from(
        "metric_name,timestamp,metric_value,check,error,error_code,expected_response,group,method,name,proto,\
         scenario,service,status,subproto,tls_version,url,extra_tags,metadata\n",
    );
    for i in 0..PER_GENERATOR {
        let n = g * PER_GENERATOR + i;
        let us = latency(n);
        let ok = !n.is_multiple_of(50);
        let name = NAMES[(n % 5) as usize];
        let quoted = if name.contains('"') {
            "\"search \"\"a,b\"\"\""
        } else {
            name
        };
        let t = 1_796_095_249_000_000 + i * 400;
        let (expected, status) = if ok { ("true", "200") } else { ("false", "404") };
        for (metric, value) in [
            ("http_req_duration", format!("{}.{:03}000", us / 1000, us % 1000)),
            ("http_req_failed", format!("{}.000000", u8::from(!ok))),
        ] {
            let _ = writeln!(
                out,
                "{metric},{t},{value},,,,{expected},,GET,{quoted},HTTP/1.1,default,,{status},,,{quoted},,"
            );
        }
    }
    out.into_bytes()
}

fn jmeter_file() -> Vec<u8> {
    let mut out = String::from(
        "timeStamp,elapsed,label,responseCode,responseMessage,threadName,dataType,success,failureMessage,bytes,\
         sentBytes,grpThreads,allThreads,URL,Latency,Hostname,IdleTime,Connect\n",
    );
    for n in 0..GENERATORS * PER_GENERATOR {
        let g = n % GENERATORS;
        let ms = latency(n) / 1000;
        let ok = !n.is_multiple_of(50);
        let name = NAMES[(n % 5) as usize];
        let quoted = if name.contains('"') {
            "\"search \"\"a,b\"\"\""
        } else {
            name
        };
        let _ = writeln!(
            out,
            "{},{ms},{quoted},200,OK,10.0.0.{g}:1099-users 1-1,text,{ok},,114,128,2,2,http://shop/p,{ms},w-{g},0,1",
            1_796_095_298_815 + n / 10
        );
    }
    out.into_bytes()
}

fn gatling_file(g: u64) -> Vec<u8> {
    let mut out = String::from("RUN\tshop.Sim\tsim\t1796095417641\t \t3.2.1\n");
    for i in 0..PER_GENERATOR {
        let n = g * PER_GENERATOR + i;
        let start = 1_796_095_418_000 + i / 4;
        let status = if n.is_multiple_of(50) {
            "KO\tstatus.find.in(200), found 404"
        } else {
            "OK\t "
        };
        let _ = writeln!(
            out,
            "REQUEST\t{}\t\t{}\t{start}\t{}\t{status}",
            i % 100,
            NAMES[(n % 5) as usize],
            start + latency(n) / 1000
        );
    }
    out.into_bytes()
}

fn check(results: &Results) -> u64 {
    let total = results.total();
    assert_eq!(total.requests(), GENERATORS * PER_GENERATOR);
    total.latency.quantile(0.95).unwrap_or_default() as u64
}

#[divan::bench(sample_count = 5, sample_size = 1)]
fn k6_csv(bencher: divan::Bencher) {
    let files: Vec<Vec<u8>> = (0..GENERATORS).map(k6_file).collect();
    bencher.bench(|| {
        let mut results = Results::new(Tool::K6);
        for (g, f) in files.iter().enumerate() {
            results.add(
                &format!("k6-runner-{g}"),
                k6::parse(f.as_slice(), &g.to_string()).unwrap(),
            );
        }
        check(&results)
    });
}

#[divan::bench(sample_count = 5, sample_size = 1)]
fn jmeter_jtl(bencher: divan::Bencher) {
    let file = jmeter_file();
    bencher.bench(|| {
        let mut results = Results::new(Tool::Jmeter);
        results.add(
            "results.jtl",
            jmeter::parse(file.as_slice(), "controller").unwrap(),
        );
        check(&results)
    });
}

#[divan::bench(sample_count = 5, sample_size = 1)]
fn gatling_log(bencher: divan::Bencher) {
    let files: Vec<Vec<u8>> = (0..GENERATORS).map(gatling_file).collect();
    bencher.bench(|| {
        let mut results = Results::new(Tool::Gatling);
        for (g, f) in files.iter().enumerate() {
            results.add(
                &format!("runner-{g}"),
                gatling::parse(f.as_slice(), &g.to_string()).unwrap(),
            );
        }
        check(&results)
    });
}
