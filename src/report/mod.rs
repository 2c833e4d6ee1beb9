//! `perfplan report`: one verdict for a distributed test.
//!
//! A distributed test has many generators, and no tool gives one verdict over all
//! of them: k6 evaluates thresholds per instance, independent Gatling runners each
//! write their own `simulation.log`, a JMeter controller collects every worker's
//! samples but does not judge them. This module reads every generator's raw
//! results, merges them exactly, and evaluates the plan's thresholds over the whole.
//!
//! | step | where | produces |
//! |---|---|---|
//! | find the files | [`discover`] | k6 `samples.csv[.gz]`, JMeter `results.jtl`, Gatling `simulation.log` |
//! | parse each | [`k6`] ([`csv_lines`]), [`jmeter`], [`gatling`] (shared reading in [`input`]) | samples per generator and request |
//! | merge | [`Results`] ([`stats`]) | exact counting histograms, added |
//! | judge | [`evaluate`] ([`verdict`], [`completeness`]) | [`Report`]: stats, thresholds, completeness, [`Verdict`] |
//! | show | [`render`] (table, JSON), [`junit`] | text for people, CI and programs |
//!
//! Exactness: each sample keeps its request, generator, start, duration at the tool's
//! resolution (integer microseconds) and outcome; latencies are counted per distinct
//! value, and merging adds counts, so merged percentiles are those of every sample
//! (never an average of percentiles). Memory is bounded by the number of distinct
//! latency values per generator and request, not by the number of samples.
//!
//! Library users: [`read`] a folder (or [`parse_file`] one file), then [`evaluate`].

pub mod completeness;
pub mod csv_lines;
pub mod discover;
pub mod gatling;
pub mod input;
pub mod jmeter;
pub mod junit;
pub mod k6;
pub mod render;
pub mod stats;
pub mod verdict;

pub use completeness::{Completeness, Expected};
pub use discover::Found;
pub use input::{FileError, Parsed};
pub use stats::{Histogram, Series, Stats};
pub use verdict::{Checked, Named, Options, Outcome, Report, Verdict, evaluate};

use crate::spec::Tool;
use std::collections::BTreeMap;
use std::path::Path;

/// One result file that was read.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct FileSummary {
    /// Relative to the results folder.
    pub path: String,
    /// The generator that wrote it (k6, Gatling); `None` for a JMeter controller's
    /// file, whose samples name their workers.
    pub generator: Option<String>,
    pub samples: u64,
    /// The line of an unfinished last line that was skipped (a pod killed mid-write).
    pub truncated_line: Option<u64>,
    pub notes: Vec<String>,
}

/// Every generator's samples, merged: series per generator and request.
#[derive(Debug, Clone, PartialEq)]
pub struct Results {
    pub tool: Tool,
    pub files: Vec<FileSummary>,
    pub cells: BTreeMap<(String, String), Series>,
}

impl Results {
    /// No samples yet, for adding files to one by one.
    pub fn new(tool: Tool) -> Self {
        Results {
            tool,
            files: Vec::new(),
            cells: BTreeMap::new(),
        }
    }

    /// Add one file's samples.
    pub fn add(&mut self, path: &str, parsed: Parsed) {
        for (generator, request, series) in &parsed.cells {
            self.cells
                .entry((generator.clone(), request.clone()))
                .or_default()
                .merge(series);
        }
        self.files.push(FileSummary {
            path: path.to_owned(),
            generator: None,
            samples: parsed.samples,
            truncated_line: parsed.truncated_line,
            notes: parsed.notes,
        });
    }

    /// Every sample as one series.
    pub fn total(&self) -> Series {
        let mut total = Series::default();
        self.cells.values().for_each(|s| total.merge(s));
        total
    }

    /// Series per generator, by name; a generator whose file held no samples too.
    pub fn by_generator(&self) -> BTreeMap<String, Series> {
        let mut groups = self.group(|(generator, _)| generator);
        for name in self.files.iter().filter_map(|f| f.generator.as_ref()) {
            groups.entry(name.clone()).or_default();
        }
        groups
    }

    /// Series per request name, over every generator.
    pub fn by_request(&self) -> BTreeMap<String, Series> {
        self.group(|(_, request)| request)
    }

