//! Stage 3, the plan model: typed, parsed, defaults applied.
//!
//! Only [`crate::validate`] builds a [`Plan`], and only from a plan that passed every
//! check, so lowering never re-validates: a `Plan` is correct by construction.

use crate::names::Shape;
use crate::spec::{self, Posture, Tool};
use ipnet::IpNet;
use std::collections::BTreeMap;
use std::time::Duration;
use url::Url;

/// A validated plan, ready to lower.
#[derive(Debug, Clone)]
pub struct Plan {
    pub name: String,
    pub namespace: String,
    pub shape: Shape,
    pub script: Script,
    pub load: Load,
    pub target: Target,
    pub security: Security,
    pub resources: Resources,
    /// The load tool's image, pinned.
    pub image: String,
    pub image_pull_secrets: Vec<String>,
    /// Extra labels for every object (validated syntax, no reserved keys).
    pub labels: BTreeMap<String, String>,
    /// Where pods are scheduled (validated as written).
    pub placement: spec::Placement,
    pub results: Results,
    pub metrics: Option<Metrics>,
    /// Where DNS lookups may go; empty for the default, kube-dns in `kube-system`.
    pub dns: Vec<Egress>,
    /// The regions the test runs from; empty for a single-cluster test.
    pub regions: Vec<Region>,
    pub jmeter: Option<JmeterOptions>,
    pub gatling: Option<GatlingOptions>,
}

impl Plan {
    pub fn tool(&self) -> Tool {
        self.shape.tool()
    }

    /// The plan one region runs: its share of the load and generators, objects named
    /// `<name>-<region>-…` (so regions never collide, even in one cluster), and a
    /// `perfplan.dev/region` label on everything.
    pub fn in_region(&self, region: &Region) -> Plan {
        let mut labels = self.labels.clone();
        labels.insert(REGION_LABEL.to_owned(), region.name.clone());
        Plan {
            name: format!("{}-{}", self.name, region.name),
            load: region.load.clone(),
            labels,
            regions: Vec::new(),
            ..self.clone()
        }
    }
}

/// The label that names a region on every object of its bundle.
pub const REGION_LABEL: &str = "perfplan.dev/region";

/// One region of a geographically distributed test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Region {
    pub name: String,
    /// The kubeconfig context its bundle is applied with.
    pub context: Option<String>,
    /// The region's exact part of the plan's load, and its generators.
    pub load: Load,
}

/// The test script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Script {
    /// A file embedded in a ConfigMap perfplan creates.
    Inline {
        /// Key in the ConfigMap: the file's own name.
        file_name: String,
        content: String,
        /// First 10 hex digits of the content's SHA-256.
        hash: String,
    },
    /// A ConfigMap that exists already.
    Existing { config_map: String, key: String },
}

impl Script {
    /// The key under which the script is mounted.
    pub fn key(&self) -> &str {
        match self {
            Script::Inline { file_name, .. } => file_name,
            Script::Existing { key, .. } => key,
        }
    }
}

/// Load with parsed durations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Load {
    pub model: LoadModel,
    pub generators: u32,
    pub duration: Duration,
    pub ramp_up: Duration,
}

impl Load {
    /// Total users: the closed model's users, or the arrival rate's user pool.
    pub fn total_users(&self) -> u64 {
        match self.model {
            LoadModel::Users(u) => u,
            LoadModel::ArrivalRate { max_users, .. } => max_users,
        }
    }
}

/// Closed or open workload model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoadModel {
    /// Total concurrent users.
    Users(u64),
    /// Total `rate` iterations per `time_unit`, with at most `max_users` users.
    ArrivalRate {
        rate: u64,
        time_unit: Duration,
        max_users: u64,
    },
}

/// The target with parsed URL and egress rules.
#[derive(Debug, Clone)]
pub struct Target {
    pub url: Url,
    /// The URL's port, explicit or the scheme's default.
    pub port: u16,
    /// Egress rules, in plan order, with the implicit IP-literal rule first.
    pub egress: Vec<Egress>,
}

