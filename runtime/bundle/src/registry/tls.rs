//! TLS to registries: the CA certificates trusted for a registry besides the system's
//! roots ([`ExtraCas`]), whether a loopback registry speaks TLS ([`speaks_tls`]), and
//! how to tell a certificate that is not trusted from other failures
//! ([`certificate_error`]). Verification is never turned off: a registry whose
//! certificate no trusted CA signed is refused.
//!
//! The extra CAs for registry `host[:port]`:
//! - every certificate of the PEM file named by `SEAMLESS_REGISTRY_CA` (for every
//!   registry);
//! - every `*.crt` file (PEM) in `<certs.d>/host[:port]/`, Docker's convention, where
//!   `<certs.d>` is `$SEAMLESS_CERTS_DIR`, else `/etc/docker/certs.d`. (Docker's client
//!   certificates there, `*.cert` and `*.key`, are not used.)
//!
//! A file that cannot be read, or holds no certificate, or a certificate that does not
//! parse, is an error naming the file and the fix; it is never skipped.

use std::error::Error as StdError;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use oci_client::client::{Certificate, CertificateEncoding};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The variable naming a PEM file of CA certificates trusted for every registry.
pub const CA_ENV: &str = "SEAMLESS_REGISTRY_CA";
/// The variable that moves the `certs.d` directory (Docker's is the default).
pub const CERTS_DIR_ENV: &str = "SEAMLESS_CERTS_DIR";
/// Docker's directory of per-registry certificates.
pub const DOCKER_CERTS_DIR: &str = "/etc/docker/certs.d";

/// How long the TLS probe of a loopback registry waits for an answer.
const PROBE_TIMEOUT: Duration = Duration::from_secs(3);

/// A CA file that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot use the registry CA certificate {} ({origin}): {reason}; {fix}", path.display())]
pub struct CaError {
    /// The file (or directory).
    pub path: PathBuf,
    /// Where it was named: the variable or the certs.d directory.
    pub origin: String,
    /// What is wrong with it.
    pub reason: String,
    /// What to do.
    pub fix: String,
}

/// A registry whose TLS certificate is not signed by a trusted CA: the error names
/// the registry, why the certificate was refused, what was trusted, and the fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{action} {reference}: the TLS certificate of registry {registry} is not trusted: \
     {reason}. Trusted here: {trusted}. If {registry} uses a private CA, give Seamless that \
     CA's certificate: set SEAMLESS_REGISTRY_CA=/path/to/ca.pem, or put it in \
     {certs_dir}/{registry}/ca.crt"
)]
pub struct Untrusted {
    /// What was being done.
    pub action: &'static str,
    /// The reference.
    pub reference: String,
    /// The registry (`host[:port]`).
    pub registry: String,
    /// Why the certificate was refused ([`certificate_error`]).
    pub reason: String,
    /// What was trusted ([`ExtraCas::describe`]).
    pub trusted: String,
    /// The certs.d directory that was looked at.
    pub certs_dir: String,
}

/// Where a CA file was found, for the error that names it.
#[derive(Clone, Copy)]
enum Origin<'a> {
    /// `SEAMLESS_REGISTRY_CA`.
    Env,
    /// The certs.d directory of a registry.
    CertsDir(&'a str),
}

impl Origin<'_> {
    fn error(self, path: &Path, reason: String) -> CaError {
        let (origin, fix) = match self {
            Origin::Env => (
                format!("named by {CA_ENV}"),
                format!(
                    "point {CA_ENV} at a PEM file of CA certificates \
                     (-----BEGIN CERTIFICATE-----), or unset it"
                ),
            ),
            Origin::CertsDir(registry) => (
                format!("the certs.d directory of {registry}"),
                "replace it with the registry's CA certificate in PEM \
                 (-----BEGIN CERTIFICATE-----), or remove it"
                    .to_string(),
            ),
        };
        CaError {
            path: path.to_path_buf(),
            origin,
            reason,
            fix,
        }
    }
}

/// The CA certificates trusted for one registry besides the system's roots.
#[derive(Debug, Clone, Default)]
pub struct ExtraCas {
    /// The files they came from, in the order read.
    pub files: Vec<PathBuf>,
    /// The certificates.
    pub certs: Vec<CertificateDer<'static>>,
    /// The certs.d directory that was looked at (for the fix in error messages).
    pub certs_root: PathBuf,
}

