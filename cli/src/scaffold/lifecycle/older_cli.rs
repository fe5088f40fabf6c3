//! The kubesmith CLI a project was scaffolded with, which `alpha update` runs to re-create the
//! base of its merge: a binary the user names (`--from-binary`), or a released version
//! (`--from-version`, by default the `cliVersion` in `PROJECT`) installed with `cargo install`
//! into kubesmith's cache directory, once per version:
//! `$XDG_CACHE_HOME/kubesmith/cli/<version>` (else `~/.cache/kubesmith/cli/<version>`).

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::scaffold::error::ScaffoldError;
use crate::scaffold::model::project::Project;
use crate::scaffold::model::vars::KUBESMITH_VERSION;

/// Where the older CLI comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OlderCli {
    /// A kubesmith binary.
    Binary(PathBuf),
    /// A released version, installed from crates.io.
    Version(String),
    /// The version `PROJECT` records (`cliVersion`).
    Recorded,
}

impl OlderCli {
    /// The older CLI's binary for the project in `dir`, installed first when it is a version
    /// not in the cache yet.
    pub fn binary(&self, dir: &Path) -> Result<PathBuf, ScaffoldError> {
        let version = match self {
            OlderCli::Binary(path) => return Ok(path.clone()),
            OlderCli::Version(version) => version.trim_start_matches('v').to_string(),
            OlderCli::Recorded => {
                let recorded = Project::read(dir)?.cli_version;
                if recorded == KUBESMITH_VERSION {
                    return Err(ScaffoldError::Usage(format!(
                        "PROJECT records kubesmith {recorded}, this CLI's version: there is no \
                         older scaffold to update from (pass --from-version or --from-binary \
                         to name the CLI the project was made with)"
                    )));
                }
                recorded
            }
        };
        check_version(&version)?;
        let root = cache_root(std::env::var_os("XDG_CACHE_HOME"), std::env::var_os("HOME"))?
            .join(&version);
        let binary = root.join("bin/kubesmith");
        if !binary.is_file() {
            install(&version, &root)?;
        }
        Ok(binary)
    }
}

/// Refuses a version that is not `MAJOR.MINOR.PATCH[-PRE][+BUILD]`: it names a directory.
fn check_version(version: &str) -> Result<(), ScaffoldError> {
    let core = version.split(['-', '+']).next().unwrap_or_default();
    let numbers: Vec<&str> = core.split('.').collect();
    let valid = numbers.len() == 3
        && numbers
            .iter()
            .all(|number| !number.is_empty() && number.bytes().all(|byte| byte.is_ascii_digit()))
        && version
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || b".-+".contains(&byte));
    if valid {
        Ok(())
    } else {
        Err(ScaffoldError::Usage(format!(
            "--from-version {version:?} is not a version of kubesmith (expected e.g. 0.1.0)"
        )))
    }
}

/// `kubesmith/cli` in `XDG_CACHE_HOME` when that is an absolute path, else in `HOME/.cache`.
fn cache_root(
    xdg_cache: Option<OsString>,
    home: Option<OsString>,
) -> Result<PathBuf, ScaffoldError> {
    let base = match (xdg_cache.map(PathBuf::from), home.map(PathBuf::from)) {
        (Some(xdg), _) if xdg.is_absolute() => xdg,
        (_, Some(home)) if home.is_absolute() => home.join(".cache"),
        _ => {
            return Err(ScaffoldError::Usage(
                "cannot locate the cache for older kubesmith CLIs: expected an absolute \
                 XDG_CACHE_HOME or HOME, found none (or pass --from-binary)"
                    .to_string(),
            ));
        }
    };
    Ok(base.join("kubesmith/cli"))
}

/// `cargo install kubesmith-cli --version =<version> --locked` into `root`, by way of a
/// sibling directory renamed into place: a failed install leaves nothing behind.
fn install(version: &str, root: &Path) -> Result<(), ScaffoldError> {
    let parent = root.parent().unwrap_or(root);
    std::fs::create_dir_all(parent).map_err(|source| ScaffoldError::Io {
        action: "creating",
        path: parent.to_path_buf(),
        source,
    })?;
    let staging = tempfile::Builder::new()
        .prefix(".installing-")
        .tempdir_in(parent)
        .map_err(|source| ScaffoldError::Io {
            action: "creating",
            path: parent.to_path_buf(),
            source,
        })?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(&cargo)
        .args(["install", "kubesmith-cli", "--version"])
        .arg(format!("={version}"))
        .args(["--locked", "--root"])
        .arg(staging.path())
        .output()
        .map_err(|error| {
            ScaffoldError::Usage(format!(
                "cannot run {} to install kubesmith {version}: {error}",
                Path::new(&cargo).display()
            ))
        })?;
    if !output.status.success() {
        return Err(ScaffoldError::Usage(format!(
            "cargo install kubesmith-cli --version ={version} failed (pass --from-binary with a \
             kubesmith {version} you have):\n{}",
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    std::fs::rename(staging.keep(), root).map_err(|source| ScaffoldError::Io {
        action: "moving the installed CLI to",
        path: root.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_three_numbers_with_optional_suffixes() {
        for good in ["0.1.0", "1.22.333", "0.2.0-rc.1", "1.0.0+build.5"] {
            assert!(check_version(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "0.1",
            "0.1.0.0",
            "a.b.c",
            "0.1.0/../x",
            "../0.1.0",
            "0..1",
        ] {
            assert!(check_version(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_cache_is_under_xdg_cache_home_else_home() {
        assert_eq!(
            cache_root(Some("/xdg".into()), Some("/home/u".into())).expect("a root"),
            Path::new("/xdg/kubesmith/cli")
        );
        assert_eq!(
            cache_root(Some("relative".into()), Some("/home/u".into())).expect("a root"),
            Path::new("/home/u/.cache/kubesmith/cli")
        );
        assert!(cache_root(None, None).is_err());
    }
}
