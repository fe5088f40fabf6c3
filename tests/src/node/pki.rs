//! The cluster's certificates and keys, made with rcgen: one CA signing the API server's and
//! the kubelet's serving certificates and a client certificate per component and user, and the
//! ServiceAccount token signing key pair. Everything is written as PEM files.

use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SanType,
};

use super::network::{API_SERVICE_IP, NODE_NAME};

/// A certificate and its key on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyPairFiles {
    /// The PEM certificate.
    pub cert: PathBuf,
    /// The PEM private key.
    pub key: PathBuf,
}

/// Who a client certificate is for: its user (common name) and groups (organizations).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Identity {
    /// The file name stem, e.g. `admin`.
    pub name: &'static str,
    /// The Kubernetes user name.
    pub user: &'static str,
    /// The Kubernetes groups.
    pub groups: &'static [&'static str],
}

/// The cluster administrator: `system:masters`.
pub const ADMIN: Identity = Identity {
    name: "admin",
    user: "kubesmith-node-admin",
    groups: &["system:masters"],
};
/// The controller manager's identity.
pub const CONTROLLER_MANAGER: Identity = Identity {
    name: "controller-manager",
    user: "system:kube-controller-manager",
    groups: &[],
};
/// The scheduler's identity.
pub const SCHEDULER: Identity = Identity {
    name: "scheduler",
    user: "system:kube-scheduler",
    groups: &[],
};
/// kube-proxy's identity (bound to `system:node-proxier` by default RBAC).
pub const PROXY: Identity = Identity {
    name: "kube-proxy",
    user: "system:kube-proxy",
    groups: &[],
};
/// The kubelet's identity, as the Node authorizer expects it: `system:node:<NODE_NAME>` (a
/// test keeps the two in step).
pub const KUBELET: Identity = Identity {
    name: "kubelet",
    user: "system:node:kubesmith-node",
    groups: &["system:nodes"],
};
/// The API server's identity towards kubelets (logs, exec).
pub const APISERVER_KUBELET_CLIENT: Identity = Identity {
    name: "apiserver-kubelet-client",
    user: "kube-apiserver-kubelet-client",
    groups: &["system:masters"],
};

/// The files of the cluster's PKI, and the CA to issue more client certificates.
#[derive(Debug)]
pub struct Pki {
    /// The CA certificate every component trusts.
    pub ca: KeyPairFiles,
    /// The API server's serving certificate.
    pub apiserver: KeyPairFiles,
    /// The kubelet's serving certificate.
    pub kubelet_serving: KeyPairFiles,
    /// The ServiceAccount token signing key (`key`) and its public key (`cert`).
    pub service_account: KeyPairFiles,
    dir: PathBuf,
    issuer: Issuer<'static, KeyPair>,
}

impl Pki {
    /// Creates the CA, the serving certificates for `node_ip` and the ServiceAccount keys in
    /// `dir`.
    pub fn create(dir: &Path, node_ip: Ipv4Addr) -> anyhow::Result<Pki> {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let ca_key = KeyPair::generate()?;
        let mut ca_params = CertificateParams::default();
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "kubesmith-node-ca");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca_cert = ca_params.self_signed(&ca_key)?;
        let ca = write_pair(dir, "ca", &ca_cert.pem(), &ca_key.serialize_pem())?;
        let issuer = Issuer::new(ca_params, ca_key);

        let loopback = IpAddr::V4(Ipv4Addr::LOCALHOST);
        let apiserver = serving(
            dir,
            &issuer,
            "apiserver",
            &[
                "kubernetes",
                "kubernetes.default",
                "kubernetes.default.svc",
                "kubernetes.default.svc.cluster.local",
                "localhost",
            ],
            &[loopback, IpAddr::V4(node_ip), IpAddr::V4(API_SERVICE_IP)],
        )?;
        let kubelet_serving = serving(
            dir,
            &issuer,
            "kubelet-serving",
            &[NODE_NAME, "localhost"],
            &[loopback, IpAddr::V4(node_ip)],
        )?;
        let sa_key = KeyPair::generate()?;
        let service_account = write_pair(
            dir,
            "service-account",
            &sa_key.public_key_pem(),
            &sa_key.serialize_pem(),
        )?;
        Ok(Pki {
            ca,
            apiserver,
            kubelet_serving,
            service_account,
            dir: dir.to_path_buf(),
            issuer,
        })
    }

    /// Issues (and writes) a client certificate for `identity`.
    pub fn client(&self, identity: &Identity) -> anyhow::Result<KeyPairFiles> {
        let mut params = CertificateParams::default();
        params
            .distinguished_name
            .push(DnType::CommonName, identity.user);
        for group in identity.groups {
            params
                .distinguished_name
                .push(DnType::OrganizationName, *group);
        }
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        let key = KeyPair::generate()?;
        let cert = params.signed_by(&key, &self.issuer)?;
        write_pair(&self.dir, identity.name, &cert.pem(), &key.serialize_pem())
    }
}

/// Issues a serving certificate named `name` for the DNS names and addresses given.
fn serving(
    dir: &Path,
    issuer: &Issuer<'static, KeyPair>,
    name: &str,
    dns_names: &[&str],
    addresses: &[IpAddr],
) -> anyhow::Result<KeyPairFiles> {
    let mut params = CertificateParams::new(
        dns_names
            .iter()
            .map(|dns| (*dns).to_owned())
            .collect::<Vec<_>>(),
    )?;
    params
        .subject_alt_names
        .extend(addresses.iter().map(|address| SanType::IpAddress(*address)));
    params.distinguished_name.push(DnType::CommonName, name);
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    let key = KeyPair::generate()?;
    let cert = params.signed_by(&key, issuer)?;
    write_pair(dir, name, &cert.pem(), &key.serialize_pem())
}

fn write_pair(dir: &Path, name: &str, cert: &str, key: &str) -> anyhow::Result<KeyPairFiles> {
    let files = KeyPairFiles {
        cert: dir.join(format!("{name}.crt")),
        key: dir.join(format!("{name}.key")),
    };
    std::fs::write(&files.cert, cert)
        .with_context(|| format!("writing {}", files.cert.display()))?;
    std::fs::write(&files.key, key).with_context(|| format!("writing {}", files.key.display()))?;
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kubelet_identity_names_the_node() {
        assert_eq!(KUBELET.user, format!("system:node:{NODE_NAME}"));
    }

    #[test]
    fn every_file_of_the_pki_is_written_as_pem() {
        let dir = tempfile::tempdir().expect("a directory");
        let pki = Pki::create(dir.path(), Ipv4Addr::new(192, 0, 2, 2)).expect("a PKI");
        let admin = pki.client(&ADMIN).expect("a client certificate");
        for file in [
            &pki.ca.cert,
            &pki.apiserver.cert,
            &pki.kubelet_serving.cert,
            &admin.cert,
        ] {
            let text = std::fs::read_to_string(file).expect("a file");
            assert!(text.starts_with("-----BEGIN CERTIFICATE-----"), "{text}");
        }
        let public = std::fs::read_to_string(&pki.service_account.cert).expect("a file");
        assert!(public.starts_with("-----BEGIN PUBLIC KEY-----"), "{public}");
    }
}
