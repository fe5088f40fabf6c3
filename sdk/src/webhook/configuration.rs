//! Where webhooks are served and how the API server is told about them: the URL paths, the
//! Mutating/ValidatingWebhookConfigurations and a CRD's conversion settings. `make manifests`
//! writes these with the in-cluster Service as the client config; envtest installs them with a
//! local URL. One source for both, and for the server's routes.

use k8s_openapi::api::admissionregistration::v1::{
    MutatingWebhook, MutatingWebhookConfiguration, RuleWithOperations, ServiceReference,
    ValidatingWebhook, ValidatingWebhookConfiguration, WebhookClientConfig,
};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::{
    CustomResourceConversion, ServiceReference as CrdServiceReference,
    WebhookClientConfig as CrdClientConfig, WebhookConversion,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

/// Name of the mutating configuration, as kubebuilder's kustomize tree expects it.
pub const MUTATING_CONFIGURATION: &str = "mutating-webhook-configuration";
/// Name of the validating configuration.
pub const VALIDATING_CONFIGURATION: &str = "validating-webhook-configuration";
/// The Service in front of the webhook server (namespace and prefix come from kustomize).
pub const WEBHOOK_SERVICE: &str = "webhook-service";
/// The namespace kustomize replaces with `<project>-system`.
pub const WEBHOOK_SERVICE_NAMESPACE: &str = "system";
/// The path conversion webhooks are served at (one for every Kind).
pub const CONVERT_PATH: &str = "/convert";

/// How the API server reaches the webhook server: the in-cluster Service (`webhook-service` in
/// `system`, what `make manifests` writes), or a URL (envtest, a server outside the cluster).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientConfig {
    /// The Service in front of the manager.
    Service,
    /// `https://host:port` plus each webhook's path, trusted through `ca_bundle` (PEM).
    Url {
        /// `https://127.0.0.1:9443`.
        base: String,
        /// The CA certificate(s) that signed the serving certificate, PEM.
        ca_bundle: Vec<u8>,
    },
}

impl ClientConfig {
    fn admission(&self, path: String) -> WebhookClientConfig {
        match self {
            ClientConfig::Service => WebhookClientConfig {
                service: Some(ServiceReference {
                    name: WEBHOOK_SERVICE.into(),
                    namespace: WEBHOOK_SERVICE_NAMESPACE.into(),
                    path: Some(path),
                    port: None,
                }),
                ..WebhookClientConfig::default()
            },
            ClientConfig::Url { base, ca_bundle } => WebhookClientConfig {
                url: Some(format!("{}{path}", base.trim_end_matches('/'))),
                ca_bundle: Some(k8s_openapi::ByteString(ca_bundle.clone())),
                ..WebhookClientConfig::default()
            },
        }
    }

    /// A CRD's `spec.conversion`: the conversion webhook at [`CONVERT_PATH`].
    pub fn crd_conversion(&self) -> CustomResourceConversion {
        let client_config = match self {
            ClientConfig::Service => CrdClientConfig {
                service: Some(CrdServiceReference {
                    name: WEBHOOK_SERVICE.into(),
                    namespace: WEBHOOK_SERVICE_NAMESPACE.into(),
                    path: Some(CONVERT_PATH.into()),
                    port: None,
                }),
                ..CrdClientConfig::default()
            },
            ClientConfig::Url { base, ca_bundle } => CrdClientConfig {
                url: Some(format!("{}{CONVERT_PATH}", base.trim_end_matches('/'))),
                ca_bundle: Some(k8s_openapi::ByteString(ca_bundle.clone())),
                ..CrdClientConfig::default()
            },
        };
        CustomResourceConversion {
            strategy: "Webhook".into(),
            webhook: Some(WebhookConversion {
                client_config: Some(client_config),
                conversion_review_versions: vec!["v1".into()],
            }),
        }
    }
}

/// The path a webhook client config sends its requests to: its Service's path, else the path
/// of its URL (`https://host:port/mutate-…` → `/mutate-…`); `None` without either.
pub(crate) fn served_path(service_path: Option<&str>, url: Option<&str>) -> Option<String> {
    service_path.map(str::to_string).or_else(|| {
        let rest = url
            .and_then(|url| url.split_once("://"))
            .map(|(_, rest)| rest)?;
        rest.find('/').map(|at| rest[at..].to_string())
    })
}

/// The admission webhooks of one Kind and version, as data: which exist, where they are
/// served, what their configurations say. [`Webhook::manifest`](super::Webhook::manifest)
/// gives it for a declaration.
///
/// ```
/// use k8s_openapi::api::apps::v1::Deployment;
/// use kubesmith::webhook::AdmissionWebhooks;
/// let webhooks = AdmissionWebhooks::for_kind::<Deployment>().defaulting().validating();
/// assert_eq!(webhooks.mutate_path(), "/mutate-apps-v1-deployment");
/// assert_eq!(webhooks.validate_path(), "/validate-apps-v1-deployment");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct AdmissionWebhooks {
    group: String,
    version: String,
    kind: String,
    plural: String,
    defaulting: bool,
    validating: bool,
    validate_delete: bool,
}

