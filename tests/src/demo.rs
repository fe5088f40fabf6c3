//! The sample Greeting operator on kubesmith's manager, reconciling
//! one Greeting on a control plane started for the purpose.

use std::time::Duration;

use anyhow::Context as _;
use greeting_operator::api::{Greeting, GreetingSpec, GreetingStatus};
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::PostParams;
use kube::{Api, CustomResourceExt, ResourceExt};
use kubesmith::envtest::{CrdInstallOptions, Environment};
use kubesmith::manager::{BindAddress, Manager, ManagerOptions};

use crate::managed::{SampleReconciler, register};

/// What the demo observed.
#[derive(Debug)]
pub struct Outcome {
    /// The ConfigMap the controller created.
    pub config_map: ConfigMap,
    /// The Greeting's status after reconciliation.
    pub status: GreetingStatus,
}

/// Installs the `Greeting` CRD into `env`, runs the sample operator on a kubesmith manager
/// watching `namespace`, creates a `Greeting` there and waits (up to `timeout`) until it has
/// converged. Each step is told to `report` as it happens.
pub async fn run(
    env: &Environment,
    namespace: &str,
    timeout: Duration,
    report: impl Fn(String),
) -> anyhow::Result<Outcome> {
    let crd = Greeting::crd();
    env.install_crds(&CrdInstallOptions::default().crd(crd.clone()))
        .await?;
    report(format!("CRD {} installed", crd.name_any()));

    let client = env.client()?;
    let options = ManagerOptions {
        metrics_bind_address: BindAddress::Disabled,
        health_probe_bind_address: BindAddress::Disabled,
        watch_namespaces: vec![namespace.to_string()],
        ..ManagerOptions::default()
    };
    let mut manager = Manager::new(client.clone(), options)?;
    register(&mut manager, SampleReconciler::default(), 1)?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(manager.run_until(async move {
        let _ = stopped.await;
    }));
    report(format!(
        "manager started: Greeting controller (owns ConfigMaps), watching namespace {namespace}"
    ));

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
    report(format!(
        "Greeting {namespace}/hello created: message {:?}",
        greeting.spec.message
    ));

    let config_maps = Api::<ConfigMap>::namespaced(client, namespace);
    let converged = async {
        loop {
            let current = greetings.get("hello").await?;
            if current.is_converged()
                && let Some(config_map) = config_maps.get_opt(&current.config_map_name()).await?
            {
                let status = current.status.unwrap_or_default();
                return Ok::<_, kube::Error>(Outcome { config_map, status });
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    let outcome = tokio::time::timeout(timeout, converged).await;
    let _ = stop.send(());
    running.await??;
    let outcome = outcome
        .context("the Greeting did not converge in time")?
        .context("reading the Greeting and its ConfigMap")?;
    report(format!(
        "reconciled: ConfigMap {namespace}/{} holds {:?}, owned by Greeting hello",
        outcome.config_map.name_any(),
        outcome
            .config_map
            .data
            .as_ref()
            .and_then(|data| data.get("message"))
            .cloned()
            .unwrap_or_default()
    ));
    let ready = outcome
        .status
        .conditions
        .iter()
        .find(|condition| condition.type_ == "Ready");
    report(format!(
        "status: configMap={:?}, observedGeneration={:?}, Ready={} ({})",
        outcome.status.config_map.as_deref().unwrap_or_default(),
        outcome.status.observed_generation.unwrap_or_default(),
        ready.map(|c| c.status.as_str()).unwrap_or("absent"),
        ready.map(|c| c.reason.as_str()).unwrap_or_default(),
    ));
    Ok(outcome)
}
