//! The loopback OCI registries `scripts/test-env.sh` starts, named by environment
//! variables that `scripts/test` exports.

use std::path::PathBuf;

/// How to start the registries, for every message about a missing one.
const SETUP: &str = "run scripts/test-env.sh as root (it starts the registries) and export \
     SEAMLESS_TEST_REGISTRY=127.0.0.1:5001 \
     SEAMLESS_TEST_AUTH_REGISTRY=seamless:e2e-registry-secret@127.0.0.1:5002 \
     SEAMLESS_TEST_TLS_REGISTRY=127.0.0.1:5003 \
     SEAMLESS_TEST_TLS_CA=/var/lib/seamless-test/tls/ca.crt (scripts/test does both)";

/// A registry variable is missing or malformed.
#[derive(Debug, thiserror::Error)]
#[error("{var} {problem}: {SETUP}")]
pub struct RegistryMissing {
    var: &'static str,
    problem: &'static str,
}

fn var(var: &'static str) -> Result<String, RegistryMissing> {
    std::env::var(var).map_err(|_| RegistryMissing {
        var,
        problem: "is not set",
    })
}

/// The plain-HTTP registry without auth (`SEAMLESS_TEST_REGISTRY`, `host:port`).
pub fn try_plain() -> Result<String, RegistryMissing> {
    var("SEAMLESS_TEST_REGISTRY")
}

/// [`try_plain`], panicking with the setup steps.
pub fn plain() -> String {
    try_plain().unwrap_or_else(|e| panic!("{e}"))
}

/// The registry with basic auth.
#[derive(Debug, Clone)]
pub struct AuthRegistry {
    /// `host:port`.
    pub host: String,
    /// The user it accepts.
    pub user: String,
    /// That user's password.
    pub password: String,
}

/// The registry with basic auth (`SEAMLESS_TEST_AUTH_REGISTRY`,
/// `user:password@host:port`).
pub fn with_auth() -> AuthRegistry {
    let name = "SEAMLESS_TEST_AUTH_REGISTRY";
    let value = var(name).unwrap_or_else(|e| panic!("{e}"));
    let parsed = value.split_once('@').and_then(|(login, host)| {
        let (user, password) = login.split_once(':')?;
        Some(AuthRegistry {
            host: host.to_owned(),
            user: user.to_owned(),
            password: password.to_owned(),
        })
    });
    parsed.unwrap_or_else(|| {
        panic!(
            "{}",
            RegistryMissing {
                var: name,
                problem: "is not of the form user:password@host:port",
            }
        )
    })
}

/// The registry serving HTTPS with a certificate of the test CA: its `host:port` and
/// the CA's certificate file (`SEAMLESS_TEST_TLS_REGISTRY`, `SEAMLESS_TEST_TLS_CA`).
pub fn tls() -> (String, PathBuf) {
    let host = var("SEAMLESS_TEST_TLS_REGISTRY").unwrap_or_else(|e| panic!("{e}"));
    let ca = PathBuf::from(var("SEAMLESS_TEST_TLS_CA").unwrap_or_else(|e| panic!("{e}")));
    if !ca.is_file() {
        panic!(
            "{}",
            RegistryMissing {
                var: "SEAMLESS_TEST_TLS_CA",
                problem: "names no file",
            }
        );
    }
    (host, ca)
}
