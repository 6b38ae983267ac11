//! GitHub's OAuth, standing in: the authorization page sends the browser straight
//! back with a code; the token endpoint and `/user` name [`LOGIN`].

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};

/// The OAuth app's client id.
pub const CLIENT_ID: &str = "dashboard-test-client";
/// The OAuth app's client secret.
pub const CLIENT_SECRET: &str = "dashboard-test-client-secret";
/// Who signs in.
pub const LOGIN: &str = "octocat";

/// The running stand-in.
pub struct OAuth {
    pub port: u16,
}

impl OAuth {
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let _ = answer(stream);
            }
        });
        Self { port }
    }
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
                out.push(u8::from_str_radix(hex, 16).unwrap());
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap()
}

fn query_value(target: &str, key: &str) -> Option<String> {
    let query = target.split_once('?')?.1;
    query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == key)
        .map(|(_, v)| decode(v))
}

fn answer(stream: TcpStream) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let (method, target) = (
        parts.next().unwrap_or(""),
        parts.next().unwrap_or("").to_string(),
    );
    let mut length = 0;
    loop {
        let mut header = String::new();
        reader.read_line(&mut header)?;
        if header.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = header.split_once(':')
            && k.eq_ignore_ascii_case("content-length")
        {
            length = v.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    let mut stream = stream;
    let path = target.split('?').next().unwrap_or("");
    let reply = match (method, path) {
        ("GET", "/login/oauth/authorize") => {
            assert_eq!(
                query_value(&target, "client_id").as_deref(),
                Some(CLIENT_ID)
            );
            let back = query_value(&target, "redirect_uri").unwrap();
            let state = query_value(&target, "state").unwrap();
            format!(
                "HTTP/1.1 302 Found\r\nLocation: {back}?code=code-for-{LOGIN}&state={state}\r\n\
                 Content-Length: 0\r\nConnection: close\r\n\r\n"
            )
        }
        ("POST", "/login/oauth/access_token") => {
            let sent: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
            let json = if sent["client_secret"] == CLIENT_SECRET {
                format!("{{\"access_token\":\"gho_{LOGIN}\",\"token_type\":\"bearer\"}}")
            } else {
                "{\"error\":\"incorrect_client_credentials\"}".to_string()
            };
            ok(&json)
        }
        ("GET", "/user") => ok(&format!("{{\"login\":\"{LOGIN}\",\"id\":1}}")),
        _ => "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_string(),
    };
    stream.write_all(reply.as_bytes())
}

fn ok(json: &str) -> String {
    format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{json}",
        json.len()
    )
}
