//! End-to-end tests of the deployed operator, against the cluster of the current kubeconfig:
//! `make docker-build docker-push deploy IMG=...`, then `make test-e2e`. Extend them with
//! what your operator does: create a sample, wait for its status, check what it owns.

use std::time::Duration;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::discovery::v1::EndpointSlice;
use kube::Api;
use kube::api::ListParams;

/// Where `make deploy` puts the operator.
const NAMESPACE: &str = "project-self-managed-system";
/// The manager's Deployment.
const DEPLOYMENT: &str = "project-self-managed-controller-manager";
/// The Service in front of the manager's metrics endpoint.
const METRICS_SERVICE: &str = "project-self-managed-controller-manager-metrics-service";
/// How long the manager may take to become ready.
const TIMEOUT: Duration = Duration::from_secs(180);

#[tokio::test]
async fn manager_serves_metrics() -> Result<(), Box<dyn std::error::Error>> {
    let client = kube::Client::try_default().await?;
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), NAMESPACE);
    let slices: Api<EndpointSlice> = Api::namespaced(client, NAMESPACE);
    let selector = format!("kubernetes.io/service-name={METRICS_SERVICE}");
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    loop {
        // Ready means the caches synced: the manager's RBAC lets it watch what it needs.
        let available = deployments
            .get_opt(DEPLOYMENT)
            .await?
            .and_then(|deployment| deployment.status)
            .and_then(|status| status.available_replicas)
            .unwrap_or(0);
        let serving = slices
            .list(&ListParams::default().labels(&selector))
            .await?
            .items
            .iter()
            .flat_map(|slice| slice.endpoints.iter().flatten())
            .any(|endpoint| {
                endpoint
                    .conditions
                    .as_ref()
                    .and_then(|conditions| conditions.ready)
                    .unwrap_or(false)
            });
        if available > 0 && serving {
            return Ok(());
        }
        if tokio::time::Instant::now() > deadline {
            return Err(format!(
                "{NAMESPACE}/{DEPLOYMENT} is not ready behind {METRICS_SERVICE} after {TIMEOUT:?}"
            )
            .into());
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}
