//! What the three parsers share: opening a (gzipped) file, collecting samples per
//! generator and request, and reading CSV one record behind, so that a last line a
//! killed pod left unfinished is told apart from a malformed line in the middle.

use super::stats::Series;
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A problem with one result file, at a line when there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileError {
    pub line: Option<u64>,
    pub message: String,
}

impl FileError {
    pub fn at(line: u64, message: impl Into<String>) -> Self {
        FileError {
            line: Some(line),
            message: message.into(),
        }
    }

    pub fn whole(message: impl Into<String>) -> Self {
        FileError {
            line: None,
            message: message.into(),
        }
    }
}

/// What one file held: samples per (generator, request), and the line of an
/// unfinished last line that was skipped.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Parsed {
    /// `(generator, request, series)`, in the order first seen.
    pub cells: Vec<(String, String, Series)>,
    pub samples: u64,
    pub truncated_line: Option<u64>,
    /// What the reader of the report should know about this file (a coarse clock).
    pub notes: Vec<String>,
}

/// Samples by generator and request, found by their bytes without allocating per
/// sample (a million samples are a million lookups).
#[derive(Debug, Default)]
pub struct Collector {
    index: HashMap<Box<[u8]>, usize, super::stats::Fast>,
    key: Vec<u8>,
    parsed: Parsed,
}

impl Collector {
    /// Count one sample of `request` from `generator`.
    pub fn record(&mut self, generator: &[u8], request: &[u8], start: i64, duration: u64, ok: bool) {
        self.key.clear();
        self.key.extend_from_slice(generator);
        // 0xFF never occurs in UTF-8: the key is unambiguous for text names.
        self.key.push(0xFF);
        self.key.extend_from_slice(request);
        let i = match self.index.get(self.key.as_slice()) {
            Some(&i) => i,
            None => {
                let i = self.parsed.cells.len();
                self.parsed.cells.push((
                    String::from_utf8_lossy(generator).into_owned(),
                    String::from_utf8_lossy(request).into_owned(),
                    Series::default(),
                ));
                self.index.insert(self.key.clone().into_boxed_slice(), i);
                i
            }
        };
        self.parsed.cells[i].2.record(start, duration, ok);
        self.parsed.samples += 1;
    }

    /// Say something about the file once.
    pub fn note(&mut self, note: &str) {
        if !self.parsed.notes.iter().any(|n| n == note) {
            self.parsed.notes.push(note.to_owned());
        }
    }

    pub fn finish(mut self, truncated_line: Option<u64>) -> Parsed {
        self.parsed.truncated_line = truncated_line;
        self.parsed
    }
}

/// `f` over every item, on as many threads as there are cores (at most one an
/// item), each taking the next item when done with one; results in item order, so
/// what is made of them does not depend on which thread finished first.
pub fn in_parallel<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .min(items.len());
    if threads <= 1 {
        return items.iter().map(f).collect();
    }
    let next = AtomicUsize::new(0);
    let by_thread: Vec<Vec<(usize, R)>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(item) = items.get(i) else { break };
                        done.push((i, f(item)));
                    }
                    done
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
            .collect()
    });
    let mut all: Vec<(usize, R)> = by_thread.into_iter().flatten().collect();
    all.sort_unstable_by_key(|(i, _)| *i);
    all.into_iter().map(|(_, r)| r).collect()
}

/// Open a result file, decompressing it when its name ends in `.gz`.
pub fn open(path: &Path) -> std::io::Result<Box<dyn BufRead>> {
    let file = std::fs::File::open(path)?;
    let gz = path.extension().is_some_and(|e| e == "gz");
    Ok(if gz {
        Box::new(BufReader::with_capacity(
            1 << 16,
            flate2::read::MultiGzDecoder::new(BufReader::with_capacity(1 << 16, file)),
        ))
    } else {
        Box::new(BufReader::with_capacity(1 << 16, file))
    })
}

/// Whether an I/O error means the stream stopped early (a gzip file cut off).
fn cut_short(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::UnexpectedEof
}

/// Remembers the last byte read, to tell whether the input ended with a newline.
struct LastByte<R> {
    inner: R,
    last: Option<u8>,
}

impl<R: Read> Read for LastByte<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n > 0 {
            self.last = Some(buf[n - 1]);
        }
        Ok(n)
    }
}

/// A record of a CSV file with a header line.
pub enum Record<'a> {
    Header(&'a csv::ByteRecord),
    Row(&'a csv::ByteRecord),
}

/// Read a CSV file with a header line: `each` sees the header once, then every
/// complete record. A last record without its line end (the writer was killed) is
/// skipped and its line returned; any other bad record is an error at its line.
pub fn csv_records(
    input: impl Read,
    mut each: impl FnMut(Record<'_>) -> Result<(), String>,
) -> Result<Option<u64>, FileError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(LastByte {
            inner: input,
            last: None,
        });
    let mut current = csv::ByteRecord::new();
    let mut held = csv::ByteRecord::new();
    let mut held_line: Option<u64> = None;
    let mut seen_header = false;
    let mut cut = false;
    loop {
        match reader.read_byte_record(&mut current) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => match e.kind() {
                csv::ErrorKind::Io(io) if cut_short(io) => {
                    cut = true;
                    break;
                }
                csv::ErrorKind::Io(io) => return Err(FileError::whole(format!("cannot read: {io}"))),
                _ => {
                    let line = e.position().map_or(0, csv::Position::line);
                    return Err(FileError::at(line, format!("not CSV: {e}")));
                }
            },
        }
        let line = current.position().map_or(0, csv::Position::line);
        if let Some(previous) = held_line {
            let record = if seen_header {
                Record::Row(&held)
            } else {
                Record::Header(&held)
            };
            each(record).map_err(|m| FileError::at(previous, m))?;
            seen_header = true;
        }
        std::mem::swap(&mut current, &mut held);
        held_line = Some(line);
    }
    let Some(last) = held_line else {
        return if cut { Ok(Some(1)) } else { Ok(None) };
    };
    let ended = cut || matches!(reader.get_ref().last, Some(b'\n' | b'\r'));
    if !ended {
        return Ok(Some(last));
    }
    let record = if seen_header {
        Record::Row(&held)
    } else {
        Record::Header(&held)
    };
    each(record).map_err(|m| FileError::at(last, m))?;
    Ok(cut.then_some(last + 1))
}

