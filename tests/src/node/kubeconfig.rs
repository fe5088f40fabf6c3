//! Kubeconfig files: one per component and user, each with a client certificate of the
//! cluster's CA, pointing at the API server.

use std::path::{Path, PathBuf};

use anyhow::Context as _;

use super::pki::{Identity, Pki};

/// The cluster, context and user name inside every kubeconfig written here.
pub const CONTEXT: &str = "kubesmith-node";

/// Issues a client certificate for `identity` and writes `<dir>/<name>.kubeconfig` pointing at
/// `server` (e.g. `https://192.0.2.2:6443`). Returns its path.
pub fn write(dir: &Path, pki: &Pki, identity: &Identity, server: &str) -> anyhow::Result<PathBuf> {
    let client = pki.client(identity)?;
    let path = dir.join(format!("{}.kubeconfig", identity.name));
    let text = format!(
        "apiVersion: v1
kind: Config
clusters:
- name: {CONTEXT}
  cluster:
    server: {server}
    certificate-authority: {ca}
users:
- name: {CONTEXT}
  user:
    client-certificate: {cert}
    client-key: {key}
contexts:
- name: {CONTEXT}
  context:
    cluster: {CONTEXT}
    user: {CONTEXT}
current-context: {CONTEXT}
",
        ca = pki.ca.cert.display(),
        cert = client.cert.display(),
        key = client.key.display(),
    );
    std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    Ok(path)
}

/// A `kube::Client` from the kubeconfig at `path`.
pub async fn client(path: &Path) -> anyhow::Result<kube::Client> {
    let kubeconfig = kube::config::Kubeconfig::read_from(path)
        .with_context(|| format!("reading {}", path.display()))?;
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default())
        .await
        .with_context(|| format!("loading {}", path.display()))?;
    Ok(kube::Client::try_from(config)?)
}
