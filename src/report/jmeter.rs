//! JMeter's CSV results file (JTL), written by the controller with every worker's
//! samples.
//!
//! Checked against JMeter 5.5 in distributed mode (a controller and two
//! `jmeter-server` workers): with `jmeter.save.saveservice.output_format=csv`,
//! `…print_field_names=true`, `…timestamp_format=ms` and `…hostname=true`, the
//! controller writes the header `timeStamp,elapsed,label,responseCode,
//! responseMessage,threadName,dataType,success,failureMessage,bytes,sentBytes,
//! grpThreads,allThreads,URL,Latency,Hostname,IdleTime,Connect`, then one row per
//! sample, quoted as CSV where a label or message holds a comma or a quote.
//! `timeStamp` is the sample's start in epoch milliseconds (`sampleresult.timestamp.start=true`,
//! JMeter's default), `elapsed` its duration in ms, `success` `true`/`false`, and
//! `Hostname` the *worker's* host name (the sample event is created on the worker).
//! Without a Hostname column the worker is taken from the prefix JMeter gives
//! remote thread names (`10.0.0.7:1099-users 1-2`).

use super::input::{Collector, FileError, Parsed, Record, columns, csv_records, integer, shown};
use std::io::Read;

/// The file name JMeter results are found under.
pub const FILE_NAMES: [&str; 1] = ["results.jtl"];

/// Read one controller's JTL. Samples whose worker cannot be told go to `fallback`.
pub fn parse(input: impl Read, fallback: &str) -> Result<Parsed, FileError> {
    let mut out = Collector::default();
    let mut cols = Columns::default();
    let truncated = csv_records(input, |record| match record {
        Record::Header(header) => Columns::of(header).map(|c| cols = c),
        Record::Row(row) => cols.sample(row, fallback.as_bytes(), &mut out),
    })?;
    Ok(out.finish(truncated))
}

#[derive(Debug, Default)]
struct Columns {
    width: usize,
    timestamp: usize,
    elapsed: usize,
    label: usize,
    success: usize,
    hostname: Option<usize>,
    thread: Option<usize>,
}

impl Columns {
    fn of(header: &csv::ByteRecord) -> Result<Self, String> {
        let [timestamp, elapsed, label, success, hostname, thread] = columns(
            header,
            [
                "timeStamp",
                "elapsed",
                "label",
                "success",
                "Hostname",
                "threadName",
            ],
        );
        let (Some(timestamp), Some(elapsed), Some(label), Some(success)) =
            (timestamp, elapsed, label, success)
        else {
            return Err(format!(
                "not a CSV JTL with a header line: expected the columns timeStamp, elapsed, label and success, \
                 found {} (run JMeter with jmeter.save.saveservice.output_format=csv and \
                 jmeter.save.saveservice.print_field_names=true)",
                shown(header.as_slice())
            ));
        };
        Ok(Columns {
            width: header.len(),
            timestamp,
            elapsed,
            label,
            success,
            hostname,
            thread,
        })
    }

    fn sample(&self, row: &csv::ByteRecord, fallback: &[u8], out: &mut Collector) -> Result<(), String> {
        if row.len() != self.width {
            return Err(format!(
                "{} fields where the header has {}",
                row.len(),
                self.width
            ));
        }
        let field = |i: usize| row.get(i).unwrap_or_default();
        let start = integer(field(self.timestamp))
            .and_then(|ms| i64::try_from(ms).ok()?.checked_mul(1000))
            .ok_or_else(|| {
                format!(
                    "timeStamp {} is not epoch milliseconds (set jmeter.save.saveservice.timestamp_format=ms)",
                    shown(field(self.timestamp))
                )
            })?;
        let duration = integer(field(self.elapsed))
            .and_then(|ms| ms.checked_mul(1000))
            .ok_or_else(|| format!("elapsed {} is not whole milliseconds", shown(field(self.elapsed))))?;
        let ok = match field(self.success) {
            b"true" => true,
            b"false" => false,
            other => return Err(format!("success {} is neither true nor false", shown(other))),
        };
        let host = self
            .hostname
            .map(field)
            .filter(|h| !h.is_empty() && *h != b"null")
            .or_else(|| self.thread.map(field).and_then(remote_prefix))
            .unwrap_or(fallback);
        out.record(host, field(self.label), start, duration, ok);
        Ok(())
    }
}

