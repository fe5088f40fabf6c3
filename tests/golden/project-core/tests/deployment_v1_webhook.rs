//! The webhooks of Deployment v1 called by a real API server (envtest; `make test`
//! provides the binaries): the operator's webhook configurations point at its manager,
//! serving them on this machine.

use k8s_openapi::api::apps::v1::Deployment;
use kube::Api;
use kube::api::PostParams;
use kubesmith::envtest::{Environment, SharedEnvironment};

/// One control plane for the tests of this file, with the CRDs `make manifests` writes (none
/// while the project has no API of its own).
static ENV: SharedEnvironment = SharedEnvironment::new(|| {
    Environment::builder().crd_directory(concat!(env!("CARGO_MANIFEST_DIR"), "/config/crd/bases"))
});

/// A Deployment the API server accepts.
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
async fn the_api_server_calls_the_webhooks() -> Result<(), Box<dyn std::error::Error>> {
    let env = ENV.get().await?;
    let operator = env.start_operator(::project_core::operator()).await?;

    let namespace = env.create_namespace("deployment").await?;
    let deployments: Api<Deployment> = Api::namespaced(env.client()?, &namespace);
    let created = deployments
        .create(&PostParams::default(), &sample()?)
        .await?;
    // Admitted by the validating webhook.
    assert_eq!(created.metadata.name.as_deref(), Some("sample"));
    operator.stop().await?;
    Ok(())
}
