//! A run a server accepted (`seamless trigger`, `seamless rollback --server`): its id,
//! whether it waits in the server's queue for a run slot, and waiting until it starts.

use crate::remote::{Remote, client_escape as escape};
use anyhow::{Result, anyhow, bail};
use seamless_client::error_codes::RUN_QUEUED;
use serde_json::Value;
use std::time::Duration;

/// How often a queued run is looked at while waiting for it to start.
const POLL: Duration = Duration::from_secs(1);

/// The answer `202 {"run_id", "ahead"}` of an API action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    /// The run's id.
    pub run: String,
    /// `None` when it started; else the queued runs ahead of it.
    pub ahead: Option<u64>,
}

impl Accepted {
    /// Reads the server's answer.
    pub fn parse(answer: &Value) -> Result<Self> {
        let run = answer["run_id"]
            .as_str()
            .filter(|id| !id.is_empty())
            .ok_or_else(|| anyhow!("the server accepted the run but gave no run id: {answer}"))?;
        Ok(Self {
            run: run.to_string(),
            ahead: answer["ahead"].as_u64(),
        })
    }

    /// Says on stderr that the run waits, if it does.
    pub fn tell_if_queued(&self) {
        if let Some(ahead) = self.ahead {
            eprintln!(
                "seamless: every run slot of the server is taken; run {} waits in its queue \
                 ({ahead} queued run(s) ahead) and starts when a slot frees",
                self.run
            );
        }
    }

    /// Returns once the run exists on the server (at once if it started); fails if the
    /// server says it could not start.
    pub async fn until_started(&self, remote: &Remote) -> Result<()> {
        if self.ahead.is_none() {
            return Ok(());
        }
        let path = format!("/api/v1/runs/{}", escape(&self.run));
        loop {
            let probe = remote.probe(&path).await?;
            match (probe.status, probe.code.as_deref()) {
                (200, _) => return Ok(()),
                (404, Some(RUN_QUEUED)) => tokio::time::sleep(POLL).await,
                _ => bail!("{}", probe.error),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    #[test]
    fn an_answer_says_whether_the_run_waits() {
        let started = Accepted::parse(&json!({"run_id": "r1"})).unwrap();
        assert_eq!(started.ahead, None);
        let queued = Accepted::parse(&json!({"run_id": "r2", "ahead": 3})).unwrap();
        assert_eq!(queued.ahead, Some(3));
        let none = Accepted::parse(&json!({"ok": true})).unwrap_err();
        assert!(none.to_string().contains("gave no run id"), "{none}");
    }
}
