#![allow(clippy::unwrap_used)]

use super::*;
use std::collections::BTreeMap;

/// A complete `[hosts.ecs]`, as the file would give it.
fn complete() -> EcsSettings {
    EcsSettings::new(Some(3))
        .with(EcsKey::Region, "eu-west-1")
        .with(EcsKey::Cluster, "seamless")
        .with(EcsKey::Subnets, "subnet-0123456789abcdef0")
        .with(
            EcsKey::ExecutionRole,
            "arn:aws:iam::123456789012:role/seamless-execution",
        )
        .with(EcsKey::LogGroup, "/seamless/stages")
        .with(EcsKey::FileSystem, "fs-0123456789abcdef0")
        .with(
            EcsKey::RepositoryPrefix,
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com/seamless/",
        )
}

fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: BTreeMap<String, String> = pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    move |k| map.get(k).cloned()
}

#[test]
fn every_fargate_pair_is_valid_and_its_neighbours_are_not() {
    for (cpu, (low, high, step)) in FARGATE_SIZES {
        let mut memory = low;
        while memory <= high {
            assert_eq!(check_task_size(cpu, memory), Ok(()), "{cpu}/{memory}");
            memory += step;
        }
        assert!(check_task_size(cpu, low - 1).is_err());
        assert!(check_task_size(cpu, high + step).is_err());
        assert!(check_task_size(cpu, low + step / 2).is_err());
    }
    let err = check_task_size(256, 4096).unwrap_err();
    assert!(
        err.contains("with 256 CPU units give 512 to 2048 MiB in steps of 512"),
        "{err}"
    );
    assert!(
        check_task_size(300, 1024)
            .unwrap_err()
            .contains("one of 256, 512")
    );
    assert_eq!(
        check_task_size(DEFAULT_TASK_SIZE.0, DEFAULT_TASK_SIZE.1),
        Ok(())
    );
}

#[test]
fn each_key_accepts_its_form_and_refuses_others() {
    let cases: &[(EcsKey, &[&str], &[&str])] = &[
        (
            EcsKey::Region,
            &["eu-west-1", "us-gov-west-1"],
            &["", "EU-WEST-1", "euwest1", "eu-west"],
        ),
        (
            EcsKey::Cluster,
            &[
                "seamless",
                "ci_2",
                "arn:aws:ecs:eu-west-1:123456789012:cluster/ci",
            ],
            &["", "a b", "arn:aws:ecs:eu-west-1:123456789012:service/x"],
        ),
        (
            EcsKey::Subnets,
            &["subnet-12345678", "subnet-0123456789abcdef0"],
            &["subnet-xyz12345", "sg-12345678", "subnet-1234"],
        ),
        (
            EcsKey::SecurityGroups,
            &["sg-0123456789abcdef0"],
            &["subnet-12345678", "sg-"],
        ),
        (EcsKey::AssignPublicIp, &["true", "false"], &["yes", "1"]),
        (
            EcsKey::ExecutionRole,
            &[
                "arn:aws:iam::123456789012:role/ecsTaskExecutionRole",
                "seamless-exec",
            ],
            &["arn:aws:iam::123456789012:user/bob", "a role"],
        ),
        (
            EcsKey::LogGroup,
            &["/seamless/stages", "ci.logs#1"],
            &["", "a b", "logs*"],
        ),
        (
            EcsKey::FileSystem,
            &["fs-0123456789abcdef0"],
            &["fs-XYZ", "efs-12345678"],
        ),
        (EcsKey::Cpu, &["256", "16384"], &["300", "0", "x"]),
        (EcsKey::MemoryMib, &["512", "122880"], &["0", "100", "x"]),
        (
            EcsKey::RepositoryPrefix,
            &[
                "123456789012.dkr.ecr.eu-west-1.amazonaws.com/ci",
                "127.0.0.1:5001/ci",
            ],
            &["https://x/y", "Upper/Case", ""],
        ),
        (
            EcsKey::BuilderImage,
            &["gcr.io/kaniko-project/executor:v1.23.2"],
            &["", "a b", "docker://x"],
        ),
    ];
    for (key, good, bad) in cases {
        for value in *good {
            assert_eq!(key.check(value), Ok(()), "{key} {value:?}");
        }
        for value in *bad {
            let err = key.check(value).unwrap_err();
            assert!(
                err.starts_with(&format!("invalid {key} \"{value}\"; expected ")),
                "{err}"
            );
        }
    }
}

