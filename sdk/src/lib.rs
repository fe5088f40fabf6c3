//! kubesmith: the runtime a Kubernetes operator written in Rust links.
//!
//! kubesmith sits on [kube](https://docs.rs/kube): you keep using `kube::Client`, `kube::Api`
//! and `#[derive(CustomResource)]`, and kubesmith adds what controller-runtime gives Go
//! operators. Start with the module that matches the task at hand:
//!
//! - [`envtest`] (feature `envtest`): a real etcd + kube-apiserver for tests, started and torn
//!   down by the test itself. Binaries come from `kubesmith envtest use`.
//! - [`rbac`]: the RBAC rules an operator needs, as data that manifest generation turns into
//!   `config/rbac/role.yaml`.
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
