//! Pipeline-wide settings: `[registry]`, `[triggers]`, `[workspaces]`, `[approval]` and
//! `[plugins]`.

use std::time::Duration;

use toml::Spanned;

use super::super::duration::parse_duration;
use super::super::error::ConfigError;
use super::super::location::Source;
use super::super::model::{MergeMethod, PluginTrust, Triggers};
use super::super::schema::{
    RawApproval, RawPlugins, RawRegistry, RawTrigger, RawTriggers, RawWorkspaces,
};

/// Default number of run workspaces kept.
pub(crate) const DEFAULT_WORKSPACES_KEEP: u32 = 20;
/// Default approval expiry: 7 days.
pub(crate) const DEFAULT_APPROVAL_EXPIRES: Duration = Duration::from_secs(7 * 24 * 60 * 60);
/// Longest approval expiry: 90 days.
const MAX_APPROVAL_EXPIRES: Duration = Duration::from_secs(90 * 24 * 60 * 60);

/// The registry URL, such as `127.0.0.1:5001/shop`.
pub(crate) fn registry(
    raw: Option<&Spanned<RawRegistry>>,
    source: Source<'_>,
    errors: &mut Vec<ConfigError>,
) -> Option<String> {
    let url = &raw?.get_ref().url;
    let value = url.get_ref().trim().trim_end_matches('/');
    if !valid_registry_url(value) {
        errors.push(source.error(
            url.span(),
            format!(
                "invalid registry url \"{}\"; give a registry host and optional path without a \
                 scheme, in lower case, like \"127.0.0.1:5001/shop\" or \"ghcr.io/acme\"",
                url.get_ref()
            ),
        ));
        return None;
    }
    Some(value.to_string())
}

/// Whether `value` names a registry and path the way `[registry] url` must: no
/// scheme, no whitespace, lower case (the one rule, also for `[hosts.ecs]`).
pub(crate) fn valid_registry_url(value: &str) -> bool {
    !value.is_empty()
        && !value.contains("://")
        && !value.contains(char::is_whitespace)
        && !value.chars().any(|c| c.is_ascii_uppercase())
}

/// `[triggers]`; `until` names are checked later, against the stages.
pub(crate) fn triggers(
    raw: Option<&Spanned<RawTriggers>>,
    source: Source<'_>,
    errors: &mut Vec<ConfigError>,
) -> Triggers {
    let mut triggers = Triggers::default();
    let Some(raw) = raw.map(Spanned::get_ref) else {
        return triggers;
    };
    if let Some(branch) = &raw.default_branch {
        if valid_branch(branch.get_ref()) {
            triggers.default_branch = branch.get_ref().clone();
        } else {
            errors.push(branch_error(branch, source));
        }
    }
    let until = |trigger: &Option<Spanned<RawTrigger>>| {
        trigger
            .as_ref()
            .and_then(|t| t.get_ref().until.as_ref())
            .map(|u| u.get_ref().clone())
    };
    triggers.pull_request_until = until(&raw.pull_request);
    triggers.push_until = until(&raw.push);
    triggers.manual_until = until(&raw.manual);
    for (name, trigger) in [("pull-request", &raw.pull_request), ("manual", &raw.manual)] {
        if let Some(first) = trigger
            .as_ref()
            .and_then(|t| t.get_ref().branches.as_ref())
            .and_then(|b| b.first())
        {
            errors.push(source.error(
                first.span(),
                format!(
                    "`branches` is only read under [triggers.push]; remove it from \
                     [triggers.{name}]"
                ),
            ));
        }
    }
    for (name, trigger) in [("push", &raw.push), ("manual", &raw.manual)] {
        let Some(trigger) = trigger.as_ref().map(Spanned::get_ref) else {
            continue;
        };
        let spans = [
            ("auto-merge", trigger.auto_merge.as_ref().map(Spanned::span)),
            (
                "merge-method",
                trigger.merge_method.as_ref().map(Spanned::span),
            ),
        ];
        for (key, span) in spans {
            if let Some(span) = span {
                errors.push(source.error(
                    span,
                    format!(
                        "`{key}` is only read under [triggers.pull-request]; remove it from \
                         [triggers.{name}]"
                    ),
                ));
            }
        }
    }
    if let Some(pull_request) = raw.pull_request.as_ref().map(Spanned::get_ref) {
        triggers.pull_request_auto_merge = pull_request
            .auto_merge
            .as_ref()
            .is_some_and(|a| *a.get_ref());
        if let Some(method) = &pull_request.merge_method {
            match MergeMethod::parse(method.get_ref()) {
                Some(m) => triggers.pull_request_merge_method = m,
                None => errors.push(source.error(
                    method.span(),
                    format!(
                        "unknown merge-method = \"{}\"; expected \"merge\", \"squash\" or \
                         \"rebase\"",
                        method.get_ref()
                    ),
                )),
            }
        }
    }
    triggers.push_branches = match raw
        .push
        .as_ref()
        .and_then(|t| t.get_ref().branches.as_ref())
    {
        Some(branches) => {
            let mut list = Vec::new();
            for branch in branches {
                if valid_branch(branch.get_ref()) {
                    list.push(branch.get_ref().clone());
                } else {
                    errors.push(branch_error(branch, source));
                }
            }
            list
        }
        None => vec![triggers.default_branch.clone()],
    };
    triggers
}

