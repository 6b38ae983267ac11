//! The messages of stage failures that the runtime itself detects: memory cap and
//! time limit, each pointing at the `seamless.toml` line to change.

use crate::error::StageFailure;
use seamless_core::config::StageOrigin;
use std::time::Duration;

fn where_set(origin: &StageOrigin, line: Option<usize>) -> String {
    match line.or(origin.limits_line) {
        Some(l) => format!("{}:{l}", origin.file),
        None => format!("{}:{}", origin.file, origin.line),
    }
}

pub(crate) fn memory_failure(who: &str, origin: &StageOrigin, cap: u64) -> StageFailure {
    StageFailure::MemoryCap(format!(
        "{who} went past its memory cap of {} MiB and was stopped; raise `memory-mib` under [stage.limits] ({})",
        cap / (1024 * 1024),
        where_set(origin, origin.memory_line)
    ))
}

pub(crate) fn timeout_failure(who: &str, origin: &StageOrigin, limit: Duration) -> StageFailure {
    StageFailure::Timeout(format!(
        "{who} ran past its time limit of {} and was stopped; raise `timeout` under [stage.limits] ({})",
        human_duration(limit),
        where_set(origin, origin.timeout_line)
    ))
}

/// A duration as `seamless.toml` writes it: `90s`, `5m`, `1h`, `500ms`.
fn human_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if !ms.is_multiple_of(1000) {
        format!("{ms}ms")
    } else {
        let s = ms / 1000;
        if s.is_multiple_of(3600) && s > 0 {
            format!("{}h", s / 3600)
        } else if s.is_multiple_of(60) && s > 0 {
            format!("{}m", s / 60)
        } else {
            format!("{s}s")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::human_duration;
    use std::time::Duration;

    #[test]
    fn durations_print_the_way_seamless_toml_writes_them() {
        assert_eq!(human_duration(Duration::from_secs(1800)), "30m");
        assert_eq!(human_duration(Duration::from_secs(2)), "2s");
        assert_eq!(human_duration(Duration::from_secs(7200)), "2h");
        assert_eq!(human_duration(Duration::from_millis(1500)), "1500ms");
    }
}
