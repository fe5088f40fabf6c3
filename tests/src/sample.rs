//! The sample operator: each `Greeting` gets an owned ConfigMap holding its message, and its
//! status records the ConfigMap's name and the generation it reflects.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use futures::StreamExt;
use k8s_openapi::api::core::v1::ConfigMap;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::api::{Patch, PatchParams, PostParams};
use kube::runtime::controller::{Action, Controller};
use kube::runtime::watcher;
use kube::{Api, Client, CustomResource, CustomResourceExt, Resource, ResourceExt};
use kubesmith::conditions::{ConditionBuilder, set_condition};
use kubesmith::envtest::Environment;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Field manager of the sample controller's server-side applies.
const MANAGER: &str = "greeting-controller";

/// A greeting to publish as a ConfigMap.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, JsonSchema)]
#[kube(
    group = "demo.kubesmith.dev",
    version = "v1",
    kind = "Greeting",
    namespaced
)]
#[kube(status = "GreetingStatus", shortname = "gr")]
pub struct GreetingSpec {
    /// The text to publish.
    pub message: String,
}

/// What the controller last did for a `Greeting`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GreetingStatus {
    /// Name of the ConfigMap holding the message.
    pub config_map: Option<String>,
    /// The `metadata.generation` this status reflects.
    pub observed_generation: Option<i64>,
    /// `Ready` once the ConfigMap holds the current message.
    #[serde(default)]
    pub conditions: Vec<Condition>,
}

/// The name of the ConfigMap that belongs to `greeting`.
pub fn config_map_name(greeting: &Greeting) -> String {
    format!("{}-greeting", greeting.name_any())
}

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

/// The reconcile logic shared by the kube-runtime and the kubesmith controllers: apply the
/// owned ConfigMap (recording `reconciled_by` in it when given), then the status with a
/// `Ready` condition.
pub async fn converge(
    client: &Client,
    greeting: &Greeting,
    reconciled_by: Option<&str>,
) -> Result<(), ReconcileError> {
    let namespace = greeting.namespace().unwrap_or_default();
    let name = config_map_name(greeting);
    let mut data =
        std::collections::BTreeMap::from([("message".to_string(), greeting.spec.message.clone())]);
    if let Some(reconciler) = reconciled_by {
        data.insert("reconciledBy".to_string(), reconciler.to_string());
    }
    let mut config_map = ConfigMap {
        metadata: kube::api::ObjectMeta {
            name: Some(name.clone()),
            ..Default::default()
        },
        data: Some(data),
        ..Default::default()
    };
    kubesmith::owner::set_controller_reference(greeting, &mut config_map)?;
    kubesmith::apply::apply(
        &Api::namespaced(client.clone(), &namespace),
        &config_map,
        MANAGER,
    )
    .await?;

    let mut conditions = greeting.status.clone().unwrap_or_default().conditions;
    set_condition(
        &mut conditions,
        ConditionBuilder::new("Ready", true, "ConfigMapApplied").observing(greeting),
    );
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

/// Whether `greeting` has converged: its status reflects its generation and is `Ready`.
pub fn is_converged(greeting: &Greeting) -> bool {
    greeting.status.as_ref().is_some_and(|status| {
        status.observed_generation == greeting.metadata.generation
            && kubesmith::conditions::is_true(&status.conditions, "Ready")
    })
}

async fn reconcile(greeting: Arc<Greeting>, client: Arc<Client>) -> Result<Action, ReconcileError> {
    converge(&client, &greeting, None).await?;
    Ok(Action::await_change())
}

fn error_policy(_greeting: Arc<Greeting>, error: &ReconcileError, _client: Arc<Client>) -> Action {
    tracing::warn!(%error, "retrying");
    Action::requeue(Duration::from_secs(1))
}

/// Runs the sample controller until the returned future is dropped.
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

/// What [`run`] observed.
#[derive(Debug)]
pub struct Outcome {
    /// The ConfigMap the controller created.
    pub config_map: ConfigMap,
    /// The Greeting's status after reconciliation.
    pub status: GreetingStatus,
}

/// Installs the `Greeting` CRD into `env`, runs the controller, creates a `Greeting` in
/// `namespace` and waits (up to `timeout`) until its ConfigMap exists and its status is set.
pub async fn run(env: &Environment, namespace: &str, timeout: Duration) -> anyhow::Result<Outcome> {
    let crd_options = kubesmith::envtest::CrdInstallOptions::default().crd(Greeting::crd());
    env.install_crds(&crd_options).await?;
    let client = env.client()?;
    let controller_client = client.clone();
    let controller = tokio::spawn(async move { run_controller(controller_client, None, 0).await });

    let greetings = Api::<Greeting>::namespaced(client.clone(), namespace);
    let greeting = Greeting::new(
        "hello",
        GreetingSpec {
            message: "Hello from kubesmith".into(),
        },
    );
    greetings
        .create(&PostParams::default(), &greeting)
        .await
        .context("creating the sample Greeting")?;

    let config_maps = Api::<ConfigMap>::namespaced(client, namespace);
    let converged = async {
        loop {
            let current = greetings.get("hello").await?;
            let status = current.status.clone().unwrap_or_default();
            let reflects_generation = status.observed_generation == current.metadata.generation;
            if let (true, Some(name)) = (reflects_generation, &status.config_map)
                && let Some(config_map) = config_maps.get_opt(name).await?
            {
                return Ok::<_, kube::Error>(Outcome { config_map, status });
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    let outcome = tokio::time::timeout(timeout, converged).await;
    controller.abort();
    outcome
        .context("the Greeting did not converge in time")?
        .context("reading the Greeting and its ConfigMap")
}
