//! Where webhooks are served and how the API server is told about them: the URL paths, the
//! Mutating/ValidatingWebhookConfigurations and a CRD's conversion settings. `make manifests`
//! writes these with the in-cluster Service as the client config; envtest installs them with a
//! local URL. One source for both, and for the server's routes.

use std::time::Duration;

use k8s_openapi::api::admissionregistration::v1::{
    MatchCondition, MutatingWebhook, MutatingWebhookConfiguration, RuleWithOperations,
    ServiceReference, ValidatingWebhook, ValidatingWebhookConfiguration, WebhookClientConfig,
};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::{
    CustomResourceConversion, ServiceReference as CrdServiceReference,
    WebhookClientConfig as CrdClientConfig, WebhookConversion,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::settings::{AdmissionSettings, FailurePolicy};

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
#[derive(Debug, Clone, PartialEq)]
#[must_use]
pub struct AdmissionWebhooks {
    group: String,
    version: String,
    kind: String,
    plural: String,
    defaulting: bool,
    validating: bool,
    validate_delete: bool,
    settings: AdmissionSettings,
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
            settings: AdmissionSettings::default(),
        }
    }

    /// What the API server does when the webhooks cannot be called (`failurePolicy`).
    pub fn failure_policy(mut self, policy: FailurePolicy) -> Self {
        self.settings.failure_policy = policy;
        self
    }

    /// How long the API server waits for an answer (`timeoutSeconds`: whole seconds, 1 to
    /// 30; the API server's default is 10).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.settings.timeout = Some(timeout);
        self
    }

    /// Only objects in namespaces whose labels match (`namespaceSelector`).
    pub fn namespace_selector(mut self, selector: LabelSelector) -> Self {
        self.settings.namespace_selector = Some(selector);
        self
    }

    /// Only objects whose labels match (`objectSelector`).
    pub fn object_selector(mut self, selector: LabelSelector) -> Self {
        self.settings.object_selector = Some(selector);
        self
    }

    /// Only requests for which the CEL `expression` holds (`matchConditions`, named `name`;
    /// the API server evaluates them before calling the webhook).
    pub fn match_condition(mut self, name: &str, expression: &str) -> Self {
        self.settings.match_conditions.push(MatchCondition {
            name: name.into(),
            expression: expression.into(),
        });
        self
    }

    /// The mutating webhook is called again when a later mutating webhook changed the object
    /// (`reinvocationPolicy: IfNeeded`).
    pub fn reinvoke_if_needed(mut self) -> Self {
        self.settings.reinvoke = true;
        self
    }

    /// Serve the mutating webhook at `path` instead of the derived one.
    pub fn custom_mutate_path(mut self, path: &str) -> Self {
        self.settings.mutate_path = Some(path.into());
        self
    }

    /// Serve the validating webhook at `path` instead of the derived one.
    pub fn custom_validate_path(mut self, path: &str) -> Self {
        self.settings.validate_path = Some(path.into());
        self
    }

    /// How the API server calls them.
    pub fn settings(&self) -> &AdmissionSettings {
        &self.settings
    }

    /// The Kind they are for, `group/version Kind`, for messages.
    pub fn kind_name(&self) -> String {
        let group = if self.group.is_empty() {
            "core"
        } else {
            &self.group
        };
        format!("{group}/{} {}", self.version, self.kind)
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

    /// Where the mutating webhook is served: `/mutate-<group, dots as dashes>-<version>-<kind>`
    /// unless [`custom_mutate_path`](Self::custom_mutate_path) says otherwise.
    pub fn mutate_path(&self) -> String {
        (self.settings.mutate_path.clone()).unwrap_or_else(|| self.path("mutate"))
    }

    /// Where the validating webhook is served:
    /// `/validate-<group, dots as dashes>-<version>-<kind>` unless
    /// [`custom_validate_path`](Self::custom_validate_path) says otherwise.
    pub fn validate_path(&self) -> String {
        (self.settings.validate_path.clone()).unwrap_or_else(|| self.path("validate"))
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

/// The `matchConditions` of `settings`, `None` when there are none.
fn conditions(settings: &AdmissionSettings) -> Option<Vec<MatchCondition>> {
    (!settings.match_conditions.is_empty()).then(|| settings.match_conditions.clone())
}

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
        .map(|webhook| {
            let settings = &webhook.settings;
            MutatingWebhook {
                admission_review_versions: review_versions(),
                client_config: client.admission(webhook.mutate_path()),
                failure_policy: Some(settings.failure_policy.as_str().into()),
                match_conditions: conditions(settings),
                name: webhook.name('m'),
                namespace_selector: settings.namespace_selector.clone(),
                object_selector: settings.object_selector.clone(),
                reinvocation_policy: settings.reinvoke.then(|| "IfNeeded".into()),
                rules: webhook.rules(false),
                side_effects: "None".into(),
                timeout_seconds: settings.timeout_seconds(),
                ..MutatingWebhook::default()
            }
        })
        .collect();
    mutating.sort_by(|a, b| a.name.cmp(&b.name));
    let mut validating: Vec<ValidatingWebhook> = webhooks
        .iter()
        .filter(|webhook| webhook.validating)
        .map(|webhook| {
            let settings = &webhook.settings;
            ValidatingWebhook {
                admission_review_versions: review_versions(),
                client_config: client.admission(webhook.validate_path()),
                failure_policy: Some(settings.failure_policy.as_str().into()),
                match_conditions: conditions(settings),
                name: webhook.name('v'),
                namespace_selector: settings.namespace_selector.clone(),
                object_selector: settings.object_selector.clone(),
                rules: webhook.rules(webhook.validate_delete),
                side_effects: "None".into(),
                timeout_seconds: settings.timeout_seconds(),
                ..ValidatingWebhook::default()
            }
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
