//! The manager in the cluster: its pods run and are ready in a namespace that enforces the
//! `restricted` Pod Security level, and its metrics endpoint answers a scrape from inside the
//! cluster with the token of a ServiceAccount allowed to read metrics.

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::authentication::v1::TokenRequest;
use k8s_openapi::api::core::v1::{Namespace, Pod, Service, ServiceAccount};
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding};
use kube::ResourceExt;
use kube::api::{ListParams, LogParams, PostParams};
use serde_json::json;

use crate::OPERATOR;
use crate::support::{Cluster, Error};

/// The label by which Pod Security admission enforces a level on a namespace's pods.
const ENFORCE_LABEL: &str = "pod-security.kubernetes.io/enforce";

/// `E2E_CURL_IMAGE`: the image of the pod that scrapes the metrics, [`DEFAULT_CURL_IMAGE`]
/// when unset. It needs `curl` on its `PATH`.
const CURL_IMAGE_ENV: &str = "E2E_CURL_IMAGE";

/// The curl image scraping the metrics unless `E2E_CURL_IMAGE` names another.
const DEFAULT_CURL_IMAGE: &str = "curlimages/curl:8.16.0";

/// A metric every kubesmith manager serves.
const RECONCILE_TOTAL: &str = "controller_runtime_reconcile_total";

#[tokio::test]
async fn the_manager_runs_ready_under_the_restricted_pod_security_level() -> Result<(), Error> {
    let cluster = Cluster::connect(OPERATOR).await?;
    cluster
        .checks(async {
            let namespace = cluster.api::<Namespace>().get(OPERATOR.namespace).await?;
            let level = namespace.labels().get(ENFORCE_LABEL).map(String::as_str);
            if level != Some("restricted") {
                return Err(format!(
                    "namespace {} has {ENFORCE_LABEL}={level:?}, not restricted: label it before deploying (make deploy-e2e does)",
                    OPERATOR.namespace
                )
                .into());
            }
            manager_pods_ready(&cluster).await
        })
        .await
}

#[tokio::test]
async fn the_metrics_endpoint_serves_a_scrape_with_an_authorized_token() -> Result<(), Error> {
    let cluster = Cluster::connect(OPERATOR).await?;
    cluster
        .checks(async {
            manager_pods_ready(&cluster).await?;
            let token = metrics_reader_token(&cluster).await?;
            let metrics = scrape_metrics(&cluster, &token).await?;
            if !metrics.contains(RECONCILE_TOTAL) {
                return Err(format!("the metrics lack {RECONCILE_TOTAL}:\n{metrics}").into());
            }
            Ok(())
        })
        .await
}

/// Waits until every replica of the manager's Deployment is updated and ready, then until
/// each of its pods runs and is ready.
async fn manager_pods_ready(cluster: &Cluster) -> Result<(), Error> {
    let deployments = cluster.api::<Deployment>();
    let name = OPERATOR.name("controller-manager");
    let deployment = cluster
        .wait_for(&deployments, &name, "rolled out", rolled_out)
        .await?;
    // Read as JSON, like the other fields below: it stays the same across the Kubernetes
    // versions of k8s-openapi, where fields move in and out of `Option`.
    let deployment = serde_json::to_value(&deployment).unwrap_or_default();
    let selector = deployment["spec"]["selector"]["matchLabels"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(key, value)| format!("{key}={}", value.as_str().unwrap_or_default()))
        .collect::<Vec<_>>()
        .join(",");
    let pods = cluster.api::<Pod>();
    let running: Vec<Pod> = pods
        .list(&ListParams::default().labels(&selector))
        .await?
        .items
        .into_iter()
        .filter(|pod| pod.metadata.deletion_timestamp.is_none())
        .collect();
    if running.is_empty() {
        return Err(format!("{name} is rolled out, but no pod matches {selector}").into());
    }
    for pod in running {
        cluster
            .wait_for(
                &pods,
                &pod.name_any(),
                "running and ready",
                running_and_ready,
            )
            .await?;
    }
    Ok(())
}

/// Whether every replica of the Deployment's current generation is updated and ready.
fn rolled_out(deployment: Option<&Deployment>) -> bool {
    let Some(deployment) = deployment.and_then(|d| serde_json::to_value(d).ok()) else {
        return false;
    };
    let wanted = deployment["spec"]["replicas"].as_i64().unwrap_or(1);
    let status = &deployment["status"];
    status["observedGeneration"].as_i64() >= deployment["metadata"]["generation"].as_i64()
        && ["updatedReplicas", "readyReplicas", "availableReplicas"]
            .iter()
            .all(|count| status[*count].as_i64() == Some(wanted))
}

/// Whether the pod runs and its `Ready` condition is `True`.
fn running_and_ready(pod: Option<&Pod>) -> bool {
    let Some(status) = pod.and_then(|pod| serde_json::to_value(&pod.status).ok()) else {
        return false;
    };
    let ready = status["conditions"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|condition| condition["type"] == "Ready" && condition["status"] == "True");
    status["phase"] == "Running" && ready
}

