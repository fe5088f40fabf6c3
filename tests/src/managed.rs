//! The sample operator on kubesmith's manager: the same logic as [`crate::sample`], driven by
//! a kubesmith controller instead of a hand-wired kube-runtime `Controller`.

use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::core::v1::ConfigMap;
use kubesmith::manager::{Error, Manager};
use kubesmith::reconcile::{Action, Context, ReconcileError, Reconciler};

use crate::sample::{Greeting, converge};

/// Reconciles a `Greeting` into its ConfigMap and `Ready` condition.
#[derive(Debug, Clone, Default)]
pub struct GreetingReconciler {
    /// Recorded in each ConfigMap as `reconciledBy` (which process did the work).
    pub reconciled_by: Option<String>,
    /// Extra time every reconcile takes (to observe in-flight reconciles).
    pub delay: Duration,
}

impl Reconciler<Greeting> for GreetingReconciler {
    async fn reconcile(
        &self,
        greeting: Arc<Greeting>,
        ctx: &Context,
    ) -> Result<Action, ReconcileError> {
        if !self.delay.is_zero() {
            tokio::time::sleep(self.delay).await;
        }
        converge(ctx.client(), &greeting, self.reconciled_by.as_deref()).await?;
        Ok(Action::await_change())
    }
}

/// Registers the Greeting controller (owning ConfigMaps) with `manager`.
pub fn register(manager: &mut Manager, reconciler: GreetingReconciler) -> Result<(), Error> {
    register_with_concurrency(
        manager,
        reconciler,
        kubesmith::controller::DEFAULT_MAX_CONCURRENT_RECONCILES,
    )
}

/// [`register`] with `max_concurrent` reconciles at once.
pub fn register_with_concurrency(
    manager: &mut Manager,
    reconciler: GreetingReconciler,
    max_concurrent: u16,
) -> Result<(), Error> {
    manager
        .controller::<Greeting>()
        .owns::<ConfigMap>()
        .max_concurrent_reconciles(max_concurrent)
        .complete(reconciler)
}
