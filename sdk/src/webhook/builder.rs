//! [`Webhook`]: the admission webhooks of one Kind, declared as data and registered with one
//! line, like controllers.

use std::marker::PhantomData;
use std::time::Duration;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use serde::Serialize;

use super::admission::{AdmissionHandler, Defaulter, Validator, defaulting, validating};
use super::configuration::AdmissionWebhooks;
use super::settings::FailurePolicy;
use crate::Kind;

/// Builds the validating handler once it is known whether deletes are validated.
type ValidatingHandler = Box<dyn FnOnce(bool) -> AdmissionHandler + Send>;

/// The admission webhooks of kind `K`: a [`Defaulter`], a [`Validator`], or both.
///
/// Register it with [`Manager::add_webhook`](crate::manager::Manager::add_webhook); give
/// [`manifest`](Self::manifest) to `make manifests`, which writes the webhook configurations
/// for the same paths the server serves.
///
/// ```no_run
/// # use k8s_openapi::api::core::v1::ConfigMap;
/// # use kubesmith::webhook::{AdmissionContext, Defaulter, Validator, WebhookError};
/// # struct ModeDefaulter; struct SmallConfig;
/// # impl Defaulter<ConfigMap> for ModeDefaulter { async fn default(&self, _: &mut ConfigMap, _: &AdmissionContext) -> Result<(), WebhookError> { Ok(()) } }
/// # impl Validator<ConfigMap> for SmallConfig {}
/// use kubesmith::webhook::Webhook;
/// # fn example(manager: &mut kubesmith::manager::Manager) -> Result<(), kubesmith::manager::Error> {
/// manager.add_webhook(Webhook::<ConfigMap>::new().defaulter(ModeDefaulter).validator(SmallConfig))?;
/// # Ok(()) }
/// ```
#[must_use = "a webhook does nothing until Manager::add_webhook registers it"]
pub struct Webhook<K: Kind> {
    defaulter: Option<AdmissionHandler>,
    validator: Option<ValidatingHandler>,
    validate_deletes: bool,
    /// The configuration data: the paths and how the API server calls them.
    admission: AdmissionWebhooks,
    kind: PhantomData<fn() -> K>,
}

impl<K: Kind + Serialize> Default for Webhook<K> {
    fn default() -> Self {
        Webhook::new()
    }
}

impl<K: Kind + Serialize> Webhook<K> {
    /// No webhooks yet.
    pub fn new() -> Self {
        Webhook {
            defaulter: None,
            validator: None,
            validate_deletes: false,
            admission: AdmissionWebhooks::for_kind::<K>(),
            kind: PhantomData,
        }
    }

    /// Defaults `K` on create and update with `defaulter` (a mutating webhook).
    pub fn defaulter(mut self, defaulter: impl Defaulter<K>) -> Self {
        self.defaulter = Some(defaulting::<K, _>(defaulter));
        self
    }

    /// Validates `K` on create and update with `validator` (a validating webhook).
    pub fn validator<V: Validator<K>>(mut self, validator: V) -> Self {
        self.validator = Some(Box::new(move |deletes| {
            validating::<K, _>(validator, deletes)
        }));
        self
    }

    /// The validator also sees deletes ([`Validator::validate_delete`]).
    pub fn validating_deletes(mut self) -> Self {
        self.validate_deletes = true;
        self
    }

    /// What the API server does when the webhooks cannot be called (`failurePolicy`;
    /// default [`FailurePolicy::Fail`]).
    pub fn failure_policy(mut self, policy: FailurePolicy) -> Self {
        self.admission = self.admission.failure_policy(policy);
        self
    }

    /// How long the API server waits for an answer (`timeoutSeconds`: whole seconds, 1 to 30).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.admission = self.admission.timeout(timeout);
        self
    }

    /// Only objects in namespaces whose labels match `selector` (`namespaceSelector`).
    pub fn namespace_selector(mut self, selector: LabelSelector) -> Self {
        self.admission = self.admission.namespace_selector(selector);
        self
    }

    /// Only objects whose labels match `selector` (`objectSelector`).
    pub fn object_selector(mut self, selector: LabelSelector) -> Self {
        self.admission = self.admission.object_selector(selector);
        self
    }

    /// Only requests for which the CEL `expression` holds (`matchConditions`, named `name`).
    pub fn match_condition(mut self, name: &str, expression: &str) -> Self {
        self.admission = self.admission.match_condition(name, expression);
        self
    }

    /// The defaulter is called again when a later mutating webhook changed the object
    /// (`reinvocationPolicy: IfNeeded`).
    pub fn reinvoke_if_needed(mut self) -> Self {
        self.admission = self.admission.reinvoke_if_needed();
        self
    }

    /// Serve the defaulter at `path` instead of `/mutate-<group>-<version>-<kind>`.
    pub fn custom_mutate_path(mut self, path: &str) -> Self {
        self.admission = self.admission.custom_mutate_path(path);
        self
    }

    /// Serve the validator at `path` instead of `/validate-<group>-<version>-<kind>`.
    pub fn custom_validate_path(mut self, path: &str) -> Self {
        self.admission = self.admission.custom_validate_path(path);
        self
    }

    /// The webhooks as data: paths and configurations, for `make manifests` and envtest.
    pub fn manifest(&self) -> AdmissionWebhooks {
        let mut webhooks = self.admission.clone();
        if self.defaulter.is_some() {
            webhooks = webhooks.defaulting();
        }
        if self.validator.is_some() {
            webhooks = webhooks.validating();
        }
        if self.validator.is_some() && self.validate_deletes {
            webhooks = webhooks.validating_deletes();
        }
        webhooks
    }

    /// The handlers by path.
    pub(crate) fn into_routes(self) -> Vec<(String, AdmissionHandler)> {
        let manifest = self.manifest();
        let mut routes = Vec::new();
        if let Some(defaulter) = self.defaulter {
            routes.push((manifest.mutate_path(), defaulter));
        }
        if let Some(validator) = self.validator {
            routes.push((manifest.validate_path(), validator(self.validate_deletes)));
        }
        routes
    }
}

impl<K: Kind + Serialize> From<&Webhook<K>> for AdmissionWebhooks {
    fn from(webhook: &Webhook<K>) -> Self {
        webhook.manifest()
    }
}