    fn group(&self, key: impl Fn(&(String, String)) -> &String) -> BTreeMap<String, Series> {
        let mut out: BTreeMap<String, Series> = BTreeMap::new();
        for (k, series) in &self.cells {
            out.entry(key(k).clone()).or_default().merge(series);
        }
        out
    }
}

/// Why results could not be read. Each has a stable [`code`](Error::code) and help.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("cannot read {path}: {message}")]
    Io { path: String, message: String },
    #[error("no result files in {dir}")]
    NoResults {
        dir: String,
        looked_for: Vec<&'static str>,
    },
    #[error("{dir} holds results of more than one tool: {tools}")]
    MixedTools { dir: String, tools: String },
    #[error("the plan's tool is {plan}, but {dir} holds {found} results ({file})")]
    WrongTool {
        dir: String,
        plan: &'static str,
        found: &'static str,
        file: String,
    },
    #[error("{}: {}", at(.file, *.line), .message)]
    Malformed {
        file: String,
        line: Option<u64>,
        message: String,
    },
}

fn at(file: &str, line: Option<u64>) -> String {
    line.map_or_else(|| file.to_owned(), |l| format!("{file}:{l}"))
}

impl Error {
    /// A stable code that scripts can match on.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Io { .. } => "perfplan::report::io",
            Error::NoResults { .. } => "perfplan::report::no_results",
            Error::MixedTools { .. } => "perfplan::report::mixed_tools",
            Error::WrongTool { .. } => "perfplan::report::wrong_tool",
            Error::Malformed { .. } => "perfplan::report::malformed",
        }
    }

    /// What to do about it.
    pub fn help(&self) -> String {
        match self {
            Error::Io { .. } => "check the path and its permissions".to_owned(),
            Error::NoResults { looked_for, .. } => format!(
                "looked for {} up to {} folders deep (symbolic links are not followed); pass the folder the \
                 pods' /results were copied to or mounted at",
                looked_for.join(", "),
                discover::MAX_DEPTH
            ),
            Error::MixedTools { .. } => {
                "report on one test at a time: one results folder per test".to_owned()
            }
            Error::WrongTool { .. } => "pass the plan the results were produced with".to_owned(),
            Error::Malformed { .. } => {
                "only an unfinished last line (a pod killed while writing) is skipped; a bad line elsewhere \
                 means the file is not the tool's output or was damaged"
                    .to_owned()
            }
        }
    }
}

/// Read and merge every result file under `dir`. With `tool`, files of another tool
/// are an error; without, the folder must hold one tool's results.
pub fn read(dir: &Path, tool: Option<Tool>) -> Result<Results, Error> {
    let shown = dir.display().to_string();
    let io = |e: std::io::Error| Error::Io {
        path: shown.clone(),
        message: e.to_string(),
    };
    if !std::fs::metadata(dir).map_err(io)?.is_dir() {
        return Err(io(std::io::Error::other("not a folder")));
    }
    let found = discover::discover(dir).map_err(io)?;
    let Some(first) = found.first() else {
        let tools = tool.map_or(Tool::ALL.to_vec(), |t| vec![t]);
        return Err(Error::NoResults {
            dir: shown,
            looked_for: tools
                .into_iter()
                .flat_map(|t| discover::file_names(t).iter().copied())
                .collect(),
        });
    };
    if let Some(plan) = tool
        && let Some(other) = found.iter().find(|f| f.tool != plan)
    {
        return Err(Error::WrongTool {
            dir: shown,
            plan: plan.as_str(),
            found: other.tool.as_str(),
            file: other.relative.clone(),
        });
    }
    let mut tools: Vec<&str> = found.iter().map(|f| f.tool.as_str()).collect();
    tools.sort_unstable();
    tools.dedup();
    if tools.len() > 1 {
        return Err(Error::MixedTools {
            dir: shown,
            tools: tools.join(", "),
        });
    }
    // Files are parsed in parallel (a k6 runner's file of a million requests is
    // over a gigabyte) and added in the order found, so the merge is the same
    // whichever finishes first; the first bad file in that order is the error.
    let parsed = input::in_parallel(&found, parse_file);
    let mut results = Results::new(first.tool);
    for (file, parsed) in found.iter().zip(parsed) {
        results.add(&file.relative, parsed?);
        if file.tool != Tool::Jmeter
            && let Some(summary) = results.files.last_mut()
        {
            summary.generator = Some(file.generator.clone());
        }
    }
    Ok(results)
}

