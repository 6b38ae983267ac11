//! GitHub's webhook signature, made by the server's own signer.

/// The `X-Hub-Signature-256` value of `body` under `secret`, as GitHub sends it.
pub fn signature(secret: &str, body: &[u8]) -> String {
    seamless_server::webhooks::sign(secret.as_bytes(), body)
        .unwrap_or_else(|e| panic!("cannot sign a webhook body: {e}"))
}
