//! The webhooks of Frigate v1beta1 called by a real API server (envtest; `make test`
//! provides the binaries): the webhook configurations point at
//! a manager serving them on this machine.

// `::` names this project's crate even when a module of the same name is in scope (a
// project named after its Kind).
use ::project_multigroup::api::ship::v1beta1::frigate::{Frigate, FrigateSpec};
use ::project_multigroup::webhook::ship::v1beta1::frigate;
use kube::Api;
use kube::api::PostParams;
use kubesmith::envtest::{Environment, WebhookInstallOptions};
use kubesmith::manager::{BindAddress, Manager, ManagerOptions};

#[tokio::test]
async fn the_api_server_calls_the_webhooks() -> Result<(), Box<dyn std::error::Error>> {
    let env = Environment::builder()
        .crd_directory(concat!(env!("CARGO_MANIFEST_DIR"), "/config/crd/bases"))
        .error_if_crd_path_missing(true)
        .start()
        .await?;
    let install = WebhookInstallOptions::default().webhook(&frigate::webhook());
    let webhooks = env.install_webhooks(&install).await?;
    let client = env.client()?;
    let options = ManagerOptions {
        metrics_bind_address: BindAddress::Disabled,
        health_probe_bind_address: BindAddress::Disabled,
        webhook_server: webhooks.server_options(),
        ..ManagerOptions::default()
    };
    let mut manager = Manager::new(client.clone(), options)?;
    frigate::setup(&mut manager)?;
    let manager = tokio::spawn(manager.run_until(std::future::pending()));
    webhooks.wait_until_reachable().await?;

    let namespace = env.create_namespace("frigate").await?;
    let frigates: Api<Frigate> = Api::namespaced(client.clone(), &namespace);

    // A blank `foo` is refused, with the field named.
    let blank = Frigate::new(
        "blank",
        FrigateSpec {
            foo: Some(" ".into()),
        },
    );
    let refused = frigates.create(&PostParams::default(), &blank).await;
    let Err(kube::Error::Api(status)) = refused else {
        panic!("a blank foo was not refused: {refused:?}");
    };
    assert_eq!(status.code, 422);
    assert!(status.message.contains("spec.foo"), "{}", status.message);

    manager.abort();
    env.stop().await;
    Ok(())
}
