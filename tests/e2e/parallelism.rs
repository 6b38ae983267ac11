//! Independent stages run at the same time, up to `--parallel`.

use crate::support::Scratch;

fn two_independent_sleepers(s: &Scratch) {
    s.write("Dockerfile", "FROM seamless/busybox\n");
    let mut toml = String::from(
        "version = 1\npipeline = \"par\"\n\n[[service]]\nname = \"svc\"\n[service.commands]\nnap = \"sleep 1\"\n\n",
    );
    for name in ["left", "right"] {
        toml.push_str(&format!(
            "[[stage]]\nname = \"{name}\"\nuses = \"builtin:command\"\n[stage.grants]\ncontainers = true\n[stage.with]\ncommand = \"nap\"\n\n"
        ));
    }
    s.write("seamless.toml", &toml);
}

/// Whether the two stages' [started, finished] intervals overlap.
fn overlapped(s: &Scratch, run_id: &str) -> bool {
    let stages = s.stages(run_id);
    let (a, b) = (&stages[0], &stages[1]);
    let (a0, a1) = (a.started_at.unwrap(), a.finished_at.unwrap());
    let (b0, b1) = (b.started_at.unwrap(), b.finished_at.unwrap());
    a0 < b1 && b0 < a1
}

#[test]
fn independent_stages_run_in_parallel_within_the_bound() {
    let s = Scratch::empty();
    two_independent_sleepers(&s);
    let run = s.run(&["--host", "local", "--parallel", "2"]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(overlapped(&s, &run.run_id()), "stages did not overlap");

    let serial = s.run(&["--host", "local", "--parallel", "1"]);
    assert_eq!(serial.code, 0, "{}", serial.all());
    assert!(
        !overlapped(&s, &serial.run_id()),
        "stages overlapped with --parallel 1"
    );
}
