//! Stage 1, parse: plan bytes → a YAML tree in which every node knows its span.
//!
//! serde-saphyr does the YAML work (duplicate keys, merge keys, alias and depth
//! budgets); this module only asks it for [`Spanned`] values so that later stages can
//! point at the exact token. YAML 1.2 booleans only (`strict_booleans`): `on`, `yes`
//! and `y` stay strings, as they do in editors using yaml-language-server.

use crate::diag::{Diagnostic, Source, Span, codes};
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::{MessageFormatter, Spanned, UserMessageFormatter};
use std::fmt;

/// Largest plan file perfplan reads. Real plans are a few KiB; the cap keeps a stray
/// multi-megabyte file from costing time or memory anywhere in the pipeline.
pub const MAX_PLAN_BYTES: usize = 1024 * 1024;

/// Deepest nesting a plan may use. The deepest real path is about 6 levels
/// (`target.allow[0].podSelector.matchLabels.app`); the parser's default of 64 lets a
/// hostile file overflow a 2 MiB thread stack in a debug build.
pub const MAX_DEPTH: usize = 16;

/// Most YAML nodes a plan may have (a real plan has under 200).
pub const MAX_NODES: usize = 20_000;

/// A YAML node with the byte span it was written at.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub kind: NodeKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<Entry>),
}

/// A mapping entry; keys are always strings (YAML keys in a plan are names).
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub key: String,
    pub key_span: Span,
    pub value: Node,
}

/// Decode plan bytes into a [`Source`], refusing oversized and non-UTF-8 input
/// before any YAML parsing happens.
pub fn decode(name: &str, bytes: &[u8], dir: &std::path::Path) -> Result<Source, crate::diag::Report> {
    if bytes.len() > MAX_PLAN_BYTES {
        let source = Source::new(name, "", dir);
        return Err(crate::diag::Report::new(source, vec![too_large(bytes.len())]));
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(Source::new(
            name,
            text.strip_prefix('\u{feff}').unwrap_or(text),
            dir,
        )),
        Err(e) => {
            let valid = e.valid_up_to();
            let text = String::from_utf8_lossy(bytes).into_owned();
            let source = Source::new(name, text, dir);
            let d = Diagnostic::error(
                codes::INPUT_NOT_UTF8,
                Span::new(valid, 1),
                format!("the plan is not UTF-8 text (invalid byte at offset {valid})"),
            )
            .label("not UTF-8")
            .help("save the plan as UTF-8; is this a binary file or a different encoding?");
            Err(crate::diag::Report::new(source, vec![d]))
        }
    }
}

fn too_large(len: usize) -> Diagnostic {
    Diagnostic::error(
        codes::INPUT_TOO_LARGE,
        Span::default(),
        format!("the plan is {len} bytes; perfplan reads plans of at most {MAX_PLAN_BYTES} bytes"),
    )
    .label("file too large")
    .help("a plan is a few lines of YAML: keep scripts in their own files and reference them with `script:`")
}

/// Parse a plan's text into a spanned tree. On failure, the parser's diagnostic.
pub fn parse(source: &Source) -> Result<Node, Vec<Diagnostic>> {
    let text = &*source.text;
    // `decode` refuses large files before reading them whole; this guards library
    // callers who build a `Source` themselves.
    if text.len() > MAX_PLAN_BYTES {
        return Err(vec![too_large(text.len())]);
    }
    if is_blank(text) {
        return Err(vec![
            Diagnostic::error(codes::INPUT_EMPTY, Span::default(), "the plan is empty")
                .label("no YAML document here")
                .help("start from `perfplan init --tool k6` (or jmeter, gatling) for a commented plan"),
        ]);
    }
    let options = serde_saphyr::options! {
        strict_booleans: true,
        with_snippet: false,
        budget: serde_saphyr::budget! {
            max_depth: MAX_DEPTH,
            max_nodes: MAX_NODES,
        },
    };
    match serde_saphyr::from_str_with_options::<Spanned<RawNode>>(text, options) {
        Ok(root) => Ok(Node::from_spanned(root, text)),
        Err(e) => Err(vec![yaml_error(source, &e)]),
    }
}

fn is_blank(text: &str) -> bool {
    text.lines().all(|l| {
        let l = l.trim();
        l.is_empty() || l.starts_with('#') || l == "---" || l == "..."
    })
}

