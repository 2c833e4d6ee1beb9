//! k6's CSV output (`--out csv=…`), one file per runner, gzipped when its name
//! ends in `.gz`.
//!
//! Checked against k6 0.57.0 and the 0.55.0 source (`output/csv`): a header line
//! `metric_name,timestamp,metric_value,check,error,error_code,expected_response,
//! group,method,name,proto,scenario,service,status,subproto,tls_version,url,
//! extra_tags,metadata`, then one row per metric sample. One request is one
//! `http_req_duration` row: `metric_value` is its duration in milliseconds printed
//! with `%f` (six decimals), `name` the request's name tag (the URL unless the script
//! sets one), `expected_response` whether k6 counted it as a success (the same
//! classification as `http_req_failed`, k6's error metric). `timestamp` is the
//! request's *end* (`trail.EndTime` in `lib/netext/httpext`), so its start is the
//! timestamp minus the duration. Its format is the output's `timeFormat`
//! (`K6_CSV_TIME_FORMAT`): `unix` (whole seconds, the default), `unix_milli`,
//! `unix_micro`, `unix_nano`, `rfc3339` or `rfc3339_nano`; all are read, and
//! `unix_micro` is the one to use (`--out csv=fileName=samples.csv.gz,timeFormat=unix_micro`).

use super::csv_lines::{self, Lines, Next, comma_ends, split};
use super::input::{Collector, FileError, Parsed, integer, millis_as_micros, shown};
use std::borrow::Cow;
use std::io::Read;

/// The file names k6 results are found under.
pub const FILE_NAMES: [&str; 2] = ["samples.csv", "samples.csv.gz"];

/// The note for whole-second timestamps.
const COARSE: &str = "k6 wrote whole-second timestamps (timeFormat unix): the test's span and throughput are \
                      approximate; run k6 with K6_CSV_TIME_FORMAT=unix_micro";

/// Read one runner's CSV; every sample is attributed to `generator`.
///
/// Speed (a million requests are some 14 million rows): a row of another metric is
/// told by its first bytes and only its fields counted; an `http_req_duration` row
/// without quotes is read through its comma positions, and only a quoted one is
/// unquoted into new buffers.
pub fn parse(input: impl Read, generator: &str) -> Result<Parsed, FileError> {
    let mut out = Collector::default();
    let mut lines = Lines::new(input);
    let cols = match lines.next_record()? {
        Next::End => return Ok(out.finish(None)),
        Next::Cut(line) => return Ok(out.finish(Some(line))),
        Next::Record(line) => {
            let mut fields = Vec::new();
            split(lines.record(), &mut fields);
            Columns::of(&fields).map_err(|m| FileError::at(line, m))?
        }
    };
    let mut ends = Vec::with_capacity(cols.width);
    loop {
        let line = match lines.next_record()? {
            Next::End => return Ok(out.finish(None)),
            Next::Cut(line) => return Ok(out.finish(Some(line))),
            Next::Record(line) => line,
        };
        let record = lines.record();
        // metric_name comes first in every k6 version: other metrics' rows (most of
        // the file) are only counted, not split.
        if cols.metric == 0 && !record.starts_with(b"http_req_duration,") {
            let n = lines
                .unquoted_fields()
                .unwrap_or_else(|| csv_lines::count(record));
            if n != cols.width {
                return Err(FileError::at(line, width(n, cols.width)));
            }
            continue;
        }
        let result = if lines.unquoted_fields().is_none() {
            let mut fields = Vec::with_capacity(cols.width);
            split(record, &mut fields);
            cols.sample(
                fields.len(),
                |i| fields.get(i).map_or(&[][..], |f| f.as_ref()),
                generator.as_bytes(),
                &mut out,
            )
        } else {
            comma_ends(record, &mut ends);
            let field = |i: usize| {
                let start = if i == 0 {
                    0
                } else {
                    ends.get(i - 1).map_or(record.len(), |e| e + 1)
                };
                ends.get(i).map_or(&[][..], |&end| &record[start..end])
            };
            cols.sample(ends.len(), field, generator.as_bytes(), &mut out)
        };
        result.map_err(|m| FileError::at(line, m))?;
    }
}

fn width(found: usize, header: usize) -> String {
    format!("{found} fields where the header has {header}")
}

#[derive(Debug, Default)]
struct Columns {
    width: usize,
    metric: usize,
    timestamp: usize,
    value: usize,
    name: Option<usize>,
    url: Option<usize>,
    expected: Option<usize>,
    status: Option<usize>,
}

