//! kubesmith: the runtime a Kubernetes operator written in Rust links.
//!
//! kubesmith sits on [kube](https://docs.rs/kube): you keep using `kube::Client`, `kube::Api`
//! and `#[derive(CustomResource)]`, and kubesmith adds what controller-runtime gives Go
//! operators. A controller is declared as data and added to a manager with its reconciler:
//!
//! ```no_run
//! # use std::sync::Arc;
//! # use k8s_openapi::api::apps::v1::Deployment;
//! # use k8s_openapi::api::core::v1::ConfigMap;
//! # use kubesmith::reconcile::{Action, Context, ReconcileError, Reconciler};
//! use kubesmith::controller::Controller;
//! # struct MyReconciler;
//! # impl Reconciler<Deployment> for MyReconciler {
//! #     async fn reconcile(&self, _d: Arc<Deployment>, _c: &Context) -> Result<Action, ReconcileError> { Ok(Action::await_change()) }
//! # }
//! # async fn example(manager: &mut kubesmith::manager::Manager) -> Result<(), kubesmith::manager::Error> {
//! manager.add(Controller::<Deployment>::new().owns::<ConfigMap>(), MyReconciler)?;
//! # Ok(()) }
//! ```
//!
//! Start with the module that matches the task at hand.
//!
//! **Running controllers**
//! - [`manager`]: one client, one cache, many controllers, probes, metrics and leader
//!   election, started in order and stopped gracefully; its standard flags (`ManagerFlags`).
//! - [`logging`]: the process's logger, console or JSON lines, set up from the manager's
//!   `--zap-*` flags in one call.
//! - [`controller`]: a controller as data (`owns`, `watches`, `reads`, predicates,
//!   concurrency, RBAC), with its reconcile loop, work-queue metrics and backoff.
//! - [`reconcile`]: the [`Reconciler`](reconcile::Reconciler) trait, [`Action`](reconcile::Action),
//!   terminal errors, and the [`Context`](reconcile::Context) a reconcile reads and writes
//!   through (also built by hand for unit tests).
//! - [`cache`]: one watch per kind shared by everything, field indexes, and
//!   [`CachedApi`](cache::CachedApi): reads without requests, writes with the fewest.
//! - [`predicate`]: which changes trigger a reconcile.
//! - [`webhook`]: admission (defaulting, validation) and conversion webhooks per Kind, served
//!   by the manager over HTTPS.
//! - [`leader_election`], [`healthz`], [`metrics`] (with its `/metrics` server), [`server`]:
//!   what the manager runs, usable on their own.
//!
//! **Helpers for reconcilers**: [`conditions`], [`finalizer`], [`owner`], [`events`].
//!
//! **Declarations and generation**
//! - [`schema`]: CRD schemas from Rust types — `#[kubesmith::markers]` and `#[k8s(...)]`
//!   markers on kube's `#[derive(CustomResource)]` types.
//! - [`rbac`]: RBAC rules as data (`#[derive(Rbac)]`, controller declarations), merged the way
//!   controller-gen merges them.
//! - `manifests` (feature `manifests`): `make manifests` — writes `config/crd/bases`,
//!   `config/rbac/role.yaml` and `config/webhook/manifests.yaml` after checking every schema
//!   (structural rules, CEL). Only the manifests binary needs it; operator binaries built
//!   without the feature link no CEL parser, regex engine or YAML writer of kubesmith's.
//!
//! **Testing**: `envtest` (feature `envtest`), a real etcd + kube-apiserver started and torn
//! down by the test itself; [`Context::builder`](reconcile::Context::builder) for reconcilers
//! called directly.
//!
//! Everything sits on kube-runtime's watcher, shared reflectors, `Controller`, finalizer and
//! events; drop down to them whenever you need to.
//!
//! **The crates kubesmith is built with** are re-exported, so a project names one version of
//! each: [`kube`], [`k8s_openapi`] (with the Kubernetes API version of kubesmith's envtest),
//! [`schemars`] and [`prometheus_client`] (the registry of the manager's `/metrics`). Derives
//! (`#[derive(CustomResource, JsonSchema)]`) still need `kube` and `schemars` as the
//! project's own dependencies, at these versions (`kubesmith init` writes them). The
//! [`prelude`] holds what a controller file uses.

pub mod cache;
pub mod conditions;
pub mod controller;
#[cfg(feature = "envtest")]
pub mod envtest;
pub mod events;
pub mod finalizer;
pub mod healthz;
pub mod leader_election;
pub mod logging;
pub mod manager;
#[cfg(feature = "manifests")]
pub mod manifests;
pub mod metrics;
pub mod operator;
pub mod owner;
pub mod predicate;
pub mod rbac;
pub mod reconcile;
pub mod schema;
pub mod server;
pub mod webhook;

pub use cache::kind::{Kind, WatchScope};
pub use kubesmith_macros::{Rbac, markers};

pub use k8s_openapi;
pub use kube;
pub use prometheus_client;
pub use schemars;

/// What a controller file uses, in one import: `use kubesmith::prelude::*;`.
///
/// ```
/// use kubesmith::prelude::*;
/// use kubesmith::k8s_openapi::api::core::v1::ConfigMap;
///
/// struct Echo;
///
/// impl Reconciler<ConfigMap> for Echo {
///     async fn reconcile(&self, object: Arc<ConfigMap>, ctx: &Context) -> Result<Action, ReconcileError> {
///         let namespace = object.namespace().unwrap_or_default();
///         let _ = ctx.namespaced::<ConfigMap>(&namespace).get(&object.name_any()).await?;
///         Ok(Action::await_change())
///     }
/// }
///
/// fn setup(manager: &mut Manager) -> Result<(), kubesmith::manager::Error> {
///     manager.add(Controller::<ConfigMap>::new(), Echo)
/// }
/// ```
pub mod prelude {
    pub use std::sync::Arc;

    pub use kube::{Api, Client, CustomResourceExt, Resource, ResourceExt};

    pub use crate::cache::{CachedApi, OperationResult};
    pub use crate::controller::Controller;
    pub use crate::manager::Manager;
    pub use crate::reconcile::{Action, Context, ReconcileError, Reconciler};
}

/// Items generated code names; not part of the public API.
#[doc(hidden)]
pub mod __private {
    pub use schemars;
    pub use serde_json;
}
