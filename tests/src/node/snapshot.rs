//! A comparable picture of the host — every sysctl, the iptables and ip6tables rules, the mount
//! points, the network links — taken before a cluster starts and after it stops, to prove that
//! stopping restores the host.
//!
//! Values the kernel changes on its own (counters, random numbers) are left out, and so are the
//! mounts, links and rules of other container engines that may run on the machine meanwhile
//! (podman's CNI networks and storage) and of other tests' image builds (chroots under the
//! machine cache), which the cluster never touches. Per-interface sysctls
//! (`net.ipv4.conf.<interface>.*`, ...) come and go with their interfaces, which are compared as
//! links instead.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use super::host_state::mount_points;
use super::iptables::FAMILIES;

/// Sysctls (and prefixes) whose values change without anyone setting them.
const VOLATILE_SYSCTLS: [&str; 14] = [
    "fs.dentry-state",
    "fs.file-nr",
    "fs.inode-nr",
    "fs.inode-state",
    "fs.aio-nr",
    "fs.quota.",
    "kernel.random.",
    "kernel.ns_last_pid",
    "kernel.pty.nr",
    "kernel.perf_event_max_sample_rate",
    "kernel.tainted",
    "net.netfilter.nf_conntrack_count",
    "net.netfilter.nf_conntrack_buckets",
    "vm.stat_refresh",
];

/// Name fragments of other container engines' links, mounts and rules.
const OTHER_ENGINES: [&str; 6] = [
    "cni-podman",
    "CNI-",
    "NETAVARK",
    "/var/lib/containers/",
    "/run/containers/",
    "/run/netns/",
];

/// The host's state as far as a cluster could change it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostSnapshot {
    sysctls: BTreeMap<String, String>,
    rules: BTreeSet<String>,
    mounts: BTreeSet<String>,
    links: BTreeSet<String>,
}

impl HostSnapshot {
    /// Reads the host now.
    pub fn capture() -> anyhow::Result<HostSnapshot> {
        let mut sysctls = BTreeMap::new();
        read_sysctls(Path::new("/proc/sys"), "", &mut sysctls);
        let mut rules = BTreeSet::new();
        for family in FAMILIES {
            rules.extend(
                filtering_lines(&family.save()?)
                    .into_iter()
                    .map(|line| format!("{family:?} {line}")),
            );
        }
        let cache = crate::machine::cache_dir();
        let mounts = mount_points()
            .into_iter()
            .filter(|point| !point.starts_with(&cache))
            .map(|point| point.display().to_string())
            .filter(|point| !is_other_engines(point))
            .collect();
        let output = Command::new("ip").args(["-o", "link", "show"]).output()?;
        let links = String::from_utf8_lossy(&output.stdout)
            .lines()
            .filter(|line| !is_other_engines(line) && !on_other_engines_bridge(line))
            .filter_map(|line| line.split(": ").nth(1))
            .map(|name| name.split('@').next().unwrap_or(name).to_owned())
            .collect();
        Ok(HostSnapshot {
            sysctls,
            rules,
            mounts,
            links,
        })
    }

    /// What differs from `earlier`, one line each (empty when nothing does).
    pub fn differences_from(&self, earlier: &HostSnapshot) -> Vec<String> {
        let mut differences = Vec::new();
        for (name, before) in &earlier.sysctls {
            match self.sysctls.get(name) {
                Some(after) if after != before => {
                    differences.push(format!("sysctl {name}: {before:?} became {after:?}"));
                }
                None => differences.push(format!("sysctl {name} disappeared")),
                Some(_) => {}
            }
        }
        for name in self.sysctls.keys() {
            if !earlier.sysctls.contains_key(name) {
                differences.push(format!("sysctl {name} appeared"));
            }
        }
        for (what, before, after) in [
            ("iptables rule", &earlier.rules, &self.rules),
            ("mount", &earlier.mounts, &self.mounts),
            ("link", &earlier.links, &self.links),
        ] {
            differences.extend(
                before
                    .difference(after)
                    .map(|x| format!("{what} gone: {x}")),
            );
            differences.extend(
                after
                    .difference(before)
                    .map(|x| format!("{what} added: {x}")),
            );
        }
        differences
    }
}

