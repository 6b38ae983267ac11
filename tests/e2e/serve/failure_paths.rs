//! The server's fallback (issue 19): when it cannot tell which files a push changed (a
//! `before` commit its mirror never saw, as after a force-push; no `before` at all),
//! it runs every service, and its log says why.

use super::{Repo, two_services};
use crate::support::git;
use crate::support::wait_for;

const ZERO_SHA: &str = "0000000000000000000000000000000000000000";

impl Repo {
    /// The (service, stage) pairs of a run, sorted.
    fn instances(&self, run_id: &str) -> Vec<(String, String)> {
        let mut pairs: Vec<_> = self
            .scratch
            .stages(run_id)
            .into_iter()
            .map(|s| (s.service, s.stage))
            .collect();
        pairs.sort();
        pairs
    }

    /// Commits `text` to b/version.txt on main; the new head.
    fn commit_b(&self, text: &str, message: &str) -> String {
        self.scratch.write("b/version.txt", text);
        let origin = self.scratch.path();
        git(origin, &["commit", "-qam", message]);
        git(origin, &["rev-parse", "HEAD"])
    }
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[test]
fn a_push_whose_changes_cannot_be_listed_runs_every_service_and_says_why() {
    let repo = two_services();
    let server = repo.serve("serve");
    let every = pairs(&[("", "prepare"), ("a", "show"), ("b", "show")]);

    // The positive control: a push the mirror can compare runs the changed service only.
    let payload = repo.push("main", &repo.first, &repo.second);
    let (status, answer) = server.deliver("push", "compared", &payload);
    assert_eq!(status, 202, "{answer}");
    let run = repo.finished_run_of(&server, "compared");
    assert_eq!(run.status.as_str(), "success");
    assert_eq!(
        repo.instances(&run.id),
        pairs(&[("", "prepare"), ("b", "show")])
    );
    assert!(
        !server.log().contains("running every service"),
        "{}",
        server.log()
    );

    // A force-push: `before` is a commit that the push replaced and the mirror never
    // fetched, so it cannot be compared with `after`.
    let origin = repo.scratch.path();
    let replaced = repo.commit_b("b-replaced\n", "replaced");
    git(origin, &["reset", "-q", "--hard", &repo.second]);
    let forced = repo.commit_b("b-three\n", "forced");
    let mut payload = repo.push("main", &replaced, &forced);
    payload["forced"] = true.into();
    let (status, answer) = server.deliver("push", "forced", &payload);
    assert_eq!(status, 202, "{answer}");
    let run = repo.finished_run_of(&server, "forced");
    let logs = repo.scratch.stored_logs(&run.id);
    assert_eq!(run.status.as_str(), "success", "{logs}");
    assert_eq!(run.commit_sha, forced);
    assert_eq!(repo.instances(&run.id), every, "every service runs");
    assert!(logs.contains("a-one") && logs.contains("b-three"), "{logs}");
    let why = wait_for(
        "the server to log why every service runs",
        || {
            let log = server.log();
            log.lines()
                .find(|l| l.contains("cannot tell which files changed; running every service"))
                .map(str::to_owned)
        },
        || server.log(),
    );
    assert!(why.contains("delivery=forced"), "{why}");
    assert!(why.contains(&replaced), "the error names the commit: {why}");

    // No `before` at all (the branch's first push): every service, and why.
    let payload = repo.push("main", ZERO_SHA, &forced);
    let (status, answer) = server.deliver("push", "created", &payload);
    assert_eq!(status, 202, "{answer}");
    let run = repo.finished_run_of(&server, "created");
    assert_eq!(run.status.as_str(), "success");
    assert_eq!(repo.instances(&run.id), every, "every service runs");
    let log = server.log();
    let why = log
        .lines()
        .find(|l| l.contains("no earlier commit (a new branch); running every service"))
        .unwrap_or_else(|| panic!("no reason logged:\n{log}"));
    assert!(why.contains("delivery=created"), "{why}");
}
