//! The approval gate's decision: what a person recorded in the store, or the expiry.

use crate::driver::Driver;
use crate::run::SchedulerError;
use seamless_core::state::{StageEvent, StageStatus};
use seamless_store::{Store, StoreError};
use std::time::Duration;

/// Where a waiting gate stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Nobody decided and the wait has not expired.
    Pending,
    /// Approved, by whom.
    Approved(String),
    /// Rejected or expired; the message says which, by whom and why.
    Rejected(String),
}

/// The decision on `run_id`, whose gate has waited since `since` (Unix ms).
pub(crate) fn check_decision(
    store: &Store,
    run_id: &str,
    since: i64,
    expires: Duration,
) -> Result<Decision, StoreError> {
    if let Some(approval) = store.approval(run_id)? {
        return Ok(if approval.approved {
            Decision::Approved(approval.decided_by)
        } else {
            Decision::Rejected(match approval.reason {
                Some(reason) => format!("rejected by {}: {reason}", approval.decided_by),
                None => format!("rejected by {}", approval.decided_by),
            })
        });
    }
    let waited = seamless_store::now_ms().saturating_sub(since);
    let limit = i64::try_from(expires.as_millis()).unwrap_or(i64::MAX);
    if waited >= limit {
        return Ok(Decision::Rejected(format!(
            "approval expired: nobody approved within {}; start a new run to deploy \
             (the expiry is `[approval] expires` in seamless.toml)",
            humanize(expires)
        )));
    }
    Ok(Decision::Pending)
}

impl Driver<'_> {
    /// The approval gate of instance `i` is reached: pass it at once when the service
    /// deploys automatically or the run was started with `--approve`; wait otherwise.
    pub(crate) fn open_gate(&mut self, i: usize) -> Result<(), SchedulerError> {
        let inst = &self.shared.request.plan.instances[i];
        let auto = self
            .shared
            .request
            .config
            .service(&inst.service)
            .is_some_and(|s| s.auto_deploy);
        let why = if auto {
            Some(format!("auto-deploy is on for service '{}'", inst.service))
        } else if self.shared.request.auto_approve {
            Some("approved in advance with --approve".to_string())
        } else {
            None
        };
        match why {
            Some(why) => {
                self.transition(i, StageEvent::Start, None, None)?;
                let key = self.shared.key(i);
                self.store.set_stage_message(&key, Some(&why), None)?;
                self.transition(i, StageEvent::Succeed, Some(Duration::ZERO), Some(why))?;
            }
            None => {
                let msg = format!(
                    "waiting for approval: `seamless approve {}` or `seamless reject {}`",
                    self.shared.run_id, self.shared.run_id
                );
                self.progress.awaiting_since[i] = Some(seamless_store::now_ms());
                self.transition(i, StageEvent::AwaitApproval, None, Some(msg))?;
            }
        }
        Ok(())
    }

    /// Applies a recorded approval decision, or the expiry, to waiting gates.
    pub(crate) fn decide_approvals(&mut self) -> Result<(), SchedulerError> {
        let waiting: Vec<usize> = (0..self.progress.status.len())
            .filter(|&i| self.progress.status[i] == StageStatus::AwaitingApproval)
            .collect();
        if waiting.is_empty() {
            return Ok(());
        }
        let expires = self.shared.request.config.approval_expires;
        for i in waiting {
            let since = self.progress.awaiting_since[i].unwrap_or_else(seamless_store::now_ms);
            let key = self.shared.key(i);
            match check_decision(self.store, &self.shared.run_id, since, expires)? {
                Decision::Pending => {}
                Decision::Approved(by) => {
                    let msg = format!("approved by {by}");
                    self.transition(i, StageEvent::Approve, None, None)?;
                    self.store.set_stage_message(&key, Some(&msg), None)?;
                    self.transition(i, StageEvent::Succeed, None, Some(msg))?;
                }
                Decision::Rejected(msg) => {
                    self.store.set_stage_message(&key, None, Some(&msg))?;
                    self.runtime_log(i, format!("failed: {msg}"));
                    self.transition(i, StageEvent::Reject, None, Some(msg))?;
                }
            }
        }
        Ok(())
    }
}

fn humanize(d: Duration) -> String {
    let secs = d.as_secs();
    match secs {
        s if s % 86_400 == 0 && s > 0 => format!("{}d", s / 86_400),
        s if s % 3_600 == 0 && s > 0 => format!("{}h", s / 3_600),
        s if s % 60 == 0 && s > 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::humanize;
    use std::time::Duration;

    #[test]
    fn expiry_is_shown_in_its_largest_unit() {
        assert_eq!(humanize(Duration::from_secs(7 * 86_400)), "7d");
        assert_eq!(humanize(Duration::from_secs(7_200)), "2h");
        assert_eq!(humanize(Duration::from_secs(90)), "90s");
    }
}
