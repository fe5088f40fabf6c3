//! The webhooks of Frigate v1beta1 called by a real API server (envtest; `make test`
//! provides the binaries): the operator's webhook configurations point at
//! its manager, serving them on this machine.

// `::` names this project's crate even when a module of the same name is in scope (a
// project named after its Kind).
use ::project_multigroup::api::ship::v1beta1::frigate::{Frigate, FrigateSpec};
use kube::Api;
use kube::api::PostParams;
use kubesmith::envtest::SharedEnvironment;

/// One control plane for the tests of this file, with the CRDs `make manifests` writes.
static ENV: SharedEnvironment =
    SharedEnvironment::with_crd_directory(concat!(env!("CARGO_MANIFEST_DIR"), "/config/crd/bases"));

#[tokio::test]
async fn the_api_server_calls_the_webhooks() -> Result<(), Box<dyn std::error::Error>> {
    let env = ENV.get().await?;
    let operator = env.start_operator(::project_multigroup::operator()).await?;

    let namespace = env.create_namespace("frigate").await?;
    let frigates: Api<Frigate> = Api::namespaced(env.client()?, &namespace);

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

    operator.stop().await?;
    Ok(())
}
