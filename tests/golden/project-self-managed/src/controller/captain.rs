//! The Captain controller: its declaration (what it reconciles, owns and watches, from which
//! `make manifests` derives its RBAC rules) and its reconciler.

use std::sync::Arc;

use kube::{Resource, ResourceExt};
use kubesmith::cache::OperationResult;
use kubesmith::conditions::{ConditionBuilder, set_condition};
use kubesmith::controller::Controller;
use kubesmith::events::{Event, EventType};
use kubesmith::manager::{self, Manager};
use kubesmith::reconcile::{Action, Context, ReconcileError, Reconciler};

use crate::api::v1::captain::Captain;

/// The condition that says whether the spec of a Captain has been reconciled.
pub const READY: &str = "Ready";

/// What the Captain controller is: it reconciles Captains. Declare here what else it
/// touches (`.owns::<Deployment>()` for objects it creates, `.reads::<Secret>()` for objects
/// it reads, `.watches(...)` for objects that trigger it): `main` runs what it declares, and
/// `make manifests` grants what it declares.
pub fn controller() -> Controller<Captain> {
    Controller::new()
}

/// Registers the Captain controller with `manager` (`main` calls this).
pub fn setup(manager: &mut Manager) -> Result<(), manager::Error> {
    manager.add(controller(), CaptainReconciler)
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
        let captains = ctx.namespaced::<Captain>(&captain.namespace().unwrap_or_default());
        // Reads are served by the manager's cache: no request reaches the API server. Read
        // other kinds the same way (declare them with `.reads` or `.owns`).
        let Some(current) = captains.get(&captain.name_any()).await? else {
            // Deleted since it was queued: nothing left to do.
            return Ok(Action::await_change());
        };

        // TODO(user): make the cluster match `current.spec`, e.g. create or update the objects
        // it describes with `ctx.namespaced::<ConfigMap>(namespace).create_or_update(...)`.

        // Report the generation just reconciled. A status that is already current sends no
        // request.
        let ready = ConditionBuilder::new(READY, true, "Reconciled")
            .message("the spec is reconciled")
            .observing(&*current);
        let written = captains
            .update_status(&current, |captain| {
                let status = captain.status.get_or_insert_with(Default::default);
                set_condition(&mut status.conditions, ready);
            })
            .await?;
        if written != OperationResult::Unchanged {
            // Tell `kubectl describe` readers, once per change.
            let event = Event {
                type_: EventType::Normal,
                reason: "Reconciled".into(),
                note: Some(format!(
                    "generation {} is reconciled",
                    current.metadata.generation.unwrap_or_default()
                )),
                action: "Reconcile".into(),
                secondary: None,
            };
            ctx.recorder()
                .publish(&event, &current.object_ref(&()))
                .await?;
        }
        Ok(Action::await_change())
    }
}
