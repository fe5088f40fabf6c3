//! `kubesmith alpha update`: a project moved to this CLI's scaffold by a three-way merge, on a
//! new git branch. The base is the scaffold the project was made with (re-created from PROJECT
//! by the CLI that made it: [`OlderCli`]), the other side this CLI's scaffold of the same
//! PROJECT, and the project's own tree the side with the user's edits: a file the user did not
//! touch takes the new scaffold, a file both changed is merged line by line (`git merge-file`),
//! overlapping changes are committed with conflict markers and listed, and a file the new
//! scaffold drops is removed only when the user never edited it. The branch it was started on
//! is left as it was.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::scaffold::engine::checksums::CHECKSUMS_FILE;
use crate::scaffold::engine::templates::Templates;
use crate::scaffold::engine::tree;
use crate::scaffold::error::ScaffoldError;
use crate::scaffold::lifecycle::generate::alpha_generate;
use crate::scaffold::lifecycle::merge::merge_file;
use crate::scaffold::lifecycle::older_cli::OlderCli;
use crate::scaffold::model::vars::KUBESMITH_VERSION;

/// The sides of a conflict, as its markers name them.
const LABELS: [&str; 3] = ["yours", "old scaffold", "kubesmith scaffold"];

/// What `alpha update` is told.
#[derive(Debug, Clone)]
pub struct UpdateOptions {
    /// The kubesmith CLI the project was scaffolded with: its `alpha generate` re-creates the
    /// base of the merge.
    pub from: OlderCli,
    /// The branch to create; `kubesmith-update-<version>` when `None`.
    pub branch: Option<String>,
}

/// What the update did, by file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Updated {
    /// The branch the update was committed on (and is checked out).
    pub branch: String,
    /// Files the new scaffold changed, taken or merged with the user's edits.
    pub changed: Vec<PathBuf>,
    /// Files the new scaffold adds.
    pub added: Vec<PathBuf>,
    /// Files the new scaffold drops, removed.
    pub removed: Vec<PathBuf>,
    /// Files the new scaffold drops but the user edited (or changes but the user deleted):
    /// left as the user has them.
    pub kept: Vec<PathBuf>,
    /// Files committed with conflict markers, to resolve on the branch.
    pub conflicts: Vec<PathBuf>,
}

