//! CSV read a line at a time, for k6's output: most of a k6 file is rows of other
//! metrics (a dozen per request) that are skipped by their first bytes, without
//! splitting them into fields. A record is one line, or several while a quoted field
//! holds a line end (RFC 4180, as k6's Go `encoding/csv` writer quotes).
//!
//! Speed: a million k6 requests are some 14 million lines (1.2 GB), so nothing here
//! is done per byte that can be done per block. Records are handed out as slices of
//! one large buffer (no copy per line), line ends are found with `memchr` (SIMD), and
//! a record is searched for quotes once, so that the common unquoted record is
//! counted or split by plain comma positions.

use super::input::FileError;
use std::borrow::Cow;
use std::io::Read;

/// What the next read found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// A whole record, starting at this line, now in [`Lines::record`] (without its
    /// line end).
    Record(u64),
    /// An unfinished last record starting at this line (the writer was killed).
    Cut(u64),
    End,
}

/// How many bytes are read at a time: large enough that a refill (and moving the
/// unfinished record to the front) is rare, small enough to stay in L2 cache.
const BLOCK: usize = 256 * 1024;

/// Reads records into one reused buffer, counting lines.
pub struct Lines<R> {
    input: R,
    buf: Vec<u8>,
    /// `buf[pos..filled]` is read but not yet handed out.
    pos: usize,
    filled: usize,
    eof: bool,
    /// The current record: `buf[record.0..record.1]`.
    record: (usize, usize),
    /// The record's field count when it holds no quote (its commas and one).
    unquoted_fields: Option<usize>,
    line: u64,
}

impl<R: Read> Lines<R> {
    pub fn new(input: R) -> Self {
        Lines {
            input,
            buf: vec![0; BLOCK],
            pos: 0,
            filled: 0,
            eof: false,
            record: (0, 0),
            unquoted_fields: None,
            line: 0,
        }
    }

    /// The record the last [`Next::Record`] found, without its line end.
    pub fn record(&self) -> &[u8] {
        &self.buf[self.record.0..self.record.1]
    }

    /// How many fields that record has if it holds no quote (its fields are then its
    /// comma-separated parts); `None` for a record with quotes, to be [`split`].
    pub fn unquoted_fields(&self) -> Option<usize> {
        self.unquoted_fields
    }

