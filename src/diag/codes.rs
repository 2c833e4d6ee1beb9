//! Stable diagnostic codes.
//!
//! A code never changes meaning once released: scripts and editors match on it. This
//! list is the only one: `docs/reference/codes.md` is generated from [`REFERENCE`]
//! (`tests/reference_docs.rs` fails when it drifts), and a test checks that the
//! severity stated here is the one the plans under `plans/invalid/` get.
//!
//! Each entry: the doc comment (one line of meaning, which the reference prints),
//! the constant, the code, and, when the code is not always an error, its
//! [`Level`] after a comma.

/// A stable, namespaced diagnostic code such as `perfplan::load::too_few_users`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Code(pub &'static str);

impl Code {
    pub fn as_str(self) -> &'static str {
        self.0
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

/// How a code is reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Always an error: the plan is invalid (exit 1).
    Error,
    /// Always a warning: the plan is valid; `--deny-warnings` makes it fail.
    Warning,
    /// An error or a warning depending on the plan's posture or a flag, as the
    /// meaning says.
    Either,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warning => "warning",
            Level::Either => "error or warning",
        }
    }
}

/// A code with what the reference says about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    pub code: Code,
    /// One line: what the code means (its doc comment).
    pub meaning: &'static str,
    pub level: Level,
}

