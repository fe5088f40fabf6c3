//! The Captain controller against a real API server (envtest; `make test` provides the
//! binaries), run by the operator as `main` runs it: a Captain is created and reconciled to
//! `Ready`.

use std::time::Duration;

// `::` names this project's crate even when a module of the same name is in scope (a
// project named after its Kind).
use ::project_core::api::v1::captain::Captain;
use kube::Api;
use kube::api::PostParams;
use kubesmith::conditions::READY;
use kubesmith::envtest::{SharedEnvironment, wait_for};

/// One control plane for the tests of this file, with the CRDs `make manifests` writes.
static ENV: SharedEnvironment =
    SharedEnvironment::with_crd_directory(concat!(env!("CARGO_MANIFEST_DIR"), "/config/crd/bases"));

#[tokio::test]
async fn captain_is_reconciled_to_ready() -> Result<(), Box<dyn std::error::Error>> {
    let env = ENV.get().await?;
    let operator = env.start_operator(::project_core::operator()).await?;

    let namespace = env.create_namespace("captain").await?;
    let captains: Api<Captain> = Api::namespaced(env.client()?, &namespace);
    let sample = Captain::new("sample", Default::default());
    captains.create(&PostParams::default(), &sample).await?;

    // Ready, for the generation created.
    wait_for(&captains, "sample", Duration::from_secs(30), |captain| {
        captain
            .status
            .as_ref()
            .is_some_and(|status| status.conditions.is_current(READY, captain))
    })
    .await?;
    operator.stop().await?;
    Ok(())
}
