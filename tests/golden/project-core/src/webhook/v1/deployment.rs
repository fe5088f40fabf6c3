//! The webhooks of `Deployment`, Kubernetes' own `apps/v1` Kind:
//! - validation: refuses Deployments this operator cannot accept, with a message per field;
//!
//! served by the manager (`crate::operator` lists them); `make manifests` writes their
//! configurations. The API server calls them for every Deployment it admits but the manager's
//! own (labelled `control-plane: controller-manager`), which must not wait on the manager.

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, LabelSelectorRequirement};
use kubesmith::webhook::{AdmissionContext, Validator, Warnings, Webhook, WebhookError};

/// The admission webhooks of Deployment v1. Narrow them further with
/// `.namespace_selector(..)` or `.match_condition(..)`.
pub fn webhook() -> Webhook<Deployment> {
    Webhook::new()
        .validator(DeploymentValidator)
        .object_selector(not_the_manager())
}

/// Every object but the manager's own (`config/manager/manager.yaml` labels them).
fn not_the_manager() -> LabelSelector {
    LabelSelector {
        match_expressions: Some(vec![LabelSelectorRequirement {
            key: "control-plane".into(),
            operator: "NotIn".into(),
            values: Some(vec!["controller-manager".into()]),
        }]),
        ..LabelSelector::default()
    }
}

/// Refuses Deployments that are not valid.
#[derive(Debug, Clone, Copy, Default)]
pub struct DeploymentValidator;

impl Validator<Deployment> for DeploymentValidator {
    // Updates are checked as creates of the new object, deletes are allowed; override
    // `validate_update` and `validate_delete` to change that.
    async fn validate_create(
        &self,
        deployment: &Deployment,
        _ctx: &AdmissionContext,
    ) -> Result<Warnings, WebhookError> {
        // TODO(user): refuse what this operator cannot accept, with
        // `Err(WebhookError::invalid(deployment, vec![FieldError::invalid(..)]))`.
        let _ = deployment;
        Ok(Warnings::new())
    }
}