/// Parse one result file.
pub fn parse_file(file: &Found) -> Result<Parsed, Error> {
    let input = input::open(&file.path).map_err(|e| Error::Io {
        path: file.relative.clone(),
        message: e.to_string(),
    })?;
    match file.tool {
        Tool::K6 => k6::parse(input, &file.generator),
        Tool::Jmeter => jmeter::parse(input, &file.generator),
        Tool::Gatling => gatling::parse(input, &file.generator),
    }
    .map_err(|e| Error::Malformed {
        file: file.relative.clone(),
        line: e.line,
        message: e.message,
    })
}

#[cfg(test)]
pub(crate) mod test_support {
    use super::{Results, input::Collector};
    use crate::spec::Tool;

    /// Results of `(generator, request, start µs, duration µs, ok)` samples, one file
    /// per generator.
    pub fn results(tool: Tool, samples: &[(&str, &str, i64, u64, bool)]) -> Results {
        let mut by_generator: std::collections::BTreeMap<&str, Collector> = Default::default();
        for &(g, r, start, duration, ok) in samples {
            by_generator
                .entry(g)
                .or_default()
                .record(g.as_bytes(), r.as_bytes(), start, duration, ok);
        }
        let mut out = Results::new(tool);
        for (g, c) in by_generator {
            out.add(g, c.finish(None));
        }
        out
    }

    /// 100 samples over 10 s: `a` takes 1..=100 ms, one in a hundred fails.
    pub fn hundred() -> Results {
        let samples: Vec<_> = (1..=100u64)
            .map(|i| {
                let g = if i % 2 == 0 { "g0" } else { "g1" };
                (g, "a", (i as i64 - 1) * 100_000, i * 1000, i != 50)
            })
            .collect();
        results(Tool::K6, &samples)
    }
}

#[cfg(test)]
mod hostile_input {
    //! No input makes a parser panic: random bytes, and real files cut and damaged.
    use super::*;
    use proptest::prelude::*;

    fn fixture(path: &str) -> Vec<u8> {
        std::fs::read(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/report")
                .join(path),
        )
        .unwrap()
    }

    /// Parse with every parser, and show whatever was read in every format.
    fn survive(bytes: &[u8]) {
        let parsed = [
            k6::parse(bytes, "g"),
            jmeter::parse(bytes, "g"),
            gatling::parse(bytes, "g"),
            k6::parse(
                std::io::BufReader::new(flate2::read::MultiGzDecoder::new(bytes)),
                "g",
            ),
        ];
        for (tool, p) in Tool::ALL.into_iter().cycle().zip(parsed) {
            if let Ok(p) = p {
                let mut results = Results::new(tool);
                results.add("f", p);
                let report = evaluate(&results, &Options::default());
                let _ = (
                    render::human(&report),
                    render::json(&report),
                    junit::junit(&report),
                );
            }
        }
    }

    /// Real files with some bytes replaced and the end cut off.
    fn damaged(bytes: Vec<u8>) -> impl Strategy<Value = Vec<u8>> {
        let len = bytes.len();
        (prop::collection::vec((0..len, any::<u8>()), 0..8), 0..=len).prop_map(move |(edits, cut)| {
            let mut b = bytes.clone();
            for (i, v) in edits {
                b[i] = v;
            }
            b.truncate(cut);
            b
        })
    }

    proptest! {
        #[test]
        fn random_bytes(bytes in prop::collection::vec(any::<u8>(), 0..2000)) {
            survive(&bytes);
        }

        #[test]
        fn damaged_k6(bytes in damaged(fixture("k6/k6-runner-1/samples.csv"))) {
            survive(&bytes);
        }

        #[test]
        fn damaged_k6_gzip(bytes in damaged(fixture("k6/k6-runner-0/samples.csv.gz"))) {
            survive(&bytes);
        }

        #[test]
        fn damaged_jmeter(bytes in damaged(fixture("jmeter/results.jtl"))) {
            survive(&bytes);
        }

        #[test]
        fn damaged_gatling(bytes in damaged(fixture(
            "gatling/gatling-runner-0/fixturesimulation-20261201032337641/simulation.log"
        ))) {
            survive(&bytes);
        }
    }
}