    /// The next non-empty record.
    pub fn next_record(&mut self) -> Result<Next, FileError> {
        loop {
            let first = self.line + 1;
            let mut scan = self.pos;
            let mut search = scan;
            let (mut commas, mut quotes) = (0usize, 0usize);
            let end = loop {
                let Some(end) = memchr::memchr(b'\n', &self.buf[search..self.filled]).map(|at| search + at)
                else {
                    if self.eof {
                        return Ok(if self.pos == self.filled {
                            Next::End
                        } else {
                            Next::Cut(first)
                        });
                    }
                    // No line end up to here: the next search starts after it.
                    let (before, searched) = (self.pos, self.filled);
                    match self.refill() {
                        // The record moved to the front, or stayed.
                        Ok(()) => {
                            scan -= before - self.pos;
                            search = searched - (before - self.pos);
                            continue;
                        }
                        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                            return Ok(Next::Cut(first));
                        }
                        Err(e) => return Err(FileError::whole(format!("cannot read: {e}"))),
                    }
                };
                let (c, q) = tally(&self.buf[scan..end]);
                commas += c;
                quotes += q;
                self.line += 1;
                scan = end + 1;
                search = scan;
                if quotes.is_multiple_of(2) {
                    break end;
                }
            };
            let start = std::mem::replace(&mut self.pos, scan);
            let end = if end > start && self.buf[end - 1] == b'\r' {
                end - 1
            } else {
                end
            };
            if end > start {
                self.record = (start, end);
                self.unquoted_fields = (quotes == 0).then_some(commas + 1);
                return Ok(Next::Record(first));
            }
        }
    }

    /// Read more after what is left; when the buffer is full, first move what is
    /// left to the front (only then, so a record is not moved once per small read),
    /// or grow the buffer when one record fills it. At the end of the input, note it.
    fn refill(&mut self) -> std::io::Result<()> {
        if self.filled == self.buf.len() {
            if self.pos == 0 {
                self.buf.resize(self.buf.len() * 2, 0);
            } else {
                self.buf.copy_within(self.pos..self.filled, 0);
                self.filled -= self.pos;
                self.pos = 0;
            }
        }
        loop {
            match self.input.read(&mut self.buf[self.filled..]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(());
                }
                Ok(n) => {
                    self.filled += n;
                    return Ok(());
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
}

/// The commas and quotes in a line, in one pass. Counted in `u8` over at most 255
/// bytes at a time, which the compiler turns into SIMD compares and byte adds (16
/// bytes an instruction with SSE2); a `usize` count is several times slower.
fn tally(line: &[u8]) -> (usize, usize) {
    let (mut commas, mut quotes) = (0usize, 0usize);
    for chunk in line.chunks(255) {
        let (mut c, mut q) = (0u8, 0u8);
        for &b in chunk {
            c += u8::from(b == b',');
            q += u8::from(b == b'"');
        }
        commas += usize::from(c);
        quotes += usize::from(q);
    }
    (commas, quotes)
}

/// The fields of a record, unquoted (`"a ""b"", c"` is `a "b", c`).
pub fn split<'a>(record: &'a [u8], fields: &mut Vec<Cow<'a, [u8]>>) {
    fields.clear();
    let mut rest = record;
    loop {
        if rest.first() == Some(&b'"') {
            let mut value = Vec::new();
            let mut i = 1;
            while i < rest.len() {
                match rest[i] {
                    b'"' if rest.get(i + 1) == Some(&b'"') => {
                        value.push(b'"');
                        i += 2;
                    }
                    b'"' => {
                        i += 1;
                        break;
                    }
                    b => {
                        value.push(b);
                        i += 1;
                    }
                }
            }
            // Anything between the closing quote and the comma is kept, as the csv
            // crate (and Go's LazyQuotes) would.
            let end = rest[i..]
                .iter()
                .position(|&b| b == b',')
                .map_or(rest.len(), |p| i + p);
            value.extend_from_slice(&rest[i..end]);
            fields.push(Cow::Owned(value));
            if end == rest.len() {
                return;
            }
            rest = &rest[end + 1..];
        } else {
            match rest.iter().position(|&b| b == b',') {
                Some(p) => {
                    fields.push(Cow::Borrowed(&rest[..p]));
                    rest = &rest[p + 1..];
                }
                None => {
                    fields.push(Cow::Borrowed(rest));
                    return;
                }
            }
        }
    }
}

/// How many fields a record has, without building them: the field boundaries
/// [`split`] finds (a quoted field runs to its closing quote, `""` inside it being
/// a quote, then to the next comma; any other field to the next comma).
pub fn count(record: &[u8]) -> usize {
    let mut fields = 1;
    let mut i = 0;
    loop {
        if record.get(i) == Some(&b'"') {
            i += 1;
            loop {
                let Some(q) = memchr::memchr(b'"', &record[i..]) else {
                    return fields;
                };
                i += q + 1;
                if record.get(i) != Some(&b'"') {
                    break;
                }
                i += 1;
            }
        }
        let Some(comma) = memchr::memchr(b',', &record[i..]) else {
            return fields;
        };
        fields += 1;
        i += comma + 1;
    }
}

/// How many fields a record without quotes has: its commas and one.
pub fn count_unquoted(record: &[u8]) -> usize {
    tally(record).0 + 1
}

/// Where each field of a record without quotes ends, for reading fields by index
/// without building them; the buffer is reused from record to record.
pub fn comma_ends(record: &[u8], ends: &mut Vec<usize>) {
    ends.clear();
    ends.extend(memchr::memchr_iter(b',', record));
    ends.push(record.len());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(text: &str) -> Vec<(Next, Vec<String>)> {
        let mut lines = Lines::new(text.as_bytes());
        let mut out = Vec::new();
        loop {
            let next = lines.next_record().unwrap();
            let mut fields = Vec::new();
            split(lines.record(), &mut fields);
            let shown = fields
                .iter()
                .map(|f| String::from_utf8_lossy(f).into_owned())
                .collect();
            out.push((
                next,
                if matches!(next, Next::Record(_)) {
                    shown
                } else {
                    vec![]
                },
            ));
            if !matches!(next, Next::Record(_)) {
                return out;
            }
        }
    }

    /// Hands out a few bytes a read, so records straddle every refill.
    struct Trickle<'a>(&'a [u8], usize);

    impl std::io::Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            self.1 = self.1 % 7 + 1;
            let n = self.1.min(buf.len()).min(self.0.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn records_straddling_reads_and_longer_than_the_buffer_are_whole() {
        let long = "x".repeat(BLOCK + 10);
        let text = format!("a,\"b\nc\",d\r\n{long},\"{long}\n\"\n\nlast,1\ncut");
        let mut lines = Lines::new(Trickle(text.as_bytes(), 0));
        let mut got = Vec::new();
        loop {
            let next = lines.next_record().unwrap();
            got.push((next, lines.record().to_vec(), lines.unquoted_fields()));
            if !matches!(next, Next::Record(_)) {
                break;
            }
        }
        let fields: Vec<_> = got.iter().map(|(n, _, f)| (*n, *f)).collect();
        assert_eq!(
            fields[..3],
            [
                (Next::Record(1), None),
                (Next::Record(3), None),
                (Next::Record(6), Some(2))
            ]
        );
        assert_eq!(fields[3].0, Next::Cut(7));
        assert_eq!(got[0].1, b"a,\"b\nc\",d");
        assert_eq!(got[1].1, format!("{long},\"{long}\n\"").as_bytes());
        assert_eq!(got[2].1, b"last,1");
    }

    #[test]
    fn quoted_fields_and_line_ends_inside_them() {
        let got = all("a,\"b \"\"x,y\"\"\",c\r\n\n\"multi\nline\",2\nlast,");
        assert_eq!(
            got[0],
            (Next::Record(1), vec!["a".into(), "b \"x,y\"".into(), "c".into()])
        );
        assert_eq!(got[1], (Next::Record(3), vec!["multi\nline".into(), "2".into()]));
        assert_eq!(got[2].0, Next::Cut(5));
        assert_eq!(
            all("x\n\"open\n")[1].0,
            Next::Cut(2),
            "a quote left open at the end"
        );
        assert_eq!(all("")[0].0, Next::End);
    }

    #[test]
    fn splitting_and_counting_agree_with_the_csv_crate() {
        for record in [
            "",
            "a",
            "a,,b,",
            "\"\"",
            "\"a\"b,c",
            "x,\"1,2\",\"3\"\"\"",
            "\"unclosed,a",
            "a\"b,c",
            "\"a\"\"\",\"\"\"\",",
            "\"x\"y\"z,w\",v",
            ",\"",
        ] {
            let mut fields = Vec::new();
            split(record.as_bytes(), &mut fields);
            let ours: Vec<Vec<u8>> = fields.iter().map(|f| f.to_vec()).collect();
            let mut reader = csv::ReaderBuilder::new()
                .has_headers(false)
                .from_reader(record.as_bytes());
            let theirs: Vec<Vec<u8>> = reader
                .byte_records()
                .next()
                .map(|r| r.unwrap().iter().map(<[u8]>::to_vec).collect())
                .unwrap_or_else(|| vec![vec![]]);
            assert_eq!(ours, theirs, "{record:?}");
            assert_eq!(count(record.as_bytes()), ours.len(), "{record:?}");
        }
    }
}
