//! Plugin bundles in a run: each `uses` that names a bundle is resolved through
//! `seamless.lock` (only the pinned digest runs), and each stage that uses one must grant
//! every capability the bundle's manifest requests (by the one rule of
//! `seamless_core::capability`), and allow the limits it needs.

use std::path::Path;

use seamless_bundle::resolve::{Resolved, Resolver, Trust};
use seamless_bundle::signature::PublicKey;
use seamless_bundle::store::PluginStore;
use seamless_core::config::{Config, Stage};

/// Where installed bundles are kept, under the data directory.
pub fn store_dir(data_dir: &Path) -> std::path::PathBuf {
    data_dir.join("plugins")
}

/// A resolver for `config`'s bundles, or why there is none (a bad lock file or key).
pub fn resolver(config: &Config, data_dir: &Path) -> Result<Resolver, String> {
    let mut keys = Vec::new();
    for k in &config.plugins.trusted_keys {
        keys.push(PublicKey::parse(k).map_err(|e| format!("[plugins] trusted-keys: {e}"))?);
    }
    let trust = Trust {
        require_signatures: config.plugins.require_signatures,
        keys,
    };
    Resolver::new(&config.root, PluginStore::new(store_dir(data_dir)), trust)
        .map_err(|e| e.to_string())
}

/// Resolves `uses` through `resolver`, as a message when it cannot run.
pub async fn resolve(resolver: &Result<Resolver, String>, uses: &str) -> Result<Resolved, String> {
    match resolver {
        Ok(r) => r.resolve(uses).await.map_err(|e| e.to_string()),
        Err(e) => Err(e.clone()),
    }
}

/// Why `stage` may not run the bundle that requests `wanted`: each capability it does not
/// grant, with the line to add; each limit below the bundle's need.
pub fn check_stage(
    stage: &Stage,
    plugin: &str,
    wanted: &seamless_bundle::BundleManifest,
) -> Result<(), String> {
    let mut problems: Vec<String> = wanted
        .capabilities
        .requested()
        .iter()
        .filter(|cap| !cap.is_granted(&stage.grants))
        .map(|cap| {
            format!(
                "plugin '{plugin}' requests the capability `{}`, which stage '{}' does not \
                 grant: {}",
                cap.listed(),
                stage.name,
                cap.grant_hint(&stage.name, &stage.origin)
            )
        })
        .collect();
    if let Some(need) = wanted.limits.memory_mb {
        let have = stage.limits.memory_bytes / (1024 * 1024);
        if have < u64::from(need) {
            problems.push(format!(
                "plugin '{plugin}' needs {need} MiB of memory, but stage '{}' allows {have} MiB: \
                 set `memory-mib = {need}` under [stage.limits] ({}:{})",
                stage.name,
                stage.origin.file,
                stage.origin.limits_line.unwrap_or(stage.origin.line)
            ));
        }
    }
    if let Some(need) = wanted.limits.timeout_secs {
        let have = stage.limits.timeout.as_secs();
        if have < u64::from(need) {
            problems.push(format!(
                "plugin '{plugin}' needs {need} s to run, but stage '{}' allows {have} s: set \
                 `timeout = \"{need}s\"` under [stage.limits] ({}:{})",
                stage.name,
                stage.origin.file,
                stage.origin.limits_line.unwrap_or(stage.origin.line)
            ));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use seamless_bundle::BundleManifest;
    use seamless_core::capability::Capability;

    fn stage(grants: &str, limits: &str) -> Stage {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("Dockerfile"), "FROM scratch\n").unwrap();
        let text = format!(
            "version = 1\npipeline = \"p\"\n[secrets.TOKEN]\nfrom-env = \"HOME\"\n\
             [[service]]\nname = \"app\"\n[[stage]]\nname = \"lint\"\n\
             uses = \"ghcr.io/acme/lint:1\"\n[stage.grants]\n{grants}\n[stage.limits]\n{limits}\n"
        );
        let config = seamless_core::config::parse("seamless.toml", &text, dir.path()).unwrap();
        config.stages[0].clone()
    }

    fn wanting(caps: &str) -> BundleManifest {
        serde_json::from_str(&format!(
            r#"{{"name":"lint","version":"1.0.0","wit":"seamless:plugin@0.2.0",
                "stages":["code-quality"],"description":"d","license":"MIT",
                "capabilities":{caps},"limits":{{"memory-mb":512,"timeout-secs":60}}}}"#
        ))
        .unwrap()
    }

    #[test]
    fn every_ungranted_capability_and_short_limit_is_named_with_its_line() {
        let want = wanting(
            r#"{"containers":true,"networks":true,"deploy":["staging"],"http":["*"],"secrets":["TOKEN"]}"#,
        );
        let err = check_stage(&stage("containers = true", ""), "lint", &want).unwrap_err();
        for expected in [
            "`networks`",
            "add `networks = true` under [stage.grants] of stage 'lint' (seamless.toml:10)",
            "add `deploy = [\"staging\"]`",
            "add `http = [\"<host>\"]`",
            "add `secrets = [\"TOKEN\"]`",
            "set `memory-mib = 512` under [stage.limits] (seamless.toml:12)",
        ] {
            assert!(err.contains(expected), "{expected} missing from:\n{err}");
        }
        assert!(!err.contains("`containers`"), "{err}");
        let granted = stage(
            "containers = true\nnetworks = true\ndeploy = [\"staging\"]\n\
             http = [\"api.example.com\"]\nsecrets = [\"TOKEN\"]",
            "memory-mib = 512",
        );
        check_stage(&granted, "lint", &want).unwrap();
    }

    #[test]
    fn the_pre_run_refusal_reads_as_on_file() {
        let want = wanting(
            r#"{"containers":true,"networks":true,"deploy":["staging"],"http":["api.x:443"],"secrets":["TOKEN"]}"#,
        );
        let err = check_stage(&stage("", ""), "lint", &want).unwrap_err();
        let golden = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/golden/ungranted-capabilities.err");
        seamless_test_support::golden::assert_golden(&golden, &format!("{err}\n"));
    }

    #[test]
    fn a_component_may_not_declare_more_than_its_bundle() {
        let caps = wanting(r#"{"deploy":["*"],"http":["api.example.com"]}"#).capabilities;
        assert!(caps.covers(&Capability::Deploy("staging".into())));
        assert!(caps.covers(&Capability::Http("api.example.com".into())));
        assert!(caps.covers(&Capability::Http("api.example.com:443".into())));
        assert!(!caps.covers(&Capability::Http("evil.example".into())));
        assert!(!caps.covers(&Capability::Containers));
    }

    #[test]
    fn a_host_granted_without_port_lets_a_bundle_ask_for_any_port_of_it() {
        let want = wanting(r#"{"http":["api.x:443"]}"#);
        check_stage(
            &stage("http = [\"api.x\"]", "memory-mib = 512"),
            "lint",
            &want,
        )
        .unwrap();
    }

    #[test]
    fn a_wildcard_http_grant_lets_a_bundle_ask_for_any_host() {
        let want = wanting(r#"{"http":["api.x:443","*"]}"#);
        check_stage(&stage("http = [\"*\"]", "memory-mib = 512"), "lint", &want).unwrap();
    }
}
