//! The sample operator: each `Greeting` gets an owned ConfigMap holding its message, and a
//! status that names the ConfigMap and says `Ready`.
//!
//! It is laid out as a scaffolded project is: the API types in [`api`] (two versions), the
//! controller's declaration and reconciler in [`controller`], the defaulting, validating and
//! conversion webhooks in [`webhook`], all of them declared once in [`operator`], which `main`
//! runs with the standard flags and the `manifests` binary (feature `manifests`) turns into the
//! CRD, the RBAC role and the webhook configurations, offline.

pub mod api;
pub mod controller;
pub mod webhook;

use kubesmith::operator::Operator;

/// The operator, declared once: `main` runs it, the `manifests` binary writes its manifests,
/// and tests start it. `max_concurrent_reconciles` is its own flag's value.
pub fn operator(max_concurrent_reconciles: u16) -> Operator {
    Operator::new("greeting-operator", "demo.kubesmith.dev")
        .version(env!("CARGO_PKG_VERSION"))
        .crd::<api::v1::Greeting>()
        .crd::<api::v2::Greeting>()
        .controller(
            controller::controller().max_concurrent_reconciles(max_concurrent_reconciles),
            controller::GreetingReconciler::default(),
        )
        .webhook(webhook::webhook())
        .conversion(webhook::conversion())
}
