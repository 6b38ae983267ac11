//! Compose health checks, durations and ports, mapped to what the contract takes.

use std::time::Duration;

use docker_compose_types::{Healthcheck as ComposeCheck, HealthcheckTest, Ports, Service};
use seamless_sdk::containers::Healthcheck;

/// Parses a Compose duration: `2s`, `500ms`, `1m30s`, `1h`, `2.5s`, `10us`.
pub fn parse_duration(raw: &str) -> Result<Duration, String> {
    let bad = || format!("`{raw}` is not a duration such as `2s`, `500ms` or `1m30s`");
    let mut rest = raw.trim();
    if rest.is_empty() {
        return Err(bad());
    }
    let mut total = 0f64;
    while !rest.is_empty() {
        let number_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(bad)?;
        let value: f64 = rest[..number_end].parse().map_err(|_| bad())?;
        rest = &rest[number_end..];
        let unit_end = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let seconds = match &rest[..unit_end] {
            "h" => 3600.0,
            "m" => 60.0,
            "s" => 1.0,
            "ms" => 1e-3,
            "us" | "µs" => 1e-6,
            _ => return Err(bad()),
        };
        total += value * seconds;
        rest = &rest[unit_end..];
    }
    Duration::try_from_secs_f64(total).map_err(|_| bad())
}

/// The contract's health check for a Compose one: `CMD` runs its arguments, and
/// `CMD-SHELL` (or a plain string) runs through `sh -c`. `None` when there is none,
/// it is disabled, or it says `NONE`. Unset times take Docker's defaults.
pub fn healthcheck(check: &ComposeCheck) -> Result<Option<Healthcheck>, String> {
    if check.disable {
        return Ok(None);
    }
    let command: Vec<String> = match &check.test {
        None => return Ok(None),
        Some(HealthcheckTest::Single(line)) => vec!["sh".into(), "-c".into(), line.clone()],
        Some(HealthcheckTest::Multiple(words)) => match words.split_first() {
            Some((kind, args)) if kind == "CMD" && !args.is_empty() => args.to_vec(),
            Some((kind, args)) if kind == "CMD-SHELL" && !args.is_empty() => {
                vec!["sh".into(), "-c".into(), args.join(" ")]
            }
            Some((kind, _)) if kind == "NONE" => return Ok(None),
            _ => {
                return Err(format!(
                    "healthcheck test {words:?} must start with CMD, CMD-SHELL or NONE"
                ));
            }
        },
    };
    let mut out = Healthcheck::new(command);
    if let Some(d) = &check.interval {
        out = out.interval(parse_duration(d)?);
    }
    if let Some(d) = &check.timeout {
        out = out.timeout(parse_duration(d)?);
    }
    if let Some(d) = &check.start_period {
        out = out.start_period(parse_duration(d)?);
    }
    if check.retries > 0 {
        out = out.retries(u32::try_from(check.retries).unwrap_or(u32::MAX));
    }
    Ok(Some(out))
}

/// The first container port a service says it listens on: its first `expose`
/// entry, else its first `ports` entry (the container side).
pub fn first_port(service: &Service) -> Result<Option<u16>, String> {
    if let Some(first) = service.expose.first() {
        return container_port(first).map(Some);
    }
    match &service.ports {
        Ports::Short(list) => list.first().map(|p| container_port(p)).transpose(),
        Ports::Long(list) => Ok(list.first().map(|p| p.target)),
    }
}

/// The container port of `80`, `8080:80`, `127.0.0.1:8080:80/tcp` or `8000-8010`.
fn container_port(spec: &str) -> Result<u16, String> {
    let without_proto = spec.split('/').next().unwrap_or(spec);
    let container = without_proto.rsplit(':').next().unwrap_or(without_proto);
    let first = container.split('-').next().unwrap_or(container);
    first
        .trim()
        .parse()
        .map_err(|_| format!("`{spec}` is not a port"))
}

#[cfg(test)]
#[path = "health_tests.rs"]
mod tests;
