//! The deploy stage's settings (`[stage.with]` and inputs), checked before anything
//! is started.

use std::time::Duration;

use plugin_support::paths;
use seamless_sdk::services::Revision;
use seamless_sdk::{Context, StageError};

/// What to deploy where, and how patiently.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// The environment, such as `staging`.
    pub environment: String,
    /// The image to deploy.
    pub image: String,
    /// Its registry digest, when known.
    pub digest: Option<String>,
    /// How long the candidate has to become healthy.
    pub health_timeout: Duration,
    /// Time between two probes.
    pub probe_interval: Duration,
    /// Consecutive 2xx probes that make the candidate healthy.
    pub healthy_probes: u32,
}

/// The input a rollback run carries the image to restore in.
pub const ROLLBACK_IMAGE: &str = "rollback.image";

impl Settings {
    /// Reads `environment` (required), `image` (else the `rollback.image` input,
    /// else the one input ending `.image`, with its sibling `.digest`),
    /// `digest`, `health-timeout-secs` (60), `probe-interval-ms` (500) and
    /// `healthy-probes` (2).
    pub fn from_context(ctx: &Context) -> Result<Self, StageError> {
        let environment = match ctx.config("environment") {
            Some(env) if !env.trim().is_empty() => env.trim().to_owned(),
            _ => {
                return Err(StageError::invalid_config(format!(
                    "stage `{}` does not say where to deploy; set `environment = \"staging\"` (or another environment) under [stage.with]",
                    ctx.stage
                )));
            }
        };
        let (image, digest) = image(ctx)?;
        Ok(Self {
            environment,
            image,
            digest,
            health_timeout: Duration::from_secs(number(ctx, "health-timeout-secs", 60)?.into()),
            probe_interval: Duration::from_millis(number(ctx, "probe-interval-ms", 500)?.into()),
            healthy_probes: number(ctx, "healthy-probes", 2)?,
        })
    }
}

impl Settings {
    /// Whether `rev` already deploys this image: the same reference, or the same
    /// registry digest.
    pub fn same_image(&self, rev: &Revision) -> bool {
        rev.image == self.image || (self.digest.is_some() && rev.digest == self.digest)
    }
}

/// The image and digest to deploy.
fn image(ctx: &Context) -> Result<(String, Option<String>), StageError> {
    if let Some(image) = ctx.config("image") {
        return Ok((image.to_owned(), ctx.config("digest").map(str::to_owned)));
    }
    let found = match ctx.input(ROLLBACK_IMAGE) {
        Some(image) => Some((ROLLBACK_IMAGE, image)),
        None => {
            paths::single_input_ending(&ctx.inputs, ".image").map_err(StageError::invalid_config)?
        }
    };
    let Some((key, image)) = found else {
        return Err(StageError::invalid_config(format!(
            "stage `{}` has no image to deploy: no `image` under [stage.with] and no input \
             ending in `.image`; make it need the build stage (`needs = [\"build\"]`)",
            ctx.stage
        )));
    };
    let digest = paths::sibling_input(&ctx.inputs, key, "digest").map(str::to_owned);
    Ok((image.to_owned(), digest))
}

/// A positive whole number from `[stage.with]`, or `default` when unset.
fn number(ctx: &Context, key: &str, default: u32) -> Result<u32, StageError> {
    let Some(raw) = ctx.config(key) else {
        return Ok(default);
    };
    match raw.trim().parse::<u32>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(StageError::invalid_config(format!(
            "`{key} = \"{raw}\"` under [stage.with] is not a positive whole number"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use seamless_sdk::KeyValue;

    use super::*;

    fn ctx(config: &[(&str, &str)], inputs: &[(&str, &str)]) -> Context {
        let kv = |p: &[(&str, &str)]| p.iter().map(|(k, v)| KeyValue::new(*k, *v)).collect();
        Context {
            stage: "deploy-staging".into(),
            config: kv(config),
            inputs: kv(inputs),
        }
    }

    #[test]
    fn defaults_and_the_build_image_with_its_digest() {
        let c = ctx(
            &[("environment", "staging")],
            &[("build.image", "reg/gw:abc"), ("build.digest", "sha256:d")],
        );
        let s = Settings::from_context(&c).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(s.environment, "staging");
        assert_eq!(s.image, "reg/gw:abc");
        assert_eq!(s.digest.as_deref(), Some("sha256:d"));
        assert_eq!(s.health_timeout, Duration::from_secs(60));
        assert_eq!(s.probe_interval, Duration::from_millis(500));
        assert_eq!(s.healthy_probes, 2);
    }

    #[test]
    fn environment_is_required() {
        let e = Settings::from_context(&ctx(&[], &[("build.image", "x")]));
        assert!(
            matches!(&e, Err(StageError::InvalidConfig(m)) if m.contains("environment = \"staging\"")),
            "{e:?}"
        );
    }

    #[test]
    fn configured_image_wins_and_rollback_beats_build() {
        let c = ctx(
            &[("environment", "prod"), ("image", "mine:1")],
            &[("build.image", "b:1")],
        );
        let s = Settings::from_context(&c).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!((s.image.as_str(), s.digest), ("mine:1", None));
        let c = ctx(
            &[("environment", "prod")],
            &[
                ("build.image", "b:1"),
                ("rollback.image", "old:1"),
                ("rollback.digest", "sha256:o"),
            ],
        );
        let s = Settings::from_context(&c).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(s.image, "old:1");
        assert_eq!(s.digest.as_deref(), Some("sha256:o"));
    }

    #[test]
    fn the_same_image_is_the_same_reference_or_digest() {
        let c = ctx(
            &[("environment", "staging")],
            &[("build.image", "gw:abc"), ("build.digest", "sha256:d")],
        );
        let s = Settings::from_context(&c).unwrap_or_else(|e| panic!("{e:?}"));
        let rev = |image: &str, digest: Option<&str>| Revision {
            id: "r1".into(),
            service: "gw".into(),
            environment: "staging".into(),
            image: image.into(),
            digest: digest.map(str::to_owned),
            commit_sha: "abc".into(),
            run_id: "run-1".into(),
            finished_at_ms: 0,
            status: "success".into(),
            reason: None,
            endpoint: "http://127.0.0.1:8080".into(),
        };
        assert!(s.same_image(&rev("gw:abc", None)));
        assert!(s.same_image(&rev("reg/gw@sha256:d", Some("sha256:d"))));
        assert!(!s.same_image(&rev("gw:old", Some("sha256:o"))));
        assert!(!s.same_image(&rev("gw:old", None)));
    }

    #[test]
    fn no_image_or_a_bad_number_is_invalid_config() {
        let e = Settings::from_context(&ctx(&[("environment", "staging")], &[]));
        assert!(matches!(&e, Err(StageError::InvalidConfig(m)) if m.contains("no image")));
        let c = ctx(
            &[("environment", "staging"), ("healthy-probes", "0")],
            &[("build.image", "x")],
        );
        let e = Settings::from_context(&c);
        assert!(matches!(&e, Err(StageError::InvalidConfig(m)) if m.contains("healthy-probes")));
    }
}
