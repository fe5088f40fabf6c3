//! Programs the tests need from Debian packages (a container engine, a node's runtime,
//! shellcheck, debootstrap …): each file is looked up, and the packages of the missing ones are
//! installed with `apt-get` when this process is root on a Debian-like system (one install at a
//! time per machine); otherwise the answer is a [`Missing`] naming the packages.
//!
//! ```
//! use kubesmith_e2e::host_packages::{HostFile, ensure};
//!
//! // Present already: nothing to install.
//! ensure(&[HostFile { file: "sh", package: "dash" }]).expect("a shell");
//! ```

use std::path::Path;
use std::process::Command;

use anyhow::Context as _;

use crate::machine::MachineLock;
use crate::prerequisite::{Missing, find_program, is_root, require_ok};

/// A file a test needs, and the Debian package that provides it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostFile {
    /// A program name looked up on `PATH`, or an absolute path.
    pub file: &'static str,
    /// The Debian package shipping it.
    pub package: &'static str,
}

/// Makes sure every file of `files` exists, installing the missing packages with `apt-get`
/// (under the machine lock `apt`) when this process is root. `Err` is a [`Missing`] when that
/// is impossible here, or another error when an install failed.
pub fn ensure(files: &[HostFile]) -> anyhow::Result<()> {
    let missing = missing_packages(files);
    if missing.is_empty() {
        return Ok(());
    }
    if !is_root() || find_program("apt-get").is_none() {
        return Err(Missing::new(
            format!("the packages {}", missing.join(" ")),
            "install them with the system's package manager (Debian names given)",
        )
        .into());
    }
    let _lock = MachineLock::acquire("apt")?;
    let missing = missing_packages(files);
    if missing.is_empty() {
        return Ok(());
    }
    eprintln!("installing {} with apt-get", missing.join(" "));
    if apt_get_install(&missing).is_err() {
        // A stale or absent package list is the usual cause: refresh it once and retry.
        apt_get(&["update"])?;
        apt_get_install(&missing)?;
    }
    let still = missing_packages(files);
    anyhow::ensure!(
        still.is_empty(),
        "apt-get installed {} but these are still missing: {}",
        missing.join(" "),
        still.join(" ")
    );
    Ok(())
}

/// [`ensure`] for the test `test` ([`require_ok`]): `Some` when every file is there
/// (installed if need be); `None` outside CI when they cannot be installed here; a panic when
/// an install failed.
pub fn require_installed(test: &str, files: &[HostFile]) -> Option<()> {
    require_ok(test, ensure(files))
}

/// The packages (deduplicated, in order) providing files of `files` that are absent.
fn missing_packages(files: &[HostFile]) -> Vec<&'static str> {
    let mut packages: Vec<&'static str> = Vec::new();
    for host_file in files {
        let present = if host_file.file.starts_with('/') {
            Path::new(host_file.file).is_file()
        } else {
            find_program(host_file.file).is_some()
        };
        if !present && !packages.contains(&host_file.package) {
            packages.push(host_file.package);
        }
    }
    packages
}

fn apt_get_install(packages: &[&str]) -> anyhow::Result<()> {
    let mut args = vec!["install", "-y", "--no-install-recommends"];
    args.extend_from_slice(packages);
    apt_get(&args)
}

fn apt_get(args: &[&str]) -> anyhow::Result<()> {
    crate::go_tool::run(
        Command::new("apt-get")
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )
    .with_context(|| format!("apt-get {}", args.join(" ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_packages_of_absent_files_are_listed_once() {
        let files = [
            HostFile {
                file: "sh",
                package: "dash",
            },
            HostFile {
                file: "/no/such/file-a",
                package: "pkg-a",
            },
            HostFile {
                file: "no-such-program-b",
                package: "pkg-a",
            },
            HostFile {
                file: "no-such-program-c",
                package: "pkg-c",
            },
        ];
        assert_eq!(missing_packages(&files), ["pkg-a", "pkg-c"]);
    }
}
