//! The Frigate controller against a real API server (envtest; `make test` provides the
//! binaries), run by the operator as `main` runs it: a Frigate is created and reconciled to
//! `Ready`.

use std::time::Duration;

// `::` names this project's crate even when a module of the same name is in scope (a
// project named after its Kind).
use ::project_multigroup::api::ship::v1beta1::frigate::Frigate;
use kube::Api;
use kube::api::PostParams;
use kubesmith::conditions::READY;
use kubesmith::envtest::{SharedEnvironment, wait_for};

/// One control plane for the tests of this file, with the CRDs `make manifests` writes.
static ENV: SharedEnvironment =
    SharedEnvironment::with_crd_directory(concat!(env!("CARGO_MANIFEST_DIR"), "/config/crd/bases"));

#[tokio::test]
async fn frigate_is_reconciled_to_ready() -> Result<(), Box<dyn std::error::Error>> {
    let env = ENV.get().await?;
    let operator = env.start_operator(::project_multigroup::operator()).await?;

    let namespace = env.create_namespace("frigate").await?;
    let frigates: Api<Frigate> = Api::namespaced(env.client()?, &namespace);
    let sample = Frigate::new("sample", Default::default());
    frigates.create(&PostParams::default(), &sample).await?;

    // Ready, for the generation created.
    wait_for(&frigates, "sample", Duration::from_secs(30), |frigate| {
        frigate
            .status
            .as_ref()
            .is_some_and(|status| status.conditions.is_current(READY, frigate))
    })
    .await?;
    operator.stop().await?;
    Ok(())
}
