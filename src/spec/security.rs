//! `security:` and `resources:` — posture and per-generator resources.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Security posture of every pod perfplan emits, init containers included.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Security {
    /// `restricted` (default) meets the Pod Security Standards "restricted" profile in
    /// full plus a read-only root filesystem. `baseline` relaxes only what this block
    /// asks for explicitly.
    #[serde(default)]
    pub posture: Posture,

    /// UID every container runs as. `0` (root) only under `posture: baseline`.
    #[serde(default = "default_id")]
    #[schemars(range(max = 2_147_483_647))]
    pub run_as_user: u32,

    /// GID every container runs as, and the group owning mounted volumes (fsGroup).
    /// `0` only under `posture: baseline`.
    #[serde(default = "default_id")]
    #[schemars(range(max = 2_147_483_647))]
    pub run_as_group: u32,

    /// Give containers a writable root filesystem, for an image that cannot run with a
    /// read-only one. Only under `posture: baseline`.
    #[serde(default)]
    pub writable_root_filesystem: bool,
}

impl Default for Security {
    fn default() -> Self {
        Security {
            posture: Posture::default(),
            run_as_user: default_id(),
            run_as_group: default_id(),
            writable_root_filesystem: false,
        }
    }
}

fn default_id() -> u32 {
    1000
}

/// A named security posture.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Posture {
    /// Pod Security Standards "restricted" plus read-only root filesystem.
    #[default]
    Restricted,
    /// Pod Security Standards "baseline"; relaxations are listed in the plan.
    Baseline,
}

/// CPU and memory for each generator pod. Requests equal limits (Guaranteed QoS), so
/// a generator is neither throttled by a noisy neighbour nor able to starve one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Resources {
    /// CPU quantity, e.g. `"2"` or `1500m`.
    #[schemars(example = &"2")]
    pub cpu: Quantity,
    /// Memory quantity, e.g. `4Gi`.
    #[schemars(example = &"4Gi")]
    pub memory: Quantity,
}

/// A Kubernetes resource quantity (`500m`, `2`, `4Gi`); a YAML number is accepted too.
/// Kept as written: the semantic stage parses it, and the bundle carries the user's
/// spelling so a reviewer recognises it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Quantity(pub String);

impl<'de> Deserialize<'de> for Quantity {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Text(String),
            Int(u64),
            Float(f64),
        }
        Ok(Quantity(match Raw::deserialize(d)? {
            Raw::Text(s) => s,
            Raw::Int(n) => n.to_string(),
            Raw::Float(f) => f.to_string(),
        }))
    }
}

impl JsonSchema for Quantity {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Quantity".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A Kubernetes resource quantity: `500m`, `2`, `1.5`, `4Gi`, `512Mi`.",
            "type": ["string", "number"],
            "pattern": QUANTITY_PATTERN,
            "minimum": 0
        })
    }
}

/// The Kubernetes quantity grammar: a decimal number with an optional binary (Ki…Ei)
/// or decimal (m, k, M…E) suffix, or an exponent.
pub(crate) const QUANTITY_PATTERN: &str =
    r"^[+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+|Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E)?$";
