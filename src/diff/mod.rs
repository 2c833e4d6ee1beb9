//! Stage 7, diff: what a plan change does to the cluster, object by object and field
//! by field.
//!
//! Objects are matched by apiVersion, kind, namespace and name. A ConfigMap whose
//! content-hashed name changed (the script, the k6 options or the Helm test
//! ConfigMap) is matched with its predecessor and shown as one change of its data,
//! with a unified diff of the text, not as an unrelated removal and addition.
//! A change the API server refuses to make in place (a Job's template, a
//! StatefulSet's selector; see [`immutable`]) is a replace: the object is deleted
//! and applied again, and the diff says so with the commands.

pub mod fields;
pub mod immutable;
pub mod render;

use crate::emit::{Bundle, Manifest};
pub use fields::FieldChange;
use serde::Serialize;
use similar::TextDiff;

/// What happened to one object.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectDiff {
    pub change: Change,
    pub api_version: String,
    pub kind: String,
    pub namespace: String,
    pub name: String,
    /// The old name of a content-hashed ConfigMap whose content changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub renamed_from: Option<String>,
    /// Changed fields (for `changed`), without the data of a renamed ConfigMap.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldChange>,
    /// Unified diffs of changed multi-line text: ConfigMap data (scripts) and
    /// container scripts, by field path.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub text: Vec<TextChange>,
    /// The whole object, for `added` and `removed`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object: Option<serde_json::Value>,
    /// For `replaced`: the fields that cannot change in place.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub immutable: Vec<String>,
    /// What else the change means (a Job runs once).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    Added,
    Removed,
    Changed,
    /// Changed in a field the API server keeps immutable: delete, then apply.
    Replaced,
}

/// A unified diff of a multi-line string field.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TextChange {
    pub path: String,
    pub diff: String,
}

/// Every difference between two bundles; unchanged objects are only counted.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Diff {
    pub objects: Vec<ObjectDiff>,
    pub unchanged: usize,
    /// What the cluster lacks or what could not be checked (a missing namespace or
    /// PriorityClass): advice, not a difference of the objects, so it does not
    /// change the exit code.
    pub findings: Vec<String>,
    /// The commands that perform the replaces, in order: every replaced object
    /// deleted first (one command per namespace), then one apply, so that the apply
    /// never meets an object it cannot patch.
    pub replace: Vec<String>,
}

/// How the bundle is applied, when the caller does not know its folder.
pub const APPLY: &str = "kubectl apply -k DIR";

impl Diff {
    /// The diff of `objects`, with the replace commands that apply with `apply`.
    pub fn new(objects: Vec<ObjectDiff>, unchanged: usize, findings: Vec<String>, apply: &str) -> Diff {
        let replace = immutable::commands(&objects, apply);
        Diff {
            objects,
            unchanged,
            findings,
            replace,
        }
    }

    /// No object differs (findings are advice and do not count).
    pub fn is_empty(&self) -> bool {
        self.objects.is_empty()
    }

    pub fn count(&self, change: Change) -> usize {
        self.objects.iter().filter(|o| o.change == change).count()
    }
}

type Key<'a> = (&'a str, &'a str, &'a str, &'a str);

fn key(m: &Manifest) -> Key<'_> {
    (&m.api_version, &m.kind, &m.namespace, &m.name)
}

/// `(<prefix>, <role>)` of a content-hashed ConfigMap name `<prefix>-<role>-<10 hex>`.
fn hashed_config_map(m: &Manifest) -> Option<(&str, &str)> {
    if m.kind != "ConfigMap" {
        return None;
    }
    let (rest, hash) = m.name.rsplit_once('-')?;
    if hash.len() != 10 || !hash.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let (prefix, role) = rest.rsplit_once('-')?;
    matches!(role, "script" | "options" | "test").then_some((prefix, role))
}

/// Compare two bundles; a replace says to apply with [`APPLY`].
pub fn diff(old: &Bundle, new: &Bundle) -> Diff {
    diff_with(old, new, APPLY)
}

/// Compare two bundles, `apply` being the command that applies the new one (in a
/// replace). Objects are listed in the new bundle's order, then the removed ones in
/// the old bundle's order.
pub fn diff_with(old: &Bundle, new: &Bundle, apply: &str) -> Diff {
    let mut matched_old = vec![false; old.manifests.len()];
    let mut objects = Vec::new();
    let mut unchanged = 0;
    for n in &new.manifests {
        let exact = old.manifests.iter().position(|o| key(o) == key(n));
        let renamed = exact
            .is_none()
            .then(|| renamed_partner(old, &matched_old, n))
            .flatten();
        match exact.or(renamed) {
            Some(i) => {
                matched_old[i] = true;
                let o = &old.manifests[i];
                let d = changed(o, n, renamed.is_some());
                if d.fields.is_empty() && d.text.is_empty() && d.renamed_from.is_none() {
                    unchanged += 1;
                } else {
                    // A renamed ConfigMap is a new object, never a replace.
                    let fixed = if d.renamed_from.is_some() {
                        Vec::new()
                    } else {
                        let all = fields::diff(&o.value, &n.value);
                        immutable::touched(&n.kind, &o.value, &n.value, &all)
                    };
                    objects.push(classify(d, fixed));
                }
            }
            None => objects.push(whole(Change::Added, n)),
        }
    }
    for (o, matched) in old.manifests.iter().zip(&matched_old) {
        if !matched {
            objects.push(whole(Change::Removed, o));
        }
    }
    Diff::new(objects, unchanged, Vec::new(), apply)
}

