//! The project-multigroup operator.
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

/// The project-multigroup operator: its CRDs, controllers and webhooks (`kubesmith create api`
/// and `kubesmith create webhook` add theirs here).
pub fn operator() -> Operator {
    Operator::new("project-multigroup", "testproject.org")
        .version(env!("CARGO_PKG_VERSION"))
        // The manager is confined to its namespace: its rules go into a Role there.
        .role_namespace("system")
        .crd::<api::crew::v1::captain::Captain>()
        .controller(
            controller::crew::captain::controller(),
            controller::crew::captain::CaptainReconciler,
        )
        .crd::<api::ship::v1beta1::frigate::Frigate>()
        .controller(
            controller::ship::frigate::controller(),
            controller::ship::frigate::FrigateReconciler,
        )
        .crd::<api::ship::v2alpha1::destroyer::Destroyer>()
        .controller(
            controller::ship::destroyer::controller(),
            controller::ship::destroyer::DestroyerReconciler,
        )
        .webhook(webhook::ship::v1beta1::frigate::webhook())
    // +kubesmith:scaffold:operator
}
