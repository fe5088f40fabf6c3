//! The Memcached controller against a real API server (envtest; `make test` provides the
//! binaries), run by the operator as `main` runs it: a Memcached gets its Deployment, which
//! follows its size, and its conditions follow the Deployment's status. envtest runs no
//! Deployment controller, so the test writes that status the way it would.

use std::time::Duration;

// `::` names this project's crate even when a module of the same name is in scope (a
// project named after its Kind).
use ::project_core::api::v1alpha1::memcached::Memcached;
use ::project_core::controller::memcached::{AVAILABLE, DEFAULT_IMAGE, PROGRESSING};
use k8s_openapi::api::apps::v1::Deployment;
use kube::Api;
use kube::api::{DeleteParams, Patch, PatchParams, PostParams};
use kubesmith::envtest::{SharedEnvironment, eventually, wait_for};
use serde_json::json;

/// One control plane for the tests of this file, with the CRDs `make manifests` writes.
static ENV: SharedEnvironment =
    SharedEnvironment::with_crd_directory(concat!(env!("CARGO_MANIFEST_DIR"), "/config/crd/bases"));

/// How long a step may take.
const WAIT: Duration = Duration::from_secs(30);

#[tokio::test]
async fn memcached_runs_its_image_follows_its_size_and_reports_the_rollout()
-> Result<(), Box<dyn std::error::Error>> {
    let env = ENV.get().await?;
    let operator = env.start_operator(::project_core::operator()).await?;
    let namespace = env.create_namespace("memcached").await?;
    let memcacheds: Api<Memcached> = Api::namespaced(env.client()?, &namespace);
    let deployments: Api<Deployment> = Api::namespaced(env.client()?, &namespace);
    let sample = Memcached::new("sample", Default::default());
    memcacheds.create(&PostParams::default(), &sample).await?;

    // One pod of the image (the default size), owned by the Memcached; not available yet.
    let deployment = wait_for(&deployments, "sample", WAIT, |deployment| {
        replicas(deployment) == 1
    })
    .await?;
    let pod = deployment.spec.template.spec.unwrap_or_default();
    assert_eq!(pod.containers[0].image.as_deref(), Some(DEFAULT_IMAGE));
    let owners = deployment.metadata.owner_references.unwrap_or_default();
    assert!(
        owners
            .iter()
            .any(|owner| owner.kind == "Memcached" && owner.controller == Some(true))
    );
    wait_for(&memcacheds, "sample", WAIT, |memcached| {
        condition(memcached, PROGRESSING) == Some(true)
            && condition(memcached, AVAILABLE) == Some(false)
    })
    .await?;

    // Scaled to 3, then every pod available: Available, no longer Progressing.
    let size = Patch::Merge(json!({"spec": {"size": 3}}));
    memcacheds
        .patch("sample", &PatchParams::default(), &size)
        .await?;
    let scaled = wait_for(&deployments, "sample", WAIT, |deployment| {
        replicas(deployment) == 3
    })
    .await?;
    let rolled_out = Patch::Merge(json!({"status": {
        "observedGeneration": scaled.metadata.generation,
        "replicas": 3, "updatedReplicas": 3, "readyReplicas": 3, "availableReplicas": 3,
    }}));
    deployments
        .patch_status("sample", &PatchParams::default(), &rolled_out)
        .await?;
    wait_for(&memcacheds, "sample", WAIT, |memcached| {
        condition(memcached, AVAILABLE) == Some(true)
            && condition(memcached, PROGRESSING) == Some(false)
    })
    .await?;

    // Deleted: the controller reports it, then lets the API server remove the Memcached.
    memcacheds
        .delete("sample", &DeleteParams::default())
        .await?;
    eventually(WAIT, "the Memcached removed", || async {
        memcacheds
            .get_opt("sample")
            .await
            .ok()?
            .is_none()
            .then_some(())
    })
    .await?;
    operator.stop().await?;
    Ok(())
}

/// The replicas `deployment` asks for.
fn replicas(deployment: &Deployment) -> i32 {
    deployment.spec.replicas.unwrap_or_default()
}

/// Whether the condition `type_` of `memcached` is true, for its current generation.
fn condition(memcached: &Memcached, type_: &str) -> Option<bool> {
    let condition = memcached.status.as_ref()?.conditions.get(type_)?;
    (condition.observed_generation == memcached.metadata.generation)
        .then(|| condition.status == "True")
}
