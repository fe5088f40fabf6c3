//! The cluster's packet-filter rules, in iptables and ip6tables: the guard that keeps pod
//! traffic on the machine, and the removal of every chain the cluster's components created
//! (`KUBE-*` of the kubelet and kube-proxy, `KUBESMITH-*` of the guard) together with the rules
//! that jump to them. Nothing else is touched: no table is flushed wholesale.

use std::collections::BTreeSet;
use std::process::Command;

use anyhow::{Context as _, bail};

use super::network::{BRIDGE, POD_CIDR};

/// The two command families: IPv4 and IPv6.
pub const FAMILIES: [Family; 2] = [Family::V4, Family::V6];

/// The tables the components write to.
const TABLES: [&str; 4] = ["filter", "nat", "mangle", "raw"];

/// Chain name prefixes of chains the cluster creates.
const CLUSTER_CHAIN_PREFIXES: [&str; 2] = ["KUBE-", "KUBESMITH-"];

/// The guard chain for routed traffic (hooked into `mangle FORWARD`, ahead of kube-proxy's
/// filter rules, which accept some forwarded traffic).
const GUARD_FORWARD: &str = "KUBESMITH-GUARD-FORWARD";

/// The guard chain for traffic arriving from off the machine (hooked into `mangle PREROUTING`).
const GUARD_INPUT: &str = "KUBESMITH-GUARD-INPUT";

/// IPv4 or IPv6 iptables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Family {
    /// `iptables`.
    V4,
    /// `ip6tables`.
    V6,
}

impl Family {
    fn program(self) -> &'static str {
        match self {
            Family::V4 => "iptables",
            Family::V6 => "ip6tables",
        }
    }

    fn save_program(self) -> &'static str {
        match self {
            Family::V4 => "iptables-save",
            Family::V6 => "ip6tables-save",
        }
    }

    /// `iptables-save` output (empty when the family is not available at all).
    pub fn save(self) -> anyhow::Result<String> {
        let output = Command::new(self.save_program())
            .output()
            .with_context(|| format!("running {}", self.save_program()))?;
        if !output.status.success() {
            bail!(
                "{} failed: {}",
                self.save_program(),
                String::from_utf8_lossy(&output.stderr)
            );
        }
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    }

    /// Runs `iptables -w -t <table> <args>`.
    fn run(self, table: &str, args: &[String]) -> anyhow::Result<()> {
        let output = Command::new(self.program())
            .args(["-w", "-t", table])
            .args(args)
            .output()
            .with_context(|| format!("running {}", self.program()))?;
        if !output.status.success() {
            bail!(
                "{} -t {table} {} failed: {}",
                self.program(),
                args.join(" "),
                String::from_utf8_lossy(&output.stderr).trim()
            );
        }
        Ok(())
    }
}

/// Every `(table, chain)` that exists in `saved` (iptables-save output).
pub fn chains(saved: &str) -> BTreeSet<(String, String)> {
    parse(saved)
        .into_iter()
        .flat_map(|table| {
            let name = table.name;
            table
                .chains
                .into_iter()
                .map(move |chain| (name.clone(), chain))
        })
        .collect()
}

/// Installs the guard in `family`: pod traffic routed to or from `uplink` is dropped, and
/// connections from `uplink` to the cluster's `ports` (API server, kubelet) too.
pub fn install_guard(family: Family, uplink: &str, ports: &[u16]) -> anyhow::Result<()> {
    let s = |text: &str| text.to_owned();
    family.run("mangle", &[s("-N"), s(GUARD_FORWARD)])?;
    family.run("mangle", &[s("-N"), s(GUARD_INPUT)])?;
    let mut forward = vec![
        vec![s("-i"), s(BRIDGE), s("-o"), s(uplink)],
        vec![s("-i"), s(uplink), s("-o"), s(BRIDGE)],
    ];
    if family == Family::V4 {
        forward.push(vec![s("-s"), s(POD_CIDR), s("-o"), s(uplink)]);
        forward.push(vec![s("-d"), s(POD_CIDR), s("-i"), s(uplink)]);
    }
    for rule in forward {
        let mut args = vec![s("-A"), s(GUARD_FORWARD)];
        args.extend(rule);
        args.extend([
            s("-m"),
            s("comment"),
            s("--comment"),
            s("kubesmith node: pods stay on this machine"),
            s("-j"),
            s("DROP"),
        ]);
        family.run("mangle", &args)?;
    }
    let ports: Vec<String> = ports.iter().map(u16::to_string).collect();
    family.run(
        "mangle",
        &[
            s("-A"),
            s(GUARD_INPUT),
            s("-i"),
            s(uplink),
            s("-p"),
            s("tcp"),
            s("-m"),
            s("multiport"),
            s("--dports"),
            ports.join(","),
            s("-m"),
            s("comment"),
            s("--comment"),
            s("kubesmith node: cluster ports are local"),
            s("-j"),
            s("DROP"),
        ],
    )?;
    family.run(
        "mangle",
        &[s("-I"), s("FORWARD"), s("1"), s("-j"), s(GUARD_FORWARD)],
    )?;
    family.run(
        "mangle",
        &[s("-I"), s("PREROUTING"), s("1"), s("-j"), s(GUARD_INPUT)],
    )?;
    Ok(())
}