impl Columns {
    fn of(header: &[Cow<'_, [u8]>]) -> Result<Self, String> {
        let find = |name: &str| header.iter().position(|f| f.as_ref() == name.as_bytes());
        let (Some(metric), Some(timestamp), Some(value)) =
            (find("metric_name"), find("timestamp"), find("metric_value"))
        else {
            let line: Vec<u8> = header.join(&b","[..]);
            return Err(format!(
                "not k6's CSV output: the header line has no metric_name, timestamp and metric_value columns \
                 (it begins {})",
                shown(&line)
            ));
        };
        Ok(Columns {
            width: header.len(),
            metric,
            timestamp,
            value,
            name: find("name"),
            url: find("url"),
            expected: find("expected_response"),
            status: find("status"),
        })
    }

    /// Count one row of `len` fields, read by index through `field`.
    fn sample<'r>(
        &self,
        len: usize,
        field: impl Fn(usize) -> &'r [u8],
        generator: &[u8],
        out: &mut Collector,
    ) -> Result<(), String> {
        if len != self.width {
            return Err(width(len, self.width));
        }
        if field(self.metric) != b"http_req_duration" {
            return Ok(());
        }
        let duration = millis_as_micros(field(self.value)).ok_or_else(|| {
            format!(
                "metric_value {} is not a duration in milliseconds",
                shown(field(self.value))
            )
        })?;
        let (end, coarse) = timestamp(field(self.timestamp)).ok_or_else(|| {
            format!(
                "timestamp {} is not a k6 timeFormat",
                shown(field(self.timestamp))
            )
        })?;
        if coarse {
            out.note(COARSE);
        }
        let name = [self.name, self.url]
            .into_iter()
            .flatten()
            .map(&field)
            .find(|n| !n.is_empty())
            .unwrap_or(b"(unnamed)");
        let ok = match self.expected.map(&field) {
            Some(b"true") => true,
            Some(b"false") => false,
            // No responseCallback (so no expected_response tag): k6's default
            // expectation, a status from 200 to 399.
            _ => self
                .status
                .map(&field)
                .and_then(integer)
                .is_some_and(|s| (200..400).contains(&s)),
        };
        let start = end.saturating_sub_unsigned(duration);
        out.record(generator, name, start, duration, ok);
        Ok(())
    }
}

/// A k6 timestamp in microseconds since the epoch, and whether it is whole seconds.
/// The `unix*` formats are told apart by size (seconds < 10^11 ≤ ms < 10^14 ≤ µs
/// < 10^17 ≤ ns), which holds for every date from 1973 to 5138.
fn timestamp(field: &[u8]) -> Option<(i64, bool)> {
    if let Some(n) = integer(field) {
        let micros = match n {
            n if n < 100_000_000_000 => n * 1_000_000,
            n if n < 100_000_000_000_000 => n * 1000,
            n if n < 100_000_000_000_000_000 => n,
            n => n / 1000,
        };
        return Some((i64::try_from(micros).ok()?, n < 100_000_000_000));
    }
    rfc3339(std::str::from_utf8(field).ok()?)
}

/// `2026-12-01T03:20:39.780710847Z` (or with `±hh:mm`) in microseconds since the
/// epoch, and whether it has no fraction of a second.
fn rfc3339(text: &str) -> Option<(i64, bool)> {
    let num = |s: &str| -> Option<i64> {
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok())?
    };
    let (date, time) = text.split_once(['T', 't'])?;
    let mut d = date.splitn(3, '-');
    let (y, m, day) = (num(d.next()?)?, num(d.next()?)?, num(d.next()?)?);
    let zone_at = time.find(['Z', 'z', '+', '-'])?;
    let (clock, zone) = time.split_at(zone_at);
    let (hms, fraction) = clock.split_once('.').unwrap_or((clock, ""));
    let mut c = hms.splitn(3, ':');
    let (h, min, s) = (num(c.next()?)?, num(c.next()?)?, num(c.next()?)?);
    if !(1..=9999).contains(&y)
        || !(1..=12).contains(&m)
        || !(1..=31).contains(&day)
        || h > 23
        || min > 59
        || s > 60
    {
        return None;
    }
    let micros_fraction = if fraction.is_empty() {
        0
    } else {
        let digits: String = fraction.chars().chain("000000".chars()).take(6).collect();
        num(&digits)?
    };
    let offset = match zone {
        "Z" | "z" => 0,
        _ => {
            let (sign, hhmm) = zone.split_at(1);
            let (oh, om) = hhmm.split_once(':')?;
            let (oh, om) = (num(oh)?, num(om)?);
            if oh > 23 || om > 59 {
                return None;
            }
            let minutes = oh * 60 + om;
            if sign == "-" { -minutes } else { minutes }
        }
    };
    let days = days_from_civil(y, m, day);
    let seconds = days * 86_400 + h * 3600 + min * 60 + s - offset * 60;
    Some((
        seconds.checked_mul(1_000_000)?.checked_add(micros_fraction)?,
        fraction.is_empty(),
    ))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_time_format_reads_to_the_same_instant() {
        let want = 1_796_095_249_023_918;
        assert_eq!(timestamp(b"1796095249023918"), Some((want, false)));
        assert_eq!(timestamp(b"1796095249023918000"), Some((want, false)));
        assert_eq!(timestamp(b"1796095249023"), Some((want - 918, false)));
        assert_eq!(timestamp(b"1796095249"), Some((1_796_095_249_000_000, true)));
        assert_eq!(timestamp(b"2026-12-01T03:20:49.023918847Z"), Some((want, false)));
        assert_eq!(
            timestamp(b"2026-12-01T04:20:49.023918Z").map(|t| t.0 - 3_600_000_000),
            Some(want)
        );
        assert_eq!(
            timestamp(b"2026-12-01T05:20:49.023918+02:00"),
            Some((want, false))
        );
        assert_eq!(
            timestamp(b"2026-12-01T03:20:49Z"),
            Some((1_796_095_249_000_000, true))
        );
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        for bad in [
            &b""[..],
            b"-5",
            b"2026-13-01T00:00:00Z",
            b"2026-12-01",
            b"T",
            b"12:00",
        ] {
            assert_eq!(timestamp(bad), None, "{bad:?}");
        }
    }
}

