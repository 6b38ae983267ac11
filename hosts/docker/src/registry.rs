//! Moves images between the engine and registries: push returns the registry's digest,
//! `ensure` pulls only what is missing, `available` asks whether an image could be had.
//!
//! Progress goes to the [`LogSink`] once per distinct status line, not per progress tick.
//! The push digest comes from the engine's last status line
//! (`<tag>: digest: sha256:... size: N`) or, failing that, from the image's
//! `RepoDigests` after the push.

use crate::errors::{BACKEND, backend};
use crate::image;
use bollard::Docker;
use bollard::errors::Error;
use bollard::query_parameters::{CreateImageOptionsBuilder, PushImageOptionsBuilder};
use futures_util::StreamExt;
use seamless_host_api::{HostError, LogSink, LogStream};
use std::collections::HashSet;

/// An image reference split into repository and tag or digest.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Reference<'a> {
    /// Registry and path, such as `127.0.0.1:5001/team/app`.
    pub(crate) repository: &'a str,
    /// The tag, if the reference has one.
    pub(crate) tag: Option<&'a str>,
    /// The digest, if the reference has one.
    pub(crate) digest: Option<&'a str>,
}

/// Splits `reference`; a registry port (`host:5001/app`) is not taken for a tag.
pub(crate) fn parse(reference: &str) -> Reference<'_> {
    let (rest, digest) = match reference.split_once('@') {
        Some((rest, digest)) => (rest, Some(digest)),
        None => (reference, None),
    };
    let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
    match rest[last_slash..].rfind(':') {
        Some(i) => Reference {
            repository: &rest[..last_slash + i],
            tag: Some(&rest[last_slash + i + 1..]),
            digest,
        },
        None => Reference {
            repository: rest,
            tag: None,
            digest,
        },
    }
}

/// Pushes `reference` (its tag, or `latest`) and returns the digest the registry
/// reported.
pub(crate) async fn push(
    docker: &Docker,
    reference: &str,
    logs: LogSink,
) -> Result<String, HostError> {
    let parsed = parse(reference);
    if parsed.digest.is_some() || parsed.repository.is_empty() {
        return Err(HostError::Invalid(format!(
            "cannot push '{reference}'; push a tagged reference such as 'registry:5000/app:1'"
        )));
    }
    let tag = parsed.tag.unwrap_or("latest");
    if !image::exists(docker, &format!("{}:{tag}", parsed.repository)).await? {
        return Err(HostError::NotFound(format!(
            "image '{}:{tag}' (build or tag it before pushing)",
            parsed.repository
        )));
    }
    let options = PushImageOptionsBuilder::default().tag(tag).build();
    let mut stream = docker.push_image(parsed.repository, Some(options), None);
    let mut progress = Progress::default();
    let mut digest = None;
    while let Some(item) = stream.next().await {
        let info = item.map_err(|err| failed("pushing", reference, err, &logs))?;
        if let Some(status) = info.status {
            if let Some(found) = digest_in(&status) {
                digest = Some(found.to_string());
            }
            progress.status(&status, &logs);
        }
    }
    if let Some(digest) = digest {
        return Ok(digest);
    }
    repo_digest(docker, parsed.repository, tag).await
}

/// Pulls `reference` unless the engine already has it.
pub(crate) async fn ensure(
    docker: &Docker,
    reference: &str,
    logs: LogSink,
) -> Result<(), HostError> {
    if reference.trim().is_empty() {
        return Err(HostError::Invalid(
            "image reference is empty; name an image such as 'registry:5000/app:1'".to_string(),
        ));
    }
    if image::exists(docker, reference).await? {
        return Ok(());
    }
    let parsed = parse(reference);
    let mut options = CreateImageOptionsBuilder::default().from_image(reference);
    if parsed.tag.is_none() && parsed.digest.is_none() {
        // Without a tag the engine would pull every tag.
        options = options.tag("latest");
    }
    logs(LogStream::Stdout, &format!("pulling {reference}"));
    let mut stream = docker.create_image(Some(options.build()), None, None);
    let mut progress = Progress::default();
    while let Some(item) = stream.next().await {
        let info = item.map_err(|err| failed("pulling", reference, err, &logs))?;
        if let Some(status) = info.status {
            let line = match info.id {
                Some(id) => format!("{id}: {status}"),
                None => status,
            };
            progress.status(&line, &logs);
        }
    }
    Ok(())
}

/// `Ok` when the engine has `reference` or its registry serves it (asked for the
/// manifest, without pulling); [`HostError::NotFound`] with the registry's answer when
/// neither.
pub(crate) async fn available(docker: &Docker, reference: &str) -> Result<(), HostError> {
    if reference.trim().is_empty() {
        return Err(HostError::Invalid(
            "image reference is empty; name an image such as 'registry:5000/app:1'".to_string(),
        ));
    }
    if image::exists(docker, reference).await? {
        return Ok(());
    }
    match docker.inspect_registry_image(reference, None).await {
        Ok(_) => Ok(()),
        Err(err) => Err(HostError::NotFound(format!(
            "this engine does not have '{reference}', and no registry serves it ({})",
            engine_message(err)
        ))),
    }
}

