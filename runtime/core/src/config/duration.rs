//! Humane durations such as `"90s"`, `"5m"`, `"1h30m"` or `"500ms"`.
//!
//! A duration is one or more `<digits><unit>` parts with units `d`, `h`, `m`, `s`, `ms`, each
//! used at most once and from largest to smallest, with no spaces.

use std::time::Duration;

/// Why a duration string was rejected; the message says what is expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid duration \"{input}\": {reason}; {EXPECTED}")]
pub struct DurationError {
    /// The rejected text.
    pub input: String,
    /// What is wrong with it.
    pub reason: String,
}

const EXPECTED: &str = "use a number and a unit (d, h, m, s, ms), like \"90s\", \"5m\", \"1h30m\", \"7d\" or \"500ms\"";

/// Units from largest to smallest, with their length in milliseconds.
const UNITS: [(&str, u64); 5] = [
    ("d", 86_400_000),
    ("h", 3_600_000),
    ("m", 60_000),
    ("s", 1_000),
    ("ms", 1),
];

/// Parses a humane duration such as `"1h30m"`.
pub fn parse_duration(input: &str) -> Result<Duration, DurationError> {
    let fail = |reason: &str| DurationError {
        input: input.to_string(),
        reason: reason.to_string(),
    };
    if input.is_empty() {
        return Err(fail("it is empty"));
    }
    let mut rest = input;
    let mut total_ms: u64 = 0;
    // Index into UNITS of the last unit seen; the next one must come after it.
    let mut last_unit: Option<usize> = None;
    while !rest.is_empty() {
        let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        if digits == 0 {
            return Err(fail("expected a number"));
        }
        let (number, after) = rest.split_at(digits);
        let letters = after.len()
            - after
                .trim_start_matches(|c: char| c.is_ascii_alphabetic())
                .len();
        let (unit, after) = after.split_at(letters);
        if unit.is_empty() {
            return Err(fail(&format!("\"{number}\" has no unit")));
        }
        let Some(index) = UNITS.iter().position(|(name, _)| *name == unit) else {
            return Err(fail(&format!("unknown unit \"{unit}\"")));
        };
        if last_unit.is_some_and(|last| index <= last) {
            return Err(fail(
                "units must go from largest to smallest, each at most once",
            ));
        }
        last_unit = Some(index);
        let too_long = || fail("it is too long");
        let value: u64 = number.parse().map_err(|_| too_long())?;
        let part = value.checked_mul(UNITS[index].1).ok_or_else(too_long)?;
        total_ms = total_ms.checked_add(part).ok_or_else(too_long)?;
        rest = after;
    }
    Ok(Duration::from_millis(total_ms))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(input: &str) -> Duration {
        match parse_duration(input) {
            Ok(duration) => duration,
            Err(error) => panic!("{error}"),
        }
    }

    #[test]
    fn days_parse() {
        assert_eq!(ok("7d"), Duration::from_secs(7 * 86_400));
        assert_eq!(ok("1d12h"), Duration::from_secs(36 * 3_600));
    }

    #[test]
    fn single_units_parse() {
        assert_eq!(ok("90s"), Duration::from_secs(90));
        assert_eq!(ok("5m"), Duration::from_secs(300));
        assert_eq!(ok("1h"), Duration::from_secs(3600));
        assert_eq!(ok("500ms"), Duration::from_millis(500));
    }

    #[test]
    fn combined_units_add_up() {
        assert_eq!(ok("1h30m"), Duration::from_secs(5400));
        assert_eq!(ok("2m30s"), Duration::from_secs(150));
        assert_eq!(ok("1s250ms"), Duration::from_millis(1250));
    }

    #[test]
    fn zero_parses_as_zero() {
        assert_eq!(ok("0s"), Duration::ZERO);
    }

    #[test]
    fn empty_text_is_rejected() {
        assert!(parse_duration("").is_err());
    }

    #[test]
    fn bare_number_is_rejected_with_a_hint() {
        let error = parse_duration("30").err().map(|e| e.to_string());
        assert_eq!(
            error.as_deref(),
            Some(
                "invalid duration \"30\": \"30\" has no unit; use a number and a unit (d, h, m, s, ms), like \"90s\", \"5m\", \"1h30m\", \"7d\" or \"500ms\""
            )
        );
    }

    #[test]
    fn unknown_unit_is_rejected() {
        assert!(parse_duration("5w").is_err());
        assert!(parse_duration("5 m").is_err());
        assert!(parse_duration("5M").is_err());
    }

    #[test]
    fn units_out_of_order_or_repeated_are_rejected() {
        assert!(parse_duration("30m1h").is_err());
        assert!(parse_duration("1m1m").is_err());
    }

    #[test]
    fn unit_without_number_is_rejected() {
        assert!(parse_duration("m").is_err());
        assert!(parse_duration("1h m").is_err());
        assert!(parse_duration("-5m").is_err());
    }

    #[test]
    fn overflowing_duration_is_rejected() {
        assert!(parse_duration("99999999999999999999h").is_err());
        assert!(parse_duration("9999999999999999h").is_err());
    }
}