/// Map a serde-saphyr error to a diagnostic with a stable code.
fn yaml_error(source: &Source, err: &serde_saphyr::Error) -> Diagnostic {
    let inner = innermost(err);
    let message = UserMessageFormatter
        .format_message(inner)
        .escape_debug()
        .to_string();
    let span = err
        .location()
        .filter(|l| l.line() > 0)
        .map_or(Span::default(), |l| location_span(&source.text, &l));
    let (code, help) = match inner {
        serde_saphyr::Error::DuplicateMappingKey { .. } => (
            codes::YAML_DUPLICATE_KEY,
            "each key may appear once in a mapping; remove or merge the repeated key",
        ),
        serde_saphyr::Error::Budget { .. } => (
            codes::YAML_BUDGET,
            "the plan nests too deeply or expands too many aliases for a plan file; write the values out plainly",
        ),
        serde_saphyr::Error::MultipleDocuments { .. } => (
            codes::YAML_MULTIPLE_DOCUMENTS,
            "a plan file holds one YAML document; put each plan in its own file",
        ),
        // A list or mapping where a key belongs (`[a, b]: 1`); scalar keys are read as text.
        _ if message.contains("expected string scalar") => (
            codes::YAML_KEY_NOT_STRING,
            "a key is a plain name such as `users`; a list or mapping cannot be a key",
        ),
        _ if message.contains("recursion limit") => (
            codes::YAML_BUDGET,
            "the plan nests too deeply for a plan file; write the values out plainly",
        ),
        _ if message.contains("tab") => (
            codes::YAML_SYNTAX,
            "YAML indents with spaces only: replace the tabs with spaces",
        ),
        _ => (
            codes::YAML_SYNTAX,
            "check indentation, quotes and brackets around this point",
        ),
    };
    let message = match inner {
        serde_saphyr::Error::Budget { breach, .. } => budget_message(&format!("{breach:?}")),
        _ => strip_location_suffix(&message),
    };
    let span = if code == codes::YAML_SYNTAX && message.contains("tab") {
        widen_to_tabs(&source.text, span)
    } else {
        span
    };
    Diagnostic::error(code, span, format!("invalid YAML: {message}"))
        .label(message.clone())
        .help(help)
}

/// Say which limit a budget breach crossed, in words.
fn budget_message(breach: &str) -> String {
    if breach.starts_with("Depth") {
        format!("nesting deeper than {MAX_DEPTH} levels")
    } else if breach.starts_with("Nodes") {
        format!("more than {MAX_NODES} values (are aliases expanding exponentially?)")
    } else if breach.contains("Alias") || breach.contains("Anchor") || breach.contains("Replay") {
        "aliases expand to too much data".to_owned()
    } else {
        format!("the document exceeds a parser limit ({breach})")
    }
}

/// The parser reports a tab error at the token after the tabs; point at the tabs.
fn widen_to_tabs(text: &str, span: Span) -> Span {
    let before = &text[..span.offset.min(text.len())];
    let tabs = before.len() - before.trim_end_matches('\t').len();
    if tabs == 0 {
        span
    } else {
        Span::new(span.offset - tabs, tabs)
    }
}

/// Unwrap snippet and alias wrappers to reach the error that says what happened.
fn innermost(err: &serde_saphyr::Error) -> &serde_saphyr::Error {
    let mut e = err.without_snippet();
    while let serde_saphyr::Error::AliasError { error, .. } = e {
        e = error.without_snippet();
    }
    e
}

