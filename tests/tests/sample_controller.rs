//! The demo of the README's first command converges on a real control plane.

use std::time::Duration;

use kube::ResourceExt;
use kubesmith::envtest::Environment;
use kubesmith_e2e::demo;

#[tokio::test]
async fn sample_greeting_gets_an_owned_config_map_and_status() {
    let env = Environment::start().await.expect("no test control plane");
    let namespace = env.create_namespace("sample").await.expect("namespace");
    let outcome = demo::run(&env, &namespace, Duration::from_secs(30), |_| {})
        .await
        .expect("sample converges");

    assert_eq!(outcome.config_map.name_any(), "hello-greeting");
    let data = outcome.config_map.data.clone().unwrap_or_default();
    assert_eq!(
        data.get("message").map(String::as_str),
        Some("Hello from kubesmith")
    );
    let owners = outcome.config_map.owner_references();
    assert_eq!(owners.len(), 1);
    assert_eq!(
        (owners[0].kind.as_str(), owners[0].name.as_str()),
        ("Greeting", "hello")
    );
    assert_eq!(owners[0].controller, Some(true));
    assert_eq!(outcome.status.observed_generation, Some(1));
    env.stop().await;
}
