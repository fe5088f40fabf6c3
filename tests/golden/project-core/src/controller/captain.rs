//! The Captain controller: its declaration (what it reconciles, owns and watches, from which
//! `make manifests` derives its RBAC rules) and its reconciler.

use kubesmith::conditions::{ConditionBuilder, READY};
use kubesmith::prelude::*;

use crate::api::v1::captain::Captain;

/// What the Captain controller is: it reconciles Captains. Declare here what else it
/// touches (`.owns::<Deployment>()` for objects it creates, `.reads::<Secret>()` for objects
/// it reads, `.watches(...)` for objects that trigger it): the manager runs what it declares,
/// and `make manifests` grants what it declares (`crate::operator` lists it).
pub fn controller() -> Controller<Captain> {
    Controller::new()
}

/// Brings the cluster to what a Captain asks for, and reports it in the Captain's status.
#[derive(Debug, Clone, Copy, Default)]
pub struct CaptainReconciler;

impl Reconciler<Captain> for CaptainReconciler {
    async fn reconcile(
        &self,
        captain: Arc<Captain>,
        ctx: &Context,
    ) -> Result<Action, ReconcileError> {
        // `captain` is the latest version in the manager's cache. Read other kinds
        // from the cache too (declare them with `.reads` or `.owns`): no request reaches the
        // API server.

        // TODO(user): make the cluster match `captain.spec`, e.g. create or update
        // the objects it describes with
        // `ctx.namespaced::<ConfigMap>(namespace).create_or_update(...)`.

        // Report the generation just reconciled. A status that is already current sends no
        // request.
        let ready = ConditionBuilder::new(READY, true, "Reconciled")
            .message("the spec is reconciled")
            .observing(&*captain);
        let captains = ctx.namespaced::<Captain>(&captain.namespace().unwrap_or_default());
        let written = captains
            .update_status(&captain, |captain| {
                let status = captain.status.get_or_insert_with(Default::default);
                status.conditions.set(ready);
            })
            .await?;
        if written != OperationResult::Unchanged {
            // Tell `kubectl describe` readers, once per change.
            let generation = captain.metadata.generation.unwrap_or_default();
            let note = format!("generation {generation} is reconciled");
            ctx.event(&*captain, "Reconciled", note).await;
        }
        Ok(Action::await_change())
    }
}
