//! Approval decisions, stored so that they survive restarts.

use rusqlite::{OptionalExtension, params};

use crate::error::StoreError;
use crate::records::Approval;
use crate::sqlite::Store;

impl Store {
    /// Records a decision on a run. A run takes one decision: a second one that
    /// disagrees is refused, one that agrees changes nothing.
    pub fn decide(&self, run_id: &str, approval: &Approval) -> Result<(), StoreError> {
        if let Some(existing) = self.approval(run_id)? {
            if existing.approved == approval.approved {
                return Ok(());
            }
            return Err(StoreError::AlreadyDecided {
                run_id: run_id.to_string(),
                decision: if existing.approved {
                    "approved"
                } else {
                    "rejected"
                },
                by: existing.decided_by,
            });
        }
        self.conn().execute(
            "INSERT INTO approvals (run_id, decision, reason, decided_by, at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                run_id,
                if approval.approved { "approve" } else { "reject" },
                approval.reason,
                approval.decided_by,
                approval.at
            ],
        )?;
        Ok(())
    }

    /// The decision on a run, if one was taken.
    pub fn approval(&self, run_id: &str) -> Result<Option<Approval>, StoreError> {
        let row = self
            .conn()
            .query_row(
                "SELECT decision, reason, decided_by, at FROM approvals WHERE run_id = ?1",
                params![run_id],
                |r| {
                    Ok(Approval {
                        approved: r.get::<_, String>(0)? == "approve",
                        reason: r.get(1)?,
                        decided_by: r.get(2)?,
                        at: r.get(3)?,
                    })
                },
            )
            .optional()?;
        Ok(row)
    }
}
