//! Installing cert-manager into a cluster, and knowing when it works: its three Deployments
//! Available, then the API check `cmctl check api` does — a server-side dry-run create of a
//! cert-manager resource (here a self-signed `Issuer`) succeeds only once cert-manager's webhook
//! serves with a certificate the API server trusts (the cainjector has injected its CA).

use std::io::Write as _;
use std::process::{Command, Stdio};
use std::time::Duration;

use tokio::time::Instant;

use anyhow::Context as _;
use k8s_openapi::api::apps::v1::Deployment;
use kube::Client;
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, PostParams};
use kube::runtime::wait::{Condition, await_condition};

use super::component::{Component, NAMESPACE};
use super::manifests;
use crate::scaffolded::check_success;

/// How long [`wait_until_serving`] should be given on a busy machine: images are local, but
/// the webhook's CA, the injection and the API server's discovery each take their time.
pub const SERVING_TIMEOUT: Duration = Duration::from_secs(300);

/// The field manager of the apply.
const FIELD_MANAGER: &str = "kubesmith-e2e";

/// The name of the Issuer the API check dry-runs.
const CHECK_ISSUER: &str = "kubesmith-api-check";

/// How long the API check waits between attempts.
const CHECK_INTERVAL: Duration = Duration::from_secs(1);

/// Applies cert-manager's [`manifests()`] with `kubectl`, a command already pointed at the
/// cluster (e.g. `kubectl --kubeconfig <path>`, or [`kubesmith::envtest::Environment::kubectl`]):
/// `apply --server-side --force-conflicts`, so installing again updates in place.
pub fn install(mut kubectl: Command) -> anyhow::Result<()> {
    let manifests = manifests()?;
    let mut child = kubectl
        .args(["apply", "--server-side", "--force-conflicts"])
        .args(["--field-manager", FIELD_MANAGER, "-f", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("starting kubectl")?;
    child
        .stdin
        .take()
        .context("kubectl's stdin")?
        .write_all(manifests.as_bytes())
        .context("writing the manifests to kubectl")?;
    let output = child
        .wait_with_output()
        .context("waiting for kubectl apply")?;
    check_success("kubectl apply of cert-manager's manifests", &output)
}

/// Waits until cert-manager serves: its Deployments Available, then a dry-run create of an
/// Issuer accepted (retried each second while the webhook is not yet reachable or trusted).
/// Fails after `timeout`, saying what was still missing.
pub async fn wait_until_serving(client: &Client, timeout: Duration) -> anyhow::Result<()> {
    let deadline = Instant::now() + timeout;
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), NAMESPACE);
    for component in Component::ALL {
        let name = component.deployment();
        let available = tokio::time::timeout_at(
            deadline,
            await_condition(deployments.clone(), name, is_available()),
        )
        .await;
        match available {
            Ok(watched) => {
                watched.with_context(|| format!("watching the Deployment {NAMESPACE}/{name}"))?;
            }
            Err(_) => {
                let status = deployments
                    .get_opt(name)
                    .await
                    .ok()
                    .flatten()
                    .and_then(|deployment| deployment.status);
                anyhow::bail!(
                    "the Deployment {NAMESPACE}/{name} was not Available within {timeout:?}; \
                     its status: {status:?}"
                );
            }
        }
    }
    let gvk = GroupVersionKind::gvk("cert-manager.io", "v1", "Issuer");
    let issuers: Api<DynamicObject> = Api::namespaced_with(
        client.clone(),
        NAMESPACE,
        &ApiResource::from_gvk_with_plural(&gvk, "issuers"),
    );
    let issuer: DynamicObject = serde_json::from_value(serde_json::json!({
        "apiVersion": "cert-manager.io/v1",
        "kind": "Issuer",
        "metadata": {"name": CHECK_ISSUER, "namespace": NAMESPACE},
        "spec": {"selfSigned": {}},
    }))
    .context("the check's Issuer")?;
    let dry_run = PostParams {
        dry_run: true,
        ..PostParams::default()
    };
    loop {
        let error = match issuers.create(&dry_run, &issuer).await {
            Ok(_) => return Ok(()),
            Err(error) => error,
        };
        if Instant::now() + CHECK_INTERVAL > deadline {
            anyhow::bail!(
                "cert-manager's webhook did not serve within {timeout:?}; the last dry-run \
                 create of an Issuer answered: {error}"
            );
        }
        tracing::info!(%error, "cert-manager's webhook does not serve yet");
        tokio::time::sleep(CHECK_INTERVAL).await;
    }
}

/// A Deployment whose `Available` condition is `True`.
fn is_available() -> impl Condition<Deployment> {
    |deployment: Option<&Deployment>| {
        deployment
            .and_then(|deployment| deployment.status.as_ref())
            .and_then(|status| status.conditions.as_ref())
            .is_some_and(|conditions| {
                conditions.iter().any(|condition| {
                    condition.type_.as_deref() == Some("Available")
                        && condition.status.as_deref() == Some("True")
                })
            })
    }
}
