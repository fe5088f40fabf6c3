//! What the cluster changes on the host, recorded before it changes anything and restored when
//! it stops — or, when a previous run died without stopping, by the next [`super::Cluster::start`].
//!
//! The record (JSON in `<cache>/node-cluster/host-state.json`) holds the sysctls the kubelet,
//! kube-proxy and the CNI bridge may change, the iptables chains that existed, the host
//! directories that did not, and the cgroups of pods that were already there. Restoring kills
//! what is left of the cluster (every process whose command line names the cluster's work
//! directory, every process in a pod cgroup), runs `kube-proxy --cleanup`, unmounts everything
//! under the work directory, deletes the pod bridge and its veths, removes the cluster's
//! iptables chains and the rules jumping to them, flushes the conntrack entries of the cluster's
//! ranges, writes the sysctls back, removes the pod cgroups, the kubelet's log links and the
//! CNI cache entries, the directories the cluster created, and the work directory.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use serde::{Deserialize, Serialize};

use super::iptables::{self, FAMILIES, Family};
use super::network::{BRIDGE, POD_CIDR, SERVICE_CIDR};
use crate::machine::{cache_dir, timeout};

/// The sysctls the components are known to change: the kubelet (`vm.overcommit_memory`,
/// `vm.panic_on_oom`, `kernel.panic*`, `kernel.keys.*`), the CNI bridge (forwarding) and
/// kube-proxy (`route_localnet`, conntrack, bridge netfilter).
pub const RECORDED_SYSCTLS: [&str; 15] = [
    "vm.overcommit_memory",
    "vm.panic_on_oom",
    "kernel.panic",
    "kernel.panic_on_oops",
    "kernel.keys.root_maxkeys",
    "kernel.keys.root_maxbytes",
    "net.ipv4.ip_forward",
    "net.ipv6.conf.all.forwarding",
    "net.ipv4.conf.all.route_localnet",
    "net.bridge.bridge-nf-call-iptables",
    "net.bridge.bridge-nf-call-ip6tables",
    "net.netfilter.nf_conntrack_max",
    "net.netfilter.nf_conntrack_tcp_timeout_established",
    "net.netfilter.nf_conntrack_tcp_timeout_close_wait",
    "net.ipv4.conf.default.forwarding",
];

/// containerd's runtime directory: its shims put their sockets in `s/` there, whatever the
/// configured state directory.
const CONTAINERD_RUNTIME_DIR: &str = "/run/containerd";

/// Host directories outside the work directory that the components create when missing.
pub const HOST_DIRS: [&str; 4] = [
    "/var/log/containers",
    CONTAINERD_RUNTIME_DIR,
    "/var/lib/cni",
    "/var/lib/cni/results",
];

/// The cgroup the kubelet puts pods under, in every cgroup hierarchy.
const POD_CGROUP: &str = "kubepods";

/// The CNI network name (cache entries in `/var/lib/cni/results` start with it).
pub const CNI_NETWORK: &str = "kubesmith-node";

/// The machine lock held while a cluster runs (and while a left-behind one is restored).
pub const LOCK_NAME: &str = "node-cluster";

/// How the host was before the cluster started.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HostRecord {
    /// The cluster's work directory (PKI, data, sockets, the kubelet's root).
    pub work_dir: PathBuf,
    /// `kube-proxy`, for `--cleanup`.
    pub kube_proxy: PathBuf,
    /// The values of [`RECORDED_SYSCTLS`] that exist here.
    pub sysctls: BTreeMap<String, String>,
    /// The iptables chains that existed, per family, as (table, chain).
    pub chains: Vec<(Family, BTreeSet<(String, String)>)>,
    /// The directories of [`HOST_DIRS`] that did not exist.
    pub absent_dirs: Vec<PathBuf>,
    /// The pod cgroups that existed already.
    pub pod_cgroups: Vec<PathBuf>,
}

impl HostRecord {
    /// Where the record of the running (or last, unfinished) cluster is kept.
    pub fn path() -> PathBuf {
        cache_dir().join("node-cluster").join("host-state.json")
    }

