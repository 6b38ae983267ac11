//! Turns how a plugin call ended into the stage's report.

use std::collections::BTreeMap;

use seamless_core::config::{Limits, StageOrigin};
use wasmtime::Trap;

use crate::bindings::seamless::plugin::types::{
    HostError, Outcome, StageError, TestCounts as WitCounts,
};
use crate::capabilities::CapabilityDenied;
use crate::error::StageFailure;
use crate::failure_messages::{memory_failure, timeout_failure};
use crate::invocation::{StageReport, TestCounts};

/// What is known about an invocation once the plugin call has ended.
pub(crate) struct Ended {
    pub outputs: BTreeMap<String, String>,
    pub busy: std::time::Duration,
    pub memory_hit: bool,
    pub denied: Option<CapabilityDenied>,
    /// `plugin 'x' (stage 'y')`, for messages.
    pub who: String,
    pub origin: StageOrigin,
    pub limits: Limits,
}

fn counts(c: WitCounts) -> TestCounts {
    TestCounts {
        passed: c.passed,
        failed: c.failed,
        skipped: c.skipped,
    }
}

/// A host error as a reader wants it: the backend's message as it is (not Rust's
/// debug form, which escapes the quotes of the registry's answer), the other kinds
/// named.
fn host_error(e: &HostError) -> String {
    match e {
        HostError::Denied(m) => format!("denied: {m}"),
        HostError::NotFound(m) => format!("not found: {m}"),
        HostError::Invalid(m) => format!("invalid: {m}"),
        HostError::Backend(m) => m.clone(),
    }
}

/// The report for a call that ended with `outcome` (`Err` when it timed out).
pub(crate) fn report(
    ended: Ended,
    outcome: Result<wasmtime::Result<Result<Outcome, StageError>>, tokio::time::error::Elapsed>,
) -> StageReport {
    let Ended {
        outputs,
        busy,
        memory_hit,
        denied,
        who,
        origin,
        limits,
    } = ended;
    let mut tests = None;
    let result = match outcome {
        Err(_elapsed) => Err(timeout_failure(&who, &origin, limits.timeout)),
        Ok(Err(trap)) => {
            if memory_hit {
                Err(memory_failure(&who, &origin, limits.memory_bytes))
            } else if matches!(trap.downcast_ref::<Trap>(), Some(Trap::Interrupt)) {
                Err(timeout_failure(&who, &origin, limits.timeout))
            } else if let Some(d) = denied {
                Err(StageFailure::CapabilityDenied(d.message))
            } else {
                Err(StageFailure::Crashed(format!("{who} crashed: {trap:#}")))
            }
        }
        Ok(Ok(result)) => match (denied, result) {
            (Some(d), _) => Err(StageFailure::CapabilityDenied(d.message)),
            (None, Ok(outcome)) => {
                tests = outcome.tests.map(counts);
                Ok(outcome.summary)
            }
            (None, Err(StageError::Failed(m))) => Err(StageFailure::Failed(m)),
            (None, Err(StageError::TestsFailed((m, c)))) => {
                tests = Some(counts(c));
                Err(StageFailure::Failed(m))
            }
            (None, Err(StageError::InvalidConfig(m))) => Err(StageFailure::InvalidConfig(m)),
            (None, Err(StageError::Host(e))) => Err(StageFailure::Host(format!(
                "{who}: host call failed: {}",
                host_error(&e)
            ))),
        },
    };
    StageReport {
        result,
        outputs,
        tests,
        busy,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_host_error_reads_as_its_message() {
        let pushed = "docker: pushing '127.0.0.1:5002/app:1' failed: Get \"http://127.0.0.1:5002/v2/\": no basic auth credentials";
        assert_eq!(host_error(&HostError::Backend(pushed.into())), pushed);
        assert_eq!(
            host_error(&HostError::NotFound("secret 'API_TOKEN'".into())),
            "not found: secret 'API_TOKEN'"
        );
    }
}