/// The digest in a push status line such as `1: digest: sha256:ab... size: 528`.
fn digest_in(status: &str) -> Option<&str> {
    let (_, rest) = status.split_once("digest: ")?;
    let digest = rest.split_whitespace().next()?;
    digest.starts_with("sha256:").then_some(digest)
}

/// The digest `RepoDigests` records for `repository` after a push.
async fn repo_digest(docker: &Docker, repository: &str, tag: &str) -> Result<String, HostError> {
    let inspected = docker
        .inspect_image(&format!("{repository}:{tag}"))
        .await
        .map_err(|err| {
            backend(
                &format!("inspecting pushed image '{repository}:{tag}'"),
                err,
            )
        })?;
    inspected
        .repo_digests
        .unwrap_or_default()
        .into_iter()
        .find_map(|entry| {
            let (repo, digest) = entry.split_once('@')?;
            (repo == repository).then(|| digest.to_string())
        })
        .ok_or_else(|| HostError::Backend {
            backend: BACKEND,
            message: format!(
                "pushed '{repository}:{tag}' but the engine reported no registry digest for it"
            ),
        })
}

/// A failed push or pull, with the engine's message, also sent to the logs.
fn failed(doing: &str, reference: &str, err: Error, logs: &LogSink) -> HostError {
    let message = engine_message(err);
    logs(LogStream::Stderr, &message);
    let hint = untrusted_hint(reference, &message)
        .map(|h| format!("; {h}"))
        .unwrap_or_default();
    HostError::Backend {
        backend: BACKEND,
        message: format!("{doing} '{reference}' failed: {message}{hint}"),
    }
}

/// What to do when the engine refused the registry's TLS certificate (Go's
/// "x509: certificate signed by unknown authority" and its kin): the engine trusts a
/// registry's CA from `/etc/docker/certs.d/<host:port>/ca.crt`.
fn untrusted_hint(reference: &str, message: &str) -> Option<String> {
    if !message.contains("x509:") {
        return None;
    }
    let (host, _) = reference.split_once('/')?;
    if !(host.contains('.') || host.contains(':') || host == "localhost") {
        return None;
    }
    Some(format!(
        "the Docker engine does not trust the TLS certificate of registry {host}: put the \
         registry's CA certificate in /etc/docker/certs.d/{host}/ca.crt on the engine's \
         machine"
    ))
}

/// What the engine said, without bollard's wrapping.
fn engine_message(err: Error) -> String {
    let message = match err {
        Error::DockerStreamError { error } => error,
        Error::DockerResponseServerError { message, .. } => message,
        other => other.to_string(),
    };
    message.trim().to_string()
}

/// Sends status lines to the logs, each distinct line once (progress ticks repeat).
#[derive(Default)]
struct Progress {
    seen: HashSet<String>,
}

impl Progress {
    fn status(&mut self, line: &str, logs: &LogSink) {
        if self.seen.insert(line.to_string()) {
            logs(LogStream::Stdout, line);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_untrusted_registry_certificate_names_the_engines_certs_dir() {
        let refused = "Get \"https://r.example:5000/v2/\": tls: failed to verify certificate: \
                       x509: certificate signed by unknown authority";
        let hint = untrusted_hint("r.example:5000/shop/cart:1", refused)
            .expect("an x509 refusal gets a hint");
        assert!(
            hint.contains("registry r.example:5000")
                && hint.contains("/etc/docker/certs.d/r.example:5000/ca.crt"),
            "{hint}"
        );
        assert_eq!(untrusted_hint("r.example:5000/shop/cart:1", "denied"), None);
        // A Docker Hub name has no registry host to name.
        assert_eq!(untrusted_hint("library/busybox", refused), None);
    }

    #[test]
    fn references_split_into_repository_tag_and_digest() {
        let r = parse("127.0.0.1:5001/team/app:v1");
        assert_eq!(
            (r.repository, r.tag, r.digest),
            ("127.0.0.1:5001/team/app", Some("v1"), None)
        );
        let r = parse("127.0.0.1:5001/app");
        assert_eq!((r.repository, r.tag), ("127.0.0.1:5001/app", None));
        let r = parse("app@sha256:abc");
        assert_eq!(
            (r.repository, r.tag, r.digest),
            ("app", None, Some("sha256:abc"))
        );
        let r = parse("app:1@sha256:abc");
        assert_eq!(
            (r.repository, r.tag, r.digest),
            ("app", Some("1"), Some("sha256:abc"))
        );
    }

    #[test]
    fn digest_is_read_from_the_last_push_status() {
        assert_eq!(
            digest_in("v1: digest: sha256:0123abcd size: 528"),
            Some("sha256:0123abcd")
        );
        assert_eq!(digest_in("Pushed"), None);
    }
}