/// A changed object as a replace when `fixed` (its immutable fields that changed) is
/// not empty; a Job says that it runs once either way.
pub fn classify(mut d: ObjectDiff, fixed: Vec<String>) -> ObjectDiff {
    let replaced = !fixed.is_empty();
    if replaced {
        d.change = Change::Replaced;
        d.immutable = fixed;
    }
    if d.kind == "Job" {
        d.note = Some(immutable::job_note(&d));
    }
    d
}

/// The old ConfigMap that a new content-hashed ConfigMap replaces: same prefix and
/// role, and no longer in the new bundle.
fn renamed_partner(old: &Bundle, matched: &[bool], n: &Manifest) -> Option<usize> {
    let role = hashed_config_map(n)?;
    old.manifests.iter().enumerate().position(|(i, o)| {
        !matched[i]
            && hashed_config_map(o) == Some(role)
            && o.api_version == n.api_version
            && o.namespace == n.namespace
    })
}

/// An object added or removed as a whole (or the frame of a changed one).
pub fn whole(change: Change, m: &Manifest) -> ObjectDiff {
    ObjectDiff {
        change,
        api_version: m.api_version.clone(),
        kind: m.kind.clone(),
        namespace: m.namespace.clone(),
        name: m.name.clone(),
        renamed_from: None,
        fields: Vec::new(),
        text: Vec::new(),
        object: Some(m.value.clone()),
        immutable: Vec::new(),
        note: None,
    }
}

fn changed(o: &Manifest, n: &Manifest, renamed: bool) -> ObjectDiff {
    let mut text = Vec::new();
    let mut fields = Vec::new();
    let mut old_value = o.value.clone();
    if renamed && let Some(c) = rename_single_key(&mut old_value, &n.value) {
        fields.push(c);
    }
    for c in fields::diff(&old_value, &n.value) {
        if renamed && c.path == "metadata.name" {
            continue;
        }
        match (as_text(c.old.as_ref()), as_text(c.new.as_ref())) {
            (Some(a), Some(b)) if a.contains('\n') || b.contains('\n') => text.push(TextChange {
                diff: hunks(a, b),
                path: c.path,
            }),
            _ => fields.push(c),
        }
    }
    ObjectDiff {
        change: Change::Changed,
        api_version: n.api_version.clone(),
        kind: n.kind.clone(),
        namespace: n.namespace.clone(),
        name: n.name.clone(),
        renamed_from: renamed.then(|| o.name.clone()),
        fields,
        text,
        object: None,
        immutable: Vec::new(),
        note: None,
    }
}

/// A string field as text; a missing one is empty text.
fn as_text(v: Option<&serde_json::Value>) -> Option<&str> {
    match v {
        None => Some(""),
        Some(v) => v.as_str(),
    }
}

/// A renamed script file: when the old and the new ConfigMap each hold one key and
/// the keys differ, compare the contents under the new key and report the rename.
fn rename_single_key(old: &mut serde_json::Value, new: &serde_json::Value) -> Option<FieldChange> {
    let new_data = new.get("data")?.as_object()?;
    let old_data = old.get_mut("data")?.as_object_mut()?;
    if old_data.len() != 1 || new_data.len() != 1 {
        return None;
    }
    let (old_key, new_key) = (old_data.keys().next()?.clone(), new_data.keys().next()?.clone());
    if old_key == new_key {
        return None;
    }
    let content = old_data.remove(&old_key)?;
    old_data.insert(new_key.clone(), content);
    Some(FieldChange {
        path: "data (file name)".to_owned(),
        old: Some(old_key.into()),
        new: Some(new_key.into()),
    })
}

/// The hunks of a unified diff (three lines of context; the path says what it is).
pub fn hunks(old: &str, new: &str) -> String {
    TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .to_string()
}

/// The classic form: a unified diff of each differing object's YAML.
pub fn unified_yaml(old: &Bundle, new: &Bundle, d: &Diff) -> String {
    let find = |b: &Bundle, kind: &str, ns: &str, name: &str| {
        b.manifests
            .iter()
            .find(|m| m.kind == kind && m.namespace == ns && m.name == name)
            .map(Manifest::to_yaml)
            .unwrap_or_default()
    };
    let mut out = String::new();
    for o in &d.objects {
        let old_name = o.renamed_from.as_deref().unwrap_or(&o.name);
        let before = if o.change == Change::Added {
            String::new()
        } else {
            find(old, &o.kind, &o.namespace, old_name)
        };
        let after = if o.change == Change::Removed {
            String::new()
        } else {
            find(new, &o.kind, &o.namespace, &o.name)
        };
        let diff = TextDiff::from_lines(&before, &after);
        let old_label = format!("a/{}/{}/{}", o.kind, o.namespace, old_name);
        let new_label = format!("b/{}/{}/{}", o.kind, o.namespace, o.name);
        out.push_str(
            &diff
                .unified_diff()
                .context_radius(3)
                .header(&old_label, &new_label)
                .to_string(),
        );
    }
    out
}
