//! The built-in `prepare` stage: checks the run's repository out at the run's commit
//! into the workspace, and hands the commit to later stages as the output `commit`.

use seamless_sdk::{
    Capability, Context, Manifest, Outcome, Stage, StageError, outputs, run_info, source,
};

/// The `prepare` stage plugin.
struct Prepare;

impl Stage for Prepare {
    fn describe() -> Manifest {
        Manifest::new(
            "prepare",
            env!("CARGO_PKG_VERSION"),
            "checks the run's commit out into the workspace",
        )
        .capability(Capability::WorkspaceWrite)
    }

    fn run(_ctx: Context) -> Result<Outcome, StageError> {
        let checkout = source::checkout()?;
        outputs::set("commit", &checkout.commit_sha)?;
        Ok(Outcome::new(summary(
            &checkout.commit_sha,
            &checkout.origin,
            checkout.files,
        )))
    }
}

/// `checked out 3f2a9c0d1e2f from /src/shop (42 files)`.
fn summary(commit: &str, origin: &str, files: u32) -> String {
    let noun = if files == 1 { "file" } else { "files" };
    format!(
        "checked out {} from {origin} ({files} {noun})",
        run_info::short_sha(commit)
    )
}

seamless_sdk::export_stage!(Prepare);

#[cfg(test)]
mod tests {
    use super::summary;

    #[test]
    fn summary_names_the_short_commit_origin_and_file_count() {
        assert_eq!(
            summary(
                "3f2a9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b",
                "https://example.com/shop.git",
                42
            ),
            "checked out 3f2a9c0d1e2f from https://example.com/shop.git (42 files)"
        );
        assert_eq!(
            summary("abc", "/src", 1),
            "checked out abc from /src (1 file)"
        );
    }
}
