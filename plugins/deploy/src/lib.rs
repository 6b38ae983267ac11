//! The built-in `deploy` stage: deploys the image to an environment without
//! downtime. It starts a candidate beside the serving version, probes its health
//! path until `healthy-probes` 2xx answers come in a row, then switches over; if
//! that does not happen within `health-timeout-secs` it abandons the candidate and
//! the old version keeps serving.
//!
//! `[stage.with]`: `environment` (required), `image`/`digest` (default: the
//! `rollback.image` input, else the one input ending `.image` and its `.digest`),
//! `health-timeout-secs = "60"`, `probe-interval-ms = "500"`, `healthy-probes = "2"`.
//! Outputs: `revision`, `endpoint`.

mod policy;
mod settings;

use std::time::{Duration, Instant};

use policy::{HealthPolicy, Probe, Throttle};
use seamless_sdk::services::{self, DeployRequest, Revision};
use seamless_sdk::{
    Capability, Context, Manifest, Outcome, Stage, StageError, log, outputs, run_info,
};
use settings::Settings;

/// How often an unhealthy probe result is logged, at most.
const LOG_EVERY: Duration = Duration::from_secs(5);

/// The `deploy` stage plugin.
struct Deploy;

impl Stage for Deploy {
    fn describe() -> Manifest {
        Manifest::new(
            "deploy",
            env!("CARGO_PKG_VERSION"),
            "deploys the image to an environment, health-checked, without downtime",
        )
        // Manifests are static; `*` asks for any environment, and the stage's grant
        // (`deploy = ["staging"]`) decides which one it gets.
        .capability(Capability::deploy("*"))
    }

    fn run(ctx: Context) -> Result<Outcome, StageError> {
        let settings = Settings::from_context(&ctx)?;
        let info = run_info::current();
        let env = settings.environment.as_str();
        let serving = services::current(env)?;
        if let Some(rev) = serving
            .as_ref()
            .filter(|r| r.succeeded() && r.run_id == info.run_id && settings.same_image(r))
        {
            log::info(&format!(
                "revision {} of this run already serves {env}",
                rev.id
            ));
            return finish(rev, "already deployed");
        }

        let mut request = DeployRequest::new(env, settings.image.as_str());
        request.digest.clone_from(&settings.digest);
        log::info(&format!("starting {} in {env}", settings.image));
        let candidate = services::start(&request)?;
        let healthy = wait_healthy(&candidate, &settings);
        if !healthy.healthy() {
            let serving = serving.as_ref().map(describe_revision);
            let reason = policy::timeout_reason(
                &info.service.name,
                env,
                settings.health_timeout,
                &healthy.last_probe(),
                serving.as_deref(),
            );
            if let Err(e) = services::abandon(&candidate, &reason) {
                log::error(&format!("cannot abandon the candidate: {}", e.message()));
            }
            return Err(StageError::failed(reason));
        }
        match services::promote(&candidate) {
            Ok(rev) => finish(&rev, "deployed"),
            Err(e) => {
                let reason = format!("switching {env} over failed: {}", e.message());
                if let Err(e) = services::abandon(&candidate, &reason) {
                    log::error(&format!("cannot abandon the candidate: {}", e.message()));
                }
                Err(e.into())
            }
        }
    }
}

/// Probes the candidate until it is healthy or the timeout passes.
fn wait_healthy(candidate: &str, settings: &Settings) -> HealthPolicy {
    let start = Instant::now();
    let mut policy = HealthPolicy::new(settings.healthy_probes);
    let mut throttle = Throttle::new(LOG_EVERY);
    loop {
        let probe = match services::probe(candidate) {
            Ok(status) => Probe::Status(status),
            Err(e) => Probe::Unreachable(e.message().to_owned()),
        };
        let elapsed = start.elapsed();
        if !probe.passed() && throttle.ready(elapsed) {
            log::info(&format!(
                "not healthy yet after {}s: {}",
                elapsed.as_secs(),
                probe.describe()
            ));
        }
        if policy.record(probe) || elapsed >= settings.health_timeout {
            return policy;
        }
        std::thread::sleep(settings.probe_interval);
    }
}

/// Sets the outputs and the summary for a revision that serves.
fn finish(rev: &Revision, verb: &str) -> Result<Outcome, StageError> {
    outputs::set("revision", &rev.id)?;
    outputs::set("endpoint", &rev.endpoint)?;
    Ok(Outcome::new(format!(
        "{verb} {} to {} at {} (revision {})",
        policy::short_image(&rev.image),
        rev.environment,
        rev.endpoint,
        rev.id
    )))
}

/// `revision r7 (gateway:3f2a9c0d1e2f)`.
fn describe_revision(rev: &Revision) -> String {
    format!("revision {} ({})", rev.id, policy::short_image(&rev.image))
}

seamless_sdk::export_stage!(Deploy);