impl Target {
    /// The URL as tools receive it: serialized by the URL parser (so it holds no
    /// whitespace or control characters), without the bare `/` path the parser adds
    /// to `https://host`, which scripts that append `/path` would otherwise double.
    pub fn url_text(&self) -> &str {
        url_text(&self.url)
    }
}

/// A URL as tools receive it: see [`Target::url_text`].
fn url_text(url: &Url) -> &str {
    let s = url.as_str();
    if url.path() == "/" && url.query().is_none() && url.fragment().is_none() {
        s.strip_suffix('/').unwrap_or(s)
    } else {
        s
    }
}

/// One place load may go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Egress {
    pub peer: Peer,
    pub ports: Vec<u16>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Peer {
    Cidr {
        cidr: IpNet,
        except: Vec<IpNet>,
    },
    Pods {
        namespace_labels: Option<BTreeMap<String, String>>,
        pod_labels: Option<BTreeMap<String, String>>,
    },
}

/// Security settings in force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Security {
    pub posture: Posture,
    pub run_as_user: u32,
    pub run_as_group: u32,
    pub writable_root_filesystem: bool,
}

impl Security {
    /// Only `baseline` may give containers a writable root filesystem, and only when
    /// the plan asks for it.
    pub fn read_only_root(&self) -> bool {
        !(self.posture == Posture::Baseline && self.writable_root_filesystem)
    }

    /// `runAsNonRoot: true` unless the plan runs as root (allowed under `baseline`).
    pub fn run_as_non_root(&self) -> Option<bool> {
        (self.run_as_user != 0).then_some(true)
    }
}

/// Per-generator CPU and memory (requests = limits).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resources {
    pub cpu: String,
    pub memory: String,
}

impl Resources {
    /// The JVM heap for a generator with this memory limit, in MiB: three quarters
    /// of the limit (the rest is metaspace, thread stacks, direct buffers and the
    /// JIT), at least 64 MiB. JMeter's and Gatling's launch scripts put a fixed
    /// `-Xmx1g`/`-Xmx1G` on the command line whatever the limit, which wins over
    /// `-XX:MaxRAMPercentage`, so the tools are given an explicit `-Xmx` instead.
    pub fn jvm_heap_mib(&self) -> u64 {
        let bytes = crate::quantity::bytes(&self.memory).unwrap_or(0.0);
        // Validated quantities are far below 2^53 bytes.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let mib = (bytes * 0.75 / 1_048_576.0) as u64;
        mib.max(64)
    }
}

/// Where results go, and what makes the test pass.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Results {
    pub persistent_volume_claim: Option<String>,
    pub ttl_seconds_after_finished: Option<u32>,
    /// The pass/fail criteria `perfplan report` evaluates over every generator's
    /// merged samples, in the plan's order.
    pub thresholds: Vec<Threshold>,
}

/// One pass/fail criterion over the merged samples of the whole test.
#[derive(Debug, Clone, PartialEq)]
pub struct Threshold {
    /// Only the samples of this request (k6's `name` tag, a JMeter sampler label,
    /// a Gatling request name); `None` for every sample.
    pub request: Option<String>,
    pub check: Check,
}

/// What a [`Threshold`] checks.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Check {
    /// The response-time statistic is at most this.
    Latency { stat: LatencyStat, at_most: Duration },
    /// Failed samples over all samples is at most this fraction (0 to 1).
    ErrorRate { at_most: f64 },
    /// Samples per second, over the time from the first sample's start to the last
    /// sample's end across every generator, is at least this.
    Throughput { at_least_per_second: f64 },
}

/// A response-time statistic a threshold can bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LatencyStat {
    P50,
    P90,
    P95,
    P99,
    Max,
}

