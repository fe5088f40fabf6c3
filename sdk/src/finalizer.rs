//! Finalizers: run cleanup before Kubernetes deletes an object.
//!
//! [`finalize`] wraps kube-runtime's [`kube::runtime::finalizer::finalizer`]: it adds
//! the finalizer to a live object, calls your code with [`Event::Apply`] while the object
//! lives and with [`Event::Cleanup`] once it is being deleted, and removes the finalizer when
//! cleanup succeeded.
//!
//! ```no_run
//! use std::sync::Arc;
//! use k8s_openapi::api::core::v1::ConfigMap;
//! use kube::Api;
//! use kubesmith::finalizer::{Event, finalize};
//! use kubesmith::reconcile::{Action, Context, ReconcileError};
//!
//! async fn reconcile(object: Arc<ConfigMap>, ctx: &Context) -> Result<Action, ReconcileError> {
//!     let api: Api<ConfigMap> = Api::namespaced(ctx.client().clone(), "default");
//!     finalize(&api, "example.com/cleanup", object, |event| async move {
//!         match event {
//!             Event::Apply(_) => Ok(Action::await_change()),
//!             Event::Cleanup(_) => Ok(Action::await_change()), // release external resources here
//!         }
//!     })
//!     .await
//! }
//! ```

use std::fmt::Debug;
use std::future::Future;
use std::sync::{Arc, Mutex};

use kube::runtime::finalizer::{Error as FinalizerError, finalizer};
use kube::{Api, Resource};
use serde::Serialize;
use serde::de::DeserializeOwned;

pub use kube::runtime::finalizer::Event;

use crate::reconcile::{Action, ReconcileError};

/// Carries the reconciler's error through kube-runtime's finalizer.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct Failed(ReconcileError);

/// Adds `finalizer_name` to `object`, or calls `reconcile` with what to do: apply while the
/// object lives, cleanup once it is deleted (the finalizer is removed after a successful
/// cleanup). Errors from `reconcile` are returned as they are, keeping terminal errors terminal.
pub async fn finalize<K, F, Fut>(
    api: &Api<K>,
    finalizer_name: &str,
    object: Arc<K>,
    reconcile: F,
) -> Result<Action, ReconcileError>
where
    K: Resource + Clone + DeserializeOwned + Serialize + Debug,
    F: FnOnce(Event<K>) -> Fut,
    Fut: Future<Output = Result<Action, ReconcileError>>,
{
    let chosen = Arc::new(Mutex::new(None));
    let record = Arc::clone(&chosen);
    let outcome = finalizer(api, finalizer_name, object, |event| async move {
        let action = reconcile(event).await.map_err(Failed)?;
        *record.lock().unwrap_or_else(|p| p.into_inner()) = Some(action);
        Ok::<_, Failed>(kube::runtime::controller::Action::await_change())
    })
    .await;
    match outcome {
        Ok(_) => Ok(chosen
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
            .unwrap_or(Action::AwaitChange)),
        Err(FinalizerError::ApplyFailed(Failed(error)))
        | Err(FinalizerError::CleanupFailed(Failed(error))) => Err(error),
        Err(FinalizerError::AddFinalizer(error)) | Err(FinalizerError::RemoveFinalizer(error)) => {
            Err(ReconcileError::retry(error))
        }
        Err(other) => Err(ReconcileError::terminal(other.to_string())),
    }
}
