//! What the node needs from the host: root, and programs from Debian packages (containerd, runc,
//! the CNI plugins, catatonit, podman, iptables, conntrack, busybox-static, iproute2). Missing
//! packages are installed with `apt-get` when running as root on a Debian-like system (one
//! install at a time per machine); otherwise the answer is a [`Missing`] saying what to install.

use std::path::Path;
use std::process::Command;

use anyhow::Context as _;

use crate::machine::MachineLock;
use crate::prerequisite::{Missing, find_program, is_root};

/// A file the node needs, and the Debian package that provides it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostFile {
    /// A program name looked up on `PATH`, or an absolute path.
    pub file: &'static str,
    /// The Debian package shipping it.
    pub package: &'static str,
}

/// Everything the cluster fixture runs on the host.
pub const NODE_HOST_FILES: &[HostFile] = &[
    HostFile {
        file: "containerd",
        package: "containerd",
    },
    HostFile {
        file: "ctr",
        package: "containerd",
    },
    HostFile {
        file: RUNC,
        package: "runc",
    },
    HostFile {
        file: "/usr/lib/cni/bridge",
        package: "containernetworking-plugins",
    },
    HostFile {
        file: "/usr/lib/cni/host-local",
        package: "containernetworking-plugins",
    },
    HostFile {
        file: "/usr/lib/cni/loopback",
        package: "containernetworking-plugins",
    },
    HostFile {
        file: CATATONIT,
        package: "catatonit",
    },
    HostFile {
        file: "podman",
        package: "podman",
    },
    HostFile {
        file: "iptables",
        package: "iptables",
    },
    HostFile {
        file: "ip6tables",
        package: "iptables",
    },
    HostFile {
        file: "iptables-save",
        package: "iptables",
    },
    HostFile {
        file: "conntrack",
        package: "conntrack",
    },
    HostFile {
        file: "ip",
        package: "iproute2",
    },
    HostFile {
        file: BUSYBOX,
        package: "busybox-static",
    },
];

/// The OCI runtime containerd runs (Debian's runc; crun refuses this machine's cgroup layout).
pub const RUNC: &str = "/usr/sbin/runc";

/// Debian's static `catatonit`, the pause process of every pod.
pub const CATATONIT: &str = "/usr/bin/catatonit";

/// Debian's static busybox (`busybox-static`): the toolbox image's only binary.
pub const BUSYBOX: &str = "/bin/busybox";

/// The directory holding the CNI plugins of `containernetworking-plugins`.
pub const CNI_BIN_DIR: &str = "/usr/lib/cni";

/// Makes sure this process is root and every file of `files` exists, installing the missing
/// packages with `apt-get` (under the machine lock `apt`). `Err` is a [`Missing`] when that is
/// impossible here, or another error when an install failed.
pub fn ensure(files: &[HostFile]) -> anyhow::Result<()> {
    require_root()?;
    let missing = missing_packages(files);
    if missing.is_empty() {
        return Ok(());
    }
    if find_program("apt-get").is_none() {
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
    eprintln!("node: installing {} with apt-get", missing.join(" "));
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

/// `Err` unless this process is root, which a node cluster needs.
pub fn require_root() -> Result<(), Missing> {
    if is_root() {
        return Ok(());
    }
    Err(Missing::new(
        "root",
        "a node cluster changes the host (iptables, mounts, sysctls, cgroups): run the node \
         tests as root",
    ))
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
