//! A small HTTP/1.1 client for the CLI's calls to a server and the server's calls to
//! GitHub (its API and OAuth): one exchange per request, on a fresh connection: plain
//! TCP for `http://`, TLS (rustls, with the Mozilla roots of `webpki-roots`) for
//! `https://`. Proxies are not supported.

use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Bytes;
use hyper::header::{HeaderName, HeaderValue};
use hyper::{Method, Request, Uri};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::task::JoinHandle;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::ServerName;

/// Why an exchange (or setting up the client) failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HttpError {
    /// The base URL is unusable.
    #[error("invalid base URL '{url}': {reason}")]
    InvalidBase {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// No answer: connecting, TLS or the exchange failed.
    #[error("{method} {url}: no answer: {message}")]
    Unreachable {
        /// The request method.
        method: &'static str,
        /// The request URL.
        url: String,
        /// What went wrong.
        message: String,
    },
    /// No answer in time.
    #[error("{method} {url}: no answer within {seconds} s")]
    Timeout {
        /// The request method.
        method: &'static str,
        /// The request URL.
        url: String,
        /// The limit, in seconds.
        seconds: u64,
    },
}

/// Percent-encodes `s` for a URL path segment or query value (RFC 3986 unreserved
/// characters stay).
pub fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Answers longer than this are cut off (the answers to these calls are small).
const MAX_ANSWER: usize = 1024 * 1024;

/// Where the API is: scheme, host, port and path prefix (for GitHub Enterprise's
/// `/api/v3`).
#[derive(Debug, Clone)]
pub struct Endpoint {
    https: bool,
    /// The host to connect to, without IPv6 brackets.
    host: String,
    port: u16,
    /// The `Host` header: the URL's authority.
    authority: String,
    /// The path prefix, without a trailing `/` (empty at the root).
    prefix: String,
}

impl Endpoint {
    /// Parses an `http://` or `https://` base URL without credentials, query or fragment.
    pub fn parse(url: &str) -> Result<Self, HttpError> {
        let invalid = |reason: &str| HttpError::InvalidBase {
            url: url.to_string(),
            reason: reason.to_string(),
        };
        let uri: Uri = url
            .parse()
            .map_err(|_| invalid("not a URL; give one like https://api.github.com"))?;
        let https = match uri.scheme_str() {
            Some("https") => true,
            Some("http") => false,
            _ => return Err(invalid("the scheme must be http or https")),
        };
        let authority = uri
            .authority()
            .ok_or_else(|| invalid("no host"))?
            .as_str()
            .to_string();
        if authority.contains('@') {
            return Err(invalid("credentials do not belong in the URL"));
        }
        if uri.query().is_some() || url.contains('#') {
            return Err(invalid("a query or fragment does not belong in the URL"));
        }
        let host = uri
            .host()
            .ok_or_else(|| invalid("no host"))?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
        let prefix = uri.path().trim_end_matches('/').to_string();
        Ok(Self {
            https,
            host,
            port,
            authority,
            prefix,
        })
    }

    /// The full URL of `path` (which starts with `/`), for messages.
    pub fn url(&self, path: &str) -> String {
        let scheme = if self.https { "https" } else { "http" };
        format!("{scheme}://{}{}{path}", self.authority, self.prefix)
    }
}

/// Sends requests to one [`Endpoint`].
#[derive(Clone)]
pub struct Transport {
    endpoint: Endpoint,
    tls: Option<TlsConnector>,
    timeout: Duration,
}

/// A status and a body.
#[derive(Debug)]
pub struct Answer {
    /// The HTTP status.
    pub status: u16,
    /// The whole body (at most 1 MiB).
    pub body: Bytes,
}

/// An answer whose body is read as it arrives, such as server-sent events.
pub struct Streaming {
    /// The HTTP status.
    pub status: u16,
    body: hyper::body::Incoming,
    _driver: Driver,
}

impl Streaming {
    /// The next piece of the body; `None` at its end.
    pub async fn chunk(&mut self) -> Option<Result<Bytes, String>> {
        loop {
            match self.body.frame().await? {
                Ok(frame) => {
                    if let Ok(data) = frame.into_data() {
                        return Some(Ok(data));
                    }
                }
                Err(e) => return Some(Err(format!("the answer broke off: {e}"))),
            }
        }
    }
}

