//! `config/webhook/manifests.yaml`: the admission webhook configurations of an operator.

use k8s_openapi::api::admissionregistration::v1::{
    MutatingWebhook, MutatingWebhookConfiguration, RuleWithOperations, ServiceReference,
    ValidatingWebhook, ValidatingWebhookConfiguration, WebhookClientConfig,
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

/// The admission webhooks of one Kind and version.
///
/// ```
/// use k8s_openapi::api::apps::v1::Deployment;
/// use kubesmith::manifests::Webhook;
/// let webhook = Webhook::for_kind::<Deployment>().defaulting().validating();
/// assert_eq!(webhook.path("mutate"), "/mutate-apps-v1-deployment");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct Webhook {
    group: String,
    version: String,
    kind: String,
    plural: String,
    defaulting: bool,
    validating: bool,
    validate_delete: bool,
}

impl Webhook {
    /// Webhooks for kind `K` (none enabled yet: add [`Webhook::defaulting`] or [`Webhook::validating`]).
    pub fn for_kind<K: kube::Resource<DynamicType = ()>>() -> Self {
        Webhook {
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

    /// The URL path of the `mutate` or `validate` handler: `/<action>-<group, dots as dashes>-<version>-<kind>`.
    pub fn path(&self, action: &str) -> String {
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

    fn client_config(&self, action: &str) -> WebhookClientConfig {
        WebhookClientConfig {
            service: Some(ServiceReference {
                name: WEBHOOK_SERVICE.into(),
                namespace: WEBHOOK_SERVICE_NAMESPACE.into(),
                path: Some(self.path(action)),
                port: None,
            }),
            ..WebhookClientConfig::default()
        }
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

/// The two configurations for `webhooks`, webhooks sorted by name; `None` where empty.
pub fn configurations(
    webhooks: &[Webhook],
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
            client_config: webhook.client_config("mutate"),
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
            client_config: webhook.client_config("validate"),
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
