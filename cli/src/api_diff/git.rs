//! Reading the baseline CRDs from a commit of the project's git repository.

use std::path::{Component, Path, PathBuf};
use std::process::Command;

use super::error::ApiDiffError;

/// The git repository holding the project, which may sit in a subdirectory of it.
#[derive(Debug)]
pub(crate) struct Repository {
    /// The project directory, where git runs.
    dir: PathBuf,
    /// The repository's top level.
    toplevel: PathBuf,
    /// The project directory relative to the top level (`operators/demo/`, or empty).
    prefix: String,
}

impl Repository {
    /// The repository of the project in `dir`; `base` (the ref asked for) names the problem when
    /// there is none.
    pub fn open(dir: &Path, base: &str) -> Result<Self, ApiDiffError> {
        let not_a_repository = || ApiDiffError::NotARepository {
            base: base.into(),
            dir: dir.to_path_buf(),
        };
        let output = git(dir, &["rev-parse", "--show-toplevel", "--show-prefix"])?;
        if !output.status.success() {
            return Err(not_a_repository());
        }
        let stdout = String::from_utf8_lossy(&output.stdout);
        let mut lines = stdout.lines();
        let toplevel = lines.next().ok_or_else(not_a_repository)?;
        Ok(Repository {
            dir: dir.to_path_buf(),
            toplevel: PathBuf::from(toplevel),
            prefix: lines.next().unwrap_or_default().to_owned(),
        })
    }

    /// The commit `base` names (a branch, tag, `HEAD~1`, a hash).
    pub fn commit(&self, base: &str) -> Result<String, ApiDiffError> {
        let revision = format!("{base}^{{commit}}");
        let output = git(
            &self.dir,
            &[
                "rev-parse",
                "--verify",
                "--quiet",
                "--end-of-options",
                &revision,
            ],
        )?;
        if !output.status.success() {
            return Err(ApiDiffError::UnknownRef { base: base.into() });
        }
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
    }

    /// `crds` (relative to the project directory, or absolute) as a path from the top level of
    /// the repository, `/`-separated, without a trailing slash (empty for the top level).
    pub fn path_in_repository(&self, crds: &Path) -> Result<String, ApiDiffError> {
        let outside = || ApiDiffError::OutsideRepository {
            crds: crds.to_path_buf(),
            toplevel: self.toplevel.clone(),
        };
        let (start, relative): (Vec<String>, PathBuf) = if crds.is_absolute() {
            let real = crds.canonicalize().map_err(|source| ApiDiffError::Read {
                path: crds.to_path_buf(),
                source,
            })?;
            let toplevel = self
                .toplevel
                .canonicalize()
                .unwrap_or(self.toplevel.clone());
            let relative = real.strip_prefix(&toplevel).map_err(|_| outside())?;
            (Vec::new(), relative.to_path_buf())
        } else {
            let prefix = self
                .prefix
                .split('/')
                .filter(|part| !part.is_empty())
                .map(str::to_owned)
                .collect();
            (prefix, crds.to_path_buf())
        };
        let mut parts = start;
        for component in relative.components() {
            match component {
                Component::CurDir => {}
                Component::ParentDir => {
                    parts.pop().ok_or_else(outside)?;
                }
                Component::Normal(name) => parts.push(name.to_string_lossy().into_owned()),
                Component::RootDir | Component::Prefix(_) => return Err(outside()),
            }
        }
        Ok(parts.join("/"))
    }

    /// The names of the files directly in the directory `tree` of `commit`; none when the
    /// commit has no such directory.
    pub fn files(&self, commit: &str, tree: &str) -> Result<Vec<String>, ApiDiffError> {
        let object = format!("{commit}:{tree}");
        let exists = git(&self.dir, &["cat-file", "-e", &object])?;
        if !exists.status.success() {
            return Ok(Vec::new());
        }
        let listing = checked(&self.dir, &["ls-tree", "--full-tree", "-z", &object])?;
        Ok(listing
            .split('\0')
            .filter_map(|entry| {
                let (meta, name) = entry.split_once('\t')?;
                (meta.split(' ').nth(1) == Some("blob")).then(|| name.to_owned())
            })
            .collect())
    }

    /// The text of the file `path` of `commit`.
    pub fn show(&self, commit: &str, path: &str) -> Result<String, ApiDiffError> {
        checked(
            &self.dir,
            &["cat-file", "blob", &format!("{commit}:{path}")],
        )
    }
}

/// `tree/file`, or `file` when `tree` is the top level.
pub(crate) fn join(tree: &str, file: &str) -> String {
    if tree.is_empty() {
        file.into()
    } else {
        format!("{tree}/{file}")
    }
}

/// Runs git in `dir`; an error only when git cannot be started.
fn git(dir: &Path, args: &[&str]) -> Result<std::process::Output, ApiDiffError> {
    Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .map_err(|error| ApiDiffError::Git {
            args: args.join(" "),
            reason: format!("could not run git ({error}); install git, or pass a directory"),
        })
}

/// Runs git in `dir` and returns its output, failing when git does.
fn checked(dir: &Path, args: &[&str]) -> Result<String, ApiDiffError> {
    let output = git(dir, args)?;
    if !output.status.success() {
        return Err(ApiDiffError::Git {
            args: args.join(" "),
            reason: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
        });
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}
