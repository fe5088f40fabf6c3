//! Finalizers: run cleanup before Kubernetes deletes an object.
//!
//! [`finalize`] adds the finalizer to a live object, calls your code with [`Event::Apply`]
//! while the object lives and with [`Event::Cleanup`] once it is being deleted, and removes
//! the finalizer when cleanup succeeded. It writes through the cache's [`CachedApi`]: the
//! finalizer it adds or removes is what the next read of the object shows, without a request.
//!
//! ```no_run
//! use std::sync::Arc;
//! use k8s_openapi::api::core::v1::ConfigMap;
//! use kubesmith::finalizer::{Event, finalize};
//! use kubesmith::reconcile::{Action, Context, ReconcileError};
//!
//! async fn reconcile(object: Arc<ConfigMap>, ctx: &Context) -> Result<Action, ReconcileError> {
//!     let config_maps = ctx.namespaced::<ConfigMap>("default");
//!     finalize(&config_maps, "example.com/cleanup", object, |event| async move {
//!         match event {
//!             Event::Apply(_) => Ok(Action::await_change()),
//!             Event::Cleanup(_) => Ok(Action::await_change()), // release external resources here
//!         }
//!     })
//!     .await
//! }
//! ```

use std::future::Future;
use std::sync::Arc;

use kube::ResourceExt;
use serde::Serialize;

pub use kube::runtime::finalizer::Event;

use crate::Kind;
use crate::cache::CachedApi;
use crate::reconcile::{Action, ReconcileError};

/// Adds `finalizer_name` to `object` and calls `reconcile` with [`Event::Apply`] while the
/// object lives; once it is being deleted, calls `reconcile` with [`Event::Cleanup`] and
/// removes the finalizer after a successful cleanup. An object being deleted without this
/// finalizer is left alone. Errors from `reconcile` are returned as they are, keeping
/// terminal errors terminal; a failed finalizer write is retried.
pub async fn finalize<K, F, Fut>(
    api: &CachedApi<K>,
    finalizer_name: &str,
    object: Arc<K>,
    reconcile: F,
) -> Result<Action, ReconcileError>
where
    K: Kind + Serialize,
    F: FnOnce(Event<K>) -> Fut,
    Fut: Future<Output = Result<Action, ReconcileError>>,
{
    let finalized = object.finalizers().iter().any(|f| f == finalizer_name);
    if object.meta().deletion_timestamp.is_some() {
        if !finalized {
            return Ok(Action::await_change());
        }
        let action = reconcile(Event::Cleanup(Arc::clone(&object))).await?;
        api.remove_finalizer(&object, finalizer_name)
            .await
            .map_err(ReconcileError::retry)?;
        return Ok(action);
    }
    let object = if finalized {
        object
    } else {
        api.add_finalizer(&object, finalizer_name)
            .await
            .map_err(ReconcileError::retry)?
    };
    reconcile(Event::Apply(object)).await
}
