//! The scheduling keys of a `[[stage]]`: `scope`, `when`, `environment`, `retries` and
//! `retry-backoff`, plus the checks that tie them to `needs`.

use std::time::Duration;

use toml::Spanned;

use super::super::duration::parse_duration;
use super::super::error::ConfigError;
use super::super::location::Source;
use super::super::model::{RetryPolicy, Scope, When};
use super::super::schema::RawStage;
use super::check_name;

/// Most retries a stage may ask for.
const MAX_RETRIES: u32 = 10;
/// Longest first retry backoff.
const MAX_BACKOFF: Duration = Duration::from_secs(60 * 60);

/// The checked scheduling keys of one stage.
pub(crate) struct StageOptions {
    pub scope: Scope,
    pub when: When,
    pub environment: Option<String>,
    pub retry: RetryPolicy,
}

/// Checks the scheduling keys of `stage`.
pub(crate) fn stage_options(
    stage: &RawStage,
    source: Source<'_>,
    errors: &mut Vec<ConfigError>,
) -> StageOptions {
    let name = stage.name.get_ref();
    let when = match stage.when.as_ref() {
        None => When::Success,
        Some(w) => match w.get_ref().as_str() {
            "success" => When::Success,
            "run-start" => When::RunStart,
            "run-end" => When::RunEnd,
            other => {
                errors.push(source.error(
                    w.span(),
                    format!(
                        "unknown when = \"{other}\"; expected \"success\" (after what it needs \
                         succeeded), \"run-start\" or \"run-end\""
                    ),
                ));
                When::Success
            }
        },
    };
    let scope = match stage.scope.as_ref() {
        None if when == When::Success => Scope::Service,
        None => Scope::Run,
        Some(s) => match s.get_ref().as_str() {
            "service" if when != When::Success => {
                errors.push(source.error(
                    s.span(),
                    format!(
                        "stage '{name}' runs at run-start or run-end, so it runs once per run; \
                         remove `scope` or set `scope = \"run\"`"
                    ),
                ));
                Scope::Run
            }
            "service" => Scope::Service,
            "run" => Scope::Run,
            other => {
                errors.push(source.error(
                    s.span(),
                    format!(
                        "unknown scope = \"{other}\"; expected \"service\" (once per service) \
                         or \"run\" (once per run)"
                    ),
                ));
                Scope::Service
            }
        },
    };
    if when != When::Success
        && let Some(first) = stage.needs.first()
    {
        errors.push(source.error(
            first.span(),
            format!(
                "stage '{name}' runs at {} and cannot have `needs`; remove them",
                if when == When::RunStart {
                    "run-start"
                } else {
                    "run-end (after every other stage)"
                }
            ),
        ));
    }
    let environment =
        stage
            .environment
            .as_ref()
            .and_then(|e| match check_name("environment", e.get_ref()) {
                Ok(()) => Some(e.get_ref().clone()),
                Err(message) => {
                    errors.push(source.error(e.span(), message));
                    None
                }
            });
    if let (Some(env), Scope::Run) = (&stage.environment, scope) {
        errors.push(source.error(
            env.span(),
            format!(
                "stage '{name}' runs once per run, but `environment` picks each service's \
                 target; remove `environment` or the run scope"
            ),
        ));
    }
    StageOptions {
        scope,
        when,
        environment,
        retry: retry(stage, source, errors),
    }
}

fn retry(stage: &RawStage, source: Source<'_>, errors: &mut Vec<ConfigError>) -> RetryPolicy {
    let mut policy = RetryPolicy::default();
    if let Some(retries) = &stage.retries {
        match u32::try_from(*retries.get_ref()) {
            Ok(n) if n <= MAX_RETRIES => policy.retries = n,
            _ => errors.push(source.error(
                retries.span(),
                format!(
                    "retries = {} is out of range; expected 0 to {MAX_RETRIES}",
                    retries.get_ref()
                ),
            )),
        }
    }
    if let Some(backoff) = &stage.retry_backoff {
        match parse_duration(backoff.get_ref()) {
            Ok(d) if d <= MAX_BACKOFF => policy.backoff = d,
            Ok(_) => errors.push(source.error(
                backoff.span(),
                format!(
                    "retry-backoff \"{}\" is longer than the maximum of 1h",
                    backoff.get_ref()
                ),
            )),
            Err(error) => {
                errors.push(source.error(backoff.span(), format!("retry-backoff: {error}")))
            }
        }
    }
    policy
}

/// Errors for stages that need a stage which runs at run-start or run-end.
pub(crate) fn check_needs_on_hooks(
    raw: &[RawStage],
    when_of: &dyn Fn(&str) -> Option<When>,
    source: Source<'_>,
    errors: &mut Vec<ConfigError>,
) {
    for stage in raw {
        for need in &stage.needs {
            if matches!(when_of(need.get_ref()), Some(When::RunStart | When::RunEnd)) {
                errors.push(source.error(
                    need.span(),
                    format!(
                        "stage '{}' needs '{}', which runs at run-start or run-end; \
                         nothing can wait for it, remove it from `needs`",
                        stage.name.get_ref(),
                        need.get_ref()
                    ),
                ));
            }
        }
    }
}

/// Checks that each `until` of `[triggers]` names a stage.
pub(crate) fn check_until(
    until: &[&Spanned<String>],
    defined: &[&str],
    source: Source<'_>,
    errors: &mut Vec<ConfigError>,
) {
    for value in until {
        if !defined.contains(&value.get_ref().as_str()) {
            errors.push(source.error(
                value.span(),
                format!(
                    "`until` names stage '{}', but no stage has that name; defined stages are: {}",
                    value.get_ref(),
                    defined.join(", ")
                ),
            ));
        }
    }
}
