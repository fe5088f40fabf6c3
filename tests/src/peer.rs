//! The benchmark's peer: the sample operator's logic on a plain kube-runtime `Controller`,
//! written as kube-rs users write it (server-side apply for the ConfigMap and the status).

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use greeting_operator::api::{Greeting, GreetingStatus};
use greeting_operator::controller::MESSAGE_KEY;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Patch, PatchParams};
use kube::runtime::controller::{Action, Controller};
use kube::runtime::watcher;
use kube::{Api, Client, Resource, ResourceExt};
use kubesmith::conditions::ConditionBuilder;

/// Field manager of the peer's server-side applies.
const MANAGER: &str = "greeting-controller";

/// Errors of the sample reconciler.
#[derive(Debug, thiserror::Error)]
pub enum ReconcileError {
    /// The Greeting came without the name or uid an owner reference needs.
    #[error("Greeting cannot own its ConfigMap: {0}")]
    Owner(#[from] kubesmith::owner::OwnerError),
    /// A request to the API server failed.
    #[error("API request failed: {0}")]
    Kube(#[from] kube::Error),
}

/// The sample's reconcile logic as kube-rs users write it: server-side apply the owned
/// ConfigMap, then the status with a `Ready` condition.
pub async fn converge(client: &Client, greeting: &Greeting) -> Result<(), ReconcileError> {
    let namespace = greeting.namespace().unwrap_or_default();
    let name = greeting.config_map_name();
    let data = std::collections::BTreeMap::from([(
        MESSAGE_KEY.to_string(),
        greeting.spec.message.clone(),
    )]);
    let mut config_map = ConfigMap {
        metadata: kube::api::ObjectMeta {
            name: Some(name.clone()),
            ..Default::default()
        },
        data: Some(data),
        ..Default::default()
    };
    kubesmith::owner::set_controller_reference(greeting, &mut config_map)?;
    Api::<ConfigMap>::namespaced(client.clone(), &namespace)
        .patch(
            &name,
            &PatchParams::apply(MANAGER).force(),
            &Patch::Apply(&config_map),
        )
        .await?;

    let mut conditions = greeting.status.clone().unwrap_or_default().conditions;
    conditions.set(ConditionBuilder::new("Ready", true, "ConfigMapApplied").observing(greeting));
    let status = serde_json::json!({
        "apiVersion": Greeting::api_version(&()),
        "kind": Greeting::kind(&()),
        "status": GreetingStatus {
            config_map: Some(name),
            observed_generation: greeting.metadata.generation,
            conditions,
        },
    });
    Api::<Greeting>::namespaced(client.clone(), &namespace)
        .patch_status(
            &greeting.name_any(),
            &PatchParams::apply(MANAGER).force(),
            &Patch::Apply(&status),
        )
        .await?;
    Ok(())
}

async fn reconcile(greeting: Arc<Greeting>, client: Arc<Client>) -> Result<Action, ReconcileError> {
    converge(&client, &greeting).await?;
    Ok(Action::await_change())
}

fn error_policy(_greeting: Arc<Greeting>, error: &ReconcileError, _client: Arc<Client>) -> Action {
    tracing::warn!(%error, "retrying");
    Action::requeue(Duration::from_secs(1))
}

/// Runs the peer controller until the returned future is dropped.
/// Watches every namespace, or only `namespace`, and runs at most `concurrency` reconciles at
/// once (0: unbounded).
pub async fn run_controller(client: Client, namespace: Option<&str>, concurrency: u16) {
    let (greetings, config_maps) = match namespace {
        Some(namespace) => (
            Api::<Greeting>::namespaced(client.clone(), namespace),
            Api::<ConfigMap>::namespaced(client.clone(), namespace),
        ),
        None => (Api::all(client.clone()), Api::all(client.clone())),
    };
    Controller::new(greetings, watcher::Config::default())
        .owns(config_maps, watcher::Config::default())
        .with_config(kube::runtime::controller::Config::default().concurrency(concurrency))
        .run(reconcile, error_policy, Arc::new(client))
        .for_each(|_| futures::future::ready(()))
        .await;
}
