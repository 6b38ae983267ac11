//! `seamless:plugin/run-info`: facts about the run and the service.

use crate::bindings::seamless::plugin::run_info::{Host, Info, Service, Trigger};
use crate::bindings::seamless::plugin::types::KeyValue;
use crate::state::StageState;

impl Host for StageState {
    async fn current(&mut self) -> Info {
        let run = &self.run;
        Info {
            run_id: run.run_id.clone(),
            pipeline: run.pipeline.clone(),
            trigger: match run.trigger {
                seamless_core::config::Trigger::Manual => Trigger::Manual,
                seamless_core::config::Trigger::Push => Trigger::Push,
                seamless_core::config::Trigger::PullRequest => Trigger::PullRequest,
                seamless_core::config::Trigger::Rollback => Trigger::Rollback,
            },
            branch: run.branch.clone(),
            registry: run.registry.clone(),
            commit_sha: run.commit_sha.to_string(),
            service: Service {
                name: run.service.name.clone(),
                path: run.service.path.clone(),
                dockerfile: run.service.dockerfile.clone(),
                image: run.service.image.clone(),
                commands: run
                    .service
                    .commands
                    .iter()
                    .map(|(k, v)| KeyValue {
                        key: k.clone(),
                        value: v.clone(),
                    })
                    .collect(),
            },
        }
    }
}
