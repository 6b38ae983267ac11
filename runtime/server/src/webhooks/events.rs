//! Reads GitHub event payloads (`ping`, `push`, `pull_request`) into what the server
//! does with them.

use seamless_core::commit::Commit;
use serde_json::Value;

use super::trigger::{TriggerRequest, WebhookTrigger};

/// What a delivery asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    /// GitHub checking the hook.
    Ping,
    /// A run to queue.
    Trigger(Box<TriggerRequest>),
    /// Nothing to do, and why.
    Ignored(String),
}

/// Why a payload was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PayloadError {
    /// The body is not JSON.
    #[error("the payload is not valid JSON: {0}")]
    Json(String),
    /// A field the event needs is absent or of the wrong type.
    #[error("field `{field}` is missing or not {expected}")]
    Missing {
        /// The field's path, dotted.
        field: String,
        /// The type the field should have.
        expected: &'static str,
    },
    /// A field holds a value that cannot be used.
    #[error("field `{field}` is invalid: {reason}")]
    Invalid {
        /// The field's path, dotted.
        field: String,
        /// What is wrong with it.
        reason: &'static str,
    },
}

/// The `after` of a push that deleted its branch (and the `before` of one that
/// created it).
const ZERO_SHA: &str = "0000000000000000000000000000000000000000";

/// The pull request actions that start a run.
const PR_ACTIONS: [&str; 3] = ["opened", "synchronize", "reopened"];

/// Reads the payload of event `event` (the `X-GitHub-Event` header).
pub fn parse(event: &str, delivery_id: &str, body: &[u8]) -> Result<Parsed, PayloadError> {
    let payload: Value =
        serde_json::from_slice(body).map_err(|e| PayloadError::Json(e.to_string()))?;
    if !payload.is_object() {
        return Err(PayloadError::Json(
            "the payload is not a JSON object".into(),
        ));
    }
    match event {
        "ping" => Ok(Parsed::Ping),
        "push" => push(&payload, delivery_id),
        "pull_request" => pull_request(&payload, delivery_id),
        other => Ok(Parsed::Ignored(format!("event '{other}' is not handled"))),
    }
}

fn push(payload: &Value, delivery_id: &str) -> Result<Parsed, PayloadError> {
    let git_ref = string(payload, "ref")?;
    let after = string(payload, "after")?;
    let deleted = payload.get("deleted").and_then(Value::as_bool) == Some(true);
    if deleted || (!after.is_empty() && after.bytes().all(|b| b == b'0')) {
        return Ok(Parsed::Ignored(format!("push deleted {git_ref}")));
    }
    let Some(branch) = git_ref.strip_prefix("refs/heads/") else {
        return Ok(Parsed::Ignored(format!(
            "push to {git_ref}, which is not a branch"
        )));
    };
    let before = string(payload, "before")?;
    let request = TriggerRequest {
        trigger: WebhookTrigger::Push,
        repository: string(payload, "repository.full_name")?.to_string(),
        clone_url: clone_url(payload)?,
        branch: branch_name("ref", branch)?,
        commit_sha: commit_sha("after", after)?,
        base_sha: if before == ZERO_SHA {
            None
        } else {
            Some(commit_sha("before", before)?)
        },
        base_branch: None,
        default_branch: default_branch(payload),
        pull_request: None,
        delivery_id: delivery_id.to_string(),
        pipeline: None,
    };
    Ok(Parsed::Trigger(Box::new(request)))
}

fn pull_request(payload: &Value, delivery_id: &str) -> Result<Parsed, PayloadError> {
    let action = string(payload, "action")?;
    if !PR_ACTIONS.contains(&action) {
        return Ok(Parsed::Ignored(format!(
            "pull_request action '{action}' is not handled"
        )));
    }
    let number = at(payload, "number")
        .and_then(Value::as_u64)
        .ok_or_else(|| missing("number", "a positive integer"))?;
    let request = TriggerRequest {
        trigger: WebhookTrigger::PullRequest,
        repository: string(payload, "repository.full_name")?.to_string(),
        clone_url: clone_url(payload)?,
        branch: branch_name(
            "pull_request.head.ref",
            string(payload, "pull_request.head.ref")?,
        )?,
        commit_sha: commit_sha(
            "pull_request.head.sha",
            string(payload, "pull_request.head.sha")?,
        )?,
        base_sha: Some(commit_sha(
            "pull_request.base.sha",
            string(payload, "pull_request.base.sha")?,
        )?),
        base_branch: Some(branch_name(
            "pull_request.base.ref",
            string(payload, "pull_request.base.ref")?,
        )?),
        default_branch: default_branch(payload),
        pull_request: Some(number),
        delivery_id: delivery_id.to_string(),
        pipeline: None,
    };
    Ok(Parsed::Trigger(Box::new(request)))
}

