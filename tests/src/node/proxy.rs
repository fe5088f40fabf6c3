//! kube-proxy in iptables mode: ClusterIPs routed to pods on this node, no conntrack tuning
//! (`maxPerCore: 0` and zero timeouts leave the host's settings alone), no localhost NodePorts
//! (which would need `route_localnet`), health and metrics on loopback.

use std::path::Path;

use anyhow::Context as _;

use super::network::{NODE_NAME, POD_CIDR};

/// Writes the KubeProxyConfiguration to `<dir>/kube-proxy.yaml` and returns kube-proxy's
/// arguments. `kubeconfig` is kube-proxy's identity; `healthz_port` and `metrics_port` are free
/// loopback ports.
pub fn arguments(
    dir: &Path,
    kubeconfig: &Path,
    healthz_port: u16,
    metrics_port: u16,
) -> anyhow::Result<Vec<String>> {
    let config = format!(
        "apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection:
  kubeconfig: {kubeconfig}
mode: iptables
clusterCIDR: {POD_CIDR}
hostnameOverride: {NODE_NAME}
healthzBindAddress: 127.0.0.1:{healthz_port}
metricsBindAddress: 127.0.0.1:{metrics_port}
conntrack:
  maxPerCore: 0
  min: 0
  tcpEstablishedTimeout: 0s
  tcpCloseWaitTimeout: 0s
iptables:
  localhostNodePorts: false
",
        kubeconfig = kubeconfig.display(),
    );
    let path = dir.join("kube-proxy.yaml");
    std::fs::write(&path, config).with_context(|| format!("writing {}", path.display()))?;
    Ok(vec![
        format!("--config={}", path.display()),
        "--v=2".to_owned(),
    ])
}