macro_rules! codes {
    (@level) => { Level::Error };
    (@level $level:expr) => { $level };
    ($($(#[doc = $doc:literal])* $name:ident = $text:literal $(, $level:expr)?;)*) => {
        $($(#[doc = $doc])* pub const $name: Code = Code($text);)*
        /// Every code, with its one-line meaning, in declaration order.
        pub const ALL: &[(Code, &str)] = &[$(($name, concat!($($doc),*))),*];
        /// Every code with its meaning and [`Level`], in declaration order: what
        /// `docs/reference/codes.md` lists.
        pub const REFERENCE: &[Entry] = &[$(Entry {
            code: $name,
            meaning: concat!($($doc),*),
            level: codes!(@level $($level)?),
        }),*];
    };
}

codes! {
    /// The plan file is larger than perfplan reads.
    INPUT_TOO_LARGE = "perfplan::input::too_large";
    /// The plan file is not UTF-8 text.
    INPUT_NOT_UTF8 = "perfplan::input::not_utf8";
    /// The plan file holds no document.
    INPUT_EMPTY = "perfplan::input::empty";
    /// The YAML is malformed (indentation, tabs, unclosed brackets, …).
    YAML_SYNTAX = "perfplan::yaml::syntax";
    /// A mapping repeats a key.
    YAML_DUPLICATE_KEY = "perfplan::yaml::duplicate_key";
    /// The file holds more than one YAML document.
    YAML_MULTIPLE_DOCUMENTS = "perfplan::yaml::multiple_documents";
    /// Nesting, aliases or size exceed the parser's safety budget.
    YAML_BUDGET = "perfplan::yaml::budget";
    /// A mapping key is not a plain string.
    YAML_KEY_NOT_STRING = "perfplan::yaml::key_not_string";
    /// A key the plan format does not have.
    SCHEMA_UNKNOWN_KEY = "perfplan::schema::unknown_key";
    /// A required key is missing.
    SCHEMA_MISSING_KEY = "perfplan::schema::missing_key";
    /// A value has the wrong type.
    SCHEMA_TYPE = "perfplan::schema::type";
    /// A value is not one of the allowed choices.
    SCHEMA_ENUM = "perfplan::schema::enum";
    /// A value is outside its allowed range or length.
    SCHEMA_RANGE = "perfplan::schema::range";
    /// A string does not have the required form.
    SCHEMA_PATTERN = "perfplan::schema::pattern";
    /// A value matches none of the accepted shapes.
    SCHEMA_SHAPE = "perfplan::schema::shape";
    /// The plan's `perfplan:` version marker is unknown.
    SCHEMA_VERSION = "perfplan::schema::version";
    /// Fewer users than generators: some generator would run nothing.
    LOAD_TOO_FEW_USERS = "perfplan::load::too_few_users";
    /// Neither or both of `users` and `arrivalRate` are set.
    LOAD_MODEL = "perfplan::load::model";
    /// A duration cannot be parsed or is out of range.
    LOAD_DURATION = "perfplan::load::duration";
    /// Ramp-up is longer than the whole test.
    LOAD_RAMP_EXCEEDS_DURATION = "perfplan::load::ramp_exceeds_duration";
    /// A Deployment of k6 runners cannot split users unevenly.
    LOAD_UNEVEN_SPLIT = "perfplan::load::uneven_split";
    /// The arrival rate's user pool is smaller than the number of generators.
    LOAD_TOO_FEW_MAX_USERS = "perfplan::load::too_few_max_users";
    /// A generated object name exceeds a Kubernetes length limit.
    NAME_TOO_LONG = "perfplan::name::too_long";
    /// A label key or value is not valid Kubernetes label syntax.
    LABEL_INVALID = "perfplan::label::invalid";
    /// The script file is missing or unreadable.
    SCRIPT_MISSING = "perfplan::script::missing";
    /// The script's extension does not match the tool.
    SCRIPT_EXTENSION = "perfplan::script::extension";
    /// The script is too large for a ConfigMap.
    SCRIPT_TOO_LARGE = "perfplan::script::too_large";
    /// The script is not UTF-8 text.
    SCRIPT_NOT_TEXT = "perfplan::script::not_text";
    /// The script path leaves the plan's folder.
    SCRIPT_OUTSIDE_PLAN = "perfplan::script::outside_plan";
    /// The script's file name cannot be a ConfigMap key.
    SCRIPT_FILE_NAME = "perfplan::script::file_name";
    /// The target URL cannot be parsed or has no host.
    TARGET_URL = "perfplan::target::url";
    /// A host-name target has no `allow` entry, so no NetworkPolicy could let load out.
    TARGET_NOT_ALLOWED = "perfplan::target::not_allowed";
    /// An `allow` entry is malformed (bad CIDR, empty, or mixes kinds).
    TARGET_ALLOW = "perfplan::target::allow";
    /// Load or metrics would be allowed to a destination no test should reach: the
    /// cloud metadata / link-local range, every address, or loopback (an error under
    /// `posture: restricted`, else a warning; loopback always a warning).
    NETWORK_UNSAFE_DESTINATION = "perfplan::network::unsafe_destination", Level::Either;
    /// The test would run in a namespace of the cluster's own system components (an
    /// error under `posture: restricted`, else a warning).
    NAMESPACE_SYSTEM = "perfplan::namespace::system", Level::Either;
    /// The target's port is not among the `allow` ports.
    TARGET_PORT_NOT_ALLOWED = "perfplan::target::port_not_allowed";
    /// A resource quantity cannot be parsed or is zero.
    RESOURCES_QUANTITY = "perfplan::resources::quantity";
    /// An image is not pinned by tag or digest.
    IMAGE_UNPINNED = "perfplan::image::unpinned";
    /// An image reference does not follow the image-reference grammar.
    IMAGE_INVALID = "perfplan::image::invalid";
    /// A tool block (`jmeter:`, `k6:`, `gatling:`) does not match `tool`.
    TOOL_BLOCK_MISMATCH = "perfplan::tool::block_mismatch";
    /// Gatling needs `gatling.simulationClass`.
    GATLING_SIMULATION_CLASS = "perfplan::gatling::simulation_class";
    /// Gatling cluster mode needs an image that implements it; stock images do not.
    GATLING_CLUSTER_IMAGE = "perfplan::gatling::cluster_image";
    /// JMeter RMI over SSL needs a keystore Secret.
    JMETER_RMI_KEYSTORE = "perfplan::jmeter::rmi_keystore";
    /// A JMeter property name is invalid or reserved by perfplan.
    JMETER_PROPERTY = "perfplan::jmeter::property";
    /// A relaxation that only `posture: baseline` allows.
    SECURITY_POSTURE = "perfplan::security::posture";
    /// A plan field the Helm chart has no key for: a warning, an error under `compile --strict`.
    HELM_UNMAPPED = "perfplan::helm::unmapped", Level::Either;
    /// A toleration's operator, key and value do not fit together.
    PLACEMENT_TOLERATION = "perfplan::placement::toleration";
    /// An affinity requirement's operator and values do not fit together, or a key is not label syntax.
    PLACEMENT_AFFINITY = "perfplan::placement::affinity";
    /// The metrics output is not one the plan's tool can write.
    METRICS_UNSUPPORTED = "perfplan::metrics::unsupported";
    /// The metrics URL cannot be parsed, has the wrong scheme or holds credentials.
    METRICS_URL = "perfplan::metrics::url";
    /// A host-name metrics URL has no `allow` entry, so no NetworkPolicy could let metrics out.
    METRICS_NOT_ALLOWED = "perfplan::metrics::not_allowed";
    /// A `metrics.allow` entry is malformed (bad CIDR, empty, or mixes kinds).
    METRICS_ALLOW = "perfplan::metrics::allow";
    /// The metrics URL's port is not among the `metrics.allow` ports.
    METRICS_PORT_NOT_ALLOWED = "perfplan::metrics::port_not_allowed";
    /// Metrics credentials name keys the output cannot use, or only half of a user name/password pair.
    METRICS_CREDENTIALS = "perfplan::metrics::credentials";
    /// A `dns.allow` entry is not usable (malformed, or reaching the cloud metadata address or every address).
    DNS_ALLOW = "perfplan::dns::allow";
    /// A `results.thresholds` limit is not usable (a bad or zero duration, an empty block, a bad request name).
    RESULTS_THRESHOLD = "perfplan::results::threshold";
    /// Two regions have the same name.
    REGIONS_DUPLICATE = "perfplan::regions::duplicate";
    /// Regions do not say how to split the load: `share` and `users` mixed, or users that do not add up.
    REGIONS_SPLIT = "perfplan::regions::split";
    /// Regions' generators are given on some regions only, do not add up, or are fewer than the regions.
    REGIONS_GENERATORS = "perfplan::regions::generators";
    /// A JMeter thread group hard-codes its thread count.
    LINT_JMETER_THREADS = "perfplan::lint::jmeter_threads", Level::Warning;
    /// A k6 script's own load options conflict with the plan.
    LINT_K6_OPTIONS = "perfplan::lint::k6_options", Level::Warning;
    /// More users per generator than the tool's capacity guideline.
    LINT_CAPACITY = "perfplan::lint::capacity", Level::Warning;
    /// A JMeter plan streams metrics but its test plan has no Backend Listener reading perfplan's properties.
    LINT_JMETER_METRICS = "perfplan::lint::jmeter_metrics", Level::Warning;
    /// `gatling.apiServer` is set but no longer used: Gatling workers are found through DNS, without the Kubernetes API.
    LINT_API_SERVER_UNUSED = "perfplan::lint::api_server_unused", Level::Warning;
    /// A `baseline` plan without `resources` runs on the small defaults.
    LINT_RESOURCES = "perfplan::lint::resources", Level::Warning;
    /// The plan sets thresholds but keeps no results for `perfplan report` to judge.
    LINT_RESULTS_VOLUME = "perfplan::lint::results_volume", Level::Warning;
    /// A JMeter or Gatling script never reads the load property (`rate`, `users`) its plan sets.
    LINT_LOAD_PROPERTY = "perfplan::lint::load_property", Level::Warning;
}