    /// Reads the host as it is now and saves the record, before anything is changed.
    pub fn capture(work_dir: &Path, kube_proxy: &Path) -> anyhow::Result<HostRecord> {
        let sysctls = RECORDED_SYSCTLS
            .iter()
            .filter_map(|name| Some(((*name).to_owned(), read_sysctl(name)?)))
            .collect();
        let chains = FAMILIES
            .iter()
            .map(|family| Ok((*family, iptables::chains(&family.save()?))))
            .collect::<anyhow::Result<_>>()?;
        let record = HostRecord {
            work_dir: work_dir.to_path_buf(),
            kube_proxy: kube_proxy.to_path_buf(),
            sysctls,
            chains,
            absent_dirs: HOST_DIRS
                .iter()
                .map(PathBuf::from)
                .filter(|dir| !dir.exists())
                .collect(),
            pod_cgroups: pod_cgroups(),
        };
        let path = Self::path();
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        std::fs::write(&path, serde_json::to_vec_pretty(&record)?)
            .with_context(|| format!("writing {}", path.display()))?;
        Ok(record)
    }

    /// The record a previous cluster left behind, if any (it died without restoring).
    pub fn left_behind() -> anyhow::Result<Option<HostRecord>> {
        let path = Self::path();
        match std::fs::read(&path) {
            Ok(bytes) => Ok(Some(
                serde_json::from_slice(&bytes)
                    .with_context(|| format!("reading {}", path.display()))?,
            )),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(error) => Err(error).with_context(|| format!("reading {}", path.display())),
        }
    }

    /// Puts the host back as recorded (see the module documentation), then deletes the record.
    /// Every step is tried; the error lists the steps that failed.
    pub fn restore(&self) -> anyhow::Result<()> {
        let mut failures: Vec<String> = Vec::new();
        let mut step = |name: &str, result: anyhow::Result<()>| {
            if let Err(error) = result {
                failures.push(format!("{name}: {error:#}"));
            }
        };
        step(
            "stopping leftover processes",
            kill_leftovers(&self.work_dir),
        );
        step("kube-proxy --cleanup", self.kube_proxy_cleanup());
        step("unmounting", unmount_under(&self.work_dir));
        step("deleting the pod bridge", delete_bridge());
        for (family, before) in &self.chains {
            step(
                "removing iptables chains",
                iptables::remove_cluster_chains(*family, before),
            );
        }
        flush_conntrack();
        for (name, value) in &self.sysctls {
            step("restoring sysctls", write_sysctl(name, value));
        }
        step("removing pod cgroups", self.remove_pod_cgroups());
        step("removing host files", self.remove_host_files());
        if self.work_dir.exists() {
            step(
                "removing the work directory",
                std::fs::remove_dir_all(&self.work_dir)
                    .with_context(|| format!("removing {}", self.work_dir.display())),
            );
        }
        if !failures.is_empty() {
            anyhow::bail!(
                "the host is not fully restored (record kept in {}):\n{}",
                Self::path().display(),
                failures.join("\n")
            );
        }
        let path = Self::path();
        std::fs::remove_file(&path).with_context(|| format!("removing {}", path.display()))
    }

    fn kube_proxy_cleanup(&self) -> anyhow::Result<()> {
        if !self.kube_proxy.is_file() {
            return Ok(());
        }
        // It removes its iptables rules, then fails on the nftables part when `nft` is absent;
        // what it leaves is removed with the other cluster chains.
        let _ = Command::new(&self.kube_proxy)
            .args(["--cleanup", "--v=1"])
            .output()
            .context("running kube-proxy --cleanup")?;
        Ok(())
    }

    fn remove_pod_cgroups(&self) -> anyhow::Result<()> {
        let deadline = Instant::now() + timeout(Duration::from_secs(30));
        for cgroup in pod_cgroups() {
            if self.pod_cgroups.contains(&cgroup) {
                continue;
            }
            loop {
                match remove_cgroup_tree(&cgroup) {
                    Ok(()) => break,
                    Err(error) if Instant::now() > deadline => return Err(error),
                    // Processes being killed leave their cgroups a moment later.
                    Err(_) => std::thread::sleep(Duration::from_millis(100)),
                }
            }
        }
        Ok(())
    }