fn strip_location_suffix(message: &str) -> String {
    match message.find(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

/// Byte span of a serde-saphyr location. Byte offsets are present for string input;
/// the character offset is the fallback (parser errors sometimes lack bytes).
fn location_span(text: &str, loc: &serde_saphyr::Location) -> Span {
    let span = loc.span();
    match (span.byte_offset(), span.byte_len()) {
        (Some(off), Some(len)) if (off as usize) <= text.len() => Span::new(off as usize, len as usize),
        _ => {
            let start = char_to_byte(text, span.offset() as usize);
            let end = char_to_byte(text, (span.offset() + span.len()) as usize);
            Span::new(start, end - start)
        }
    }
}

fn char_to_byte(text: &str, chars: usize) -> usize {
    text.char_indices().nth(chars).map_or(text.len(), |(i, _)| i)
}

impl Node {
    fn from_spanned(spanned: Spanned<RawNode>, text: &str) -> Node {
        let span = location_span(text, &spanned.referenced);
        let kind = match spanned.value {
            RawNode::Null => NodeKind::Null,
            RawNode::Bool(b) => NodeKind::Bool(b),
            RawNode::Int(i) => NodeKind::Int(i),
            RawNode::UInt(u) => NodeKind::UInt(u),
            RawNode::Float(f) => NodeKind::Float(f),
            RawNode::Str(s) => NodeKind::Str(s),
            RawNode::Seq(items) => {
                NodeKind::Seq(items.into_iter().map(|n| Node::from_spanned(n, text)).collect())
            }
            RawNode::Map(entries) => NodeKind::Map(
                entries
                    .into_iter()
                    .map(|(k, v)| Entry {
                        key_span: location_span(text, &k.referenced),
                        key: k.value.0,
                        value: Node::from_spanned(v, text),
                    })
                    .collect(),
            ),
        };
        Node { kind, span }
    }

    /// The node as JSON, for schema validation and typed deserialization. A float
    /// with no fractional part (`2.0`, `1e3`) becomes the integer it equals: JSON
    /// Schema counts it as an integer (so an editor accepts it), and the types must
    /// agree rather than fail after the schema passed.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value;
        match &self.kind {
            NodeKind::Null => Value::Null,
            NodeKind::Bool(b) => Value::Bool(*b),
            NodeKind::Int(i) => Value::from(*i),
            NodeKind::UInt(u) => Value::from(*u),
            NodeKind::Float(f) => integral(*f).map_or_else(
                || serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
                Value::from,
            ),
            NodeKind::Str(s) => Value::String(s.clone()),
            NodeKind::Seq(items) => Value::Array(items.iter().map(Node::to_json).collect()),
            NodeKind::Map(entries) => Value::Object(
                entries
                    .iter()
                    .map(|e| (e.key.clone(), e.value.to_json()))
                    .collect(),
            ),
        }
    }

    /// The entry for `key` if this node is a mapping that has it.
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        match &self.kind {
            NodeKind::Map(entries) => entries.iter().find(|e| e.key == key),
            _ => None,
        }
    }

    /// Follow a path of keys and sequence indices; `None` where it leaves the tree.
    pub fn walk<'a, S: AsRef<str>>(&'a self, path: &[S]) -> Option<Located<'a>> {
        let mut here = Located {
            node: self,
            key: None,
        };
        for segment in path {
            let segment = segment.as_ref();
            here = match &here.node.kind {
                NodeKind::Map(_) => {
                    let e = here.node.entry(segment)?;
                    Located {
                        node: &e.value,
                        key: Some(e),
                    }
                }
                NodeKind::Seq(items) => Located {
                    node: items.get(segment.parse::<usize>().ok()?)?,
                    key: None,
                },
                _ => return None,
            };
        }
        Some(here)
    }
}

/// A node found by [`Node::walk`], with the mapping entry it is the value of.
#[derive(Debug, Clone, Copy)]
pub struct Located<'a> {
    pub node: &'a Node,
    pub key: Option<&'a Entry>,
}

impl Located<'_> {
    /// Span to label for the value: the value itself, or its key when the value is an
    /// empty or block collection whose own span is a zero-width point.
    pub fn value_span(&self) -> Span {
        match (self.node.span.len, self.key) {
            (0, Some(e)) => e.key_span,
            _ => self.node.span,
        }
    }

    /// Span to label for "something is missing here": the key that owns the mapping.
    pub fn owner_span(&self) -> Span {
        self.key.map_or(self.node.span, |e| e.key_span)
    }
}

/// What serde-saphyr hands us; converted to [`Node`] with byte spans.
enum RawNode {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Str(String),
    Seq(Vec<Spanned<RawNode>>),
    Map(Vec<(Spanned<Key>, Spanned<RawNode>)>),
}

/// A mapping key, read as its text whatever it looks like (`1`, `true`, `on`).
struct Key(String);

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a plain string key")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key, E> {
                Ok(Key(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Key, E> {
                Ok(Key(v))
            }
        }
        d.deserialize_string(KeyVisitor)
    }
}

impl<'de> Deserialize<'de> for RawNode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(RawVisitor)
    }
}

struct RawVisitor;