#[cfg(test)]
mod fixtures {
    use crate::report::{Results, read};
    use crate::spec::Tool;
    use std::path::PathBuf;

    fn fixture(path: &str) -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/report")
            .join(path)
    }

    fn runner(path: &str) -> Results {
        let mut results = Results::new(Tool::K6);
        let input = crate::report::input::open(&fixture(path)).unwrap();
        results.add(path, super::parse(input, "r").unwrap());
        results
    }

    /// A runner's own end-of-test summary (`--summary-export`) and the report of its
    /// CSV agree to the CSV's microseconds: same samples, same percentile definition.
    #[test]
    fn a_runner_agrees_with_its_own_k6_summary() {
        let summary: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(fixture("k6-runner-0.summary.json")).unwrap())
                .unwrap();
        let k6 = &summary["metrics"]["http_req_duration"];
        let total = runner("k6/k6-runner-0/samples.csv.gz").total();
        assert_eq!(total.requests(), 102);
        assert_eq!(
            total.failed,
            summary["metrics"]["http_req_failed"]["passes"].as_u64().unwrap()
        );
        let stats = total.stats(total.span_seconds());
        for (ours, theirs) in [
            (stats.p90, "p(90)"),
            (stats.p95, "p(95)"),
            (stats.p99, "p(99)"),
            (stats.max, "max"),
            (stats.min, "min"),
            (stats.p50, "med"),
            (stats.mean, "avg"),
        ] {
            let theirs = k6[theirs].as_f64().unwrap();
            assert!(
                (ours.unwrap() - theirs).abs() <= 0.001,
                "{ours:?} vs k6's {theirs}"
            );
        }
    }

    #[test]
    fn two_runners_merge_into_the_percentiles_of_all_their_samples() {
        let results = read(&fixture("k6"), Some(Tool::K6)).unwrap();
        let total = results.total();
        // Independently (Python, over both CSVs' durations rounded to µs): 113 samples,
        // p95 343371.4 µs, p99 347755.48 µs.
        assert_eq!(total.requests(), 113);
        assert!((total.latency.quantile(0.95).unwrap() - 343_371.4).abs() < 1e-6);
        assert!((total.latency.quantile(0.99).unwrap() - 347_755.48).abs() < 1e-6);
        let generators: Vec<_> = results.by_generator().into_keys().collect();
        assert_eq!(generators, ["k6-runner-0", "k6-runner-1"]);
        let requests = results.by_request();
        let names: Vec<_> = requests.keys().map(String::as_str).collect();
        assert_eq!(
            names,
            [
                "http://127.0.0.1:18777/fail",
                "missing",
                "products",
                "search \"a,b\"",
                "slow"
            ],
            "the name tag, else the URL"
        );
        assert_eq!(requests["missing"].failed, requests["missing"].requests());
        assert_eq!(requests["products"].failed, 0);
    }

    #[test]
    fn cut_files_are_read_up_to_the_cut() {
        let cut = runner("k6-cut/k6-runner-2/samples.csv");
        assert_eq!((cut.files[0].samples, cut.files[0].truncated_line), (5, Some(41)));
        let killed = runner("k6-killed-gz/k6-runner-3/samples.csv.gz");
        assert_eq!(
            (killed.files[0].samples, killed.files[0].truncated_line),
            (0, Some(1))
        );
        // Read as a folder, a runner that wrote nothing still shows, with no samples.
        let folder = read(&fixture("k6-killed-gz"), Some(Tool::K6)).unwrap();
        let generators = folder.by_generator();
        assert_eq!(generators.keys().collect::<Vec<_>>(), ["k6-runner-3"]);
        assert_eq!(generators["k6-runner-3"].requests(), 0);
    }
}