impl Transport {
    /// A transport to `endpoint`, each exchange bounded by `timeout`.
    pub fn new(endpoint: Endpoint, timeout: Duration) -> Result<Self, HttpError> {
        let tls = if endpoint.https {
            let roots = rustls::RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.into(),
            };
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let config = rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .map_err(|e| HttpError::InvalidBase {
                    url: endpoint.url(""),
                    reason: format!("TLS is unavailable: {e}"),
                })?
                .with_root_certificates(roots)
                .with_no_client_auth();
            Some(TlsConnector::from(Arc::new(config)))
        } else {
            None
        };
        Ok(Self {
            endpoint,
            tls,
            timeout,
        })
    }

    /// The endpoint requests go to.
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// Sends `method path` (below the endpoint's prefix) with `headers` and a JSON
    /// `body`, and reads the answer.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        headers: &[(HeaderName, HeaderValue)],
        body: Vec<u8>,
    ) -> Result<Answer, HttpError> {
        let name = method_name(&method);
        let url = self.endpoint.url(path);
        let exchange = async {
            let (response, _driver) = self.start(method, path, headers, body).await?;
            let status = response.status().as_u16();
            let body = Limited::new(response.into_body(), MAX_ANSWER)
                .collect()
                .await
                .map_err(|e| format!("cannot read the answer: {e}"))?
                .to_bytes();
            Ok(Answer { status, body })
        };
        self.bounded(name, url, exchange).await
    }

    /// Sends a request like [`Transport::send`] and hands the body over as it comes;
    /// only getting the answer's head is bounded by the timeout.
    pub async fn open(
        &self,
        method: Method,
        path: &str,
        headers: &[(HeaderName, HeaderValue)],
        body: Vec<u8>,
    ) -> Result<Streaming, HttpError> {
        let name = method_name(&method);
        let url = self.endpoint.url(path);
        let head = async {
            let (response, driver) = self.start(method, path, headers, body).await?;
            Ok(Streaming {
                status: response.status().as_u16(),
                body: response.into_body(),
                _driver: driver,
            })
        };
        self.bounded(name, url, head).await
    }

    async fn bounded<T>(
        &self,
        name: &'static str,
        url: String,
        work: impl std::future::Future<Output = Result<T, String>>,
    ) -> Result<T, HttpError> {
        match tokio::time::timeout(self.timeout, work).await {
            Ok(answer) => answer.map_err(|message| HttpError::Unreachable {
                method: name,
                url,
                message,
            }),
            Err(_) => Err(HttpError::Timeout {
                method: name,
                url,
                seconds: self.timeout.as_secs(),
            }),
        }
    }

    /// Connects and sends the request; the answer's head and the connection's driver.
    async fn start(
        &self,
        method: Method,
        path: &str,
        headers: &[(HeaderName, HeaderValue)],
        body: Vec<u8>,
    ) -> Result<(hyper::Response<hyper::body::Incoming>, Driver), String> {
        let mut request = Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.endpoint.prefix))
            .header(hyper::header::HOST, &self.endpoint.authority)
            .header(hyper::header::CONTENT_TYPE, "application/json");
        for (header, value) in headers {
            request = request.header(header, value);
        }
        let request = request
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| format!("cannot form the request: {e}"))?;
        let tcp = TcpStream::connect((self.endpoint.host.as_str(), self.endpoint.port))
            .await
            .map_err(|e| format!("cannot connect: {e}"))?;
        match &self.tls {
            None => exchange(tcp, request).await,
            Some(tls) => {
                let server = ServerName::try_from(self.endpoint.host.clone())
                    .map_err(|e| format!("invalid TLS server name: {e}"))?;
                let stream = tls
                    .connect(server, tcp)
                    .await
                    .map_err(|e| format!("TLS failed: {e}"))?;
                exchange(stream, request).await
            }
        }
    }
}

/// The method's name with a static lifetime, for errors.
fn method_name(method: &Method) -> &'static str {
    match *method {
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        _ => "GET",
    }
}

/// Aborts the connection task when the exchange is done or abandoned.
struct Driver(JoinHandle<()>);

impl Drop for Driver {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Sends one request on `io`: the answer's head, and the task driving the connection.
async fn exchange<S>(
    io: S,
    request: Request<Full<Bytes>>,
) -> Result<(hyper::Response<hyper::body::Incoming>, Driver), String>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(io))
        .await
        .map_err(|e| format!("HTTP handshake failed: {e}"))?;
    let driver = Driver(tokio::spawn(async move {
        let _ = connection.await;
    }));
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| format!("the request failed: {e}"))?;
    Ok((response, driver))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn base_urls_keep_their_prefix_and_default_ports() {
        let github = Endpoint::parse("https://api.github.com").unwrap();
        assert_eq!((github.https, github.port), (true, 443));
        assert_eq!(github.url("/repos/o/r"), "https://api.github.com/repos/o/r");
        let enterprise = Endpoint::parse("https://ghe.example.com/api/v3/").unwrap();
        assert_eq!(enterprise.prefix, "/api/v3");
        assert_eq!(enterprise.url("/x"), "https://ghe.example.com/api/v3/x");
        let local = Endpoint::parse("http://127.0.0.1:9000").unwrap();
        assert_eq!(
            (local.https, local.host.as_str(), local.port),
            (false, "127.0.0.1", 9000)
        );
        let v6 = Endpoint::parse("http://[::1]:9000/").unwrap();
        assert_eq!(
            (v6.host.as_str(), v6.authority.as_str()),
            ("::1", "[::1]:9000")
        );
    }

    #[test]
    fn unusable_base_urls_are_refused_with_a_reason() {
        for (url, reason) in [
            ("api.github.com", "scheme"),
            ("ftp://api.github.com", "scheme"),
            ("https://user:pw@api.github.com", "credentials"),
            ("https://api.github.com/?x=1", "query"),
            ("not a url", "not a URL"),
        ] {
            let err = Endpoint::parse(url).unwrap_err();
            assert!(err.to_string().contains(reason), "{url}: {err}");
        }
    }
}
