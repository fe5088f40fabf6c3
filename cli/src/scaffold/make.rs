//! The `make manifests` step after every command that changes what it writes (`create api`,
//! `create webhook`, `delete`, `edit`): the project's manifests generator, built and run, so
//! that `config/` matches the code at once; and `make build-installer` after `edit --plugins
//! helm`, which writes the chart.

use std::io::Write;
use std::path::Path;
use std::process::Command;

use super::engine::tree;
use super::error::ScaffoldError;

/// Runs `change` (a command's scaffolding) in the project `dir`, then `make manifests` when
/// `make`: should `make manifests` fail, the project goes back as it was before `change`, so
/// the command leaves all of its work or none.
pub fn then_manifests<T>(
    dir: &Path,
    make: bool,
    progress: &mut dyn Write,
    change: impl FnOnce() -> Result<T, ScaffoldError>,
) -> Result<T, ScaffoldError> {
    then_targets(
        dir,
        if make { &["manifests"] } else { &[] },
        progress,
        change,
    )
}

/// Runs `change` in the project `dir`, then `make <target>` for each of `targets`: should one
/// fail, the project goes back as it was before `change`.
pub fn then_targets<T>(
    dir: &Path,
    targets: &[&str],
    progress: &mut dyn Write,
    change: impl FnOnce() -> Result<T, ScaffoldError>,
) -> Result<T, ScaffoldError> {
    let snapshot = (!targets.is_empty())
        .then(|| Snapshot::take(dir))
        .transpose()?;
    let done = change()?;
    if let Some(snapshot) = snapshot
        && let Err(error) = targets
            .iter()
            .try_for_each(|target| run(dir, target, progress))
    {
        snapshot.restore();
        return Err(error);
    }
    Ok(done)
}

/// Runs `make <target>` in `dir` (`$MAKE` overrides `make`), its output going to this
/// process's stdout and stderr.
pub fn run(dir: &Path, target: &str, progress: &mut dyn Write) -> Result<(), ScaffoldError> {
    let make = std::env::var("MAKE").unwrap_or_else(|_| "make".into());
    let command = format!("{make} {target}");
    let _ = writeln!(
        progress,
        "running {command} (the first build of a project takes minutes)"
    );
    let status = Command::new(&make)
        .arg(target)
        .current_dir(dir)
        .status()
        .map_err(|error| ScaffoldError::Make {
            command: command.clone(),
            status: format!("could not start {make}: {error}"),
        })?;
    if status.success() {
        Ok(())
    } else {
        Err(ScaffoldError::Make {
            command,
            status: status.to_string(),
        })
    }
}

/// The files and directories of a project (but `target/` and `.git/`), taken before a step
/// that may fail after writing (`make manifests` builds and writes), to put back afterwards.
#[derive(Debug)]
pub struct Snapshot {
    root: std::path::PathBuf,
    files: std::collections::BTreeMap<std::path::PathBuf, Vec<u8>>,
    dirs: std::collections::BTreeSet<std::path::PathBuf>,
}

impl Snapshot {
    /// Reads every file under `root`.
    pub fn take(root: &Path) -> Result<Snapshot, ScaffoldError> {
        let mut snapshot = Snapshot {
            root: root.to_path_buf(),
            files: Default::default(),
            dirs: Default::default(),
        };
        for (path, is_dir) in tree::walk(root)? {
            if is_dir {
                snapshot.dirs.insert(path);
            } else {
                let contents = std::fs::read(&path).map_err(|source| ScaffoldError::Io {
                    action: "reading",
                    path: path.clone(),
                    source,
                })?;
                snapshot.files.insert(path, contents);
            }
        }
        Ok(snapshot)
    }

    /// Puts the project back as it was: files written since are restored, files and
    /// directories created since are removed.
    pub fn restore(&self) {
        let Ok(now) = tree::walk(&self.root) else {
            return;
        };
        for (path, is_dir) in now.iter().rev() {
            if *is_dir {
                if !self.dirs.contains(path) {
                    let _ = std::fs::remove_dir_all(path);
                }
            } else if !self.files.contains_key(path) {
                let _ = std::fs::remove_file(path);
            }
        }
        for (path, contents) in &self.files {
            if std::fs::read(path).ok().as_deref() != Some(contents.as_slice()) {
                if let Some(dir) = path.parent() {
                    let _ = std::fs::create_dir_all(dir);
                }
                let _ = std::fs::write(path, contents);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restore_puts_back_what_a_step_changed() {
        let dir = tempfile::tempdir().expect("dir");
        let root = dir.path();
        std::fs::create_dir_all(root.join("kept/empty")).expect("dirs");
        std::fs::write(root.join("kept/file"), "before").expect("write");
        std::fs::create_dir_all(root.join("target")).expect("target");
        let snapshot = Snapshot::take(root).expect("snapshot");
        std::fs::write(root.join("kept/file"), "after").expect("write");
        std::fs::create_dir_all(root.join("new/deeper")).expect("dirs");
        std::fs::write(root.join("new/deeper/file"), "x").expect("write");
        std::fs::write(root.join("Cargo.lock"), "x").expect("write");
        std::fs::write(root.join("target/output"), "x").expect("write");
        snapshot.restore();
        assert_eq!(
            std::fs::read_to_string(root.join("kept/file")).expect("read"),
            "before"
        );
        assert!(root.join("kept/empty").is_dir());
        assert!(!root.join("new").exists());
        assert!(!root.join("Cargo.lock").exists());
        assert!(
            root.join("target/output").exists(),
            "build output is left alone"
        );
    }
}