fn at<'a>(payload: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(payload, |v, key| v.get(key))
}

fn missing(field: &str, expected: &'static str) -> PayloadError {
    PayloadError::Missing {
        field: field.to_string(),
        expected,
    }
}

fn invalid(field: &str, reason: &'static str) -> PayloadError {
    PayloadError::Invalid {
        field: field.to_string(),
        reason,
    }
}

fn string<'a>(payload: &'a Value, path: &str) -> Result<&'a str, PayloadError> {
    at(payload, path)
        .and_then(Value::as_str)
        .ok_or_else(|| missing(path, "a string"))
}

fn clone_url(payload: &Value) -> Result<String, PayloadError> {
    let field = "repository.clone_url";
    let url = string(payload, field)?;
    if url.is_empty() || url.starts_with('-') || url.chars().any(char::is_control) {
        return Err(invalid(field, "not a clone URL"));
    }
    Ok(url.to_string())
}

fn default_branch(payload: &Value) -> Option<String> {
    at(payload, "repository.default_branch")
        .and_then(Value::as_str)
        .filter(|b| is_branch_name(b))
        .map(str::to_string)
}

fn commit_sha(field: &str, sha: &str) -> Result<Commit, PayloadError> {
    Commit::git(sha).map_err(|_| invalid(field, "not a commit sha (40 or 64 hex digits)"))
}

fn branch_name(field: &str, name: &str) -> Result<String, PayloadError> {
    if is_branch_name(name) {
        Ok(name.to_string())
    } else {
        Err(invalid(field, "not a valid branch name"))
    }
}

