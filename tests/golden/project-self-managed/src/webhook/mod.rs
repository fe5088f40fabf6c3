//! The webhooks of this operator, one module per version and Kind (`kubesmith create webhook`
//! adds them). `crate::operator` lists each Kind's `webhook` and `conversion`.
//!
//! Their serving certificate is the manager's own ([`certificates`]): no cert-manager.

use kubesmith::webhook::SelfManagedCertificates;

pub mod v1;
// +kubesmith:scaffold:modules

/// The namespace the manager is deployed in: `namespace` of `config/default/kustomization.yaml`.
pub const NAMESPACE: &str = "project-self-managed-system";

/// The webhook serving certificate the manager issues, keeps in the Secret
/// `project-self-managed-webhook-server-cert` in [`NAMESPACE`], puts into the webhook configurations
/// and CRD conversions below and rotates before it expires (`kubesmith init --webhook-certs
/// self-managed`). The names carry the `namePrefix` of `config/default/kustomization.yaml`.
pub fn certificates() -> SelfManagedCertificates {
    SelfManagedCertificates::new("project-self-managed-webhook-server-cert", NAMESPACE)
        .service("project-self-managed-webhook-service")
        .mutating_configuration("project-self-managed-mutating-webhook-configuration")
        .validating_configuration("project-self-managed-validating-webhook-configuration")
        .conversion_crd("captains.crew.testproject.org")
    // +kubesmith:scaffold:certificates
}
