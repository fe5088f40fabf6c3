//! kubesmith: the runtime a Kubernetes operator written in Rust links.
//!
//! kubesmith sits on [kube](https://docs.rs/kube): you keep using `kube::Client`, `kube::Api`
//! and `#[derive(CustomResource)]`, and kubesmith adds what controller-runtime gives Go
//! operators. Start with the module that matches the task at hand:
//!
//! - [`envtest`] (feature `envtest`): a real etcd + kube-apiserver for tests, started and torn
//!   down by the test itself. Binaries come from `kubesmith envtest use`.
//! - [`schema`]: CRD schemas from Rust types — `#[kubesmith::markers]` and `#[k8s(...)]`
//!   markers on kube's `#[derive(CustomResource)]` types, and the checks run before shipping.
//! - [`rbac`]: the RBAC rules an operator needs (`#[derive(Rbac)]`, controller declarations),
//!   merged the way controller-gen merges them.
//! - [`manifests`]: `make manifests` — writes `config/crd/bases`, `config/rbac/role.yaml` and
//!   `config/webhook/manifests.yaml`, or checks that they are up to date.
//!
//! The manager, controller builder, reconcile loop, webhooks, metrics and leader election
//! follow in their own modules.

#[cfg(feature = "envtest")]
pub mod envtest;
pub mod manifests;
pub mod rbac;
pub mod schema;

pub use kubesmith_macros::{Rbac, markers};

/// Items generated code names; not part of the public API.
#[doc(hidden)]
pub mod __private {
    pub use schemars;
    pub use serde_json;
}
