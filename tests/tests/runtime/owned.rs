use std::time::Duration;

use greeting_operator::api::Greeting;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::Api;
use kube::api::{DeleteParams, Patch, PatchParams};

use crate::{create_greeting, eventually, run_sample, shared};

#[tokio::test]
async fn deleted_owned_config_map_is_recreated_and_status_tracks_generation() {
    let env = shared().await;
    let namespace = env.create_namespace("owned").await.expect("namespace");
    let client = env.client().expect("client");
    let running = run_sample(&client, &namespace);

    let greetings: Api<Greeting> = Api::namespaced(client.clone(), &namespace);
    let config_maps: Api<ConfigMap> = Api::namespaced(client.clone(), &namespace);
    create_greeting(&client, &namespace, "hello", "hi").await;
    let first = eventually(
        Duration::from_secs(20),
        "the Greeting to converge",
        || async {
            greetings
                .get("hello")
                .await
                .ok()
                .filter(Greeting::is_converged)
        },
    )
    .await;
    let original = config_maps
        .get("hello-greeting")
        .await
        .expect("owned ConfigMap");
    let ready = first
        .status
        .as_ref()
        .and_then(|s| s.conditions.get("Ready"))
        .cloned()
        .expect("Ready condition");
    assert_eq!(ready.observed_generation, Some(1));

    config_maps
        .delete("hello-greeting", &DeleteParams::default())
        .await
        .expect("delete ConfigMap");
    let recreated = eventually(
        Duration::from_secs(20),
        "the ConfigMap to be re-created",
        || async {
            config_maps
                .get_opt("hello-greeting")
                .await
                .ok()
                .flatten()
                .filter(|cm| cm.metadata.uid != original.metadata.uid)
        },
    )
    .await;
    assert_eq!(
        recreated
            .data
            .unwrap_or_default()
            .get("message")
            .map(String::as_str),
        Some("hi")
    );

    let change = serde_json::json!({ "spec": { "message": "hello again" } });
    greetings
        .patch("hello", &PatchParams::default(), &Patch::Merge(&change))
        .await
        .expect("update spec");
    let second = eventually(
        Duration::from_secs(20),
        "generation 2 to be observed",
        || async {
            greetings
                .get("hello")
                .await
                .ok()
                .filter(|g| g.metadata.generation == Some(2) && g.is_converged())
        },
    )
    .await;
    let still_ready = second
        .status
        .as_ref()
        .and_then(|s| s.conditions.get("Ready"))
        .cloned()
        .expect("Ready condition");
    assert_eq!(still_ready.observed_generation, Some(2));
    assert_eq!(
        still_ready.last_transition_time, ready.last_transition_time,
        "status stayed True, so the transition time is kept"
    );
    let updated = config_maps.get("hello-greeting").await.expect("ConfigMap");
    assert_eq!(
        updated
            .data
            .unwrap_or_default()
            .get("message")
            .map(String::as_str),
        Some("hello again")
    );
    running.stop().await.expect("manager stops cleanly");
}