#[test]
fn every_key_has_its_own_environment_variable() {
    let vars: std::collections::BTreeSet<String> =
        EcsKey::ALL.iter().map(|k| k.env_var()).collect();
    assert_eq!(vars.len(), EcsKey::ALL.len());
    assert_eq!(
        EcsKey::SecurityGroups.env_var(),
        "SEAMLESS_ECS_SECURITY_GROUPS"
    );
    assert_eq!(EcsKey::MemoryMib.env_var(), "SEAMLESS_ECS_MEMORY_MIB");
}

#[test]
fn a_complete_file_resolves_with_defaults_for_the_rest() {
    let options = complete().resolve(env(&[])).unwrap();
    assert_eq!(options.cluster, "seamless");
    assert_eq!((options.cpu, options.memory_mib), DEFAULT_TASK_SIZE);
    assert!(!options.assign_public_ip);
    assert_eq!(options.task_role, None);
    assert!(options.security_groups.is_empty());
    assert_eq!(options.builder_image, DEFAULT_BUILDER_IMAGE);
    assert_eq!(
        options.repository_prefix,
        "123456789012.dkr.ecr.eu-west-1.amazonaws.com/seamless"
    );
}

#[test]
fn the_environment_wins_over_the_file_and_is_checked_by_the_same_rule() {
    let options = complete()
        .resolve(env(&[
            ("SEAMLESS_ECS_CLUSTER", "prod"),
            ("SEAMLESS_ECS_SUBNETS", "subnet-11111111, subnet-22222222"),
            ("SEAMLESS_ECS_ASSIGN_PUBLIC_IP", "true"),
            ("SEAMLESS_ECS_CPU", "1024"),
            ("SEAMLESS_ECS_MEMORY_MIB", "4096"),
        ]))
        .unwrap();
    assert_eq!(options.cluster, "prod");
    assert_eq!(options.subnets, ["subnet-11111111", "subnet-22222222"]);
    assert!(options.assign_public_ip);
    assert_eq!((options.cpu, options.memory_mib), (1024, 4096));

    let problems = complete()
        .resolve(env(&[
            ("SEAMLESS_ECS_SUBNETS", "subnet-11111111,nope"),
            ("SEAMLESS_ECS_CPU", "2048"),
        ]))
        .unwrap_err();
    assert_eq!(
        problems,
        [
            "SEAMLESS_ECS_SUBNETS: invalid subnets \"nope\"; expected subnet ids such as \"subnet-0123456789abcdef0\"",
            "memory-mib = 1024 does not go with cpu = 2048 on Fargate; with 2048 CPU units give 4096 to 16384 MiB in steps of 1024",
        ]
    );
}

#[test]
fn every_missing_required_key_is_named_with_where_to_set_it() {
    let problems = EcsSettings::default().resolve(env(&[])).unwrap_err();
    let required: Vec<EcsKey> = EcsKey::ALL.into_iter().filter(|k| k.required()).collect();
    assert_eq!(problems.len(), required.len(), "{problems:#?}");
    for (key, problem) in required.iter().zip(&problems) {
        assert!(problem.contains(&format!("needs `{key}`")), "{problem}");
        assert!(problem.contains(&key.env_var()), "{problem}");
        assert!(problem.contains("in a [hosts.ecs] table"), "{problem}");
    }
    let mut partial = EcsSettings::new(Some(3));
    for key in EcsKey::ALL.into_iter().filter(|k| *k != EcsKey::Cluster) {
        if let Some(value) = complete().get(key) {
            partial = partial.with(key, value);
        }
    }
    let problems = partial.resolve(env(&[])).unwrap_err();
    assert_eq!(
        problems,
        [
            "the ECS host needs `cluster`: set `cluster = \"seamless\"` under [hosts.ecs] \
          (seamless.toml:3), or the environment variable SEAMLESS_ECS_CLUSTER"
        ]
    );
    // The environment can complete what the file leaves out.
    assert!(
        partial
            .resolve(env(&[("SEAMLESS_ECS_CLUSTER", "ci")]))
            .is_ok()
    );
}
