//! When a stage instance may start, and what it is given: readiness, blocking
//! failures and inputs.

use crate::driver::Driver;
use seamless_core::config::When;
use seamless_core::state::{RunStatus, StageStatus, run_status};
use std::collections::{BTreeMap, BTreeSet};

impl Driver<'_> {
    /// Whether instance `i` counts as done for what needs it.
    pub(crate) fn satisfied(&self, i: usize) -> bool {
        let status = self.progress.status[i];
        status == StageStatus::Success
            || (status == StageStatus::Skipped
                && self.shared.request.plan.instances[i]
                    .not_applicable
                    .is_some())
    }

    /// Outputs of every instance `i` transitively needs. A service's instance sees
    /// those of its own service and of run-scoped stages, keyed `<stage>.<key>`; a
    /// run-scoped instance sees every service's, keyed `<service>.<stage>.<key>`.
    pub(crate) fn inputs(&self, i: usize) -> BTreeMap<String, String> {
        let plan = &self.shared.request.plan;
        let me = &plan.instances[i];
        let mut seen = BTreeSet::new();
        let mut pending: Vec<usize> = me.needs.clone();
        while let Some(d) = pending.pop() {
            if seen.insert(d) {
                pending.extend(plan.instances[d].needs.iter().copied());
            }
        }
        let mut inputs = self.shared.request.extra_inputs.clone();
        for d in seen {
            let from = &plan.instances[d];
            let prefix = if from.service.is_empty() {
                from.stage.clone()
            } else if me.service.is_empty() {
                format!("{}.{}", from.service, from.stage)
            } else if from.service == me.service {
                from.stage.clone()
            } else {
                // Another service's outputs, reached through a run-scoped stage.
                continue;
            };
            for (k, v) in &self.progress.outputs[d] {
                inputs.insert(format!("{prefix}.{k}"), v.clone());
            }
        }
        if plan.instances[i].when == When::RunStart {
            inputs.insert("run.event".into(), "start".into());
        }
        if plan.instances[i].when == When::RunEnd {
            let others: Vec<StageStatus> = plan
                .instances
                .iter()
                .zip(&self.progress.status)
                .filter(|(inst, _)| inst.when != When::RunEnd)
                .map(|(_, s)| *s)
                .collect();
            let status = match run_status(&others) {
                RunStatus::Success => "success",
                RunStatus::Cancelled => "cancelled",
                _ => "failure",
            };
            inputs.insert("run.status".into(), status.into());
            inputs.insert("run.event".into(), status.into());
        }
        inputs
    }

    /// Why instance `i` can never run, if a need of it failed.
    pub(crate) fn blocked_by(&self, i: usize) -> Option<usize> {
        let inst = &self.shared.request.plan.instances[i];
        if inst.when != When::Success {
            return None;
        }
        inst.needs.iter().copied().find(|&d| {
            matches!(
                self.progress.status[d],
                StageStatus::Failure | StageStatus::Cancelled
            ) || (self.progress.status[d] == StageStatus::Skipped && !self.satisfied(d))
        })
    }

    pub(crate) fn ready(&self, i: usize) -> bool {
        let inst = &self.shared.request.plan.instances[i];
        match inst.when {
            When::RunStart => true,
            When::RunEnd => inst
                .needs
                .iter()
                .all(|&d| self.progress.status[d].is_terminal()),
            When::Success => inst.needs.iter().all(|&d| self.satisfied(d)),
        }
    }
}
