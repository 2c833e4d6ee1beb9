//! CSV read a line at a time, for k6's output: most of a k6 file is rows of other
//! metrics (a dozen per request) that are skipped by their first bytes, without
//! splitting them into fields. A record is one line, or several while a quoted field
//! holds a line end (RFC 4180, as k6's Go `encoding/csv` writer quotes).

use super::input::FileError;
use std::borrow::Cow;
use std::io::BufRead;

/// What the next read found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// A whole record, starting at this line, now in the buffer (without its line end).
    Record(u64),
    /// An unfinished last record starting at this line (the writer was killed).
    Cut(u64),
    End,
}

/// Reads records into one reused buffer, counting lines.
pub struct Lines<R> {
    input: R,
    pub buf: Vec<u8>,
    line: u64,
}

impl<R: BufRead> Lines<R> {
    pub fn new(input: R) -> Self {
        Lines {
            input,
            buf: Vec::with_capacity(256),
            line: 0,
        }
    }

    /// The next non-empty record.
    pub fn next_record(&mut self) -> Result<Next, FileError> {
        loop {
            self.buf.clear();
            let first = self.line + 1;
            let mut quotes = 0usize;
            loop {
                let from = self.buf.len();
                match self.input.read_until(b'\n', &mut self.buf) {
                    Ok(0) if self.buf.is_empty() => return Ok(Next::End),
                    Ok(0) => return Ok(Next::Cut(first)),
                    Ok(_) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(Next::Cut(first)),
                    Err(e) => return Err(FileError::whole(format!("cannot read: {e}"))),
                }
                self.line += 1;
                if self.buf.last() != Some(&b'\n') {
                    return Ok(Next::Cut(first));
                }
                quotes += self.buf[from..].iter().filter(|&&b| b == b'"').count();
                if quotes.is_multiple_of(2) {
                    break;
                }
            }
            self.buf.pop();
            if self.buf.last() == Some(&b'\r') {
                self.buf.pop();
            }
            if !self.buf.is_empty() {
                return Ok(Next::Record(first));
            }
        }
    }
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

/// How many fields a record has, without building them when it holds no quote.
pub fn count(record: &[u8]) -> usize {
    if record.contains(&b'"') {
        let mut fields = Vec::new();
        split(record, &mut fields);
        return fields.len();
    }
    record.iter().filter(|&&b| b == b',').count() + 1
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
            split(&lines.buf, &mut fields);
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
