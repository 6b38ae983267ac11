#![allow(clippy::unwrap_used)]

use super::*;
use serde_json::Value;

/// The policy's statements: (actions, resources).
fn statements() -> Vec<(Vec<String>, Vec<String>)> {
    let text = include_str!("../../iam-policy.json");
    let policy: Value = serde_json::from_str(text).unwrap();
    assert_eq!(policy["Version"], "2012-10-17");
    let strings = |v: &Value| -> Vec<String> {
        match v {
            Value::String(s) => vec![s.clone()],
            Value::Array(items) => items
                .iter()
                .map(|i| i.as_str().unwrap().to_owned())
                .collect(),
            other => panic!("not a string or a list: {other}"),
        }
    };
    policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            assert_eq!(s["Effect"], "Allow", "{s}");
            (strings(&s["Action"]), strings(&s["Resource"]))
        })
        .collect()
}

#[test]
fn the_policy_allows_every_action_the_host_calls_and_nothing_else() {
    let statements = statements();
    let allowed: Vec<&String> = statements.iter().flat_map(|(a, _)| a).collect();
    for action in Action::ALL {
        let count = allowed.iter().filter(|a| **a == action.iam_name()).count();
        assert_eq!(
            count, 1,
            "{action} is allowed {count} times in iam-policy.json"
        );
    }
    for name in &allowed {
        assert!(
            !name.contains('*'),
            "{name}: no wildcard actions in iam-policy.json"
        );
        assert!(
            Action::ALL.iter().any(|a| a.iam_name() == name.as_str()),
            "{name} is allowed but the host never calls it"
        );
    }
}

#[test]
fn only_actions_iam_cannot_scope_get_every_resource() {
    for (actions, resources) in statements() {
        let unscoped = resources.iter().any(|r| r == "*");
        for name in &actions {
            let action = Action::ALL
                .into_iter()
                .find(|a| a.iam_name() == name)
                .unwrap();
            assert_eq!(
                unscoped,
                !action.has_resource_scope(),
                "{name}: resources {resources:?}"
            );
        }
        if !unscoped {
            for resource in &resources {
                assert!(resource.starts_with("arn:${Partition}:"), "{resource}");
            }
        }
    }
}

#[test]
fn pass_role_names_only_the_two_roles() {
    let statements = statements();
    let (_, resources) = statements
        .iter()
        .find(|(actions, _)| actions.iter().any(|a| a == "iam:PassRole"))
        .unwrap();
    assert_eq!(
        resources,
        &[
            "arn:${Partition}:iam::${Account}:role/${ExecutionRole}",
            "arn:${Partition}:iam::${Account}:role/${TaskRole}",
        ]
    );
}
