//! The kubelet: its configuration file (cgroupfs on this cgroup-v1 host, webhook authentication
//! and authorization against the cluster's CA, serving on the node's address and a free port,
//! everything it writes kept under the work directory, no disk-pressure evictions or image
//! garbage collection that would drop images loaded by hand) and its command line.

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

use anyhow::Context as _;

use super::network::NODE_NAME;
use super::pki::{KeyPairFiles, Pki};

/// Where the kubelet's files are, and how it is reached.
#[derive(Debug, Clone)]
pub struct KubeletSettings {
    /// The kubelet's root directory (pods' volumes, plugins, checkpoints).
    pub root_dir: PathBuf,
    /// Where container logs go (`podLogsDir`).
    pub pod_logs_dir: PathBuf,
    /// The kubeconfig of the node's identity.
    pub kubeconfig: PathBuf,
    /// The container runtime's endpoint (`unix://…`).
    pub runtime_endpoint: String,
    /// The node's address; the kubelet serves there.
    pub node_ip: Ipv4Addr,
    /// The kubelet's HTTPS port.
    pub port: u16,
}

/// The KubeletConfiguration for `settings`, serving with `serving` and trusting `pki`'s CA.
pub fn config(settings: &KubeletSettings, pki: &Pki, serving: &KeyPairFiles) -> String {
    let root = settings.root_dir.display();
    format!(
        "apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: {address}
port: {port}
readOnlyPort: 0
healthzPort: 0
authentication:
  anonymous:
    enabled: false
  webhook:
    enabled: true
  x509:
    clientCAFile: {ca}
authorization:
  mode: Webhook
tlsCertFile: {cert}
tlsPrivateKeyFile: {key}
cgroupDriver: cgroupfs
failCgroupV1: false
failSwapOn: false
containerRuntimeEndpoint: {endpoint}
podLogsDir: {logs}
volumePluginDir: {root}/volume-plugins
clusterDomain: cluster.local
resolvConf: /etc/resolv.conf
evictionHard:
  memory.available: \"1Mi\"
  nodefs.available: \"0%\"
  nodefs.inodesFree: \"0%\"
  imagefs.available: \"0%\"
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
serializeImagePulls: false
rotateCertificates: false
serverTLSBootstrap: false
",
        address = settings.node_ip,
        port = settings.port,
        ca = pki.ca.cert.display(),
        cert = serving.cert.display(),
        key = serving.key.display(),
        endpoint = settings.runtime_endpoint,
        logs = settings.pod_logs_dir.display(),
    )
}

/// Writes the configuration to `<dir>/kubelet.yaml` and returns the kubelet's arguments.
pub fn arguments(dir: &Path, settings: &KubeletSettings, pki: &Pki) -> anyhow::Result<Vec<String>> {
    let config_path = dir.join("kubelet.yaml");
    std::fs::write(&config_path, config(settings, pki, &pki.kubelet_serving))
        .with_context(|| format!("writing {}", config_path.display()))?;
    Ok(vec![
        format!("--config={}", config_path.display()),
        format!("--kubeconfig={}", settings.kubeconfig.display()),
        format!("--root-dir={}", settings.root_dir.display()),
        format!("--cert-dir={}", settings.root_dir.join("pki").display()),
        format!("--hostname-override={NODE_NAME}"),
        format!("--node-ip={}", settings.node_ip),
        "--v=2".to_owned(),
    ])
}
