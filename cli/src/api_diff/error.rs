//! What can stop `kubesmith api diff`. Every message names the problem and the fix.

use std::io;
use std::path::PathBuf;

/// Why `api diff` could not compare, or why `--check` failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApiDiffError {
    /// The project's CRD directory does not exist.
    #[error(
        "no CRDs to compare: {} does not exist; run make manifests first, or pass --crds DIR", .0.display()
    )]
    NoCrds(PathBuf),
    /// A file or directory could not be read.
    #[error("could not read {}: {source}", .path.display())]
    Read {
        /// What could not be read.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// A file of CRDs is not YAML, or a CRD in it lacks its name.
    #[error("{source_name} holds no valid CRDs: {reason}")]
    Parse {
        /// The file (or `<ref>:<path>`).
        source_name: String,
        /// What is wrong.
        reason: String,
    },
    /// Two CRDs of one set have the same name.
    #[error("CRD {name} is defined twice, in {first} and {second}: keep one")]
    DuplicateCrd {
        /// The CRD's name.
        name: String,
        /// Where it was first.
        first: String,
        /// Where it was again.
        second: String,
    },
    /// BASE is an existing file.
    #[error(
        "baseline {0} is a file: expected a directory of CRD YAML files or a git ref such as origin/main"
    )]
    BaselineIsAFile(String),
    /// BASE is written as a path that does not exist.
    #[error(
        "baseline directory {0} does not exist: pass a directory of CRD YAML files, or a git ref such as origin/main"
    )]
    MissingBaselineDir(String),
    /// BASE is not a directory and the project is not in a git repository.
    #[error(
        "{base} is not a directory, and {} is not inside a git repository, so it cannot be a git ref either: pass a directory of CRD YAML files, or run in a git checkout", .dir.display()
    )]
    NotARepository {
        /// The BASE argument.
        base: String,
        /// The project directory.
        dir: PathBuf,
    },
    /// BASE is not a directory nor a commit git knows.
    #[error(
        "{base} is neither a directory nor a git ref of this repository: fetch it first (e.g. git fetch origin), or pass a directory of CRD YAML files"
    )]
    UnknownRef {
        /// The BASE argument.
        base: String,
    },
    /// `--crds` names a directory outside the git repository of a ref baseline.
    #[error(
        "{} is outside the git repository at {}: a git ref baseline needs CRDs inside it", .crds.display(), .toplevel.display()
    )]
    OutsideRepository {
        /// The CRD directory.
        crds: PathBuf,
        /// The repository's top level.
        toplevel: PathBuf,
    },
    /// git could not be run or failed unexpectedly.
    #[error("git {args} failed: {reason}")]
    Git {
        /// The arguments.
        args: String,
        /// git's message.
        reason: String,
    },
    /// A line of the allow-list file is not `KIND:VERSION:PATH`.
    #[error("{}:{line}: {reason}", .path.display())]
    MalformedAllowList {
        /// The file.
        path: PathBuf,
        /// The line number, from 1.
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// `--check` found breaking changes that are not allowed.
    #[error(
        "{count} breaking change{s} against {base} not allowed: make {them} compatible, or record each intentional break with --allow KIND:VERSION:PATH or a line in {allow_file}",
        s = if *.count == 1 { "" } else { "s" },
        them = if *.count == 1 { "it" } else { "them" },
    )]
    BreakingChanges {
        /// How many.
        count: usize,
        /// The baseline.
        base: String,
        /// The project's allow-list file.
        allow_file: &'static str,
    },
}
