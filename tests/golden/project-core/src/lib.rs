//! The project-core operator.
//!
//! - [`api`]: the custom resources, as Rust types with schema markers; `make manifests` writes
//!   their CRDs.
//! - [`controller`]: one controller per Kind, each a declaration (what it watches and owns,
//!   hence its RBAC rules) and a reconciler.
//! - `webhook` (after `kubesmith create webhook`): defaulting, validation and conversion.
//!
//! [`operator`] declares them once: `src/main.rs` runs it, `src/bin/manifests.rs` writes the
//! manifests of `config/` from it, and the tests start it against envtest.

use kubesmith::operator::Operator;

pub mod api;
pub mod controller;
pub mod webhook;
// +kubesmith:scaffold:modules

/// The project-core operator: its CRDs, controllers and webhooks (`kubesmith create api`
/// and `kubesmith create webhook` add theirs here).
pub fn operator() -> Operator {
    Operator::new("project-core", "testproject.org")
        .version(env!("CARGO_PKG_VERSION"))
        .crd::<api::v1::captain::Captain>()
        .controller(
            controller::captain::controller(),
            controller::captain::CaptainReconciler,
        )
        .crd::<api::v1alpha1::memcached::Memcached>()
        .controller(
            controller::memcached::controller(),
            controller::memcached::MemcachedReconciler,
        )
        .controller(
            controller::deployment::controller(),
            controller::deployment::DeploymentReconciler,
        )
        .controller(
            controller::deployment_backup::controller(),
            controller::deployment_backup::DeploymentBackupReconciler,
        )
        .webhook(webhook::v1::deployment::webhook())
        .webhook(webhook::v1::pod::webhook())
    // +kubesmith:scaffold:operator
}
