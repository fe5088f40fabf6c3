//! The sample operator on kubesmith's manager, with the knobs tests need: which replica did
//! the work, and how long each reconcile takes.

use std::sync::Arc;
use std::time::Duration;

use greeting_operator::api::Greeting;
use greeting_operator::controller::{GreetingReconciler, controller};
use kubesmith::manager::{Error, Manager};
use kubesmith::reconcile::{Action, Context, ReconcileError, Reconciler};

/// The sample reconciler, slowed down by `delay` (to observe in-flight reconciles).
#[derive(Debug, Clone, Default)]
pub struct SampleReconciler {
    /// Recorded in each ConfigMap (which process did the work).
    pub reconciled_by: Option<String>,
    /// Extra time every reconcile takes.
    pub delay: Duration,
}

impl Reconciler<Greeting> for SampleReconciler {
    async fn reconcile(
        &self,
        greeting: Arc<Greeting>,
        ctx: &Context,
    ) -> Result<Action, ReconcileError> {
        if !self.delay.is_zero() {
            tokio::time::sleep(self.delay).await;
        }
        let inner = GreetingReconciler {
            reconciled_by: self.reconciled_by.clone(),
        };
        inner.reconcile(greeting, ctx).await
    }
}

/// Registers the sample controller with `manager`, `max_concurrent` reconciles at once.
pub fn register(
    manager: &mut Manager,
    reconciler: SampleReconciler,
    max_concurrent: u16,
) -> Result<(), Error> {
    manager.add(
        controller().max_concurrent_reconciles(max_concurrent),
        reconciler,
    )
}