    fn remove_host_files(&self) -> anyhow::Result<()> {
        let work_dir = &self.work_dir;
        if let Ok(links) = std::fs::read_dir("/var/log/containers") {
            for link in links.flatten() {
                let target = std::fs::read_link(link.path()).unwrap_or_default();
                if target.starts_with(work_dir) {
                    std::fs::remove_file(link.path())
                        .with_context(|| format!("removing {}", link.path().display()))?;
                }
            }
        }
        if let Ok(entries) = std::fs::read_dir("/var/lib/cni/results") {
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                // The pod network's results, and the loopback results containerd keeps for
                // every pod sandbox (podman sets up its containers' loopback itself).
                if name.starts_with(&format!("{CNI_NETWORK}-")) || name.starts_with("cni-loopback-")
                {
                    std::fs::remove_file(entry.path())
                        .with_context(|| format!("removing {}", entry.path().display()))?;
                }
            }
        }
        // Deepest first; a directory someone else put files into meanwhile stays. containerd's
        // runtime directory holds only the shims' sockets of this cluster (one per machine).
        let mut created = self.absent_dirs.clone();
        created.sort_by_key(|dir| std::cmp::Reverse(dir.components().count()));
        for dir in created {
            let _ = if dir == Path::new(CONTAINERD_RUNTIME_DIR) {
                std::fs::remove_dir_all(&dir)
            } else {
                std::fs::remove_dir(&dir)
            };
        }
        Ok(())
    }
}

/// The value of sysctl `name` (`a.b.c` → `/proc/sys/a/b/c`), if it exists here.
pub fn read_sysctl(name: &str) -> Option<String> {
    std::fs::read_to_string(sysctl_path(name))
        .ok()
        .map(|value| value.trim().to_owned())
}

fn write_sysctl(name: &str, value: &str) -> anyhow::Result<()> {
    if read_sysctl(name).as_deref() == Some(value) {
        return Ok(());
    }
    std::fs::write(sysctl_path(name), value).with_context(|| format!("writing {name}={value}"))
}

fn sysctl_path(name: &str) -> PathBuf {
    Path::new("/proc/sys").join(name.replace('.', "/"))
}