/// The index of each named column in a header, for the columns a parser needs.
pub fn columns<const N: usize>(record: &csv::ByteRecord, names: [&str; N]) -> [Option<usize>; N] {
    names.map(|name| record.iter().position(|f| f == name.as_bytes()))
}

/// Text of a field for messages, shortened.
pub fn shown(field: &[u8]) -> String {
    let text = String::from_utf8_lossy(field);
    let mut out: String = text.chars().take(40).collect();
    if text.chars().count() > 40 {
        out.push('…');
    }
    format!("{out:?}")
}

/// A non-negative integer, for whole milliseconds and epoch timestamps.
pub fn integer(field: &[u8]) -> Option<u64> {
    if field.is_empty() || field.len() > 19 {
        return None;
    }
    field.iter().try_fold(0u64, |acc, &b| {
        b.is_ascii_digit().then(|| acc * 10 + u64::from(b - b'0'))
    })
}

/// Milliseconds with an optional fraction (`343.924800`) as microseconds, rounded
/// half up at the fourth decimal, exactly (no binary floating point on the way).
pub fn millis_as_micros(field: &[u8]) -> Option<u64> {
    let (whole, fraction) = match field.iter().position(|&b| b == b'.') {
        Some(dot) => (&field[..dot], &field[dot + 1..]),
        None => (field, &[][..]),
    };
    if whole.is_empty() && fraction.is_empty() {
        return None;
    }
    let whole = if whole.is_empty() { 0 } else { integer(whole)? };
    if !fraction.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let digit = |i: usize| fraction.get(i).map_or(0, |&b| u64::from(b - b'0'));
    let micros = digit(0) * 100 + digit(1) * 10 + digit(2);
    let round = u64::from(digit(3) >= 5);
    whole.checked_mul(1000)?.checked_add(micros + round)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows read, each with its line and fields.
    type Rows = Vec<(u64, Vec<String>)>;

    fn read(text: &str) -> (Result<Option<u64>, FileError>, Rows) {
        let mut rows = Vec::new();
        let result = csv_records(text.as_bytes(), |record| match record {
            Record::Header(h) if h.get(0) == Some(b"a") => Ok(()),
            Record::Header(_) => Err("no header".into()),
            Record::Row(r) if r.len() != 2 => Err(format!("{} fields", r.len())),
            Record::Row(r) => {
                let line = r.position().map_or(0, csv::Position::line);
                rows.push((
                    line,
                    r.iter()
                        .map(|f| String::from_utf8_lossy(f).into_owned())
                        .collect(),
                ));
                Ok(())
            }
        });
        (result, rows)
    }

    #[test]
    fn an_unfinished_last_line_is_skipped_and_named() {
        let (result, rows) = read("a,b\n1,\"x,\"\"y\"\"\"\n2,3\n4,5");
        assert_eq!(result, Ok(Some(4)));
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0], (2, vec!["1".to_owned(), "x,\"y\"".to_owned()]));
        let (result, rows) = read("a,b\n1,2\n");
        assert_eq!((result, rows.len()), (Ok(None), 1));
    }

    #[test]
    fn a_bad_line_in_the_middle_is_an_error_at_its_line() {
        let (result, _) = read("a,b\n1,2\n3\n4,5\n");
        assert_eq!(result, Err(FileError::at(3, "1 fields")));
        let (result, _) = read("x,y\n1,2\n");
        assert_eq!(result, Err(FileError::at(1, "no header")));
        assert_eq!(read("").0, Ok(None));
        assert_eq!(read("a,").0, Ok(Some(1)), "a header cut short");
    }

    #[test]
    fn parallel_results_come_in_item_order() {
        let items: Vec<u64> = (0..50).collect();
        // Uneven work, so that threads finish out of order.
        let got = in_parallel(&items, |&i| {
            std::thread::sleep(std::time::Duration::from_micros((50 - i) * 40));
            i * 2
        });
        assert_eq!(got, items.iter().map(|i| i * 2).collect::<Vec<_>>());
        assert!(in_parallel(&[] as &[u64], |&i| i).is_empty());
    }

    #[test]
    fn milliseconds_become_exact_microseconds() {
        assert_eq!(millis_as_micros(b"343.924800"), Some(343_925));
        assert_eq!(millis_as_micros(b"0.334314"), Some(334));
        assert_eq!(millis_as_micros(b"41"), Some(41_000));
        assert_eq!(millis_as_micros(b"1.0005"), Some(1001));
        assert_eq!(millis_as_micros(b".5"), Some(500));
        for bad in [
            &b""[..],
            b".",
            b"-1",
            b"1e3",
            b"1.2.3",
            b"NaN",
            b"99999999999999999999",
        ] {
            assert_eq!(millis_as_micros(bad), None, "{bad:?}");
        }
    }
}
