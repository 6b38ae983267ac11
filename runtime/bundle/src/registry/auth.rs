//! Credentials for a registry: `SEAMLESS_REGISTRY_TOKEN` (bearer), or
//! `SEAMLESS_REGISTRY_USERNAME` and `SEAMLESS_REGISTRY_PASSWORD` (basic), or the
//! registry's entry in the Docker config (`$DOCKER_CONFIG/config.json`, else
//! `~/.docker/config.json`), else anonymous.

use std::path::PathBuf;

use oci_client::secrets::RegistryAuth;

fn docker_config() -> Option<PathBuf> {
    match std::env::var_os("DOCKER_CONFIG") {
        Some(dir) => Some(PathBuf::from(dir).join("config.json")),
        None => std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".docker/config.json")),
    }
}

/// The credentials for `registry`: see the module's documentation.
pub fn auth_for(registry: &str) -> RegistryAuth {
    if let Ok(token) = std::env::var("SEAMLESS_REGISTRY_TOKEN") {
        return RegistryAuth::Bearer(token);
    }
    if let (Ok(user), Ok(password)) = (
        std::env::var("SEAMLESS_REGISTRY_USERNAME"),
        std::env::var("SEAMLESS_REGISTRY_PASSWORD"),
    ) {
        return RegistryAuth::Basic(user, password);
    }
    docker_config()
        .and_then(|p| std::fs::read(p).ok())
        .and_then(|bytes| from_docker_config(&bytes, registry))
        .unwrap_or(RegistryAuth::Anonymous)
}

/// The entry for `registry` in a Docker `config.json` (`auth`: base64 `user:password`,
/// or `identitytoken`).
fn from_docker_config(bytes: &[u8], registry: &str) -> Option<RegistryAuth> {
    let config: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    let auths = config.get("auths")?.as_object()?;
    let entry = auths
        .iter()
        .find(|(k, _)| {
            let k = k
                .trim_start_matches("https://")
                .trim_start_matches("http://");
            k.trim_end_matches('/') == registry
        })?
        .1;
    if let Some(token) = entry.get("identitytoken").and_then(|t| t.as_str()) {
        return Some(RegistryAuth::Bearer(token.to_string()));
    }
    let encoded = entry.get("auth")?.as_str()?;
    let decoded = base64_decode(encoded)?;
    let (user, password) = decoded.split_once(':')?;
    Some(RegistryAuth::Basic(user.to_string(), password.to_string()))
}

/// Standard base64 (with or without padding), as UTF-8.
fn base64_decode(s: &str) -> Option<String> {
    use base64::Engine as _;
    let engine = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    );
    String::from_utf8(engine.decode(s.trim()).ok()?).ok()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn docker_config_entries_give_basic_or_bearer_credentials() {
        let config = br#"{"auths": {"https://r.example:5000/": {"auth": "dXNlcjpwYXNz"},
                                     "t.example": {"identitytoken": "tok"}}}"#;
        match from_docker_config(config, "r.example:5000") {
            Some(RegistryAuth::Basic(u, p)) => {
                assert_eq!((u.as_str(), p.as_str()), ("user", "pass"))
            }
            other => panic!("{other:?}"),
        }
        assert!(
            matches!(from_docker_config(config, "t.example"), Some(RegistryAuth::Bearer(t)) if t == "tok")
        );
        assert!(from_docker_config(config, "other.example").is_none());
        assert_eq!(base64_decode("YWxpY2U6czNjcjN0").unwrap(), "alice:s3cr3t");
    }
}
