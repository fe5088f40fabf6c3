use std::time::Duration;

use greeting_operator::api::Greeting;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::Api;
use kube::api::{ListParams, Patch, PatchParams};
use kube::{CustomResourceExt, ResourceExt};
use kubesmith::envtest::Environment;

use crate::{create_greeting, eventually, run_sample};

/// Names of the Greetings that converged with the message they ask for.
async fn converged(greetings: &Api<Greeting>, config_maps: &Api<ConfigMap>) -> Option<Vec<String>> {
    let greetings = greetings.list(&ListParams::default()).await.ok()?;
    let config_maps = config_maps.list(&ListParams::default()).await.ok()?;
    let mut names = Vec::new();
    for greeting in greetings.items.iter().filter(|g| g.is_converged()) {
        let cm_name = format!("{}-greeting", greeting.name_any());
        let matches = config_maps.items.iter().any(|cm| {
            cm.name_any() == cm_name
                && cm.data.as_ref().and_then(|d| d.get("message")) == Some(&greeting.spec.message)
        });
        if matches {
            names.push(greeting.name_any());
        }
    }
    Some(names)
}

#[tokio::test]
async fn every_object_converges_after_a_ten_second_api_server_outage() {
    let env = Environment::builder()
        .crd(Greeting::crd())
        .start()
        .await
        .expect("no test control plane");
    let namespace = env.create_namespace("outage").await.expect("namespace");
    let client = env.client().expect("client");
    let running = run_sample(&client, &namespace);
    let greetings: Api<Greeting> = Api::namespaced(client.clone(), &namespace);
    let config_maps: Api<ConfigMap> = Api::namespaced(client.clone(), &namespace);

    for i in 0..10 {
        create_greeting(&client, &namespace, &format!("g{i}"), "before").await;
    }
    eventually(
        Duration::from_secs(30),
        "the first 10 Greetings to converge",
        || async {
            converged(&greetings, &config_maps)
                .await
                .filter(|names| names.len() == 10)
        },
    )
    .await;

    // Work in flight when the API server goes away.
    for i in 10..20 {
        create_greeting(&client, &namespace, &format!("g{i}"), "racing the outage").await;
    }
    env.stop_api_server().await.expect("stop the API server");
    tokio::time::sleep(Duration::from_secs(10)).await;
    env.start_api_server()
        .await
        .expect("restart the API server on the same etcd");

    for i in 0..5 {
        let change = serde_json::json!({ "spec": { "message": "after" } });
        greetings
            .patch(
                &format!("g{i}"),
                &PatchParams::default(),
                &Patch::Merge(&change),
            )
            .await
            .expect("update");
    }
    for i in 20..25 {
        create_greeting(&client, &namespace, &format!("g{i}"), "after").await;
    }
    let names = eventually(
        Duration::from_secs(90),
        "all 25 Greetings to converge after the outage",
        || async {
            converged(&greetings, &config_maps)
                .await
                .filter(|names| names.len() == 25)
        },
    )
    .await;
    assert_eq!(names.len(), 25);
    for i in 0..5 {
        let greeting = greetings.get(&format!("g{i}")).await.expect("greeting");
        assert_eq!(greeting.status.and_then(|s| s.observed_generation), Some(2));
    }
    running.stop().await.expect("manager stops cleanly");
    env.stop().await;
}
