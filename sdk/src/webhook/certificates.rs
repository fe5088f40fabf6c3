//! Webhook certificates without cert-manager (opt-in, [`SelfManagedCertificates`]): the
//! operator issues its own CA and serving certificate, keeps them in a Secret, writes them
//! where its webhook server reads them, puts the CA into its webhook configurations and CRD
//! conversions, and rotates them before they expire. With several replicas, one writes the
//! Secret (the others lose the optimistic-concurrency race and read it) and all serve the
//! current pair.
//!
//! A rotation issues a new CA with the new certificate; the CA bundle keeps the previous CA
//! next to the new one, so the API server trusts replicas that still serve the old pair.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, SystemTime};

use k8s_openapi::ByteString;
use k8s_openapi::api::admissionregistration::v1::{
    MutatingWebhookConfiguration, ValidatingWebhookConfiguration,
};
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::jiff::Timestamp;
use kube::api::{Patch, PatchParams, PostParams};
use kube::{Api, Client};

use super::configuration::WebhookConfiguration;
use super::local::LOCAL_WEBHOOKS_ANNOTATION;
use crate::rbac::Rule;
use crate::server::certificates::{self, IssuedCertificate};
use crate::server::tls::{TlsError, TlsFiles};

/// Default validity of a self-issued serving certificate.
pub const DEFAULT_CERTIFICATE_VALIDITY: Duration = Duration::from_secs(90 * 24 * 60 * 60);
/// Default of how often the Secret is checked (for a rotation by another replica, or one due).
pub const DEFAULT_CERTIFICATE_CHECK_INTERVAL: Duration = Duration::from_secs(60);
/// The Secret key of the CA bundle.
const CA_KEY: &str = "ca.crt";
const CERTIFICATE_KEY: &str = "tls.crt";
const PRIVATE_KEY_KEY: &str = "tls.key";
/// The annotation recording when the serving certificate expires (RFC 3339).
const NOT_AFTER_ANNOTATION: &str = "kubesmith.dev/not-after";
/// The annotation recording the hosts the certificate is for.
const HOSTS_ANNOTATION: &str = "kubesmith.dev/hosts";

