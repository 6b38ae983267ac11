//! Asking git about a checkout on the server.

use std::path::Path;

use seamless_git::Git;

/// `git -C dir ARGS`'s trimmed stdout when it succeeds (run through [`Git`], so never
/// prompting for credentials nor running the repository's hooks); `None` when git fails
/// or is missing. `args` are fixed words of our code: the subcommand, then its options.
pub(crate) fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let (subcommand, rest) = args.split_first()?;
    Git::in_dir(dir, subcommand).args(rest).run_trimmed().ok()
}
