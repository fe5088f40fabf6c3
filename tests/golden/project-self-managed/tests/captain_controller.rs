//! The Captain controller against a real API server (envtest; `make test` provides the
//! binaries): a Captain is created and reconciled to `Ready`.

use std::time::Duration;

// `::` names this project's crate even when a module of the same name is in scope (a
// project named after its Kind).
use ::project_self_managed::api::v1::captain::Captain;
use ::project_self_managed::controller::captain::{self, READY};
use kube::Api;
use kube::api::PostParams;
use kubesmith::envtest::{Environment, SharedEnvironment};
use kubesmith::manager::{BindAddress, Manager, ManagerOptions};

/// One control plane for the tests of this file, with the CRDs `make manifests` writes.
static ENV: SharedEnvironment = SharedEnvironment::new(|| {
    Environment::builder()
        .crd_directory(concat!(env!("CARGO_MANIFEST_DIR"), "/config/crd/bases"))
        .error_if_crd_path_missing(true)
});

#[tokio::test]
async fn captain_is_reconciled_to_ready() -> Result<(), Box<dyn std::error::Error>> {
    let env = ENV.get().await?;
    let client = env.client()?;
    let options = ManagerOptions {
        metrics_bind_address: BindAddress::Disabled,
        health_probe_bind_address: BindAddress::Disabled,
        ..ManagerOptions::default()
    };
    let mut manager = Manager::new(client.clone(), options)?;
    captain::setup(&mut manager)?;
    let manager = tokio::spawn(manager.run_until(std::future::pending()));

    let namespace = env.create_namespace("captain").await?;
    let captains: Api<Captain> = Api::namespaced(client, &namespace);
    let sample = Captain::new("sample", Default::default());
    captains.create(&PostParams::default(), &sample).await?;

    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let captain = captains.get("sample").await?;
        let ready = captain
            .status
            .as_ref()
            .and_then(|status| status.conditions.get(READY))
            .is_some_and(|ready| {
                ready.status == "True" && ready.observed_generation == captain.metadata.generation
            });
        if ready {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "not Ready after 30 s: {:?}",
            captain.status
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    manager.abort();
    Ok(())
}
