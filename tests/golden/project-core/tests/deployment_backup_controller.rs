//! The `deployment_backup` controller of Deployments against a real API server (envtest; `make test` provides the
//! binaries), run by the operator as `main` runs it: a Deployment is created and reconciled.

use std::time::Duration;

use k8s_openapi::api::apps::v1::Deployment;
use kube::Api;
use kube::api::PostParams;
use kubesmith::envtest::{Environment, SharedEnvironment, eventually};

/// One control plane for the tests of this file, with the CRDs `make manifests` writes (none
/// while the project has no API of its own).
static ENV: SharedEnvironment = SharedEnvironment::new(|| {
    Environment::builder().crd_directory(concat!(env!("CARGO_MANIFEST_DIR"), "/config/crd/bases"))
});

/// A Deployment the API server accepts.
// TODO(user): add what your reconciler looks at.
fn sample() -> Result<Deployment, serde_json::Error> {
    serde_json::from_value(serde_json::json!({
        "metadata": { "name": "sample" },
        "spec": {
            "selector": { "matchLabels": { "app": "sample" } },
            "template": {
                "metadata": { "labels": { "app": "sample" } },
                "spec": { "containers": [{ "name": "app", "image": "busybox:1.36" }] },
            },
        },
    }))
}

#[tokio::test]
async fn deployment_backup_is_reconciled() -> Result<(), Box<dyn std::error::Error>> {
    let env = ENV.get().await?;
    let operator = env.start_operator(::project_core::operator()).await?;

    let namespace = env.create_namespace("deployment").await?;
    let deployments: Api<Deployment> = Api::namespaced(env.client()?, &namespace);
    deployments
        .create(&PostParams::default(), &sample()?)
        .await?;

    // The reconciler changes nothing the test could watch: wait for the manager's count of
    // its reconciles (`controller_runtime_reconcile_total`).
    eventually(
        Duration::from_secs(30),
        "a successful reconcile",
        || async {
            (operator
                .metrics()
                .reconciles("deployment_backup", "success")
                > 0)
            .then_some(())
        },
    )
    .await?;
    operator.stop().await?;
    Ok(())
}
