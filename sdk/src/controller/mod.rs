//! Controllers as data: which kind a controller reconciles, what it owns, watches and reads,
//! which changes count, how many reconciles run at once — and the RBAC rules that follows.
//!
//! A [`Controller`] needs no client and no manager: build it in a function, register it in
//! `main` with [`Manager::add`](crate::manager::Manager::add), and hand the same declaration to
//! the manifests generator for its RBAC rules (offline, no kubeconfig).
//!
//! ```no_run
//! use std::sync::Arc;
//! use k8s_openapi::api::apps::v1::Deployment;
//! use k8s_openapi::api::core::v1::{ConfigMap, Secret};
//! use kubesmith::controller::Controller;
//! use kubesmith::manager::{Manager, ManagerOptions};
//! use kubesmith::predicate::generation_changed;
//! use kubesmith::reconcile::{Action, Context, ReconcileError, Reconciler};
//!
//! struct DeploymentReconciler;
//! impl Reconciler<Deployment> for DeploymentReconciler {
//!     async fn reconcile(&self, _d: Arc<Deployment>, _ctx: &Context) -> Result<Action, ReconcileError> {
//!         Ok(Action::await_change())
//!     }
//! }
//!
//! /// What the Deployment controller is; used by `main` and by `make manifests`.
//! fn controller() -> Controller<Deployment> {
//!     Controller::new()
//!         .owns::<ConfigMap>()
//!         .reads::<Secret>()
//!         .predicate(generation_changed)
//!         .max_concurrent_reconciles(4)
//! }
//!
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! let rules = controller().rbac_rules(); // what config/rbac/role.yaml needs
//! let mut manager = Manager::new(kube::Client::try_default().await?, ManagerOptions::default())?;
//! manager.add(controller(), DeploymentReconciler)?;
//! manager.run().await?;
//! # Ok(()) }
//! ```

mod backoff;
mod builder;
mod queue;
mod rules;
mod run;
mod trigger;
mod watch;
mod worker;

pub use backoff::{DEFAULT_BACKOFF_BASE, DEFAULT_BACKOFF_MAX, ErrorBackoff};
pub use builder::{Controller, DEFAULT_MAX_CONCURRENT_RECONCILES};
pub use rules::{rules_for, rules_owns, rules_watches};
pub use watch::Watch;

pub(crate) use run::{Registration, Start};