/// Grants the manager's ServiceAccount the right to read metrics (a ClusterRoleBinding to
/// the `metrics-reader` ClusterRole, owned by that role so that undeploying removes it too),
/// then requests a token of that ServiceAccount.
async fn metrics_reader_token(cluster: &Cluster) -> Result<String, Error> {
    let account = OPERATOR.name("controller-manager");
    let reader = cluster
        .api::<ClusterRole>()
        .get(&OPERATOR.name("metrics-reader"))
        .await?;
    let binding: ClusterRoleBinding = serde_json::from_value(json!({
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRoleBinding",
        "metadata": {
            "name": OPERATOR.name("e2e-metrics-reader"),
            "ownerReferences": [{
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "ClusterRole",
                "name": reader.name_any(),
                "uid": reader.uid(),
            }],
        },
        "roleRef": {
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": "ClusterRole",
            "name": reader.name_any(),
        },
        "subjects": [{
            "kind": "ServiceAccount",
            "name": account,
            "namespace": OPERATOR.namespace,
        }],
    }))
    .map_err(|error| format!("a ClusterRoleBinding: {error}"))?;
    cluster.apply(&cluster.api(), &binding).await?;

    // The shortest lifetime the API server accepts.
    let request: TokenRequest = serde_json::from_value(json!({"spec": {"expirationSeconds": 600}}))
        .map_err(|error| format!("a TokenRequest: {error}"))?;
    let issued = cluster
        .api::<ServiceAccount>()
        .create_token_request(&account, &PostParams::default(), &request)
        .await?;
    let issued = serde_json::to_value(&issued).unwrap_or_default();
    issued["status"]["token"]
        .as_str()
        .filter(|token| !token.is_empty())
        .map(str::to_string)
        .ok_or_else(|| format!("the TokenRequest for {account} returned no token").into())
}

/// Runs a pod (complying with the `restricted` level) that fetches the metrics from the
/// metrics Service with `token`; returns what it fetched once it has finished.
async fn scrape_metrics(cluster: &Cluster, token: &str) -> Result<String, Error> {
    let service_name = OPERATOR.name("controller-manager-metrics-service");
    let service = cluster.api::<Service>().get(&service_name).await?;
    let spec = serde_json::to_value(&service).unwrap_or_default()["spec"].take();
    // The Service's address rather than its DNS name: no cluster DNS needed.
    let address = spec["clusterIP"]
        .as_str()
        .filter(|ip| !ip.is_empty() && *ip != "None")
        .ok_or_else(|| format!("{service_name} has no cluster IP"))?;
    let host = if address.contains(':') {
        format!("[{address}]")
    } else {
        address.to_string()
    };
    let port = spec["ports"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|port| port["name"] == "https")
        .and_then(|port| port["port"].as_i64())
        .unwrap_or(8443);
    let url = format!("https://{host}:{port}/metrics");
    let image = std::env::var(CURL_IMAGE_ENV).unwrap_or_else(|_| DEFAULT_CURL_IMAGE.to_string());

    let pod: Pod = serde_json::from_value(json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "generateName": "curl-metrics-",
            "labels": {"app.kubernetes.io/name": "curl-metrics"},
        },
        "spec": {
            "restartPolicy": "Never",
            "automountServiceAccountToken": false,
            "securityContext": {
                "runAsNonRoot": true,
                "runAsUser": 65532,
                "seccompProfile": {"type": "RuntimeDefault"},
            },
            "containers": [{
                "name": "curl",
                "image": image,
                // The manager's certificate is its own (or cert-manager's): not verified.
                "command": [
                    "curl", "--silent", "--show-error", "--insecure", "--fail-with-body",
                    "--retry", "10", "--retry-all-errors", "--retry-delay", "3",
                    "--header", format!("Authorization: Bearer {token}"), url,
                ],
                "securityContext": {
                    "allowPrivilegeEscalation": false,
                    "readOnlyRootFilesystem": true,
                    "capabilities": {"drop": ["ALL"]},
                },
            }],
        },
    }))
    .map_err(|error| format!("a Pod: {error}"))?;
    let pods = cluster.api::<Pod>();
    let created = pods.create(&PostParams::default(), &pod).await?;
    let name = created.name_any();
    let finished = cluster
        .wait_for(&pods, &name, "finished", |pod: Option<&Pod>| {
            matches!(phase(pod).as_deref(), Some("Succeeded" | "Failed"))
        })
        .await?;
    let logs = pods.logs(&name, &LogParams::default()).await?;
    if phase(Some(&finished)).as_deref() != Some("Succeeded") {
        return Err(format!("{name} could not scrape {url}:\n{logs}").into());
    }
    Ok(logs)
}

/// The phase of `pod` (`Pending`, `Running`, `Succeeded`, `Failed`).
fn phase(pod: Option<&Pod>) -> Option<String> {
    let status = serde_json::to_value(&pod?.status).ok()?;
    status["phase"].as_str().map(str::to_string)
}