impl LatencyStat {
    /// The name users write in a plan and read in a report: `p95`, `max`.
    pub fn as_str(self) -> &'static str {
        match self {
            LatencyStat::P50 => "p50",
            LatencyStat::P90 => "p90",
            LatencyStat::P95 => "p95",
            LatencyStat::P99 => "p99",
            LatencyStat::Max => "max",
        }
    }

    /// The percentile as a fraction (`p95` is 0.95; `max` is 1).
    pub fn quantile(self) -> f64 {
        match self {
            LatencyStat::P50 => 0.50,
            LatencyStat::P90 => 0.90,
            LatencyStat::P95 => 0.95,
            LatencyStat::P99 => 0.99,
            LatencyStat::Max => 1.0,
        }
    }
}

/// A validated metrics output: supported by the plan's tool, its URL parsed, its
/// egress rules built, credentials naming exactly the keys the output reads.
#[derive(Debug, Clone)]
pub struct Metrics {
    pub output: spec::MetricsOutput,
    pub url: Url,
    /// The URL's port, explicit or the default (2003 for Graphite).
    pub port: u16,
    pub egress: Vec<Egress>,
    pub credentials: Option<MetricsCredentials>,
}

impl Metrics {
    /// The URL as tools receive it (see [`Target::url_text`]).
    pub fn url_text(&self) -> &str {
        url_text(&self.url)
    }

    /// The host name or address, without brackets.
    pub fn host(&self) -> String {
        match self.url.host() {
            Some(url::Host::Ipv6(ip)) => ip.to_string(),
            Some(h) => h.to_string(),
            None => String::new(),
        }
    }
}

/// The Secret and which of its keys hold what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricsCredentials {
    pub secret: String,
    pub username_key: Option<String>,
    pub password_key: Option<String>,
    pub token_key: Option<String>,
}

/// JMeter settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JmeterOptions {
    pub properties: BTreeMap<String, String>,
    /// The keystore Secret when RMI uses SSL; `None` means the plan disabled SSL.
    pub rmi_keystore_secret: Option<String>,
}

/// Gatling settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatlingOptions {
    pub simulation_class: String,
    /// The image of the master's `discover-workers` init container (`sh`, `getent`).
    pub discovery_image: String,
}

/// The pinned image each tool uses unless the plan names one.
pub fn default_image(tool: Tool) -> &'static str {
    match tool {
        Tool::Jmeter => "justb4/jmeter:5.5",
        Tool::K6 => "grafana/k6:0.55.0",
        Tool::Gatling => "denvazh/gatling:3.2.1",
    }
}

/// The default image for Gatling's worker-discovery init container, which needs only
/// `sh`, `getent` and `awk`: the plain Alpine image, the smallest that has all three.
/// Its Dockerfile (alpinelinux/docker-alpine, `x86_64/Dockerfile`: `FROM scratch`,
/// `ADD alpine-minirootfs-3.24.2-x86_64.tar.gz /`, `CMD ["/bin/sh"]`) is the
/// minirootfs alone, whose packages (aports `scripts/mkimg.minirootfs.sh`:
/// `rootfs_apks="busybox alpine-baselayout alpine-keys apk-tools libc-utils"`) give
/// BusyBox's `sh` and `awk`, and `getent` through libc-utils, which depends on
/// musl-utils (aports `main/libc-dev/APKBUILD`: `utils() { depends="$CLIBC-utils" }`;
/// `main/musl/APKBUILD` installs `getent` into musl-utils' `/usr/bin`).
pub const DEFAULT_DISCOVERY_IMAGE: &str = "alpine:3.24.2";

/// Default per-generator resources: what each tool needs to drive a few hundred to a
/// thousand users on one pod (JVM tools need more memory than k6).
pub fn default_resources(tool: Tool) -> Resources {
    let (cpu, memory) = match tool {
        Tool::Jmeter | Tool::Gatling => ("1", "2Gi"),
        Tool::K6 => ("1", "1Gi"),
    };
    Resources {
        cpu: cpu.to_owned(),
        memory: memory.to_owned(),
    }
}

impl From<&spec::Security> for Security {
    fn from(s: &spec::Security) -> Self {
        Security {
            posture: s.posture,
            run_as_user: s.run_as_user,
            run_as_group: s.run_as_group,
            writable_root_filesystem: s.writable_root_filesystem,
        }
    }
}
