//! The shape of a stage container: everything its task definition fixes. Tasks of one
//! shape share one task definition, registered once and found again by the shape's
//! key; what differs between stages of one shape (the command, the environment) goes
//! into `RunTask`'s overrides instead.

use sha2::{Digest, Sha256};

/// How a task mounts the run's workspace (an EFS access point of its own).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WorkspaceMount {
    /// Not mounted.
    None,
    /// Mounted at `/workspace`, read-only.
    ReadOnly,
    /// Mounted at `/workspace`, writable (the stage has `workspace-write`).
    ReadWrite,
}

/// What a task definition of a stage container fixes.
///
/// ECS cannot override a task's volumes or working directory at `RunTask`, so both
/// are part of the shape: a stage that mounts the workspace mounts its run's own
/// access point, and its task definition serves the stages of that one run (one
/// registration per shape and run); a stage without the workspace shares its task
/// definition with every run.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TaskShape {
    /// The image.
    pub image: String,
    /// The working directory, when not the image's own.
    pub workdir: Option<String>,
    /// Task CPU units.
    pub cpu: u32,
    /// Task memory, MiB.
    pub memory_mib: u32,
    /// The workspace mount.
    pub workspace: WorkspaceMount,
    /// The EFS file system of the workspaces.
    pub file_system: String,
    /// The run's EFS access point (empty when the workspace is not mounted).
    pub access_point: String,
    /// The role ECS pulls and logs with.
    pub execution_role: String,
    /// The role the task runs as.
    pub task_role: Option<String>,
    /// The CloudWatch Logs group.
    pub log_group: String,
}

impl TaskShape {
    /// A stable key of the shape: the hex SHA-256 of its fields, each named, in a fixed
    /// order, so a new field or version changes every key rather than colliding.
    pub fn key(&self) -> String {
        let workspace = match self.workspace {
            WorkspaceMount::None => "none",
            WorkspaceMount::ReadOnly => "ro",
            WorkspaceMount::ReadWrite => "rw",
        };
        let text = format!(
            "seamless-task-shape v2\nimage={}\nworkdir={}\ncpu={}\nmemory-mib={}\n\
             workspace={workspace}\nfile-system={}\naccess-point={}\nexecution-role={}\n\
             task-role={}\nlog-group={}\n",
            self.image,
            self.workdir.as_deref().unwrap_or(""),
            self.cpu,
            self.memory_mib,
            self.file_system,
            self.access_point,
            self.execution_role,
            self.task_role.as_deref().unwrap_or(""),
            self.log_group,
        );
        hex::encode(Sha256::digest(text.as_bytes()))
    }

    /// The task definition family for this shape: `seamless-` and the key's first 32
    /// hex digits (a family name has at most 255 letters, digits, `-` and `_`).
    pub fn family(&self) -> String {
        format!("seamless-{}", &self.key()[..32])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape() -> TaskShape {
        TaskShape {
            image: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/seamless/api:abc".into(),
            workdir: Some("/workspace".into()),
            cpu: 512,
            memory_mib: 1024,
            workspace: WorkspaceMount::ReadOnly,
            file_system: "fs-0123456789abcdef0".into(),
            access_point: "fsap-0123456789abcdef0".into(),
            execution_role: "arn:aws:iam::123456789012:role/exec".into(),
            task_role: None,
            log_group: "/seamless/stages".into(),
        }
    }

    #[test]
    fn one_shape_has_one_key_and_every_field_changes_it() {
        let base = shape();
        assert_eq!(base.key(), shape().key());
        assert_eq!(base.key().len(), 64);
        let family = base.family();
        assert!(
            family.starts_with("seamless-") && family.len() == 41,
            "{family}"
        );
        let changed = [
            TaskShape {
                image: "other:1".into(),
                ..shape()
            },
            TaskShape {
                workdir: None,
                ..shape()
            },
            TaskShape {
                access_point: "fsap-1111".into(),
                ..shape()
            },
            TaskShape {
                cpu: 1024,
                ..shape()
            },
            TaskShape {
                memory_mib: 2048,
                ..shape()
            },
            TaskShape {
                workspace: WorkspaceMount::ReadWrite,
                ..shape()
            },
            TaskShape {
                workspace: WorkspaceMount::None,
                ..shape()
            },
            TaskShape {
                file_system: "fs-11111111".into(),
                ..shape()
            },
            TaskShape {
                execution_role: "exec2".into(),
                ..shape()
            },
            TaskShape {
                task_role: Some("stage".into()),
                ..shape()
            },
            TaskShape {
                log_group: "/other".into(),
                ..shape()
            },
        ];
        let mut keys: Vec<String> = changed.iter().map(TaskShape::key).collect();
        keys.push(base.key());
        let count = keys.len();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), count, "two shapes share a key");
    }
}
