//! Packages a build context as a tarball that `docker build -` accepts later.
//!
//! The local host cannot run a Dockerfile, so "building" an image here means writing
//! the context, with the chosen Dockerfile at its root as `Dockerfile`, to one tar file
//! per tag. Symbolic links are stored as links, not followed; `.dockerignore` is not
//! honoured.

use seamless_host_api::HostError;
use std::fs;
use std::io;
use std::path::{Component, Path, PathBuf};

/// The Dockerfile name `docker build -` looks for at the root of a tar context.
const ROOT_DOCKERFILE: &str = "Dockerfile";

/// The tarball's file name for `tag`: `:` and `/` become `_`, then `.tar`.
pub(crate) fn file_name(tag: &str) -> String {
    format!("{}.tar", tag.replace([':', '/'], "_"))
}

/// Checks that `dockerfile` is a relative path inside `context_dir` naming a file, and
/// returns its path relative to the context with `.` parts removed.
pub(crate) fn check_dockerfile(context_dir: &Path, dockerfile: &str) -> Result<PathBuf, HostError> {
    let mut relative = PathBuf::new();
    for component in Path::new(dockerfile).components() {
        match component {
            Component::Normal(part) => relative.push(part),
            Component::CurDir => {}
            _ => {
                return Err(HostError::Invalid(format!(
                    "dockerfile '{dockerfile}' must be a relative path inside the build context"
                )));
            }
        }
    }
    if relative.as_os_str().is_empty() || !context_dir.join(&relative).is_file() {
        return Err(HostError::Invalid(format!(
            "dockerfile '{dockerfile}' not found in build context '{}'; create it or fix the path",
            context_dir.display()
        )));
    }
    Ok(relative)
}

/// Writes the context of `context_dir` to `target`, with `dockerfile` (relative to the
/// context) stored as the root `Dockerfile`. The file appears whole or not at all.
pub(crate) fn write_context(
    context_dir: &Path,
    dockerfile: &Path,
    target: &Path,
) -> io::Result<()> {
    let partial = target.with_extension(format!("tar.partial-{}", std::process::id()));
    let result = (|| {
        let file = fs::File::create(&partial)?;
        let mut builder = tar::Builder::new(io::BufWriter::new(file));
        builder.follow_symlinks(false);
        let renamed = dockerfile != Path::new(ROOT_DOCKERFILE);
        append_tree(&mut builder, context_dir, Path::new(""), renamed)?;
        if renamed {
            builder.append_path_with_name(context_dir.join(dockerfile), ROOT_DOCKERFILE)?;
        }
        let mut writer = builder.into_inner()?;
        io::Write::flush(&mut writer)?;
        writer
            .into_inner()
            .map_err(io::IntoInnerError::into_error)?
            .sync_all()
    })();
    match result {
        Ok(()) => fs::rename(&partial, target),
        Err(err) => {
            let _ = fs::remove_file(&partial);
            Err(err)
        }
    }
}

/// Appends the entries under `dir` (stored under `prefix`) in name order. With
/// `skip_root_dockerfile`, a root `Dockerfile` is left out because another file takes
/// its place.
fn append_tree<W: io::Write>(
    builder: &mut tar::Builder<W>,
    dir: &Path,
    prefix: &Path,
    skip_root_dockerfile: bool,
) -> io::Result<()> {
    let mut entries = fs::read_dir(dir)?.collect::<Result<Vec<_>, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = prefix.join(entry.file_name());
        if skip_root_dockerfile && name == Path::new(ROOT_DOCKERFILE) {
            continue;
        }
        let path = entry.path();
        builder.append_path_with_name(&path, &name)?;
        if entry.file_type()?.is_dir() {
            append_tree(builder, &path, &name, false)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_name_replaces_separators() {
        assert_eq!(file_name("shop/api:1.2"), "shop_api_1.2.tar");
    }
}
