//! kubesmith: the runtime a Kubernetes operator written in Rust links.
//!
//! kubesmith sits on [kube](https://docs.rs/kube): you keep using `kube::Client`, `kube::Api`
//! and `#[derive(CustomResource)]`, and kubesmith adds what controller-runtime gives Go
//! operators. Most operators write one chain:
//!
//! ```no_run
//! # use std::sync::Arc;
//! # use k8s_openapi::api::apps::v1::Deployment;
//! # use k8s_openapi::api::core::v1::ConfigMap;
//! # use kubesmith::reconcile::{Action, Context, ReconcileError, Reconciler};
//! # struct MyReconciler;
//! # impl Reconciler<Deployment> for MyReconciler {
//! #     async fn reconcile(&self, _d: Arc<Deployment>, _c: &Context) -> Result<Action, ReconcileError> { Ok(Action::await_change()) }
//! # }
//! # async fn example(manager: &mut kubesmith::manager::Manager) -> Result<(), kubesmith::manager::Error> {
//! manager.controller::<Deployment>().owns::<ConfigMap>().complete(MyReconciler)?;
//! # Ok(()) }
//! ```
//!
//! Start with the module that matches the task at hand:
//!
//! - [`manager`]: one client, a shared cache, many controllers, probes, metrics and leader
//!   election, started in order and stopped gracefully; [`flags`] has its standard flags.
//! - [`controller`]: the builder (`owns`, `watches`, predicates, concurrency, name).
//! - [`reconcile`]: the [`Reconciler`](reconcile::Reconciler) trait, [`Action`](reconcile::Action)
//!   and terminal errors; [`backoff`] the per-object error backoff.
//! - Helpers for reconcilers: [`apply`], [`conditions`], [`finalizer`], [`owner`], [`events`],
//!   [`predicate`].
//! - [`metrics`], [`metrics_server`], [`healthz`], [`leader_election`], [`tls`]: the pieces the
//!   manager runs, usable on their own.
//! - [`schema`]: CRD schemas from Rust types — `#[kubesmith::markers]` and `#[k8s(...)]`
//!   markers on kube's `#[derive(CustomResource)]` types, and the checks run before shipping.
//! - [`rbac`]: the RBAC rules an operator needs (`#[derive(Rbac)]`, controller declarations),
//!   merged the way controller-gen merges them.
//! - [`manifests`]: `make manifests` — writes `config/crd/bases`, `config/rbac/role.yaml` and
//!   `config/webhook/manifests.yaml`, or checks that they are up to date.
//! - [`envtest`] (feature `envtest`): a real etcd + kube-apiserver for tests, started and torn
//!   down by the test itself. Binaries come from `kubesmith envtest use`.
//!
//! Everything sits on kube-runtime's watcher, shared reflectors, `Controller`, finalizer and
//! events; drop down to them whenever you need to.

pub mod apply;
pub mod backoff;
mod cache;
pub mod conditions;
pub mod controller;
#[cfg(feature = "envtest")]
pub mod envtest;
pub mod events;
pub mod finalizer;
pub mod flags;
pub mod healthz;
mod http_server;
pub mod leader_election;
pub mod manager;
pub mod manifests;
pub mod metrics;
pub mod metrics_server;
mod namespaces;
pub mod owner;
pub mod predicate;
mod queue;
pub mod rbac;
pub mod reconcile;
mod reconcile_loop;
pub mod schema;
pub mod tls;

pub use cache::{Kind, WatchScope};
pub use kubesmith_macros::{Rbac, markers};

/// Items generated code names; not part of the public API.
#[doc(hidden)]
pub mod __private {
    pub use schemars;
    pub use serde_json;
}