/// Updates the project in `dir` (the root of a git work tree with nothing uncommitted) to this
/// CLI's scaffold, on a new branch.
pub fn alpha_update(
    dir: &Path,
    options: &UpdateOptions,
    templates: &Templates,
) -> Result<Updated, ScaffoldError> {
    check_repository(dir)?;
    let branch = options
        .branch
        .clone()
        .unwrap_or_else(|| format!("kubesmith-update-{KUBESMITH_VERSION}"));
    if git(
        dir,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("refs/heads/{branch}"),
        ],
    )
    .is_ok()
    {
        return Err(ScaffoldError::Usage(format!(
            "the branch {branch} exists already; delete it or pass --branch another name"
        )));
    }

    let work = tempfile::tempdir().map_err(|source| ScaffoldError::Io {
        action: "creating",
        path: std::env::temp_dir(),
        source,
    })?;
    let older = options.from.binary(dir)?;
    let ancestor = work.path().join("ancestor");
    run(Command::new(&older)
        .args(["alpha", "generate", "--output"])
        .arg(&ancestor)
        .current_dir(dir))
    .map_err(|error| {
        ScaffoldError::Usage(format!(
            "{} alpha generate (the scaffold the project was made with) failed: {error}",
            older.display()
        ))
    })?;
    let upgrade = alpha_generate(dir, &work.path().join("upgrade"), false, templates)?;
    let ancestor = tree::read_files(&ancestor)?;
    let upgrade = tree::read_files(&upgrade)?;

    let mut updated = Updated {
        branch: branch.clone(),
        ..Updated::default()
    };
    let mut writes: BTreeMap<PathBuf, Option<String>> = BTreeMap::new();
    let paths: BTreeSet<&PathBuf> = ancestor.keys().chain(upgrade.keys()).collect();
    for path in paths {
        let current = std::fs::read_to_string(dir.join(path)).ok();
        if path == Path::new(CHECKSUMS_FILE) {
            // The checksums describe what the scaffold generated: the new scaffold's.
            if let Some(target) = upgrade
                .get(path)
                .filter(|target| current.as_ref() != Some(*target))
            {
                writes.insert(path.clone(), Some(target.clone()));
            }
            continue;
        }
        match (ancestor.get(path), upgrade.get(path), current) {
            (Some(base), Some(target), Some(current)) if base != target && current != *target => {
                let (merged, clean) = merge_file(&current, base, target, LABELS)?;
                if !clean {
                    updated.conflicts.push(path.clone());
                }
                updated.changed.push(path.clone());
                writes.insert(path.clone(), Some(merged));
            }
            (Some(base), Some(target), None) if base != target => updated.kept.push(path.clone()),
            (None, Some(target), None) => {
                updated.added.push(path.clone());
                writes.insert(path.clone(), Some(target.clone()));
            }
            (None, Some(target), Some(current)) if current != *target => {
                let (merged, clean) = merge_file(&current, "", target, LABELS)?;
                if !clean {
                    updated.conflicts.push(path.clone());
                }
                updated.changed.push(path.clone());
                writes.insert(path.clone(), Some(merged));
            }
            (Some(base), None, Some(current)) => {
                if current == *base {
                    updated.removed.push(path.clone());
                    writes.insert(path.clone(), None);
                } else {
                    updated.kept.push(path.clone());
                }
            }
            _ => {}
        }
    }

    git(dir, &["switch", "--quiet", "--create", &branch])?;
    for (path, text) in &writes {
        let full = dir.join(path);
        let written = match text {
            Some(text) => full
                .parent()
                .map_or(Ok(()), std::fs::create_dir_all)
                .and_then(|()| std::fs::write(&full, text)),
            None => std::fs::remove_file(&full),
        };
        written.map_err(|source| ScaffoldError::Io {
            action: "writing",
            path: full.clone(),
            source,
        })?;
    }
    git(dir, &["add", "--all"])?;
    let message = format!(
        "kubesmith alpha update: the scaffold of kubesmith {KUBESMITH_VERSION} merged{}",
        if updated.conflicts.is_empty() {
            String::new()
        } else {
            format!(
                " (conflicts to resolve: {})",
                updated
                    .conflicts
                    .iter()
                    .map(|path| path.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
    );
    // A repository without an identity still gets the commit, under kubesmith's name.
    let mut args = Vec::new();
    if git(dir, &["config", "user.email"]).is_err() {
        args.extend([
            "-c",
            "user.name=kubesmith",
            "-c",
            "user.email=kubesmith@localhost",
        ]);
    }
    args.extend([
        "commit",
        "--quiet",
        "--allow-empty",
        "--no-verify",
        "-m",
        &message,
    ]);
    git(dir, &args)?;
    Ok(updated)
}

/// Refuses a project that is not the root of a git work tree, or has changes not committed.
fn check_repository(dir: &Path) -> Result<(), ScaffoldError> {
    let top = git(dir, &["rev-parse", "--show-toplevel"]).map_err(|_| {
        ScaffoldError::Usage(format!(
            "{} is not in a git repository: alpha update commits its merge on a new branch; run `git init` and commit the project first",
            dir.display()
        ))
    })?;
    let top = PathBuf::from(top.trim());
    let same = |a: &Path, b: &Path| a.canonicalize().ok() == b.canonicalize().ok();
    if !same(&top, dir) {
        return Err(ScaffoldError::Usage(format!(
            "the project is not the root of its git repository ({}): alpha update needs it to be",
            top.display()
        )));
    }
    let status = git(dir, &["status", "--porcelain"])?;
    if !status.trim().is_empty() {
        return Err(ScaffoldError::Usage(
            "the project has changes that are not committed: commit or stash them first, so the update can be reviewed on its own".into(),
        ));
    }
    Ok(())
}

/// Runs `git <args>` in `dir`; its stdout on success.
fn git(dir: &Path, args: &[&str]) -> Result<String, ScaffoldError> {
    run(Command::new("git").args(args).current_dir(dir))
        .map(|output| String::from_utf8_lossy(&output.stdout).into_owned())
        .map_err(|error| ScaffoldError::Usage(format!("git {} failed: {error}", args.join(" "))))
}

/// Runs `command`; its output when it succeeds, else what it printed.
fn run(command: &mut Command) -> Result<Output, String> {
    let output = command.output().map_err(|error| error.to_string())?;
    if output.status.success() {
        Ok(output)
    } else {
        Err(format!(
            "{}{}",
            String::from_utf8_lossy(&output.stderr).trim(),
            String::from_utf8_lossy(&output.stdout).trim()
        ))
    }
}
