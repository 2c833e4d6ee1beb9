//! A [`Report`] as JUnit XML, the format CI systems show as test results.
//!
//! One `<testsuite name="perfplan">`: a `<testcase>` "all generators reported"
//! (an `<error>` when results are missing, `<skipped>` without a plan to count
//! against), then one per threshold in the plan's order, with a `<failure>` when it
//! does not hold and an `<error>` when it cannot be measured.

use super::verdict::{Outcome, Report, show};
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};

/// The JUnit XML document, with a final newline.
pub fn junit(report: &Report) -> String {
    let mut cases = vec![completeness_case(report)];
    cases.extend(report.thresholds.iter().map(|t| {
        let measured = t.measured.map(|v| show(v, t.unit));
        let result = match t.outcome {
            Outcome::Pass => Result::Pass,
            Outcome::Fail => Result::Failure(format!(
                "{}: measured {}, limit {}",
                t.name,
                measured.unwrap_or_default(),
                show(t.limit, t.unit)
            )),
            Outcome::Error => Result::Error(format!("{}: {}", t.name, t.message)),
        };
        Case {
            name: t.name.clone(),
            result,
        }
    }));
    let count = |f: fn(&Result) -> bool| cases.iter().filter(|c| f(&c.result)).count().to_string();
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    let mut write = || -> std::io::Result<()> {
        w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
        let suite = BytesStart::new("testsuite").with_attributes([
            ("name", "perfplan"),
            ("tests", cases.len().to_string().as_str()),
            ("failures", count(|r| matches!(r, Result::Failure(_))).as_str()),
            ("errors", count(|r| matches!(r, Result::Error(_))).as_str()),
            ("skipped", count(|r| matches!(r, Result::Skipped(_))).as_str()),
        ]);
        w.write_event(Event::Start(suite))?;
        for case in &cases {
            let name = xml_text(&case.name);
            let start = BytesStart::new("testcase")
                .with_attributes([("classname", "perfplan"), ("name", name.as_str())]);
            let (tag, message) = match &case.result {
                Result::Pass => {
                    w.write_event(Event::Empty(start))?;
                    continue;
                }
                Result::Failure(m) => ("failure", m),
                Result::Error(m) => ("error", m),
                Result::Skipped(m) => ("skipped", m),
            };
            w.write_event(Event::Start(start))?;
            let message = xml_text(message);
            let mut element = BytesStart::new(tag);
            element.push_attribute(("message", message.as_str()));
            w.write_event(Event::Start(element))?;
            w.write_event(Event::Text(BytesText::new(&message)))?;
            w.write_event(Event::End(BytesEnd::new(tag)))?;
            w.write_event(Event::End(BytesEnd::new("testcase")))?;
        }
        w.write_event(Event::End(BytesEnd::new("testsuite")))
    };
    // Writing to a Vec cannot fail.
    let _ = write();
    String::from_utf8_lossy(&w.into_inner()).into_owned() + "\n"
}

struct Case {
    name: String,
    result: Result,
}

enum Result {
    Pass,
    Failure(String),
    Error(String),
    Skipped(String),
}

fn completeness_case(report: &Report) -> Case {
    let c = &report.completeness;
    let result = if c.expected.is_none() {
        Result::Skipped("no --plan: the number of generators to expect is unknown".to_owned())
    } else if c.complete {
        Result::Pass
    } else {
        Result::Error(c.missing.join("; "))
    };
    Case {
        name: "all generators reported".to_owned(),
        result,
    }
}

/// Text XML 1.0 can hold: control characters (from a damaged file's names) become
/// U+FFFD, so the document stays well-formed; quick-xml escapes the rest.
fn xml_text(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\t' | '\n' | '\r' => c,
            c if c < ' ' || c == '\u{FFFE}' || c == '\u{FFFF}' => '\u{FFFD}',
            c => c,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Check, Threshold};
    use crate::report::test_support::results;
    use crate::report::verdict::{Options, evaluate};
    use crate::spec::Tool;

    #[test]
    fn names_are_escaped_and_each_outcome_has_its_element() {
        let odd = "a<b>&\"c\"\u{1}";
        let r = results(Tool::K6, &[("g", odd, 0, 1000, false)]);
        let thresholds = [
            Threshold {
                request: Some(odd.to_owned()),
                check: Check::ErrorRate { at_most: 0.5 },
            },
            Threshold {
                request: Some("nope".to_owned()),
                check: Check::ErrorRate { at_most: 0.5 },
            },
        ];
        let xml = junit(&evaluate(
            &r,
            &Options {
                thresholds: &thresholds,
                ..Options::default()
            },
        ));
        assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuite name=\"perfplan\" tests=\"3\" failures=\"1\" errors=\"1\" skipped=\"1\">"), "{xml}");
        let mut reader = quick_xml::Reader::from_str(&xml);
        let mut elements = Vec::new();
        loop {
            match reader.read_event().unwrap() {
                Event::Eof => break,
                Event::Start(e) | Event::Empty(e) => elements.push(e.name().as_ref().to_owned()),
                _ => {}
            }
        }
        assert_eq!(
            elements,
            [
                "testsuite",
                "testcase",
                "skipped",
                "testcase",
                "failure",
                "testcase",
                "error"
            ]
        );
        assert!(xml.contains("a&lt;b&gt;&amp;"), "{xml}");
        assert!(!xml.contains('\u{1}'));
    }
}
