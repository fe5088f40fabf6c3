//! The control plane's command lines: etcd on loopback, the API server on the node's address
//! with Node and RBAC authorization, NodeRestriction and the default admission plugins
//! (PodSecurity among them), the controller manager with every default controller and
//! per-controller ServiceAccount credentials, the scheduler.

use std::net::Ipv4Addr;
use std::path::Path;

use super::network::SERVICE_CIDR;
use super::pki::Pki;

/// The issuer of ServiceAccount tokens.
pub const SERVICE_ACCOUNT_ISSUER: &str = "https://kubernetes.default.svc.cluster.local";

/// etcd's arguments: data in `data_dir`, clients on `127.0.0.1:client_port`.
pub fn etcd(data_dir: &Path, client_port: u16, peer_port: u16) -> Vec<String> {
    let client = format!("http://127.0.0.1:{client_port}");
    let peer = format!("http://127.0.0.1:{peer_port}");
    vec![
        format!("--data-dir={}", data_dir.display()),
        format!("--listen-client-urls={client}"),
        format!("--advertise-client-urls={client}"),
        format!("--listen-peer-urls={peer}"),
        format!("--initial-advertise-peer-urls={peer}"),
        format!("--initial-cluster=default={peer}"),
        "--unsafe-no-fsync".to_owned(),
        "--log-level=warn".to_owned(),
    ]
}

/// The API server's arguments: serving on `node_ip:port`, storing in etcd at `etcd_port`.
pub fn apiserver(
    pki: &Pki,
    kubelet_client: &super::pki::KeyPairFiles,
    cert_dir: &Path,
    node_ip: Ipv4Addr,
    port: u16,
    etcd_port: u16,
) -> Vec<String> {
    vec![
        format!("--etcd-servers=http://127.0.0.1:{etcd_port}"),
        format!("--bind-address={node_ip}"),
        format!("--advertise-address={node_ip}"),
        format!("--secure-port={port}"),
        format!("--cert-dir={}", cert_dir.display()),
        format!("--tls-cert-file={}", pki.apiserver.cert.display()),
        format!("--tls-private-key-file={}", pki.apiserver.key.display()),
        format!("--client-ca-file={}", pki.ca.cert.display()),
        format!(
            "--service-account-key-file={}",
            pki.service_account.cert.display()
        ),
        format!(
            "--service-account-signing-key-file={}",
            pki.service_account.key.display()
        ),
        format!("--service-account-issuer={SERVICE_ACCOUNT_ISSUER}"),
        format!("--service-cluster-ip-range={SERVICE_CIDR}"),
        "--authorization-mode=Node,RBAC".to_owned(),
        "--enable-admission-plugins=NodeRestriction".to_owned(),
        "--allow-privileged=true".to_owned(),
        format!(
            "--kubelet-client-certificate={}",
            kubelet_client.cert.display()
        ),
        format!("--kubelet-client-key={}", kubelet_client.key.display()),
        format!("--kubelet-certificate-authority={}", pki.ca.cert.display()),
        "--kubelet-preferred-address-types=InternalIP".to_owned(),
        "--profiling=false".to_owned(),
        "--v=1".to_owned(),
    ]
}

/// The controller manager's arguments; it serves (health, metrics) on `127.0.0.1:port`.
pub fn controller_manager(pki: &Pki, kubeconfig: &Path, port: u16) -> Vec<String> {
    let mut args = loopback_serving(kubeconfig, port);
    args.extend([
        "--controllers=*".to_owned(),
        "--use-service-account-credentials=true".to_owned(),
        format!(
            "--service-account-private-key-file={}",
            pki.service_account.key.display()
        ),
        format!("--root-ca-file={}", pki.ca.cert.display()),
        format!("--cluster-signing-cert-file={}", pki.ca.cert.display()),
        format!("--cluster-signing-key-file={}", pki.ca.key.display()),
        format!("--service-cluster-ip-range={SERVICE_CIDR}"),
    ]);
    args
}

/// The scheduler's arguments; it serves (health, metrics) on `127.0.0.1:port`.
pub fn scheduler(kubeconfig: &Path, port: u16) -> Vec<String> {
    loopback_serving(kubeconfig, port)
}

/// What the controller manager and the scheduler share: their identity (also for delegated
/// authentication and authorization of their own endpoints), serving on loopback only, no
/// leader election.
fn loopback_serving(kubeconfig: &Path, port: u16) -> Vec<String> {
    let kubeconfig = kubeconfig.display();
    vec![
        format!("--kubeconfig={kubeconfig}"),
        format!("--authentication-kubeconfig={kubeconfig}"),
        format!("--authorization-kubeconfig={kubeconfig}"),
        "--bind-address=127.0.0.1".to_owned(),
        format!("--secure-port={port}"),
        "--leader-elect=false".to_owned(),
        "--v=1".to_owned(),
    ]
}
