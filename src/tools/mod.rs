//! Lowering per tool: one file per tool, each producing a [`Topology`](crate::lower::Topology).

pub mod gatling;
pub mod jmeter;
pub mod k6;

use crate::lower::Topology;
use crate::model::{LoadModel, Plan};
use crate::names::Shape;
use crate::split::{LoadSplit, shell_share};
use k8s_openapi::api::core::v1::EnvVar;
use std::collections::BTreeMap;

/// The splits of a plan's load over its generators, by what is split.
#[derive(Debug, Clone)]
pub struct Splits {
    /// Users (closed model) or max users (arrival rate).
    pub users: LoadSplit,
    /// Iterations per time unit (arrival rate only).
    pub rate: Option<LoadSplit>,
}

impl Splits {
    pub fn of(plan: &Plan) -> Self {
        let n = plan.load.generators;
        match plan.load.model {
            LoadModel::Users(users) => Splits {
                users: LoadSplit::new(users, n),
                rate: None,
            },
            LoadModel::ArrivalRate { rate, max_users, .. } => Splits {
                users: LoadSplit::new(max_users, n),
                rate: Some(LoadSplit::new(rate, n)),
            },
        }
    }

    /// Shell lines setting `$<users_var>` (and `$rate` for an arrival rate) to the
    /// shares of the pod whose index is in `$<index_var>`, from [`Splits::env`].
    pub fn shell_lines(&self, index_var: &str, users_var: &str) -> String {
        let mut out = format!("{users_var}={}\n", shell_share(index_var, "USERS"));
        if self.rate.is_some() {
            out.push_str(&format!("rate={}\n", shell_share(index_var, "RATE")));
        }
        out
    }

    /// The env vars the share lines read: the generator count and each split's base
    /// and remainder.
    pub fn env(&self) -> Vec<EnvVar> {
        let mut pairs = vec![("GENERATORS".to_owned(), self.users.shards.to_string())];
        pairs.extend(self.users.env("USERS"));
        if let Some(rate) = self.rate {
            pairs.extend(rate.env("RATE"));
        }
        pairs.iter().map(|(k, v)| crate::lower::pod::env(k, v)).collect()
    }

    /// The `perfplan.dev/split` annotation: what each generator runs, where each is
    /// given a whole share of the rate (JMeter, Gatling, k6 Deployments).
    pub fn annotation(&self, plan: &Plan) -> BTreeMap<String, String> {
        self.annotation_with(plan, LoadSplit::summary)
    }

    /// The annotation where the rate is split into equal fractions, as k6 execution
    /// segments do ([`LoadSplit::fractional_summary`]).
    pub fn fractional_rate_annotation(&self, plan: &Plan) -> BTreeMap<String, String> {
        self.annotation_with(plan, LoadSplit::fractional_summary)
    }

    fn annotation_with(
        &self,
        plan: &Plan,
        rate_summary: fn(&LoadSplit) -> String,
    ) -> BTreeMap<String, String> {
        let text = match (self.rate, plan.load.model) {
            (Some(rate), LoadModel::ArrivalRate { time_unit, .. }) => format!(
                "rate per {}s {}; max users {}",
                time_unit.as_secs(),
                rate_summary(&rate),
                self.users.summary()
            ),
            _ => format!("users {}", self.users.summary()),
        };
        BTreeMap::from([(crate::lower::meta::SPLIT.to_owned(), text)])
    }
}

/// Stage 4's entry point: lower a plan with the tool its shape names, then attach
/// the live-metrics settings every tool shares. The dispatch lives here, beside the
/// tools, so that `lower/` holds only shared builders and imports nothing above it.
pub fn lower(plan: &Plan) -> Topology {
    let mut topology = match plan.shape {
        Shape::Jmeter => jmeter::lower(plan),
        Shape::K6(workload) => k6::lower(plan, workload),
        Shape::Gatling(mode) => gatling::lower(plan, mode),
    };
    crate::lower::metrics::attach(plan, &mut topology);
    topology
}

/// How the plan's generators start together, in words (`perfplan explain`); each
/// tool's file says it for its own mechanism.
pub fn start_barrier(plan: &Plan) -> String {
    match plan.shape {
        Shape::Jmeter => jmeter::start_barrier(plan),
        Shape::K6(workload) => k6::start_barrier(plan, workload),
        Shape::Gatling(mode) => gatling::start_barrier(plan, mode),
    }
}

/// Whole seconds of a validated duration (validation accepts whole seconds only).
pub fn secs(d: std::time::Duration) -> u64 {
    d.as_secs()
}
