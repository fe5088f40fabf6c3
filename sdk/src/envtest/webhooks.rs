//! Webhooks on a test control plane, like controller-runtime's `WebhookInstallOptions`: a
//! local serving certificate, the webhook configurations (from `config/webhook/manifests.yaml`
//! or in memory) and CRD conversions pointed at `https://127.0.0.1:<free port>/<path>` with the
//! CA bundle, and a wait until the server answers.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use k8s_openapi::api::admissionregistration::v1::{
    MutatingWebhookConfiguration, ValidatingWebhookConfiguration, WebhookClientConfig,
};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::Api;
use kube::api::{Patch, PatchParams, PostParams};
use rustls_pki_types::pem::PemObject;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::{ClientConfig as TlsClientConfig, RootCertStore};

use super::crd::{documents_of_kind, manifest_files};
use super::error::{Error, Result};
use super::ports::free_port;
use crate::server::certificates;
use crate::server::tls::{TlsFiles, crypto_provider};
use crate::webhook::{
    AdmissionWebhooks, ClientConfig, WebhookConfiguration, WebhookServerOptions, configurations,
    served_path,
};

/// Default of how long [`InstalledWebhooks::wait_until_reachable`] waits.
pub const DEFAULT_WEBHOOK_REACHABLE_TIMEOUT: Duration = Duration::from_secs(20);

/// Which webhooks to install, and from where.
///
/// ```no_run
/// use kubesmith::envtest::WebhookInstallOptions;
/// # async fn example(env: &kubesmith::envtest::Environment) -> kubesmith::envtest::Result<()> {
/// let installed = env
///     .install_webhooks(&WebhookInstallOptions::default().path("config/webhook"))
///     .await?;
/// // options.webhook_server = installed.server_options(); run the manager, then:
/// installed.wait_until_reachable().await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct WebhookInstallOptions {
    paths: Vec<PathBuf>,
    webhooks: Vec<AdmissionWebhooks>,
    conversions: Vec<String>,
}

impl WebhookInstallOptions {
    /// Webhook configurations from a manifest file or a directory of them (what
    /// `make manifests` writes to `config/webhook/manifests.yaml`).
    pub fn path(mut self, path: impl Into<PathBuf>) -> Self {
        self.paths.push(path.into());
        self
    }

    /// The webhooks of one Kind, in memory (`&webhook` of a declaration, or its data).
    pub fn webhook(mut self, webhooks: impl Into<AdmissionWebhooks>) -> Self {
        self.webhooks.push(webhooks.into());
        self
    }

    /// The CRD `name` (`<plural>.<group>`, installed already) converts through the webhook.
    pub fn conversion(mut self, crd_name: &str) -> Self {
        self.conversions.push(crd_name.to_string());
        self
    }
}

/// Webhooks installed on a test control plane: where the server has to listen, and with
/// which certificate.
#[derive(Debug)]
pub struct InstalledWebhooks {
    port: u16,
    ca_pem: String,
    files: TlsFiles,
    configurations: (Vec<String>, Vec<String>),
    _dir: tempfile::TempDir,
}

impl InstalledWebhooks {
    /// Options for the webhook server: `127.0.0.1:<port>` and the serving certificate.
    pub fn server_options(&self) -> WebhookServerOptions {
        WebhookServerOptions {
            address: std::net::SocketAddr::from(([127, 0, 0, 1], self.port)),
            tls: self.files.clone(),
            ..WebhookServerOptions::default()
        }
    }

    /// The CA that signed the serving certificate (PEM).
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// The serving certificate and key files.
    pub fn tls_files(&self) -> &TlsFiles {
        &self.files
    }

    /// The names of the installed mutating and validating configurations.
    pub fn configuration_names(&self) -> (&[String], &[String]) {
        (&self.configurations.0, &self.configurations.1)
    }

    /// Deletes the webhook configurations this installation created (the API server stops
    /// calling a server that is about to go away). CRD conversions stay pointed at it.
    pub async fn uninstall(&self, client: &kube::Client) -> Result<()> {
        delete_all::<MutatingWebhookConfiguration>(client, &self.configurations.0).await?;
        delete_all::<ValidatingWebhookConfiguration>(client, &self.configurations.1).await
    }

