//! The webhooks of `Pod`, Kubernetes' own `core/v1` Kind:
//! - defaulting: fills in what a Pod leaves out, before it is validated and stored;
//!
//! served by the manager (`crate::operator` lists them); `make manifests` writes their
//! configurations. The API server calls them for every Pod it admits but the manager's
//! own (labelled `control-plane: controller-manager`), which must not wait on the manager.

use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, LabelSelectorRequirement};
use kube::ResourceExt;
use kubesmith::webhook::{AdmissionContext, Defaulter, Webhook, WebhookError};

/// The annotation the defaulting webhook puts on each Pod (a starting point: replace it
/// with your defaults).
pub const DEFAULTED_ANNOTATION: &str = "project-core.testproject.org/defaulted";

/// The admission webhooks of Pod v1. Narrow them further with
/// `.namespace_selector(..)` or `.match_condition(..)`.
pub fn webhook() -> Webhook<Pod> {
    Webhook::new()
        .defaulter(PodDefaulter)
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

/// Fills in the fields a Pod leaves out.
#[derive(Debug, Clone, Copy, Default)]
pub struct PodDefaulter;

impl Defaulter<Pod> for PodDefaulter {
    async fn default(&self, pod: &mut Pod, _ctx: &AdmissionContext) -> Result<(), WebhookError> {
        // TODO(user): set your defaults.
        pod.annotations_mut()
            .insert(DEFAULTED_ANNOTATION.into(), "true".into());
        Ok(())
    }
}
