//! What a test needs from the machine (a container engine, a Go toolchain, root), and what a
//! test does when it is missing: under `CI=true` a missing prerequisite fails the test, on a
//! developer's machine the test says what is missing and passes without running.
//!
//! ```
//! use kubesmith_e2e::prerequisite::{Missing, require};
//!
//! // A prerequisite that is always there lets the test go on.
//! assert!(require("sh", Ok::<_, Missing>(())).is_some());
//! ```

use std::fmt;
use std::path::{Path, PathBuf};

/// `CI`: set to `true` by CI systems; then nothing may be skipped.
pub const CI_ENV: &str = "CI";

/// Why a prerequisite is not there, and what would provide it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Missing {
    /// What is missing (`podman`, `root`, `a Go toolchain`).
    pub what: String,
    /// How to provide it.
    pub remedy: String,
}

impl Missing {
    /// `what` is missing; `remedy` says how to provide it.
    pub fn new(what: impl Into<String>, remedy: impl Into<String>) -> Missing {
        Missing {
            what: what.into(),
            remedy: remedy.into(),
        }
    }
}

impl fmt::Display for Missing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} is missing: {}", self.what, self.remedy)
    }
}

impl std::error::Error for Missing {}

/// Whether this run is CI's (`CI=true`), where every test must run.
pub fn in_ci() -> bool {
    std::env::var(CI_ENV).is_ok_and(|value| value.eq_ignore_ascii_case("true") || value == "1")
}

/// The value of a prerequisite check for the test `test`: `Some` when it is there; when it is
/// missing, a panic under `CI=true` and `None` (after saying what is missing) elsewhere.
pub fn require<T>(test: &str, found: Result<T, Missing>) -> Option<T> {
    match found {
        Ok(value) => Some(value),
        Err(missing) if in_ci() => {
            panic!("{test}: {missing} (CI=true: prerequisites may not be skipped)")
        }
        Err(missing) => {
            eprintln!("{test}: not run, {missing}");
            None
        }
    }
}

/// [`require`] for a check that may also fail for other reasons: a [`Missing`] inside `result`
/// is handled as [`require`] does; any other error panics (it is the test's failure).
pub fn require_ok<T>(test: &str, result: anyhow::Result<T>) -> Option<T> {
    match result {
        Ok(value) => Some(value),
        Err(error) => match error.downcast::<Missing>() {
            Ok(missing) => require(test, Err(missing)),
            Err(error) => panic!("{test}: {error:#}"),
        },
    }
}

/// The path of `program` on `PATH` (or `program` itself when it holds a `/` and exists).
pub fn find_program(program: &str) -> Option<PathBuf> {
    if program.contains('/') {
        return Path::new(program).is_file().then(|| PathBuf::from(program));
    }
    std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

/// Whether this process runs as root (needed to run a node, install packages).
pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_program_on_the_path_is_found_and_a_made_up_one_is_not() {
        assert!(find_program("sh").is_some());
        assert!(find_program("no-such-program-kubesmith").is_none());
        assert!(find_program("/bin/sh").is_some());
    }

    #[test]
    fn a_missing_prerequisite_names_what_and_how() {
        let missing = Missing::new("podman", "install it with apt-get install podman");
        assert_eq!(
            missing.to_string(),
            "podman is missing: install it with apt-get install podman"
        );
    }
}
