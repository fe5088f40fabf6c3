//! The webhooks of Pod v1 called by a real API server (envtest; `make test`
//! provides the binaries): the operator's webhook configurations point at its manager,
//! serving them on this machine.

use ::project_core::webhook::v1::pod::DEFAULTED_ANNOTATION;
use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use kube::ResourceExt;
use kube::api::PostParams;
use kubesmith::envtest::{Environment, SharedEnvironment};

/// One control plane for the tests of this file, with the CRDs `make manifests` writes (none
/// while the project has no API of its own).
static ENV: SharedEnvironment = SharedEnvironment::new(|| {
    Environment::builder().crd_directory(concat!(env!("CARGO_MANIFEST_DIR"), "/config/crd/bases"))
});

/// A Pod the API server accepts.
fn sample() -> Result<Pod, serde_json::Error> {
    serde_json::from_value(serde_json::json!({
        "metadata": { "name": "sample" },
        "spec": { "containers": [{ "name": "app", "image": "busybox:1.36" }] },
    }))
}

#[tokio::test]
async fn the_api_server_calls_the_webhooks() -> Result<(), Box<dyn std::error::Error>> {
    let env = ENV.get().await?;
    let operator = env.start_operator(::project_core::operator()).await?;

    let namespace = env.create_namespace("pod").await?;
    let pods: Api<Pod> = Api::namespaced(env.client()?, &namespace);
    let created = pods.create(&PostParams::default(), &sample()?).await?;
    // The defaulting webhook marked it.
    let defaulted = created.annotations().get(DEFAULTED_ANNOTATION);
    assert_eq!(defaulted.map(String::as_str), Some("true"));
    operator.stop().await?;
    Ok(())
}