/// Why self-managed certificates could not be provided.
#[derive(Debug, thiserror::Error)]
pub enum CertificateError {
    /// Issuing a certificate failed.
    #[error("issuing the webhook certificate: {0}")]
    Issue(#[from] TlsError),
    /// A request to the API server failed.
    #[error("{action}: {source}")]
    Api {
        /// What was being done.
        action: String,
        /// The error.
        source: kube::Error,
    },
    /// Writing the certificate files failed.
    #[error("writing {path}: {source}")]
    Write {
        /// The file.
        path: std::path::PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

/// Where the operator keeps and puts its own webhook certificates. Turn it on with
/// [`ManagerOptions::self_managed_certificates`](crate::manager::ManagerOptions::self_managed_certificates).
///
/// ```
/// use kubesmith::webhook::SelfManagedCertificates;
/// let certificates = SelfManagedCertificates::new("my-operator-webhook-certs", "my-operator-system")
///     .service("my-operator-webhook-service")
///     .mutating_configuration("my-operator-mutating-webhook-configuration")
///     .validating_configuration("my-operator-validating-webhook-configuration")
///     .conversion_crd("cronjobs.batch.example.com");
/// assert_eq!(certificates.hosts()[0], "my-operator-webhook-service.my-operator-system.svc");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct SelfManagedCertificates {
    secret: String,
    namespace: String,
    hosts: Vec<String>,
    mutating: Vec<String>,
    validating: Vec<String>,
    crds: Vec<String>,
    validity: Duration,
    check_interval: Duration,
}

impl SelfManagedCertificates {
    /// Certificates kept in Secret `secret` in `namespace` (the operator's), for the Service
    /// `webhook-service` in that namespace until [`service`](Self::service) says otherwise.
    pub fn new(secret: &str, namespace: &str) -> Self {
        SelfManagedCertificates {
            secret: secret.to_string(),
            namespace: namespace.to_string(),
            hosts: service_hosts(super::WEBHOOK_SERVICE, namespace),
            mutating: Vec::new(),
            validating: Vec::new(),
            crds: Vec::new(),
            validity: DEFAULT_CERTIFICATE_VALIDITY,
            check_interval: DEFAULT_CERTIFICATE_CHECK_INTERVAL,
        }
    }

    /// The certificate is for Service `service` in the namespace (its in-cluster DNS names).
    pub fn service(mut self, service: &str) -> Self {
        self.hosts = service_hosts(service, &self.namespace);
        self
    }

    /// The certificate is for exactly these DNS names and IP addresses.
    pub fn hosts(&self) -> &[String] {
        &self.hosts
    }

    /// Replaces the hosts (DNS names, IP addresses) the certificate is for.
    pub fn for_hosts(mut self, hosts: &[&str]) -> Self {
        self.hosts = hosts.iter().map(|host| host.to_string()).collect();
        self
    }

    /// Puts the CA into every webhook of the MutatingWebhookConfiguration `name`.
    pub fn mutating_configuration(mut self, name: &str) -> Self {
        self.mutating.push(name.to_string());
        self
    }

    /// Puts the CA into every webhook of the ValidatingWebhookConfiguration `name`.
    pub fn validating_configuration(mut self, name: &str) -> Self {
        self.validating.push(name.to_string());
        self
    }

    /// Puts the CA into the conversion webhook of CRD `name`.
    pub fn conversion_crd(mut self, name: &str) -> Self {
        self.crds.push(name.to_string());
        self
    }

    /// How long an issued certificate is valid (default 90 days); it is replaced when a third
    /// of that is left.
    pub fn validity(mut self, validity: Duration) -> Self {
        self.validity = validity;
        self
    }

    /// How often the Secret is checked (default 1 min).
    pub fn check_interval(mut self, interval: Duration) -> Self {
        self.check_interval = interval;
        self
    }

    /// The RBAC rules managing the certificates needs: its Secret, the webhook configurations
    /// and CRDs it injects the CA into (those a manager outside the cluster points at itself
    /// meanwhile, `--webhook-local`, are left alone).
    pub fn rbac_rules(&self) -> Vec<Rule> {
        let mut rules = vec![
            Rule::new(&[""], &["secrets"], &["create", "get", "update"])
                .in_namespace(&self.namespace),
        ];
        if !self.mutating.is_empty() {
            rules.push(Rule::new(
                &["admissionregistration.k8s.io"],
                &["mutatingwebhookconfigurations"],
                &["get", "update"],
            ));
        }
        if !self.validating.is_empty() {
            rules.push(Rule::new(
                &["admissionregistration.k8s.io"],
                &["validatingwebhookconfigurations"],
                &["get", "update"],
            ));
        }
        if !self.crds.is_empty() {
            rules.push(Rule::new(
                &["apiextensions.k8s.io"],
                &["customresourcedefinitions"],
                &["get", "patch"],
            ));
        }
        rules
    }

    /// Makes sure the Secret holds a current pair (issuing one when it is missing, for other
    /// hosts or due), writes it to `files` and the CA bundle into the configurations. Returns
    /// the Secret's resourceVersion.
    pub(crate) async fn ensure(
        &self,
        client: &Client,
        files: &TlsFiles,
    ) -> Result<String, CertificateError> {
        let secrets: Api<Secret> = Api::namespaced(client.clone(), &self.namespace);
        let secret = loop {
            let current = self.read(&secrets).await?;
            if let Some(secret) = &current
                && self.is_current(secret)
            {
                break current;
            }
            match self.write_new(&secrets, current).await {
                Ok(written) => break Some(written),
                Err(CertificateError::Api {
                    source: kube::Error::Api(status),
                    ..
                }) if status.is_conflict() || status.is_already_exists() => {
                    // Another replica rotated first: use what it wrote.
                    continue;
                }
                Err(error) => return Err(error),
            }
        };
        let secret = secret.unwrap_or_default();
        let data = secret.data.clone().unwrap_or_default();
        write_files(files, &data)?;
        if let Some(bundle) = data.get(CA_KEY) {
            self.inject(client, &bundle.0).await?;
        }
        Ok(secret.metadata.resource_version.unwrap_or_default())
    }

    /// Keeps the pair current: checks every `check_interval`, rotates when due, and follows
    /// rotations made by other replicas.
    pub(crate) async fn maintain(self, client: Client, files: TlsFiles, mut version: String) {
        loop {
            tokio::time::sleep(self.check_interval).await;
            match self.ensure(&client, &files).await {
                Ok(current) if current != version => {
                    tracing::info!(secret = %self.secret, "webhook certificate updated");
                    version = current;
                }
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "keeping the current webhook certificate"),
            }
        }
    }

    /// Issues a new pair now and writes it to the Secret (the running replicas pick it up at
    /// their next check).
    pub async fn rotate(&self, client: &Client) -> Result<(), CertificateError> {
        let secrets: Api<Secret> = Api::namespaced(client.clone(), &self.namespace);
        let current = self.read(&secrets).await?;
        self.write_new(&secrets, current).await.map(|_| ())
    }

    async fn read(&self, secrets: &Api<Secret>) -> Result<Option<Secret>, CertificateError> {
        secrets
            .get_opt(&self.secret)
            .await
            .map_err(api_error(format!(
                "reading Secret {}/{}",
                self.namespace, self.secret
            )))
    }

    fn is_current(&self, secret: &Secret) -> bool {
        let data = secret.data.clone().unwrap_or_default();
        let annotations = secret.metadata.annotations.clone().unwrap_or_default();
        let complete = [CA_KEY, CERTIFICATE_KEY, PRIVATE_KEY_KEY]
            .iter()
            .all(|key| data.get(*key).is_some_and(|value| !value.0.is_empty()));
        let same_hosts = annotations.get(HOSTS_ANNOTATION) == Some(&self.hosts.join(","));
        let renew_at = annotations
            .get(NOT_AFTER_ANNOTATION)
            .and_then(|text| text.parse::<Timestamp>().ok())
            .map(|not_after| SystemTime::from(not_after) - self.validity / 3);
        complete && same_hosts && renew_at.is_some_and(|renew_at| SystemTime::now() < renew_at)
    }

    /// Writes a new pair over `current` (creating the Secret when there is none); fails with a
    /// conflict when another replica wrote first.
    async fn write_new(
        &self,
        secrets: &Api<Secret>,
        current: Option<Secret>,
    ) -> Result<Secret, CertificateError> {
        let issued =
            certificates::issue(&format!("{}-ca", self.secret), &self.hosts, self.validity)?;
        let previous_ca = current
            .as_ref()
            .and_then(|secret| secret.data.as_ref()?.get(CA_KEY).cloned())
            .map(|bundle| first_pem(&bundle.0))
            .unwrap_or_default();
        let secret = self.secret_with(&issued, &previous_ca, current.as_ref());
        let action = format!("writing Secret {}/{}", self.namespace, self.secret);
        match current {
            None => secrets.create(&PostParams::default(), &secret).await,
            Some(_) => {
                secrets
                    .replace(&self.secret, &PostParams::default(), &secret)
                    .await
            }
        }
        .map_err(api_error(action))
    }

    fn secret_with(
        &self,
        issued: &IssuedCertificate,
        previous_ca: &str,
        current: Option<&Secret>,
    ) -> Secret {
        let mut bundle = issued.ca_pem.clone();
        bundle.push_str(previous_ca);
        let mut secret = current.cloned().unwrap_or_default();
        secret.metadata.name = Some(self.secret.clone());
        secret.metadata.namespace = Some(self.namespace.clone());
        secret.type_ = Some("kubernetes.io/tls".into());
        secret.data = Some(BTreeMap::from([
            (CA_KEY.to_string(), ByteString(bundle.into_bytes())),
            (
                CERTIFICATE_KEY.to_string(),
                ByteString(issued.certificate_pem.clone().into_bytes()),
            ),
            (
                PRIVATE_KEY_KEY.to_string(),
                ByteString(issued.key_pem.clone().into_bytes()),
            ),
        ]));
        let not_after = Timestamp::try_from(issued.not_after)
            .map(|at| at.to_string())
            .unwrap_or_default();
        let annotations = secret
            .metadata
            .annotations
            .get_or_insert_with(Default::default);
        annotations.insert(NOT_AFTER_ANNOTATION.into(), not_after);
        annotations.insert(HOSTS_ANNOTATION.into(), self.hosts.join(","));
        secret
    }

    /// Puts `bundle` into every webhook of the configured configurations and CRDs.
    async fn inject(&self, client: &Client, bundle: &[u8]) -> Result<(), CertificateError> {
        for name in &self.mutating {
            inject_into::<MutatingWebhookConfiguration>(client, name, bundle).await?;
        }
        for name in &self.validating {
            inject_into::<ValidatingWebhookConfiguration>(client, name, bundle).await?;
        }
        let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
        for name in &self.crds {
            let crd = crds
                .get(name)
                .await
                .map_err(api_error(format!("reading CRD {name}")))?;
            if is_pointed_locally(&crd.metadata) {
                continue;
            }
            let patch = serde_json::json!({
                "spec": { "conversion": { "webhook": { "clientConfig": { "caBundle": ByteString(bundle.to_vec()) } } } }
            });
            crds.patch(name, &PatchParams::default(), &Patch::Merge(&patch))
                .await
                .map_err(api_error(format!("putting the CA into CRD {name}")))?;
        }
        Ok(())
    }
}

/// Puts `bundle` into every webhook of the configuration `name`; writes only when that changes
/// it, and retries on a conflict.
async fn inject_into<K: WebhookConfiguration>(
    client: &Client,
    name: &str,
    bundle: &[u8],
) -> Result<(), CertificateError> {
    let api: Api<K> = Api::all(client.clone());
    let ca = Some(ByteString(bundle.to_vec()));
    loop {
        let mut object = api
            .get(name)
            .await
            .map_err(api_error(format!("reading {name}")))?;
        if is_pointed_locally(object.meta()) {
            return Ok(());
        }
        let mut changed = false;
        for config in object.client_configs() {
            changed |= config.ca_bundle != ca;
            config.ca_bundle = ca.clone();
        }
        if !changed {
            return Ok(());
        }
        match api.replace(name, &PostParams::default(), &object).await {
            Ok(_) => return Ok(()),
            Err(kube::Error::Api(status)) if status.is_conflict() => continue,
            Err(source) => {
                return Err(CertificateError::Api {
                    action: format!("putting the CA into {name}"),
                    source,
                });
            }
        }
    }
}

/// Whether a manager running outside the cluster points the object at itself meanwhile
/// (`--webhook-local`): its webhooks are not reached through the Service then, and their CA
/// is that manager's; it puts the object back when it stops.
fn is_pointed_locally(meta: &ObjectMeta) -> bool {
    meta.annotations
        .as_ref()
        .is_some_and(|annotations| annotations.contains_key(LOCAL_WEBHOOKS_ANNOTATION))
}

fn api_error(action: String) -> impl FnOnce(kube::Error) -> CertificateError {
    move |source| CertificateError::Api { action, source }
}

fn service_hosts(service: &str, namespace: &str) -> Vec<String> {
    vec![
        format!("{service}.{namespace}.svc"),
        format!("{service}.{namespace}.svc.cluster.local"),
    ]
}

/// The first PEM block of a bundle (the current CA, which becomes the previous one).
fn first_pem(bundle: &[u8]) -> String {
    let text = String::from_utf8_lossy(bundle);
    const END: &str = "-----END CERTIFICATE-----";
    match text.find(END) {
        Some(at) => format!("{}\n", &text[..at + END.len()]),
        None => String::new(),
    }
}

/// Writes the pair of `data` to `files`.
fn write_files(
    files: &TlsFiles,
    data: &BTreeMap<String, ByteString>,
) -> Result<(), CertificateError> {
    let value = |key: &str| {
        data.get(key)
            .map(|value| value.0.as_slice())
            .unwrap_or_default()
    };
    write_pair(files, value(CERTIFICATE_KEY), value(PRIVATE_KEY_KEY))
        .map_err(|(path, source)| CertificateError::Write { path, source })
}

/// Writes a certificate and its key to `files`, key first, each through a temporary file
/// renamed in place (a reader never sees half a file) and readable by this user only; a file
/// that holds its contents already is left alone. Fails with the file that could not be
/// written.
pub(crate) fn write_pair(
    files: &TlsFiles,
    certificate: &[u8],
    key: &[u8],
) -> Result<(), (std::path::PathBuf, std::io::Error)> {
    for (path, contents) in [(&files.key, key), (&files.certificate, certificate)] {
        if std::fs::read(path).ok().as_deref() == Some(contents) {
            continue;
        }
        write_atomically(path, contents).map_err(|source| (path.clone(), source))?;
    }
    Ok(())
}

fn write_atomically(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let temporary = path.with_extension("tmp");
    std::fs::write(&temporary, contents)?;
    #[cfg(unix)]
    std::fs::set_permissions(
        &temporary,
        std::os::unix::fs::PermissionsExt::from_mode(0o600),
    )?;
    std::fs::rename(&temporary, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fresh_pair_is_current_and_an_expiring_one_is_not() {
        let certificates = SelfManagedCertificates::new("certs", "system")
            .for_hosts(&["127.0.0.1"])
            .validity(Duration::from_secs(3600));
        let issued = certificates::issue("ca", certificates.hosts(), Duration::from_secs(3600))
            .expect("issue");
        let secret = certificates.secret_with(&issued, "", None);
        assert!(certificates.is_current(&secret));
        let other_hosts = certificates.clone().for_hosts(&["localhost"]);
        assert!(
            !other_hosts.is_current(&secret),
            "new hosts need a new certificate"
        );
        let short = certificates::issue("ca", certificates.hosts(), Duration::from_secs(60))
            .expect("issue");
        let expiring = certificates
            .clone()
            .validity(Duration::from_secs(3600))
            .secret_with(&short, "", None);
        assert!(
            !certificates
                .validity(Duration::from_secs(3600))
                .is_current(&expiring),
            "less than a third of the validity left"
        );
    }

    #[test]
    fn a_rotation_keeps_the_previous_ca_in_the_bundle() {
        let certificates = SelfManagedCertificates::new("certs", "system");
        let first = certificates::issue("one", certificates.hosts(), Duration::from_secs(3600))
            .expect("issue");
        let second = certificates::issue("two", certificates.hosts(), Duration::from_secs(3600))
            .expect("issue");
        let secret = certificates.secret_with(&first, "", None);
        let previous = first_pem(&secret.data.as_ref().expect("data")[CA_KEY].0);
        assert_eq!(previous.trim(), first.ca_pem.trim());
        let rotated = certificates.secret_with(&second, &previous, Some(&secret));
        let bundle = String::from_utf8(rotated.data.expect("data")[CA_KEY].0.clone()).expect("pem");
        assert!(bundle.starts_with(second.ca_pem.trim()) && bundle.contains(first.ca_pem.trim()));
        assert_eq!(bundle.matches("BEGIN CERTIFICATE").count(), 2);
    }
}
