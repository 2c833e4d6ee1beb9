//! Gatling's `simulation.log`, one per runner, under `<results>/<simulation>-<timestamp>/`.
//!
//! Checked against Gatling 3.2.1 (its output and `LogFileDataWriter.scala` in
//! gatling-core 3.2.1): one record per line, fields separated by tabs, the record
//! type first:
//!
//! | record | fields after the type |
//! |---|---|
//! | `RUN` | simulation class, simulation id, start (epoch ms), description (` ` if none), Gatling version |
//! | `USER` | scenario, user id, `START`/`END`, user start (ms), event time (ms) |
//! | `REQUEST` | user id, groups (`,`-joined, empty outside a group), request name, start (ms), end (ms), `OK`/`KO`, message (` ` if none) |
//! | `GROUP` | user id, groups, start (ms), end (ms), cumulated response time (ms), `OK`/`KO` |
//! | `ERROR` | message, time (ms) |
//! | `ASSERTION` | the assertion, pickled and base64-encoded |
//!
//! One request is one `REQUEST` record; its duration is end − start. Gatling
//! replaces tabs and line ends in messages by spaces but writes request names as
//! they are, so the name is everything between the groups and the last four fields.

use super::input::{Collector, FileError, Parsed, integer, shown};
use std::io::BufRead;

/// The file name Gatling results are found under.
pub const FILE_NAMES: [&str; 1] = ["simulation.log"];

/// Read one runner's `simulation.log`; every sample is attributed to `generator`.
pub fn parse(mut input: impl BufRead, generator: &str) -> Result<Parsed, FileError> {
    let mut out = Collector::default();
    let mut line = Vec::new();
    let mut number = 0u64;
    loop {
        line.clear();
        number += 1;
        match input.read_until(b'\n', &mut line) {
            Ok(0) => return Ok(out.finish(None)),
            Ok(_) if line.last() != Some(&b'\n') => return Ok(out.finish(Some(number))),
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(out.finish(Some(number))),
            Err(e) => return Err(FileError::whole(format!("cannot read: {e}"))),
        }
        let text = line.strip_suffix(b"\n").unwrap_or(&line);
        let text = text.strip_suffix(b"\r").unwrap_or(text);
        record(text, generator.as_bytes(), &mut out).map_err(|m| FileError::at(number, m))?;
    }
}

/// The fewest fields of each record type, the type included (`RawRecords.scala`).
const RECORDS: [(&[u8], usize); 6] = [
    (b"RUN", 6),
    (b"USER", 6),
    (b"REQUEST", 8),
    (b"GROUP", 7),
    (b"ERROR", 3),
    (b"ASSERTION", 2),
];

fn record(text: &[u8], generator: &[u8], out: &mut Collector) -> Result<(), String> {
    if text.is_empty() {
        return Ok(());
    }
    let fields: Vec<&[u8]> = text.split(|&b| b == b'\t').collect();
    let kind = fields[0];
    let Some(&(_, least)) = RECORDS.iter().find(|(name, _)| *name == kind) else {
        return Err(format!(
            "{} is not a record of Gatling 3.2's simulation.log (RUN, USER, REQUEST, GROUP, ERROR, ASSERTION)",
            shown(kind)
        ));
    };
    if fields.len() < least {
        return Err(format!(
            "a {} record has at least {least} tab-separated fields, this one {}",
            String::from_utf8_lossy(kind),
            fields.len()
        ));
    }
    if kind != b"REQUEST" {
        return Ok(());
    }
    let n = fields.len();
    let millis = |i: usize, what: &str| {
        integer(fields[i])
            .and_then(|ms| i64::try_from(ms).ok())
            .ok_or_else(|| {
                format!(
                    "the request's {what} {} is not epoch milliseconds",
                    shown(fields[i])
                )
            })
    };
    let (start, end) = (millis(n - 4, "start")?, millis(n - 3, "end")?);
    if end < start {
        return Err(format!("the request ends ({end}) before it starts ({start})"));
    }
    let ok = match fields[n - 2] {
        b"OK" => true,
        b"KO" => false,
        other => return Err(format!("status {} is neither OK nor KO", shown(other))),
    };
    // The name, with any tabs it held: the fields from the fourth to the fifth-last.
    let name_start = fields[..3].iter().map(|f| f.len() + 1).sum::<usize>();
    let name_end = text.len() - fields[n - 4..].iter().map(|f| f.len() + 1).sum::<usize>();
    let name = &text[name_start..name_end];
    #[allow(clippy::cast_sign_loss)] // end ≥ start
    let duration = ((end - start) as u64).saturating_mul(1000);
    out.record(generator, name, start.saturating_mul(1000), duration, ok);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_with_tabs_and_every_record_type() {
        let log = "RUN\tc.S\ts\t1\t \t3.2.1\nUSER\ts\t1\tSTART\t1\t1\n\
                   REQUEST\t1\tg1,g2\ta\tb\t1000\t1250\tKO\tfound 404\nGROUP\t1\tg1\t1\t2\t1\tOK\nERROR\tboom\t5\n";
        let parsed = parse(log.as_bytes(), "r0").unwrap();
        assert_eq!(parsed.samples, 1);
        let (generator, name, series) = &parsed.cells[0];
        assert_eq!((generator.as_str(), name.as_str()), ("r0", "a\tb"));
        assert_eq!((series.failed, series.latency.max()), (1, Some(250_000)));
        assert_eq!(series.first_start, Some(1_000_000));
    }

    #[test]
    fn bad_records_are_errors_at_their_line_and_a_cut_last_line_is_skipped() {
        let err = parse(
            "RUN\tc\ts\t1\t \t3.2.1\nREQUEST\t1\t\tx\t5\t4\tOK\t \n".as_bytes(),
            "r",
        )
        .unwrap_err();
        assert_eq!(err.line, Some(2));
        assert!(err.message.contains("ends"), "{}", err.message);
        let err = parse("HELLO\n".as_bytes(), "r").unwrap_err();
        assert!(err.message.contains("not a record"), "{}", err.message);
        let cut = parse("REQUEST\t1\t\tx\t1\t2\tOK\t \nREQUEST\t1\t\tx\t1".as_bytes(), "r").unwrap();
        assert_eq!((cut.samples, cut.truncated_line), (1, Some(2)));
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

    #[test]
    fn two_independent_runners_merge() {
        let results = read(&fixture("gatling"), Some(Tool::Gatling)).unwrap();
        let generators = results.by_generator();
        let counts: Vec<_> = generators
            .iter()
            .map(|(n, s)| (n.as_str(), s.requests(), s.failed))
            .collect();
        // Independently (Python over the REQUEST lines): 30 and 15 requests, 12 and 6 KO.
        assert_eq!(
            counts,
            [("gatling-runner-0", 30, 12), ("gatling-runner-1", 15, 6)]
        );
        assert!((generators["gatling-runner-0"].latency.quantile(0.9).unwrap() - 353_000.0).abs() < 1e-6);
        assert!((generators["gatling-runner-1"].latency.quantile(0.9).unwrap() - 347_600.0).abs() < 1e-6);
        assert_eq!(results.total().latency.max(), Some(1_539_000));
        assert_eq!(results.by_request()["search \"a,b\""].requests(), 9);
    }

    #[test]
    fn a_killed_runner_is_read_up_to_its_last_whole_line() {
        let results = read(&fixture("gatling-killed"), Some(Tool::Gatling)).unwrap();
        let file = &results.files[0];
        assert_eq!(
            (file.truncated_line, file.path.ends_with("simulation.log")),
            (Some(31), true)
        );
        assert_eq!(file.samples, 25);
    }
}
