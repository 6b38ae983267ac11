//! When a candidate counts as healthy, and what to say about it.

use std::time::Duration;

/// One probe's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Probe {
    /// The worst HTTP status of the replicas.
    Status(u16),
    /// A replica did not answer; the host's message.
    Unreachable(String),
}

impl Probe {
    /// Whether the probe passed (a 2xx status).
    pub fn passed(&self) -> bool {
        matches!(self, Self::Status(s) if (200..300).contains(s))
    }

    /// `HTTP 404`, or `no answer (connection refused)`.
    pub fn describe(&self) -> String {
        match self {
            Self::Status(s) => format!("HTTP {s}"),
            Self::Unreachable(why) => format!("no answer ({why})"),
        }
    }
}

/// Counts consecutive passing probes until enough have passed in a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthPolicy {
    needed: u32,
    in_a_row: u32,
    last: Option<Probe>,
}

impl HealthPolicy {
    /// Healthy after `needed` passing probes in a row (at least one).
    pub fn new(needed: u32) -> Self {
        Self {
            needed: needed.max(1),
            in_a_row: 0,
            last: None,
        }
    }

    /// Records a probe; returns whether the candidate is now healthy. A probe that
    /// does not pass starts the count again.
    pub fn record(&mut self, probe: Probe) -> bool {
        self.in_a_row = if probe.passed() { self.in_a_row + 1 } else { 0 };
        self.last = Some(probe);
        self.healthy()
    }

    /// Whether enough probes passed in a row.
    pub fn healthy(&self) -> bool {
        self.in_a_row >= self.needed
    }

    /// The last probe, described, or `no probe answered in time`.
    pub fn last_probe(&self) -> String {
        self.last
            .as_ref()
            .map_or_else(|| "no probe ran".to_owned(), Probe::describe)
    }
}

/// Lets a repeated message through at most once per `every`.
#[derive(Debug, Clone)]
pub struct Throttle {
    every: Duration,
    last: Option<Duration>,
}

impl Throttle {
    /// At most once per `every`.
    pub fn new(every: Duration) -> Self {
        Self { every, last: None }
    }

    /// Whether to log now, `elapsed` into the deploy.
    pub fn ready(&mut self, elapsed: Duration) -> bool {
        let due = self
            .last
            .is_none_or(|t| elapsed.saturating_sub(t) >= self.every);
        if due {
            self.last = Some(elapsed);
        }
        due
    }
}

/// Why a deploy was abandoned, as recorded and as the stage fails.
pub fn timeout_reason(
    service: &str,
    environment: &str,
    timeout: Duration,
    last_probe: &str,
    serving: Option<&str>,
) -> String {
    format!(
        "the new version of {service} never became healthy in {environment} within {}s \
         (last probe: {last_probe}); {} keeps serving",
        timeout.as_secs(),
        serving.unwrap_or("nothing")
    )
}

/// `gateway:3f2a9c0d1e2f` for `127.0.0.1:5001/shop/gateway:3f2a9c0d...`, and
/// `gateway@sha256:0123456789ab` for a digest reference.
pub fn short_image(image: &str) -> String {
    let name = image.rsplit('/').next().unwrap_or(image);
    if let Some((repo, digest)) = name.split_once('@') {
        let (algo, hex) = digest.split_once(':').unwrap_or(("", digest));
        let algo = if algo.is_empty() {
            String::new()
        } else {
            format!("{algo}:")
        };
        return format!("{repo}@{algo}{}", prefix(hex, 12));
    }
    match name.rsplit_once(':') {
        Some((repo, tag)) => format!("{repo}:{}", prefix(tag, 12)),
        None => name.to_owned(),
    }
}

fn prefix(s: &str, n: usize) -> &str {
    s.char_indices().nth(n).map_or(s, |(i, _)| &s[..i])
}

#[cfg(test)]
#[path = "policy_tests.rs"]
mod tests;