impl<'de> Visitor<'de> for RawVisitor {
    type Value = RawNode;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a YAML value")
    }
    fn visit_unit<E>(self) -> Result<RawNode, E> {
        Ok(RawNode::Null)
    }
    fn visit_none<E>(self) -> Result<RawNode, E> {
        Ok(RawNode::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<RawNode, D::Error> {
        RawNode::deserialize(d)
    }
    fn visit_bool<E>(self, v: bool) -> Result<RawNode, E> {
        Ok(RawNode::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<RawNode, E> {
        Ok(RawNode::Int(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<RawNode, E> {
        Ok(RawNode::UInt(v))
    }
    fn visit_i128<E>(self, v: i128) -> Result<RawNode, E> {
        Ok(i64::try_from(v).map_or(RawNode::Float(v as f64), RawNode::Int))
    }
    fn visit_u128<E>(self, v: u128) -> Result<RawNode, E> {
        Ok(u64::try_from(v).map_or(RawNode::Float(v as f64), RawNode::UInt))
    }
    fn visit_f64<E>(self, v: f64) -> Result<RawNode, E> {
        Ok(RawNode::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<RawNode, E> {
        Ok(RawNode::Str(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<RawNode, E> {
        Ok(RawNode::Str(v))
    }
    fn visit_bytes<E>(self, v: &[u8]) -> Result<RawNode, E> {
        Ok(RawNode::Str(String::from_utf8_lossy(v).into_owned()))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawNode, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(RawNode::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawNode, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key()? {
            entries.push((key, map.next_value()?));
        }
        Ok(RawNode::Map(entries))
    }
}

/// `f` as an integer if it is one exactly (and fits an `i64`); `None` otherwise.
fn integral(f: f64) -> Option<i64> {
    // 2^63 is exact in an f64; every integral f64 below it converts exactly.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    #[allow(clippy::cast_possible_truncation)]
    (f.is_finite() && f.fract() == 0.0 && f.abs() < LIMIT).then_some(f as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn src(text: &str) -> Source {
        Source::new("p.yaml", text, ".")
    }

    #[test]
    fn spans_point_at_keys_and_values() {
        let s = src("name: x\nload:\n  users: 30\n");
        let root = parse(&s).unwrap();
        let users = root.walk(&["load", "users"]).unwrap();
        assert_eq!(users.node.kind, NodeKind::UInt(30));
        assert_eq!(&s.text[users.node.span.offset..][..2], "30");
        assert_eq!(&s.text[users.key.unwrap().key_span.offset..][..5], "users");
    }

    #[test]
    fn yaml_1_1_booleans_stay_strings() {
        let root = parse(&src("a: on\nb: y\nc: true\n")).unwrap();
        assert_eq!(root.walk(&["a"]).unwrap().node.kind, NodeKind::Str("on".into()));
        assert_eq!(root.walk(&["b"]).unwrap().node.kind, NodeKind::Str("y".into()));
        assert_eq!(root.walk(&["c"]).unwrap().node.kind, NodeKind::Bool(true));
    }

    #[test]
    fn hostile_yaml_is_a_diagnostic() {
        let cases = [
            ("a: 1\na: 2\n", codes::YAML_DUPLICATE_KEY),
            ("a:\n\tb: 1\n", codes::YAML_SYNTAX),
            ("# only a comment\n", codes::INPUT_EMPTY),
            ("a: 1\n---\nb: 2\n", codes::YAML_MULTIPLE_DOCUMENTS),
            ("[a, b]: 1\n", codes::YAML_KEY_NOT_STRING),
            ("a:\n  {x: 1}: 2\n", codes::YAML_KEY_NOT_STRING),
        ];
        for (text, code) in cases {
            let err = parse(&src(text)).unwrap_err();
            assert_eq!(err[0].code, code, "{text:?}: {err:?}");
        }
        let deep = "[".repeat(100_000) + &"]".repeat(100_000);
        assert_eq!(parse(&src(&deep)).unwrap_err()[0].code, codes::YAML_BUDGET);
    }

    #[test]
    fn decode_rejects_binary_and_huge_input() {
        let dir = std::path::Path::new(".");
        assert_eq!(
            decode("p", &[0x61, 0xff, 0xfe], dir).unwrap_err().diagnostics[0].code,
            codes::INPUT_NOT_UTF8
        );
        let big = vec![b'#'; MAX_PLAN_BYTES + 1];
        assert_eq!(
            decode("p", &big, dir).unwrap_err().diagnostics[0].code,
            codes::INPUT_TOO_LARGE
        );
    }
}
