//! The one place that prints JSON for `--output json`, and the time format of the text
//! output. A JSON document is one line; a stream (log lines, diagnostics) is one
//! object per line, so programs can read it as it comes.

use anyhow::{Context, Result};
use serde::Serialize;
use std::io::Write;

/// Prints `value` as one line of JSON on stdout.
pub fn json<T: Serialize + ?Sized>(value: &T) -> Result<()> {
    let text = serde_json::to_string(value).context("cannot write the output as JSON")?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{text}").context("cannot write to stdout")?;
    Ok(())
}

/// Unix milliseconds as an RFC 3339 UTC time, to the second.
pub fn time(ms: i64) -> String {
    let at =
        std::time::UNIX_EPOCH + std::time::Duration::from_millis(u64::try_from(ms).unwrap_or(0));
    humantime::format_rfc3339_seconds(at).to_string()
}

#[cfg(test)]
mod tests {
    use super::time;

    #[test]
    fn unix_milliseconds_show_as_utc_times() {
        assert_eq!(time(0), "1970-01-01T00:00:00Z");
        assert_eq!(time(1_795_000_000_000), "2026-11-18T11:06:40Z");
    }
}