impl ExtraCas {
    /// The extra CAs for `registry` from the environment: see the module's
    /// documentation.
    pub fn from_env(registry: &str) -> Result<Self, CaError> {
        let ca_file = std::env::var_os(CA_ENV)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from);
        let certs_root = std::env::var_os(CERTS_DIR_ENV)
            .filter(|v| !v.is_empty())
            .map_or_else(|| PathBuf::from(DOCKER_CERTS_DIR), PathBuf::from);
        Self::load(ca_file.as_deref(), &certs_root, registry)
    }

    /// The extra CAs for `registry`: those of `ca_file`, then those of
    /// `certs_root/<registry>/*.crt` (in name order).
    pub fn load(
        ca_file: Option<&Path>,
        certs_root: &Path,
        registry: &str,
    ) -> Result<Self, CaError> {
        let mut cas = Self {
            certs_root: certs_root.to_path_buf(),
            ..Self::default()
        };
        if let Some(file) = ca_file {
            cas.add_file(file, Origin::Env)?;
        }
        // A registry name is a host and a port; anything else never names a directory.
        if registry.is_empty() || registry.contains(['/', '\\']) || registry.starts_with('.') {
            return Ok(cas);
        }
        let dir = certs_root.join(registry);
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(cas),
            Err(e) => {
                return Err(Origin::CertsDir(registry)
                    .error(&dir, format!("the directory cannot be read: {e}")));
            }
        };
        let mut files = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| {
                Origin::CertsDir(registry).error(&dir, format!("the directory cannot be read: {e}"))
            })?;
            let path = entry.path();
            if path.extension().is_some_and(|x| x == "crt") {
                files.push(path);
            }
        }
        files.sort();
        for file in files {
            cas.add_file(&file, Origin::CertsDir(registry))?;
        }
        Ok(cas)
    }

    /// Adds every certificate of the PEM file `path`; at least one must be there and
    /// each must parse.
    fn add_file(&mut self, path: &Path, origin: Origin<'_>) -> Result<(), CaError> {
        let bytes = std::fs::read(path)
            .map_err(|e| origin.error(path, format!("the file cannot be read: {e}")))?;
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&bytes)
            .collect::<Result<_, _>>()
            .map_err(|e| origin.error(path, format!("it is not valid PEM: {e}")))?;
        if certs.is_empty() {
            return Err(origin.error(path, "it holds no PEM certificate".to_string()));
        }
        for (i, cert) in certs.iter().enumerate() {
            rustls::RootCertStore::empty()
                .add(cert.clone())
                .map_err(|e| {
                    origin.error(
                        path,
                        format!("certificate {} is not a valid X.509 CA: {e}", i + 1),
                    )
                })?;
        }
        self.files.push(path.to_path_buf());
        self.certs.extend(certs);
        Ok(())
    }

    /// The certificates, as `oci-client` takes them.
    pub fn to_oci(&self) -> Vec<Certificate> {
        self.certs
            .iter()
            .map(|c| Certificate {
                encoding: CertificateEncoding::Der,
                data: c.as_ref().to_vec(),
            })
            .collect()
    }

    /// What is trusted, in words: "the system's CA certificates" and the files.
    pub fn describe(&self) -> String {
        let mut text = "the system's CA certificates".to_string();
        for f in &self.files {
            text.push_str(" and ");
            text.push_str(&f.display().to_string());
        }
        text
    }
}

/// `host` and port of `registry` (`host[:port]`, `[v6]:port`); 443 without a port.
fn host_and_port(registry: &str) -> (String, u16) {
    if let Some(rest) = registry.strip_prefix('[')
        && let Some((host, tail)) = rest.split_once(']')
    {
        let port = tail.strip_prefix(':').and_then(|p| p.parse().ok());
        return (host.to_string(), port.unwrap_or(443));
    }
    match registry.rsplit_once(':') {
        Some((host, port)) => match port.parse() {
            Ok(port) => (host.to_string(), port),
            Err(_) => (registry.to_string(), 443),
        },
        None => (registry.to_string(), 443),
    }
}

/// Whether the server at `registry` answers a TLS ClientHello with a TLS record (a
/// handshake or an alert) rather than plain HTTP or nothing. This only decides the
/// protocol of a loopback registry, as Docker does by trying HTTPS first: the probe
/// sends the hello and reads two bytes, and trust is checked later by the real client.
pub async fn speaks_tls(registry: &str) -> bool {
    let (host, port) = host_and_port(registry);
    let Ok(name) = ServerName::try_from(host.clone()) else {
        return false;
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let Ok(builder) =
        rustls::ClientConfig::builder_with_provider(provider).with_safe_default_protocol_versions()
    else {
        return false;
    };
    let config = builder
        .with_root_certificates(rustls::RootCertStore::empty())
        .with_no_client_auth();
    let Ok(mut conn) = rustls::ClientConnection::new(Arc::new(config), name) else {
        return false;
    };
    let mut hello = Vec::new();
    if conn.write_tls(&mut hello).is_err() {
        return false;
    }
    let answer = async {
        let mut stream = tokio::net::TcpStream::connect((host.as_str(), port)).await?;
        stream.write_all(&hello).await?;
        let mut first = [0u8; 2];
        stream.read_exact(&mut first).await?;
        Ok::<_, std::io::Error>(first)
    };
    // 0x16: a handshake record (the ServerHello), 0x15: an alert; then TLS's major
    // version, 3. A plain HTTP server answers "HTTP/1.1 400".
    matches!(
        tokio::time::timeout(PROBE_TIMEOUT, answer).await,
        Ok(Ok([0x15 | 0x16, 0x03]))
    )
}

/// Why the certificate behind `e` was refused, if `e` failed because the server's
/// certificate is not trusted: plain words, then rustls's own ("it is signed by a CA
/// that is not trusted here (invalid peer certificate: UnknownIssuer)"). Walks the
/// source chain, and into `io::Error`s, which hide what they wrap from it.
pub fn certificate_error(e: &(dyn StdError + 'static)) -> Option<String> {
    let mut current = Some(e);
    while let Some(err) = current {
        if let Some(tls @ rustls::Error::InvalidCertificate(why)) =
            err.downcast_ref::<rustls::Error>()
        {
            return Some(format!("{} ({tls})", in_words(why)));
        }
        if let Some(inner) = err
            .downcast_ref::<std::io::Error>()
            .and_then(std::io::Error::get_ref)
            && let Some(found) = certificate_error(inner)
        {
            return Some(found);
        }
        current = err.source();
    }
    None
}

/// The usual reasons a registry's certificate is refused, in words.
fn in_words(why: &rustls::CertificateError) -> &'static str {
    use rustls::CertificateError as C;
    match why {
        C::UnknownIssuer => "it is signed by a CA that is not trusted here",
        C::NotValidForName | C::NotValidForNameContext { .. } => {
            "it is not issued for this host name or address"
        }
        C::Expired | C::ExpiredContext { .. } => "it has expired",
        C::NotValidYet | C::NotValidYetContext { .. } => "it is not valid yet",
        _ => "it does not verify",
    }
}

#[cfg(test)]
#[path = "tls_tests.rs"]
mod tests;
