//! The approval gate's decision: what a person recorded in the store, or the expiry.

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