/// Removes, in `family`, every cluster chain (`KUBE-*`, `KUBESMITH-*`) not in `before`, and the
/// rules of other chains that jump to them. Returns what could not be removed, if anything.
pub fn remove_cluster_chains(
    family: Family,
    before: &BTreeSet<(String, String)>,
) -> anyhow::Result<()> {
    let saved = family.save()?;
    let mut failures = Vec::new();
    for table in parse(&saved) {
        if !TABLES.contains(&table.name.as_str()) {
            continue;
        }
        let ours: BTreeSet<&String> = table
            .chains
            .iter()
            .filter(|chain| {
                CLUSTER_CHAIN_PREFIXES
                    .iter()
                    .any(|prefix| chain.starts_with(prefix))
                    && !before.contains(&(table.name.clone(), (*chain).clone()))
            })
            .collect();
        if ours.is_empty() {
            continue;
        }
        for rule in &table.rules {
            let Some((chain, spec)) = rule.split_first() else {
                continue;
            };
            if ours.contains(chain) || !jumps_to_any(spec, &ours) {
                continue;
            }
            let mut args = vec!["-D".to_owned(), chain.clone()];
            args.extend(spec.iter().cloned());
            if let Err(error) = family.run(&table.name, &args) {
                failures.push(error.to_string());
            }
        }
        for chain in &ours {
            if let Err(error) = family.run(&table.name, &["-F".to_owned(), (*chain).clone()]) {
                failures.push(error.to_string());
            }
        }
        for chain in &ours {
            if let Err(error) = family.run(&table.name, &["-X".to_owned(), (*chain).clone()]) {
                failures.push(error.to_string());
            }
        }
    }
    if !failures.is_empty() {
        bail!(
            "could not remove every cluster chain:\n{}",
            failures.join("\n")
        );
    }
    Ok(())
}

/// Whether a rule's arguments jump (`-j`/`-g`) to one of `chains`.
fn jumps_to_any(spec: &[String], chains: &BTreeSet<&String>) -> bool {
    spec.windows(2)
        .any(|pair| (pair[0] == "-j" || pair[0] == "-g") && chains.contains(&pair[1]))
}

/// One table of iptables-save output.
#[derive(Debug, Default, PartialEq, Eq)]
struct Table {
    name: String,
    chains: Vec<String>,
    /// Each `-A` line as arguments: the chain first, then the rule's specification.
    rules: Vec<Vec<String>>,
}

/// Parses iptables-save output into tables of chains and rules.
fn parse(saved: &str) -> Vec<Table> {
    let mut tables: Vec<Table> = Vec::new();
    for line in saved.lines() {
        if let Some(name) = line.strip_prefix('*') {
            tables.push(Table {
                name: name.trim().to_owned(),
                ..Table::default()
            });
        } else if let (Some(chain), Some(table)) = (line.strip_prefix(':'), tables.last_mut()) {
            if let Some(name) = chain.split_whitespace().next() {
                table.chains.push(name.to_owned());
            }
        } else if let (Some(rule), Some(table)) = (line.strip_prefix("-A "), tables.last_mut()) {
            table.rules.push(split_words(rule));
        }
    }
    tables
}

/// Splits a rule of iptables-save output into arguments: words, or `"…"` with `\"` and `\\`
/// escapes inside.
fn split_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut chars = line.chars().peekable();
    while let Some(&next) = chars.peek() {
        if next.is_whitespace() {
            chars.next();
            continue;
        }
        let mut word = String::new();
        let mut quoted = false;
        while let Some(c) = chars.next() {
            match c {
                '"' => quoted = !quoted,
                '\\' if quoted => {
                    if let Some(escaped) = chars.next() {
                        word.push(escaped);
                    }
                }
                c if c.is_whitespace() && !quoted => break,
                c => word.push(c),
            }
        }
        words.push(word);
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAVED: &str = r#"# Generated by iptables-save v1.8.9 (nf_tables)
*mangle
:PREROUTING ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:KUBE-KUBELET-CANARY - [0:0]
:KUBESMITH-GUARD-FORWARD - [0:0]
-A FORWARD -j KUBESMITH-GUARD-FORWARD
-A KUBESMITH-GUARD-FORWARD -i kubesmith0 -o eth0 -m comment --comment "kubesmith node: pods stay" -j DROP
COMMIT
*filter
:INPUT ACCEPT [0:0]
:OTHER-TOOL - [0:0]
-A INPUT -m comment --comment "kubernetes \"firewall\"" -j KUBE-FIREWALL
-A INPUT -j OTHER-TOOL
COMMIT
"#;

    #[test]
    fn saved_rules_are_split_into_arguments_with_quotes_removed() {
        let tables = parse(SAVED);
        assert_eq!(tables.len(), 2);
        assert_eq!(
            tables[1].rules[0],
            [
                "INPUT",
                "-m",
                "comment",
                "--comment",
                "kubernetes \"firewall\"",
                "-j",
                "KUBE-FIREWALL"
            ]
        );
        assert_eq!(tables[0].rules[1][8], "kubesmith node: pods stay");
    }

    #[test]
    fn chains_are_listed_per_table() {
        let chains = chains(SAVED);
        assert!(chains.contains(&("mangle".to_owned(), "KUBE-KUBELET-CANARY".to_owned())));
        assert!(chains.contains(&("filter".to_owned(), "OTHER-TOOL".to_owned())));
        assert_eq!(chains.len(), 6);
    }

    #[test]
    fn only_jumps_to_cluster_chains_count() {
        let kube = "KUBE-FIREWALL".to_owned();
        let ours: BTreeSet<&String> = [&kube].into_iter().collect();
        let words = |text: &str| split_words(text);
        assert!(jumps_to_any(&words("-m comment -j KUBE-FIREWALL"), &ours));
        assert!(jumps_to_any(&words("-g KUBE-FIREWALL"), &ours));
        assert!(!jumps_to_any(&words("-j OTHER-TOOL"), &ours));
        assert!(!jumps_to_any(
            &words("--comment KUBE-FIREWALL -j ACCEPT"),
            &ours
        ));
    }
}