/// The lines of iptables-save output that say how packets are filtered, each prefixed with its
/// table: rules, chains other than built-in ones with the default `ACCEPT` policy (which filter
/// nothing, and which nftables keeps once a table was used), without packet counters.
fn filtering_lines(saved: &str) -> Vec<String> {
    let mut table = "";
    let mut lines = Vec::new();
    for line in saved.lines() {
        if let Some(name) = line.strip_prefix('*') {
            table = name.trim();
        } else if let Some(chain) = line.strip_prefix(':') {
            let mut words = chain.split_whitespace();
            let (name, policy) = (
                words.next().unwrap_or_default(),
                words.next().unwrap_or_default(),
            );
            if policy != "ACCEPT" && !is_other_engines(name) {
                lines.push(format!("{table} :{name} {policy}"));
            }
        } else if line.starts_with("-A ") && !is_other_engines(line) {
            lines.push(format!("{table} {line}"));
        }
    }
    lines
}

fn is_other_engines(text: &str) -> bool {
    OTHER_ENGINES.iter().any(|fragment| text.contains(fragment))
}

/// Whether an `ip -o link` line is a veth enslaved to another engine's bridge.
fn on_other_engines_bridge(line: &str) -> bool {
    line.split_whitespace()
        .collect::<Vec<_>>()
        .windows(2)
        .any(|pair| pair[0] == "master" && pair[1].starts_with("podman"))
}

/// Whether `name` is an interface's subtree: `net.<family>.<conf|neigh>.<interface>` other than
/// `all` and `default`.
fn is_per_interface(name: &str) -> bool {
    let parts: Vec<&str> = name.split('.').collect();
    matches!(
        parts.as_slice(),
        ["net", _, "conf" | "neigh", interface] if *interface != "all" && *interface != "default"
    )
}

/// Reads every readable sysctl under `dir` into `into`, skipping volatile ones.
fn read_sysctls(dir: &Path, prefix: &str, into: &mut BTreeMap<String, String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
        if is_per_interface(&name)
            || VOLATILE_SYSCTLS.iter().any(|volatile| {
                name == *volatile || (volatile.ends_with('.') && name.starts_with(volatile))
            })
        {
            continue;
        }
        let path = entry.path();
        if path.is_dir() {
            read_sysctls(&path, &format!("{name}."), into);
        } else if let Ok(value) = std::fs::read_to_string(&path) {
            into.insert(name, value.trim().to_owned());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host_packages::HostFile;

    #[test]
    fn empty_built_in_chains_and_counters_are_not_part_of_filtering() {
        let saved = "# Generated by iptables-save\n*mangle\n:PREROUTING ACCEPT [3:120]\n\
                     :KUBE-X - [0:0]\n:FORWARD DROP [0:0]\n-A KUBE-X -j DROP\n\
                     -A FORWARD -j CNI-abc\nCOMMIT\n";
        assert_eq!(
            filtering_lines(saved),
            [
                "mangle :KUBE-X -",
                "mangle :FORWARD DROP",
                "mangle -A KUBE-X -j DROP"
            ]
        );
        assert_eq!(filtering_lines(""), Vec::<String>::new());
    }

    #[test]
    fn per_interface_sysctls_are_left_to_the_link_comparison() {
        assert!(is_per_interface("net.ipv4.conf.veth1234"));
        assert!(is_per_interface("net.ipv6.neigh.eth0"));
        assert!(!is_per_interface("net.ipv4.conf.all"));
        assert!(!is_per_interface("net.ipv4.conf.default"));
        assert!(!is_per_interface("net.ipv4.ip_forward"));
    }

    #[test]
    fn two_snapshots_in_a_row_do_not_differ() {
        let test = "two_snapshots_in_a_row_do_not_differ";
        // What a snapshot runs: iptables-save, ip6tables-save and ip (installed when missing,
        // as on a machine where no node test ran yet).
        let programs = [
            HostFile {
                file: "iptables-save",
                package: "iptables",
            },
            HostFile {
                file: "ip6tables-save",
                package: "iptables",
            },
            HostFile {
                file: "ip",
                package: "iproute2",
            },
        ];
        let found = super::super::prerequisites::ensure(&programs);
        if crate::prerequisite::require_ok(test, found).is_none() {
            return;
        }
        let first = HostSnapshot::capture().expect("a snapshot");
        let second = HostSnapshot::capture().expect("a snapshot");
        assert_eq!(second.differences_from(&first), Vec::<String>::new());
        assert!(first.sysctls.contains_key("kernel.ostype"));
    }
}
