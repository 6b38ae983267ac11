//! Reading server-sent events.

use anyhow::{Result, anyhow};
use seamless_client::http::Streaming;
use serde_json::Value;

/// One event: its name and JSON data.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// `run`, `stage` or `log`.
    pub name: String,
    /// Its data.
    pub data: Value,
}

/// Splits a stream of server-sent events into events.
pub struct Events {
    stream: Streaming,
    buffer: String,
}

impl Events {
    /// Events of `stream`.
    pub fn new(stream: Streaming) -> Self {
        Self {
            stream,
            buffer: String::new(),
        }
    }

    /// The next event; `None` when the stream ends.
    pub async fn next(&mut self) -> Result<Option<Event>> {
        loop {
            if let Some(event) = take_event(&mut self.buffer) {
                if event.name.is_empty() {
                    continue;
                }
                return Ok(Some(event));
            }
            match self.stream.chunk().await {
                None => return Ok(None),
                Some(Err(e)) => return Err(anyhow!(e)),
                Some(Ok(bytes)) => self.buffer.push_str(&String::from_utf8_lossy(&bytes)),
            }
        }
    }
}

/// Takes the first complete event (a block ending in a blank line) off `buffer`.
fn take_event(buffer: &mut String) -> Option<Event> {
    let end = buffer.find("\n\n")?;
    let block: String = buffer.drain(..end + 2).collect();
    let mut name = String::new();
    let mut data = String::new();
    for line in block.lines() {
        if let Some(v) = line.strip_prefix("event:") {
            name = v.trim().to_string();
        } else if let Some(v) = line.strip_prefix("data:") {
            if !data.is_empty() {
                data.push('\n');
            }
            data.push_str(v.strip_prefix(' ').unwrap_or(v));
        }
    }
    Some(Event {
        name,
        data: serde_json::from_str(&data).unwrap_or(Value::Null),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn events_are_split_at_blank_lines_and_comments_ignored() {
        let mut b = String::from(
            ": keep-alive\n\nevent: log\nid: 1-2\ndata: {\"line\":\"hi\"}\n\nevent: ru",
        );
        let first = take_event(&mut b).unwrap();
        assert_eq!(first.name, "");
        let second = take_event(&mut b).unwrap();
        assert_eq!(
            (second.name.as_str(), second.data["line"].as_str()),
            ("log", Some("hi"))
        );
        assert!(take_event(&mut b).is_none(), "incomplete");
        assert_eq!(b, "event: ru");
    }
}
