//! The manager's cache: one watch and one store per kind, shared by every controller, every
//! reconcile and every mapper, with field indexes; and [`CachedApi`], which reads from it and
//! writes with the fewest requests.
//!
//! Reads in a reconciler go through [`Context::namespaced`](crate::reconcile::Context::namespaced)
//! or [`Context::all`](crate::reconcile::Context::all) (the same as [`Cache::namespaced`] and
//! [`Cache::all`]) and cost no request to the API server:
//!
//! ```no_run
//! use std::sync::Arc;
//! use k8s_openapi::api::batch::v1::{CronJob, Job};
//! use k8s_openapi::api::core::v1::Secret;
//! use kube::ResourceExt;
//! use kubesmith::reconcile::{Action, Context, ReconcileError};
//!
//! async fn reconcile(cronjob: Arc<CronJob>, ctx: &Context) -> Result<Action, ReconcileError> {
//!     let namespace = cronjob.namespace().unwrap_or_default();
//!     // The Jobs this CronJob controls, by the built-in owner index.
//!     let jobs = ctx.namespaced::<Job>(&namespace).list_owned_by(&*cronjob).await?;
//!     // A Secret nothing owns: its kind is watched from the first read on.
//!     let token = ctx.namespaced::<Secret>(&namespace).get("registry-token").await?;
//!     # let _ = (jobs, token);
//!     Ok(Action::await_change())
//! }
//! ```
//!
//! How kinds get into the cache:
//!
//! - kinds a controller reconciles, owns, watches or reads ([`crate::controller::Controller`])
//!   are watched from the start, and the manager marks itself ready when they have synced;
//! - any other kind is watched from its first read, which waits until that watch has synced
//!   (up to [`DEFAULT_CACHE_SYNC_TIMEOUT`]);
//! - namespaced kinds are watched in the manager's namespaces (`WATCH_NAMESPACE`), all when
//!   none are set; [`Selection`] narrows a kind to labels or fields.
//!
//! Field indexes ([`Cache::index_field`]) are kept up to date by the watch, across updates,
//! deletes and relists; every kind has the [`CONTROLLER_OWNER_INDEX`].

mod api;
#[expect(
    clippy::module_inception,
    reason = "named after the type it defines, `Cache`, like the other files here"
)]
mod cache;
mod desired;
mod error;
mod index;
mod informer;
pub(crate) mod kind;
mod namespaces;
mod ownership;
mod write;

pub use api::CachedApi;
pub use cache::{Cache, DEFAULT_CACHE_SYNC_TIMEOUT};
pub use error::{CacheError, WriteError};
pub use index::CONTROLLER_OWNER_INDEX;
pub use informer::Selection;
pub use write::{MutateError, OperationResult};

pub(crate) use informer::{Informer, Subscription};
pub(crate) use kind::key_of;