/// The `host:port` JMeter puts before a remote thread's name (`10.0.0.7:1099-users 1-2`).
fn remote_prefix(thread: &[u8]) -> Option<&[u8]> {
    thread
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'-')
        .find_map(|(dash, _)| {
            let head = &thread[..dash];
            let colon = head.iter().rposition(|&b| b == b':')?;
            let port = &head[colon + 1..];
            (colon > 0 && !port.is_empty() && port.iter().all(u8::is_ascii_digit)).then_some(head)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_thread_names_name_their_worker() {
        assert_eq!(
            remote_prefix(b"127.0.0.1:21100-users 1-2"),
            Some(&b"127.0.0.1:21100"[..])
        );
        assert_eq!(
            remote_prefix(b"shop-jmeter-worker-0.shop-jmeter-worker:1099-users 1-1"),
            Some(&b"shop-jmeter-worker-0.shop-jmeter-worker:1099"[..])
        );
        assert_eq!(remote_prefix(b"users 1-2"), None);
        assert_eq!(remote_prefix(b":1-x"), None);
    }

    #[test]
    fn formatted_timestamps_and_missing_headers_are_explained() {
        let text = "timeStamp,elapsed,label,success\n2026/12/01 03:21:39.522,5,a,true\n";
        let err = parse(text.as_bytes(), "f").unwrap_err();
        assert_eq!(err.line, Some(2));
        assert!(err.message.contains("timestamp_format=ms"), "{}", err.message);
        let err = parse("1796095298815,50,products,200\n".as_bytes(), "f").unwrap_err();
        assert!(err.message.contains("print_field_names=true"), "{}", err.message);
    }
}

#[cfg(test)]
mod fixtures {
    use crate::report::read;
    use crate::spec::Tool;
    use std::path::PathBuf;

    fn fixture(path: &str) -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/report")
            .join(path)
    }

    /// A real controller's JTL from two workers: every sample, by worker host name.
    #[test]
    fn a_controller_file_splits_into_its_workers() {
        let results = read(&fixture("jmeter"), Some(Tool::Jmeter)).unwrap();
        let generators = results.by_generator();
        let counts: Vec<_> = generators
            .iter()
            .map(|(n, s)| (n.as_str(), s.requests()))
            .collect();
        assert_eq!(
            counts,
            [
                ("jmeter-worker-0.jmeter-worker", 30),
                ("jmeter-worker-1.jmeter-worker", 30)
            ]
        );
        let total = results.total();
        // Independently (Python's csv module over the file): 24 failed, p50 10.5 ms,
        // p95 311.35 ms, max 333 ms, 2,084 ms from first start to last end.
        assert_eq!((total.requests(), total.failed), (60, 24));
        let stats = total.stats(total.span_seconds());
        assert_eq!((stats.p50, stats.max), (Some(10.5), Some(333.0)));
        assert!((stats.p95.unwrap() - 311.35).abs() < 1e-9);
        assert_eq!(total.span_seconds(), Some(2.084));
        let requests = results.by_request();
        assert_eq!(
            requests["search \"a,b\""].requests(),
            12,
            "a quoted label with a comma"
        );
        assert_eq!(
            requests["checked"].failed, 12,
            "a failed assertion whose message holds quotes"
        );
    }

    #[test]
    fn a_killed_controller_file_is_read_up_to_its_last_whole_line() {
        let results = read(&fixture("jmeter-killed"), Some(Tool::Jmeter)).unwrap();
        assert_eq!(
            (results.files[0].samples, results.files[0].truncated_line),
            (19, Some(21))
        );
        assert_eq!(results.by_generator().into_keys().collect::<Vec<_>>(), ["vm"]);
    }
}
