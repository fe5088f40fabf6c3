//! The cluster's addresses: the private ranges of pods and Services, the node's own address on
//! the interface that leads off the machine, and free local ports for the components.

use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener};
use std::process::Command;

use anyhow::{Context as _, bail};

/// The pods' range: the CNI bridge's subnet.
pub const POD_CIDR: &str = "10.244.0.0/24";

/// The Services' range (`--service-cluster-ip-range`).
pub const SERVICE_CIDR: &str = "10.96.0.0/24";

/// The address of the `kubernetes` Service: the first of [`SERVICE_CIDR`].
pub const API_SERVICE_IP: Ipv4Addr = Ipv4Addr::new(10, 96, 0, 1);

/// The Linux bridge the pods are attached to.
pub const BRIDGE: &str = "kubesmith0";

/// The node's name (its kubelet's identity is `system:node:<name>`).
pub const NODE_NAME: &str = "kubesmith-node";

/// The interface of the default route and its IPv4 address: the node's address, and the way
/// off the machine that the guard rules close for pods.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uplink {
    /// The interface name, e.g. `eth0`.
    pub interface: String,
    /// Its first IPv4 address.
    pub address: Ipv4Addr,
}

impl Uplink {
    /// Reads the default route (`ip -4 route show default`) and its interface's address.
    pub fn discover() -> anyhow::Result<Uplink> {
        let routes = ip(&["-4", "-o", "route", "show", "default"])?;
        let interface = default_route_interface(&routes)
            .with_context(|| format!("no IPv4 default route with a device in {routes:?}"))?;
        let addresses = ip(&["-4", "-o", "addr", "show", "dev", &interface])?;
        let address = first_ipv4(&addresses)
            .with_context(|| format!("no IPv4 address on {interface}: {addresses:?}"))?;
        Ok(Uplink { interface, address })
    }
}

/// A TCP port that is free on `address` right now (the kernel picks it).
pub fn free_port(address: IpAddr) -> anyhow::Result<u16> {
    let listener = TcpListener::bind(SocketAddr::new(address, 0))
        .with_context(|| format!("binding a free port on {address}"))?;
    Ok(listener.local_addr()?.port())
}

fn ip(args: &[&str]) -> anyhow::Result<String> {
    let output = Command::new("ip")
        .args(args)
        .output()
        .context("running ip (iproute2)")?;
    if !output.status.success() {
        bail!(
            "ip {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// The `dev` of the first route in `ip -o route` output.
fn default_route_interface(routes: &str) -> Option<String> {
    routes.lines().find_map(|line| {
        let mut words = line.split_whitespace();
        words.by_ref().find(|word| *word == "dev")?;
        words.next().map(str::to_owned)
    })
}

/// The first `inet a.b.c.d/n` of `ip -o addr` output.
fn first_ipv4(addresses: &str) -> Option<Ipv4Addr> {
    addresses.lines().find_map(|line| {
        let mut words = line.split_whitespace();
        words.by_ref().find(|word| *word == "inet")?;
        words.next()?.split('/').next()?.parse().ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_uplink_is_read_from_ip_output() {
        assert_eq!(
            default_route_interface("default via 192.0.2.1 dev eth0 proto static\n"),
            Some("eth0".to_owned())
        );
        assert_eq!(default_route_interface(""), None);
        assert_eq!(
            first_ipv4(
                "2: eth0    inet 192.0.2.2/24 brd 192.0.2.255 scope global eth0\\       valid_lft forever\n"
            ),
            Some(Ipv4Addr::new(192, 0, 2, 2))
        );
        assert_eq!(
            first_ipv4("2: eth0    inet6 fd00::2/64 scope global\n"),
            None
        );
    }
}