/// A conservative form of `git check-ref-format --branch`: the name is later handed to
/// git and used in paths, so anything git would refuse is refused here.
pub(crate) fn is_branch_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 255
        && !name.starts_with(['-', '/', '.'])
        && !name.ends_with(['/', '.'])
        && !name.ends_with(".lock")
        && !name.contains("..")
        && !name.contains("//")
        && !name.contains("@{")
        && !name.contains("/.")
        && name != "@"
        && !name
            .chars()
            .any(|c| c.is_control() || matches!(c, ' ' | '~' | '^' | ':' | '?' | '*' | '[' | '\\'))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    const PUSH: &str = include_str!("../../tests/fixtures/push.json");
    const PR_OPENED: &str = include_str!("../../tests/fixtures/pull_request_opened.json");
    const PING: &str = include_str!("../../tests/fixtures/ping.json");
    const ISSUES: &str = include_str!("../../tests/fixtures/issues.json");

    fn trigger(parsed: Parsed) -> TriggerRequest {
        match parsed {
            Parsed::Trigger(request) => *request,
            other => panic!("expected a trigger, got {other:?}"),
        }
    }

    fn edited(fixture: &str, edit: impl FnOnce(&mut Value)) -> Vec<u8> {
        let mut v: Value = serde_json::from_str(fixture).unwrap();
        edit(&mut v);
        serde_json::to_vec(&v).unwrap()
    }

    #[test]
    fn a_push_to_a_branch_is_a_trigger() {
        let request = trigger(parse("push", "d1", PUSH.as_bytes()).unwrap());
        assert_eq!(request.trigger, WebhookTrigger::Push);
        assert_eq!(request.repository, "octo-org/shop");
        assert_eq!(request.clone_url, "https://github.com/octo-org/shop.git");
        assert_eq!(request.branch, "main");
        assert_eq!(
            request.commit_sha,
            "9c2f1a7e0b3d4c5e6f708192a3b4c5d6e7f80912"
        );
        assert_eq!(
            request.base_sha.as_ref().map(Commit::as_str),
            Some("4e1d0c9b8a7f6e5d4c3b2a1908f7e6d5c4b3a291")
        );
        assert_eq!(request.default_branch.as_deref(), Some("main"));
        assert_eq!(request.pull_request, None);
        assert_eq!(request.delivery_id, "d1");
    }

    #[test]
    fn a_push_that_creates_a_branch_has_no_base() {
        let body = edited(PUSH, |v| {
            v["before"] = ZERO_SHA.into();
            v["created"] = true.into();
        });
        assert_eq!(trigger(parse("push", "d", &body).unwrap()).base_sha, None);
    }

    #[test]
    fn deletions_and_tag_pushes_are_ignored() {
        let deleted = edited(PUSH, |v| {
            v["after"] = ZERO_SHA.into();
            v["deleted"] = true.into();
        });
        assert!(
            matches!(parse("push", "d", &deleted).unwrap(), Parsed::Ignored(r) if r.contains("deleted"))
        );
        let tag = edited(PUSH, |v| v["ref"] = "refs/tags/v1.2.0".into());
        assert!(
            matches!(parse("push", "d", &tag).unwrap(), Parsed::Ignored(r) if r.contains("refs/tags/v1.2.0"))
        );
    }

    #[test]
    fn an_opened_pull_request_is_a_trigger() {
        let request = trigger(parse("pull_request", "d2", PR_OPENED.as_bytes()).unwrap());
        assert_eq!(request.trigger, WebhookTrigger::PullRequest);
        assert_eq!(request.pull_request, Some(42));
        assert_eq!(request.branch, "feature/cart-totals");
        assert_eq!(
            request.commit_sha,
            "b7e3a9c1d2f4058e6a7b8c9d0e1f2a3b4c5d6e7f"
        );
        assert_eq!(
            request.base_sha.as_ref().map(Commit::as_str),
            Some("9c2f1a7e0b3d4c5e6f708192a3b4c5d6e7f80912")
        );
        assert_eq!(request.base_branch.as_deref(), Some("main"));
        assert_eq!(request.clone_url, "https://github.com/octo-org/shop.git");
    }

    #[test]
    fn synchronize_and_reopened_trigger_and_other_actions_are_ignored() {
        for action in ["synchronize", "reopened"] {
            let body = edited(PR_OPENED, |v| v["action"] = action.into());
            trigger(parse("pull_request", "d", &body).unwrap());
        }
        for action in ["closed", "labeled", "edited"] {
            let body = edited(PR_OPENED, |v| v["action"] = action.into());
            assert!(
                matches!(parse("pull_request", "d", &body).unwrap(), Parsed::Ignored(r) if r.contains(action))
            );
        }
    }

    #[test]
    fn ping_and_other_events() {
        assert_eq!(parse("ping", "d", PING.as_bytes()).unwrap(), Parsed::Ping);
        assert!(
            matches!(parse("issues", "d", ISSUES.as_bytes()).unwrap(), Parsed::Ignored(r) if r.contains("'issues'"))
        );
    }

    #[test]
    fn errors_name_the_field() {
        let body = edited(PR_OPENED, |v| {
            v["pull_request"]["head"]
                .as_object_mut()
                .unwrap()
                .remove("sha");
        });
        let err = parse("pull_request", "d", &body).unwrap_err();
        assert_eq!(
            err,
            PayloadError::Missing {
                field: "pull_request.head.sha".into(),
                expected: "a string"
            }
        );
        assert!(err.to_string().contains("`pull_request.head.sha`"));

        let body = edited(PUSH, |v| v["repository"]["clone_url"] = 7.into());
        assert!(
            parse("push", "d", &body)
                .unwrap_err()
                .to_string()
                .contains("repository.clone_url")
        );

        let body = edited(PUSH, |v| v["after"] = "--upload-pack=evil".into());
        assert!(
            matches!(parse("push", "d", &body), Err(PayloadError::Invalid { field, .. }) if field == "after")
        );

        let body = edited(PUSH, |v| v["ref"] = "refs/heads/-x".into());
        assert!(
            matches!(parse("push", "d", &body), Err(PayloadError::Invalid { field, .. }) if field == "ref")
        );

        assert!(matches!(
            parse("push", "d", b"{\"ref\":"),
            Err(PayloadError::Json(_))
        ));
        assert!(matches!(
            parse("ping", "d", b"[1]"),
            Err(PayloadError::Json(_))
        ));
    }

    #[test]
    fn branch_names_follow_gits_rules() {
        for good in ["main", "feature/cart-totals", "release-1.2", "user@x"] {
            assert!(is_branch_name(good), "{good}");
        }
        for bad in [
            "", "-x", "/x", "x/", "x.lock", "a..b", "a b", "a~1", "a^", "a:b", "a?", "a*", "a[",
            "a\\b", "@", "a@{1}", ".hidden", "a/.b", "a//b", "x.",
        ] {
            assert!(!is_branch_name(bad), "{bad:?}");
        }
    }
}