/// `until` values of `[triggers]` with their spans, to check against the stages.
pub(crate) fn until_values(raw: Option<&Spanned<RawTriggers>>) -> Vec<&Spanned<String>> {
    let Some(raw) = raw.map(Spanned::get_ref) else {
        return Vec::new();
    };
    [&raw.push, &raw.pull_request, &raw.manual]
        .into_iter()
        .filter_map(|t| t.as_ref().and_then(|t| t.get_ref().until.as_ref()))
        .collect()
}

fn valid_branch(name: &str) -> bool {
    !name.is_empty()
        && !name.contains(char::is_whitespace)
        && !name.contains("..")
        && !name.starts_with('-')
        && !name.ends_with('/')
}

fn branch_error(branch: &Spanned<String>, source: Source<'_>) -> ConfigError {
    source.error(
        branch.span(),
        format!(
            "invalid branch name \"{}\"; give a git branch name such as \"main\"",
            branch.get_ref()
        ),
    )
}

/// `[workspaces] keep`.
pub(crate) fn workspaces_keep(
    raw: Option<&Spanned<RawWorkspaces>>,
    source: Source<'_>,
    errors: &mut Vec<ConfigError>,
) -> u32 {
    let Some(keep) = raw.and_then(|w| w.get_ref().keep.as_ref()) else {
        return DEFAULT_WORKSPACES_KEEP;
    };
    match u32::try_from(*keep.get_ref()) {
        Ok(n) if (1..=10_000).contains(&n) => n,
        _ => {
            errors.push(source.error(
                keep.span(),
                format!(
                    "workspaces keep = {} is out of range; expected 1 to 10000 (run workspaces kept)",
                    keep.get_ref()
                ),
            ));
            DEFAULT_WORKSPACES_KEEP
        }
    }
}

/// `[approval] expires`.
pub(crate) fn approval_expires(
    raw: Option<&Spanned<RawApproval>>,
    source: Source<'_>,
    errors: &mut Vec<ConfigError>,
) -> Duration {
    let Some(expires) = raw.and_then(|a| a.get_ref().expires.as_ref()) else {
        return DEFAULT_APPROVAL_EXPIRES;
    };
    match parse_duration(expires.get_ref()) {
        Ok(d) if d > Duration::ZERO && d <= MAX_APPROVAL_EXPIRES => d,
        Ok(_) => {
            errors.push(source.error(
                expires.span(),
                format!(
                    "approval expires \"{}\" is out of range; expected more than zero and at most 90 days (\"2160h\")",
                    expires.get_ref()
                ),
            ));
            DEFAULT_APPROVAL_EXPIRES
        }
        Err(error) => {
            errors.push(source.error(expires.span(), format!("expires: {error}")));
            DEFAULT_APPROVAL_EXPIRES
        }
    }
}

/// `[plugins]`: whether bundles must be signed, and by which keys.
pub(crate) fn plugins(
    raw: Option<&Spanned<RawPlugins>>,
    source: Source<'_>,
    errors: &mut Vec<ConfigError>,
) -> PluginTrust {
    let Some(raw) = raw else {
        return PluginTrust::default();
    };
    let line = source.line(raw.span());
    let raw = raw.get_ref();
    let mut trust = PluginTrust {
        line: Some(line),
        ..PluginTrust::default()
    };
    for key in &raw.trusted_keys {
        let text = key.get_ref().trim();
        let hex = text.strip_prefix("seamless-ed25519 ").map(str::trim);
        if hex.is_some_and(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit())) {
            trust.trusted_keys.push(text.to_string());
        } else {
            errors.push(source.error(
                key.span(),
                "invalid trusted key; give a public key as `seamless plugin keygen` prints it: \
                 \"seamless-ed25519 \" followed by 64 hex digits",
            ));
        }
    }
    if let Some(require) = &raw.require_signatures {
        trust.require_signatures = *require.get_ref();
        if trust.require_signatures && raw.trusted_keys.is_empty() {
            errors.push(source.error(
                require.span(),
                "require-signatures = true needs at least one key in `trusted-keys = [...]`; \
                 add the public key that signs your plugins (`seamless plugin keygen` prints it)",
            ));
        }
    }
    trust
}
