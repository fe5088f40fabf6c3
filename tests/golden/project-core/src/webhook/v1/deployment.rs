//! The webhooks of `Deployment`, Kubernetes' own `apps/v1` Kind:
//! - validation: refuses Deployments this operator cannot accept, with a message per field;
//!
//! served by the manager (`crate::operator` lists them); `make manifests` writes their
//! configurations. The API server calls them for every Deployment it admits, the manager's
//! own included.

use k8s_openapi::api::apps::v1::Deployment;
use kubesmith::webhook::{AdmissionContext, Validator, Warnings, Webhook, WebhookError};

/// The admission webhooks of Deployment v1.
pub fn webhook() -> Webhook<Deployment> {
    Webhook::new().validator(DeploymentValidator)
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
