//! Unit tests of `registry::tls`: CA files, the certs.d convention, the errors for
//! unusable files, the certificate error in a source chain, and the TLS probe.

#![allow(clippy::unwrap_used)]

use super::*;

/// A self-signed CA certificate (P-256), made with openssl for these tests.
const CA_PEM: &str = include_str!("testdata/ca.pem");
const REGISTRY: &str = "127.0.0.1:5003";

use seamless_test_support::fs::write;

#[test]
fn the_variables_bundle_and_every_crt_of_the_registrys_certs_dir_are_trusted() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("bundle.pem");
    write(&bundle, &format!("{CA_PEM}{CA_PEM}"));
    let certs = dir.path().join("certs.d");
    let own = certs.join(REGISTRY);
    write(&own.join("ca.crt"), CA_PEM);
    write(&own.join("b-extra.crt"), CA_PEM);
    // Docker's client certificate pair is not a CA: not read.
    write(&own.join("client.cert"), "not read");
    write(&own.join("client.key"), "not read");
    // Another registry's directory: not read.
    write(&certs.join("127.0.0.1:5001/ca.crt"), "not read");

    let cas = ExtraCas::load(Some(&bundle), &certs, REGISTRY).unwrap();
    assert_eq!(
        cas.files,
        vec![bundle.clone(), own.join("b-extra.crt"), own.join("ca.crt")]
    );
    assert_eq!(cas.certs.len(), 4);
    assert_eq!(cas.to_oci().len(), 4);
    assert_eq!(
        cas.describe(),
        format!(
            "the system's CA certificates and {} and {} and {}",
            bundle.display(),
            own.join("b-extra.crt").display(),
            own.join("ca.crt").display()
        )
    );
}

#[test]
fn without_a_variable_or_a_certs_dir_only_the_system_cas_are_trusted() {
    let dir = tempfile::tempdir().unwrap();
    let cas = ExtraCas::load(None, &dir.path().join("missing"), REGISTRY).unwrap();
    assert!(cas.files.is_empty() && cas.certs.is_empty());
    assert_eq!(cas.describe(), "the system's CA certificates");
    // A name that is not a host never reaches outside the certs.d directory.
    write(&dir.path().join("ca.crt"), "not PEM");
    for name in ["..", "../x", "a/b", ""] {
        assert!(
            ExtraCas::load(None, &dir.path().join("c"), name).is_ok(),
            "{name}"
        );
    }
}

#[test]
fn a_variable_naming_a_file_that_is_not_pem_is_an_error_naming_the_file_and_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("ca.pem");
    write(&bad, "this is not a certificate\n");
    let err = ExtraCas::load(Some(&bad), dir.path(), REGISTRY).unwrap_err();
    let text = err.to_string();
    assert_eq!(err.path, bad);
    assert!(text.contains(&bad.display().to_string()), "{text}");
    assert!(text.contains("named by SEAMLESS_REGISTRY_CA"), "{text}");
    assert!(text.contains("holds no PEM certificate"), "{text}");
    assert!(text.contains("-----BEGIN CERTIFICATE-----"), "{text}");
}

#[test]
fn a_pem_block_that_is_not_a_certificate_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("ca.pem");
    write(
        &bad,
        &format!("{CA_PEM}-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"),
    );
    let text = ExtraCas::load(Some(&bad), dir.path(), REGISTRY)
        .unwrap_err()
        .to_string();
    assert!(
        text.contains("certificate 2 is not a valid X.509 CA"),
        "{text}"
    );
    // Broken base64 inside the markers.
    write(
        &bad,
        "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n",
    );
    let text = ExtraCas::load(Some(&bad), dir.path(), REGISTRY)
        .unwrap_err()
        .to_string();
    assert!(
        text.contains("not valid PEM") || text.contains("not a valid X.509"),
        "{text}"
    );
}

#[test]
fn a_missing_file_and_a_bad_crt_in_certs_d_are_errors_naming_them() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nowhere.pem");
    let text = ExtraCas::load(Some(&missing), dir.path(), REGISTRY)
        .unwrap_err()
        .to_string();
    assert!(
        text.contains(&missing.display().to_string()) && text.contains("cannot be read"),
        "{text}"
    );

    let bad = dir.path().join(REGISTRY).join("ca.crt");
    write(&bad, "garbage");
    let err = ExtraCas::load(None, dir.path(), REGISTRY).unwrap_err();
    assert_eq!(err.path, bad);
    let text = err.to_string();
    assert!(
        text.contains("the certs.d directory of 127.0.0.1:5003"),
        "{text}"
    );
    assert!(text.contains("or remove it"), "{text}");
}

#[test]
fn registry_names_split_into_host_and_port() {
    assert_eq!(host_and_port("127.0.0.1:5003"), ("127.0.0.1".into(), 5003));
    assert_eq!(host_and_port("localhost"), ("localhost".into(), 443));
    assert_eq!(host_and_port("[::1]:5000"), ("::1".into(), 5000));
    assert_eq!(host_and_port("[::1]"), ("::1".into(), 443));
}

/// An error whose source is `inner`, as reqwest and hyper wrap theirs.
#[derive(Debug, thiserror::Error)]
#[error("request failed")]
struct Wrapped(#[source] std::io::Error);

#[test]
fn a_refused_certificate_is_found_through_io_errors_in_the_chain() {
    let tls = rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer);
    let e = Wrapped(std::io::Error::new(std::io::ErrorKind::InvalidData, tls));
    assert_eq!(
        certificate_error(&e).as_deref(),
        Some(
            "it is signed by a CA that is not trusted here \
             (invalid peer certificate: UnknownIssuer)"
        )
    );
    let other = Wrapped(std::io::Error::new(
        std::io::ErrorKind::ConnectionRefused,
        "refused",
    ));
    assert_eq!(certificate_error(&other), None);
    let handshake = Wrapped(std::io::Error::new(
        std::io::ErrorKind::InvalidData,
        rustls::Error::InvalidMessage(rustls::InvalidMessage::InvalidContentType),
    ));
    assert_eq!(certificate_error(&handshake), None);
}

/// A server on loopback that answers its first read with `answer` and closes.
async fn answering(answer: &'static [u8]) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        let mut buf = [0u8; 512];
        let _ = stream.read(&mut buf).await;
        let _ = stream.write_all(answer).await;
    });
    addr
}

#[tokio::test]
async fn the_probe_tells_a_tls_answer_from_plain_http_and_from_nothing() {
    let tls = answering(&[0x16, 0x03, 0x03, 0x00, 0x10]).await;
    assert!(speaks_tls(&tls).await);
    let alert = answering(&[0x15, 0x03, 0x03, 0x00, 0x02]).await;
    assert!(speaks_tls(&alert).await);
    let http = answering(b"HTTP/1.1 400 Bad Request\r\n\r\n").await;
    assert!(!speaks_tls(&http).await);
    // Nothing listens there any more.
    let gone = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = gone.local_addr().unwrap().to_string();
    drop(gone);
    assert!(!speaks_tls(&addr).await);
}