/// Kills, until none is left, every process whose command line mentions `work_dir` (the
/// components, containerd's shims) or which lives in a pod cgroup (containers).
fn kill_leftovers(work_dir: &Path) -> anyhow::Result<()> {
    let marker = work_dir.to_string_lossy().into_owned();
    let deadline = Instant::now() + timeout(Duration::from_secs(30));
    loop {
        let leftovers = leftover_processes(&marker);
        if leftovers.is_empty() {
            return Ok(());
        }
        if Instant::now() > deadline {
            anyhow::bail!("processes still running: {leftovers:?}");
        }
        for pid in &leftovers {
            // SAFETY: kill has no memory-safety preconditions.
            unsafe {
                libc::kill(*pid, libc::SIGKILL);
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn leftover_processes(marker: &str) -> Vec<libc::pid_t> {
    let own = std::process::id();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse::<libc::pid_t>().ok())
        .filter(|pid| u32::try_from(*pid).is_ok_and(|pid| pid != own))
        .filter(|pid| {
            let proc_dir = PathBuf::from(format!("/proc/{pid}"));
            // A zombie has an empty command line and is gone once its parent reaps it.
            let stat = std::fs::read_to_string(proc_dir.join("stat")).unwrap_or_default();
            if stat
                .rsplit(')')
                .next()
                .is_some_and(|rest| rest.trim_start().starts_with('Z'))
            {
                return false;
            }
            let cmdline = std::fs::read(proc_dir.join("cmdline")).unwrap_or_default();
            let cgroups = std::fs::read_to_string(proc_dir.join("cgroup")).unwrap_or_default();
            String::from_utf8_lossy(&cmdline).contains(marker)
                || cgroups.contains(&format!(":/{POD_CGROUP}"))
        })
        .collect()
}

/// Unmounts every mount point under `dir`, deepest first, until none is left.
fn unmount_under(dir: &Path) -> anyhow::Result<()> {
    for _ in 0..10 {
        let mut points: Vec<PathBuf> = mount_points()
            .into_iter()
            .filter(|point| point.starts_with(dir))
            .collect();
        if points.is_empty() {
            return Ok(());
        }
        points.sort_by_key(|point| std::cmp::Reverse(point.components().count()));
        for point in points {
            let Ok(c_path) = std::ffi::CString::new(point.as_os_str().as_encoded_bytes()) else {
                continue;
            };
            // SAFETY: c_path is a valid NUL-terminated path for the duration of the call.
            unsafe {
                libc::umount2(c_path.as_ptr(), libc::MNT_DETACH);
            }
        }
    }
    let left: Vec<PathBuf> = mount_points()
        .into_iter()
        .filter(|point| point.starts_with(dir))
        .collect();
    anyhow::ensure!(left.is_empty(), "still mounted: {left:?}");
    Ok(())
}

/// The mount points of this mount namespace, from `/proc/self/mountinfo`.
pub fn mount_points() -> Vec<PathBuf> {
    std::fs::read_to_string("/proc/self/mountinfo")
        .unwrap_or_default()
        .lines()
        .filter_map(|line| line.split_whitespace().nth(4).map(unescape_mount_path))
        .collect()
}

/// Undoes mountinfo's octal escapes (`\040` for a space).
fn unescape_mount_path(escaped: &str) -> PathBuf {
    let bytes = escaped.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let octal = bytes
            .get(i + 1..i + 4)
            .and_then(|digits| std::str::from_utf8(digits).ok())
            .and_then(|digits| u8::from_str_radix(digits, 8).ok());
        match (bytes[i], octal) {
            (b'\\', Some(byte)) => {
                out.push(byte);
                i += 4;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    PathBuf::from(String::from_utf8_lossy(&out).into_owned())
}

/// Deletes the veths on the pod bridge, then the bridge.
fn delete_bridge() -> anyhow::Result<()> {
    let on_bridge = Command::new("ip")
        .args(["-o", "link", "show", "master", BRIDGE])
        .output();
    if let Ok(output) = on_bridge {
        for line in String::from_utf8_lossy(&output.stdout).lines() {
            if let Some(name) = line.split(": ").nth(1) {
                let name = name.split('@').next().unwrap_or(name);
                let _ = Command::new("ip").args(["link", "delete", name]).output();
            }
        }
    }
    let exists = Path::new("/sys/class/net").join(BRIDGE).exists();
    if exists {
        crate::go_tool::run(Command::new("ip").args(["link", "delete", BRIDGE]))?;
    }
    Ok(())
}

/// Forgets the connections of the cluster's ranges (best effort: none is not an error).
fn flush_conntrack() {
    for (flag, range) in [
        ("--orig-src", POD_CIDR),
        ("--orig-dst", POD_CIDR),
        ("--orig-dst", SERVICE_CIDR),
    ] {
        let _ = Command::new("conntrack").args(["-D", flag, range]).output();
    }
}

/// The `kubepods` cgroup of every cgroup hierarchy that has one.
fn pod_cgroups() -> Vec<PathBuf> {
    let Ok(hierarchies) = std::fs::read_dir("/sys/fs/cgroup") else {
        return Vec::new();
    };
    let mut found: Vec<PathBuf> = hierarchies
        .flatten()
        .map(|hierarchy| hierarchy.path().join(POD_CGROUP))
        .filter(|path| path.is_dir())
        .collect();
    found.sort();
    found
}

/// Removes a cgroup and its children (cgroup directories are removed with rmdir, deepest first).
fn remove_cgroup_tree(root: &Path) -> anyhow::Result<()> {
    let mut dirs = Vec::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        if let Ok(entries) = std::fs::read_dir(&dir) {
            pending.extend(
                entries
                    .flatten()
                    .filter(|entry| entry.file_type().is_ok_and(|kind| kind.is_dir()))
                    .map(|entry| entry.path()),
            );
        }
        dirs.push(dir);
    }
    dirs.sort_by_key(|dir| std::cmp::Reverse(dir.components().count()));
    for dir in dirs {
        match std::fs::remove_dir(&dir) {
            Ok(()) => {}
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => {
                return Err(error).with_context(|| format!("removing cgroup {}", dir.display()));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mountinfo_escapes_are_undone() {
        assert_eq!(
            unescape_mount_path(r"/tmp/a\040b/c"),
            PathBuf::from("/tmp/a b/c")
        );
        assert_eq!(unescape_mount_path(r"/x\y"), PathBuf::from(r"/x\y"));
    }

    #[test]
    fn sysctl_names_map_to_proc_paths() {
        assert_eq!(
            sysctl_path("net.ipv4.ip_forward"),
            PathBuf::from("/proc/sys/net/ipv4/ip_forward")
        );
        assert!(read_sysctl("kernel.ostype").is_some_and(|value| value == "Linux"));
        assert_eq!(read_sysctl("no.such.sysctl"), None);
    }
}
