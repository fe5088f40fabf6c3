//! Client configurations for users of a test control plane, as kube `Config`s and kubeconfig files.

use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use kube::config::{
    AuthInfo, Cluster, Context, KubeConfigOptions, Kubeconfig, NamedAuthInfo, NamedCluster,
    NamedContext,
};

use super::error::{Error, Result};
use super::pki::KeyedCertificate;

/// The cluster and context name in every kubeconfig envtest writes.
pub const CLUSTER_NAME: &str = "envtest";

/// A kubeconfig with one cluster, one user authenticated by client certificate, and one context.
pub(crate) fn kubeconfig_for(
    server: &str,
    ca_pem: &str,
    user: &str,
    identity: &KeyedCertificate,
) -> Kubeconfig {
    Kubeconfig {
        clusters: vec![NamedCluster {
            name: CLUSTER_NAME.to_string(),
            cluster: Some(Cluster {
                server: Some(server.to_string()),
                certificate_authority_data: Some(STANDARD.encode(ca_pem)),
                ..Cluster::default()
            }),
            ..NamedCluster::default()
        }],
        auth_infos: vec![NamedAuthInfo {
            name: user.to_string(),
            auth_info: Some(AuthInfo {
                client_certificate_data: Some(STANDARD.encode(&identity.certificate_pem)),
                client_key_data: Some(STANDARD.encode(&identity.key_pem).into()),
                ..AuthInfo::default()
            }),
            ..NamedAuthInfo::default()
        }],
        contexts: vec![NamedContext {
            name: CLUSTER_NAME.to_string(),
            context: Some(Context {
                cluster: CLUSTER_NAME.to_string(),
                user: Some(user.to_string()),
                ..Context::default()
            }),
            ..NamedContext::default()
        }],
        current_context: Some(CLUSTER_NAME.to_string()),
        kind: Some("Config".to_string()),
        api_version: Some("v1".to_string()),
        ..Kubeconfig::default()
    }
}

/// The kube client configuration a kubeconfig describes.
pub(crate) async fn client_config(kubeconfig: Kubeconfig) -> Result<kube::Config> {
    Ok(kube::Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default()).await?)
}

/// Writes `kubeconfig` to `path` with mode 0600 (it holds a private key).
pub(crate) fn write_kubeconfig(kubeconfig: &Kubeconfig, path: &Path) -> Result<()> {
    let yaml = serde_saphyr::to_string(kubeconfig).map_err(|e| {
        Error::io("serializing kubeconfig for", path)(std::io::Error::other(e.to_string()))
    })?;
    write_private_file(path, yaml.as_bytes())
}

/// Writes a file only its owner can read.
pub(crate) fn write_private_file(path: &Path, contents: &[u8]) -> Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::File::options()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map_err(Error::io("writing", path))?;
    file.write_all(contents).map_err(Error::io("writing", path))
}