impl AdmissionWebhooks {
    /// Webhooks for kind `K` (none enabled yet: add [`defaulting`](Self::defaulting) or
    /// [`validating`](Self::validating)).
    pub fn for_kind<K: kube::Resource<DynamicType = ()>>() -> Self {
        AdmissionWebhooks {
            group: K::group(&()).into_owned(),
            version: K::version(&()).into_owned(),
            kind: K::kind(&()).into_owned(),
            plural: K::plural(&()).into_owned(),
            defaulting: false,
            validating: false,
            validate_delete: false,
        }
    }

    /// A mutating (defaulting) webhook on create and update.
    pub fn defaulting(mut self) -> Self {
        self.defaulting = true;
        self
    }

    /// A validating webhook on create and update.
    pub fn validating(mut self) -> Self {
        self.validating = true;
        self
    }

    /// The validating webhook also sees deletes.
    pub fn validating_deletes(mut self) -> Self {
        self.validating = true;
        self.validate_delete = true;
        self
    }

    /// Whether a mutating (defaulting) webhook exists.
    pub fn is_defaulting(&self) -> bool {
        self.defaulting
    }

    /// Whether a validating webhook exists.
    pub fn is_validating(&self) -> bool {
        self.validating
    }

    /// Where the mutating webhook is served: `/mutate-<group, dots as dashes>-<version>-<kind>`.
    pub fn mutate_path(&self) -> String {
        self.path("mutate")
    }

    /// Where the validating webhook is served: `/validate-<group, dots as dashes>-<version>-<kind>`.
    pub fn validate_path(&self) -> String {
        self.path("validate")
    }

    fn path(&self, action: &str) -> String {
        format!(
            "/{action}-{}-{}-{}",
            self.group.replace('.', "-"),
            self.version,
            self.kind.to_lowercase()
        )
    }

    /// The webhook name kubebuilder uses: `m<kind>-<version>.kb.io` / `v<kind>-<version>.kb.io`.
    fn name(&self, prefix: char) -> String {
        format!(
            "{prefix}{}-{}.kb.io",
            self.kind.to_lowercase(),
            self.version
        )
    }

    fn rules(&self, delete: bool) -> Option<Vec<RuleWithOperations>> {
        let mut operations = vec!["CREATE".to_string(), "UPDATE".to_string()];
        if delete {
            operations.push("DELETE".into());
        }
        Some(vec![RuleWithOperations {
            api_groups: Some(vec![self.group.clone()]),
            api_versions: Some(vec![self.version.clone()]),
            operations: Some(operations),
            resources: Some(vec![self.plural.clone()]),
            scope: None,
        }])
    }
}

/// A Mutating- or ValidatingWebhookConfiguration: the client configs of its webhooks.
pub(crate) trait WebhookConfiguration:
    kube::Resource<DynamicType = ()>
    + Clone
    + serde::Serialize
    + serde::de::DeserializeOwned
    + std::fmt::Debug
{
    /// How the API server reaches each of its webhooks.
    fn client_configs(&mut self) -> Vec<&mut WebhookClientConfig>;
}

/// Both configuration types hold `webhooks` with a `client_config` each.
macro_rules! webhook_configuration {
    ($($configuration:ty),+) => {$(
        impl WebhookConfiguration for $configuration {
            fn client_configs(&mut self) -> Vec<&mut WebhookClientConfig> {
                self.webhooks
                    .iter_mut()
                    .flatten()
                    .map(|webhook| &mut webhook.client_config)
                    .collect()
            }
        }
    )+};
}

webhook_configuration!(MutatingWebhookConfiguration, ValidatingWebhookConfiguration);

/// The two configurations for `webhooks`, reached through `client`, webhooks sorted by name;
/// `None` where empty.
pub fn configurations(
    webhooks: &[AdmissionWebhooks],
    client: &ClientConfig,
) -> (
    Option<MutatingWebhookConfiguration>,
    Option<ValidatingWebhookConfiguration>,
) {
    let review_versions = || vec!["v1".to_string()];
    let mut mutating: Vec<MutatingWebhook> = webhooks
        .iter()
        .filter(|webhook| webhook.defaulting)
        .map(|webhook| MutatingWebhook {
            admission_review_versions: review_versions(),
            client_config: client.admission(webhook.mutate_path()),
            failure_policy: Some("Fail".into()),
            name: webhook.name('m'),
            rules: webhook.rules(false),
            side_effects: "None".into(),
            ..MutatingWebhook::default()
        })
        .collect();
    mutating.sort_by(|a, b| a.name.cmp(&b.name));
    let mut validating: Vec<ValidatingWebhook> = webhooks
        .iter()
        .filter(|webhook| webhook.validating)
        .map(|webhook| ValidatingWebhook {
            admission_review_versions: review_versions(),
            client_config: client.admission(webhook.validate_path()),
            failure_policy: Some("Fail".into()),
            name: webhook.name('v'),
            rules: webhook.rules(webhook.validate_delete),
            side_effects: "None".into(),
            ..ValidatingWebhook::default()
        })
        .collect();
    validating.sort_by(|a, b| a.name.cmp(&b.name));
    let meta = |name: &str| ObjectMeta {
        name: Some(name.into()),
        ..ObjectMeta::default()
    };
    (
        (!mutating.is_empty()).then(|| MutatingWebhookConfiguration {
            metadata: meta(MUTATING_CONFIGURATION),
            webhooks: Some(mutating),
        }),
        (!validating.is_empty()).then(|| ValidatingWebhookConfiguration {
            metadata: meta(VALIDATING_CONFIGURATION),
            webhooks: Some(validating),
        }),
    )
}
