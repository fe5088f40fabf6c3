//! The Destroyer controller against a real API server (envtest; `make test` provides the
//! binaries), run by the operator as `main` runs it: a Destroyer is created and reconciled to
//! `Ready`.

use std::time::Duration;

// `::` names this project's crate even when a module of the same name is in scope (a
// project named after its Kind).
use ::project_multigroup::api::ship::v2alpha1::destroyer::Destroyer;
use kube::Api;
use kube::api::PostParams;
use kubesmith::conditions::READY;
use kubesmith::envtest::{SharedEnvironment, wait_for};

/// One control plane for the tests of this file, with the CRDs `make manifests` writes.
static ENV: SharedEnvironment =
    SharedEnvironment::with_crd_directory(concat!(env!("CARGO_MANIFEST_DIR"), "/config/crd/bases"));

#[tokio::test]
async fn destroyer_is_reconciled_to_ready() -> Result<(), Box<dyn std::error::Error>> {
    let env = ENV.get().await?;
    let operator = env.start_operator(::project_multigroup::operator()).await?;

    let namespace = env.create_namespace("destroyer").await?;
    let destroyers: Api<Destroyer> = Api::namespaced(env.client()?, &namespace);
    let sample = Destroyer::new("sample", Default::default());
    destroyers.create(&PostParams::default(), &sample).await?;

    // Ready, for the generation created.
    wait_for(
        &destroyers,
        "sample",
        Duration::from_secs(30),
        |destroyer| {
            destroyer
                .status
                .as_ref()
                .is_some_and(|status| status.conditions.is_current(READY, destroyer))
        },
    )
    .await?;
    operator.stop().await?;
    Ok(())
}
