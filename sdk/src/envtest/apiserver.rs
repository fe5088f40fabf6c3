//! The kube-apiserver process of a test control plane.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::Namespace;
use kube::Api;

use super::error::{Error, Result};
use super::kubeconfig::write_private_file;
use super::pki::Pki;
use super::ports::free_port;
use super::probe;
use super::process::{Output, Process};

/// The Service IP range handed to the API server, as in controller-runtime's envtest.
pub const SERVICE_CLUSTER_IP_RANGE: &str = "10.0.0.0/24";

/// Everything needed to (re)start the API server with the same identity and storage.
#[derive(Clone)]
pub(crate) struct ApiServerSpec {
    pub(crate) binary: PathBuf,
    pub(crate) args: Vec<String>,
    pub(crate) url: String,
    pub(crate) output: Output,
    pub(crate) start_timeout: Duration,
    pub(crate) stop_timeout: Duration,
}

impl ApiServerSpec {
    /// Writes the certificates and keys under `dir` and builds the command line: secure serving
    /// on a free port of 127.0.0.1, client-certificate authentication, RBAC authorization and
    /// service-account token signing.
    pub(crate) fn new(
        binary: PathBuf,
        dir: &Path,
        etcd_url: &str,
        pki: &Pki,
        extra_args: &[String],
        output: Output,
        timeouts: (Duration, Duration),
    ) -> Result<Self> {
        let port = free_port()?;
        let file = |name: &str, contents: &str| -> Result<String> {
            let path = dir.join(name);
            write_private_file(&path, contents.as_bytes())?;
            Ok(path.display().to_string())
        };
        let serving_cert = file("apiserver.crt", &pki.serving.certificate_pem)?;
        let serving_key = file("apiserver.key", &pki.serving.key_pem)?;
        let client_ca = file("client-ca.crt", &pki.client_ca_pem)?;
        let sa_key = file("sa-signer.key", &pki.service_account_key_pem)?;
        let sa_pub = file("sa-signer.pub", &pki.service_account_public_pem)?;
        let url = format!("https://127.0.0.1:{port}");
        let mut args = vec![
            format!("--etcd-servers={etcd_url}"),
            "--advertise-address=127.0.0.1".to_string(),
            // The `kubernetes` Service endpoints may not point at loopback; nothing needs them here.
            "--endpoint-reconciler-type=none".to_string(),
            "--bind-address=127.0.0.1".to_string(),
            format!("--secure-port={port}"),
            format!("--cert-dir={}", dir.join("apiserver-certs").display()),
            format!("--tls-cert-file={serving_cert}"),
            format!("--tls-private-key-file={serving_key}"),
            format!("--client-ca-file={client_ca}"),
            "--authorization-mode=RBAC".to_string(),
            format!("--service-cluster-ip-range={SERVICE_CLUSTER_IP_RANGE}"),
            format!("--service-account-issuer={url}"),
            format!("--service-account-key-file={sa_pub}"),
            format!("--service-account-signing-key-file={sa_key}"),
            "--allow-privileged=true".to_string(),
            // No controller-manager runs to create service-account tokens for pods.
            "--disable-admission-plugins=ServiceAccount".to_string(),
        ];
        args.extend(extra_args.iter().cloned());
        let (start_timeout, stop_timeout) = timeouts;
        Ok(ApiServerSpec {
            binary,
            args,
            url,
            output,
            start_timeout,
            stop_timeout,
        })
    }

    /// Starts the API server and waits until `/readyz` answers 200 and the `default` namespace exists.
    pub(crate) async fn start(&self, admin: &kube::Config) -> Result<Process> {
        let mut process = Process::spawn(
            "kube-apiserver",
            &self.binary,
            &self.args,
            self.output.clone(),
            self.stop_timeout,
        )?;
        let client = kube::Client::try_from(admin.clone())
            .map_err(Error::kube("building the admin client"))?;
        let deadline = Instant::now() + self.start_timeout;
        loop {
            process.ensure_running()?;
            if is_ready(admin, &client).await {
                return Ok(process);
            }
            if Instant::now() >= deadline {
                return Err(process.start_timeout(self.start_timeout));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// Ready means `/readyz` answers 200 and the bootstrap controller has created `default`.
async fn is_ready(admin: &kube::Config, client: &kube::Client) -> bool {
    if !probe::https_ok(admin, "/readyz").await {
        return false;
    }
    let namespaces = Api::<Namespace>::all(client.clone());
    let default = namespaces.get_opt("default");
    matches!(
        tokio::time::timeout(Duration::from_secs(2), default).await,
        Ok(Ok(Some(_)))
    )
}