    /// Waits until a TLS handshake with the server succeeds, as the API server's would.
    pub async fn wait_until_reachable(&self) -> Result<()> {
        let address = format!("127.0.0.1:{}", self.port);
        let timeout = DEFAULT_WEBHOOK_REACHABLE_TIMEOUT;
        let connector = self.connector()?;
        let deadline = Instant::now() + timeout;
        loop {
            if handshake(&connector, &address).await {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(Error::WebhookUnreachable { address, timeout });
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn connector(&self) -> Result<TlsConnector> {
        let mut roots = RootCertStore::empty();
        for certificate in rustls_pki_types::CertificateDer::pem_slice_iter(self.ca_pem.as_bytes())
        {
            let certificate = certificate.map_err(|e| Error::Certificate {
                what: "the webhook CA".into(),
                message: e.to_string(),
            })?;
            roots.add(certificate).map_err(|e| Error::Certificate {
                what: "the webhook CA".into(),
                message: e.to_string(),
            })?;
        }
        let config = TlsClientConfig::builder_with_provider(crypto_provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| Error::Certificate {
                what: "a TLS client configuration".into(),
                message: e.to_string(),
            })?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(TlsConnector::from(Arc::new(config)))
    }
}

async fn handshake(connector: &TlsConnector, address: &str) -> bool {
    let Ok(stream) = tokio::net::TcpStream::connect(address).await else {
        return false;
    };
    let Ok(name) = rustls_pki_types::ServerName::try_from("127.0.0.1") else {
        return false;
    };
    connector.connect(name, stream).await.is_ok()
}

/// Installs the webhooks `options` names on the control plane `client` talks to.
pub(crate) async fn install(
    client: &kube::Client,
    options: &WebhookInstallOptions,
) -> Result<InstalledWebhooks> {
    let port = free_port()?;
    let issued = certificates::issue(
        "kubesmith-envtest-webhook-ca",
        &["127.0.0.1".to_string(), "localhost".to_string()],
        Duration::from_secs(24 * 60 * 60),
    )
    .map_err(|e| Error::Certificate {
        what: "the webhook serving certificate".into(),
        message: e.to_string(),
    })?;
    let dir = tempfile::Builder::new()
        .prefix("kubesmith-envtest-webhook-")
        .tempdir()
        .map_err(Error::io("creating", &std::env::temp_dir()))?;
    let files = TlsFiles {
        certificate: dir.path().join(crate::server::tls::DEFAULT_CERT_NAME),
        key: dir.path().join(crate::server::tls::DEFAULT_KEY_NAME),
    };
    std::fs::write(&files.certificate, &issued.certificate_pem)
        .map_err(Error::io("writing", &files.certificate))?;
    super::kubeconfig::write_private_file(&files.key, issued.key_pem.as_bytes())?;

    let base = format!("https://127.0.0.1:{port}");
    let target = ClientConfig::Url {
        base: base.clone(),
        ca_bundle: issued.ca_pem.clone().into_bytes(),
    };
    let (mut mutating, mut validating) = configurations(&options.webhooks, &target);
    let mut mutating: Vec<MutatingWebhookConfiguration> = mutating.take().into_iter().collect();
    let mut validating: Vec<ValidatingWebhookConfiguration> =
        validating.take().into_iter().collect();
    for path in &options.paths {
        for file in manifest_files(path)? {
            mutating.extend(documents_of_kind(&file, "MutatingWebhookConfiguration")?);
            validating.extend(documents_of_kind(&file, "ValidatingWebhookConfiguration")?);
        }
    }
    let suffix = format!("-{port}");
    let names = (
        create_pointed(client, mutating, &suffix, &base, &issued.ca_pem).await?,
        create_pointed(client, validating, &suffix, &base, &issued.ca_pem).await?,
    );
    let crds = Api::<CustomResourceDefinition>::all(client.clone());
    for crd in &options.conversions {
        let mut conversion = serde_json::json!(target.crd_conversion());
        // A merge patch keeps what it does not name: drop the Service a CRD of `make
        // manifests` points at, or the API server finds both a URL and a Service.
        if let Some(client_config) = conversion
            .pointer_mut("/webhook/clientConfig")
            .and_then(serde_json::Value::as_object_mut)
        {
            client_config.insert("service".into(), serde_json::Value::Null);
        }
        let patch = serde_json::json!({ "spec": { "conversion": conversion } });
        crds.patch(crd, &PatchParams::default(), &Patch::Merge(&patch))
            .await
            .map_err(Error::kube(format!(
                "pointing the conversion of {crd} at {base}"
            )))?;
    }
    Ok(InstalledWebhooks {
        port,
        ca_pem: issued.ca_pem,
        files,
        configurations: names,
        _dir: dir,
    })
}

/// Deletes the configurations `names` (those already gone are fine).
async fn delete_all<K: WebhookConfiguration>(
    client: &kube::Client,
    names: &[String],
) -> Result<()> {
    let api = Api::<K>::all(client.clone());
    for name in names {
        match api.delete(name, &kube::api::DeleteParams::default()).await {
            Ok(_) => {}
            Err(kube::Error::Api(status)) if status.code == 404 => {}
            Err(error) => return Err(Error::kube(format!("deleting {name}"))(error)),
        }
    }
    Ok(())
}

/// Creates `configurations` under names unique to this installation, their webhooks pointed at
/// `base`; returns the names.
async fn create_pointed<K: WebhookConfiguration>(
    client: &kube::Client,
    configurations: Vec<K>,
    suffix: &str,
    base: &str,
    ca_pem: &str,
) -> Result<Vec<String>> {
    let mut names = Vec::new();
    for mut configuration in configurations {
        let name = unique(configuration.meta_mut(), suffix);
        for client_config in configuration.client_configs() {
            point(client_config, base, ca_pem);
        }
        Api::<K>::all(client.clone())
            .create(&PostParams::default(), &configuration)
            .await
            .map_err(Error::kube(format!("installing {name}")))?;
        names.push(name);
    }
    Ok(names)
}

/// Gives a configuration a name unique to this installation; returns it.
fn unique(
    meta: &mut k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta,
    suffix: &str,
) -> String {
    let name = format!("{}{suffix}", meta.name.as_deref().unwrap_or("webhooks"));
    meta.name = Some(name.clone());
    meta.resource_version = None;
    name
}

/// Points a webhook that names a Service at `base` + the Service's path, trusting `ca_pem`.
fn point(client_config: &mut WebhookClientConfig, base: &str, ca_pem: &str) {
    let service = client_config.service.take();
    let path = served_path(
        service.as_ref().and_then(|service| service.path.as_deref()),
        client_config.url.as_deref(),
    )
    .unwrap_or_default();
    client_config.url = Some(format!("{base}{path}"));
    client_config.ca_bundle = Some(k8s_openapi::ByteString(ca_pem.as_bytes().to_vec()));
}
