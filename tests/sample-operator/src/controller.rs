//! The Greeting controller: its declaration (what it reconciles, owns and needs) and its
//! reconciler.

use std::sync::Arc;

use k8s_openapi::api::core::v1::ConfigMap;
use kube::ResourceExt;
use kubesmith::conditions::ConditionBuilder;
use kubesmith::controller::Controller;
use kubesmith::owner::set_controller_reference;
use kubesmith::reconcile::{Action, Context, ReconcileError, Reconciler};

use crate::api::Greeting;

/// The data key the message is published under.
pub const MESSAGE_KEY: &str = "message";
/// The data key recording which replica wrote the ConfigMap (when set).
pub const RECONCILED_BY_KEY: &str = "reconciledBy";

/// What the Greeting controller is: it reconciles Greetings and owns ConfigMaps. `main`
/// registers it; the manifests binary asks it for its RBAC rules.
pub fn controller() -> Controller<Greeting> {
    Controller::new().owns::<ConfigMap>()
}

/// Reconciles a `Greeting` into its ConfigMap and a `Ready` condition.
#[derive(Debug, Clone, Default)]
pub struct GreetingReconciler {
    /// Recorded in each ConfigMap under [`RECONCILED_BY_KEY`] (which replica did the work).
    pub reconciled_by: Option<String>,
}

impl Reconciler<Greeting> for GreetingReconciler {
    async fn reconcile(
        &self,
        greeting: Arc<Greeting>,
        ctx: &Context,
    ) -> Result<Action, ReconcileError> {
        let namespace = greeting.namespace().unwrap_or_default();
        let name = greeting.config_map_name();
        // Read from the cache; one request only when the ConfigMap is missing or differs.
        ctx.namespaced::<ConfigMap>(&namespace)
            .create_or_update(&name, |config_map| {
                let data = config_map.data.get_or_insert_with(Default::default);
                data.insert(MESSAGE_KEY.into(), greeting.spec.message.clone());
                if let Some(replica) = &self.reconciled_by {
                    data.insert(RECONCILED_BY_KEY.into(), replica.clone());
                }
                set_controller_reference(&*greeting, config_map)?;
                Ok(())
            })
            .await?;
        // One request only when the status changes.
        let ready = ConditionBuilder::new("Ready", true, "ConfigMapApplied").observing(&*greeting);
        ctx.namespaced::<Greeting>(&namespace)
            .update_status(&greeting, |greeting| {
                let generation = greeting.metadata.generation;
                let status = greeting.status.get_or_insert_with(Default::default);
                status.config_map = Some(name.clone());
                status.observed_generation = generation;
                status.conditions.set(ready);
            })
            .await?;
        Ok(Action::await_change())
    }
}
