//! What the node needs from the host: root, and programs from Debian packages (containerd, runc,
//! the CNI plugins, catatonit, podman, iptables, conntrack, busybox-static, iproute2), installed
//! when missing by [`host_packages`].

use crate::host_packages::{self, HostFile};
use crate::prerequisite::{Missing, is_root};

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
/// packages (see [`host_packages::ensure`]).
pub fn ensure(files: &[HostFile]) -> anyhow::Result<()> {
    require_root()?;
    host_packages::ensure(files)
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
