//! One HTTP GET, retried until an answer or the deadline.
//!
//! A service that has just started may refuse connections, or Docker's port proxy may
//! accept and close them, until the service listens; those count as "no answer yet",
//! not as a status. Any HTTP status is an answer.

use http_body_util::Empty;
use hyper::body::Bytes;
use hyper::header::HOST;
use hyper::{Request, StatusCode};
use hyper_util::rt::TokioIo;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::task::JoinHandle;
use tokio::time::Instant;

/// The pause between attempts that got no answer.
const RETRY: Duration = Duration::from_millis(100);

/// Sends `GET path` to `host:port` until an HTTP status comes back, for at most
/// `timeout`. The error says why the last attempt got no answer.
pub(crate) async fn status(
    host: &str,
    port: u16,
    path: &str,
    timeout: Duration,
) -> Result<u16, String> {
    let deadline = Instant::now() + timeout;
    let path = if path.starts_with('/') {
        path.to_string()
    } else {
        format!("/{path}")
    };
    loop {
        let last = match tokio::time::timeout_at(deadline, once(host, port, &path)).await {
            Ok(Ok(status)) => return Ok(status.as_u16()),
            Ok(Err(err)) => err,
            Err(_) => "the request timed out".to_string(),
        };
        if Instant::now() + RETRY >= deadline {
            return Err(format!(
                "GET http://{host}:{port}{path} got no answer within {timeout:?}: {last}"
            ));
        }
        tokio::time::sleep(RETRY).await;
    }
}

/// Aborts the connection task when the request is done or abandoned.
struct Driver(JoinHandle<()>);

impl Drop for Driver {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// One attempt on a fresh connection.
async fn once(host: &str, port: u16, path: &str) -> Result<StatusCode, String> {
    let stream = TcpStream::connect((host, port))
        .await
        .map_err(|err| format!("connecting failed: {err}"))?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|err| format!("HTTP handshake failed: {err}"))?;
    let _driver = Driver(tokio::spawn(async move {
        let _ = connection.await;
    }));
    let authority = if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    };
    let request = Request::get(path)
        .header(HOST, authority)
        .body(Empty::<Bytes>::new())
        .map_err(|err| format!("invalid request for '{path}': {err}"))?;
    let response = sender
        .send_request(request)
        .await
        .map_err(|err| format!("request failed: {err}"))?;
    Ok(response.status())
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    #[tokio::test]
    async fn status_of_a_plain_http_server_is_returned() {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("address").port();
        tokio::spawn(async move {
            if let Ok((mut socket, _)) = listener.accept().await {
                let mut buf = [0u8; 1024];
                let _ = socket.read(&mut buf).await;
                let _ = socket
                    .write_all(b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\n\r\n")
                    .await;
            }
        });
        let got = status("127.0.0.1", port, "health", Duration::from_secs(5)).await;
        assert_eq!(got, Ok(503));
    }

    #[tokio::test]
    async fn nothing_listening_is_an_error_after_the_timeout() {
        // Reserved for this test and never bound: nothing listens on it.
        let port = seamless_test_support::ports::reserve_for_process();
        let started = std::time::Instant::now();
        let err = status("127.0.0.1", port, "/", Duration::from_millis(400))
            .await
            .expect_err("nothing listens");
        assert!(err.contains("no answer within"), "{err}");
        assert!(started.elapsed() >= Duration::from_millis(300));
    }
}
