use std::time::Duration;

use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{DeleteParams, ListParams, PostParams};
use kube::runtime::watcher::{self, Event};
use kube::{Api, ResourceExt};

use crate::shared;

fn config_map(name: &str, value: &str) -> ConfigMap {
    serde_json::from_value(serde_json::json!({
        "metadata": { "name": name },
        "data": { "greeting": value },
    }))
    .expect("valid ConfigMap")
}

#[tokio::test]
async fn admin_client_creates_gets_lists_watches_and_deletes_a_config_map() {
    let env = shared().await;
    let namespace = env.create_namespace("crud").await.expect("namespace");
    let api: Api<ConfigMap> = Api::namespaced(env.client().expect("client"), &namespace);

    let mut events = watcher::watcher(api.clone(), watcher::Config::default()).boxed();
    // The initial listing of an empty namespace ends with InitDone.
    loop {
        match tokio::time::timeout(Duration::from_secs(60), events.try_next()).await {
            Ok(Ok(Some(Event::InitDone))) => break,
            Ok(Ok(Some(_))) => continue,
            other => panic!("watch did not start: {other:?}"),
        }
    }

    api.create(&PostParams::default(), &config_map("hello", "world"))
        .await
        .expect("create");
    let fetched = api.get("hello").await.expect("get");
    assert_eq!(
        fetched
            .data
            .as_ref()
            .and_then(|d| d.get("greeting"))
            .map(String::as_str),
        Some("world")
    );
    let listed = api.list(&ListParams::default()).await.expect("list");
    assert_eq!(
        listed
            .items
            .iter()
            .map(|cm| cm.name_any())
            .collect::<Vec<_>>(),
        ["hello"]
    );

    let applied = tokio::time::timeout(Duration::from_secs(60), events.try_next())
        .await
        .expect("watch event in time")
        .expect("watch stream healthy");
    assert!(
        matches!(&applied, Some(Event::Apply(cm)) if cm.name_any() == "hello"),
        "expected the created ConfigMap, got {applied:?}"
    );

    api.delete("hello", &DeleteParams::default())
        .await
        .expect("delete");
    let deleted = tokio::time::timeout(Duration::from_secs(60), events.try_next())
        .await
        .expect("watch event in time")
        .expect("watch stream healthy");
    assert!(
        matches!(&deleted, Some(Event::Delete(cm)) if cm.name_any() == "hello"),
        "expected the deletion, got {deleted:?}"
    );
    assert!(
        api.get_opt("hello")
            .await
            .expect("get after delete")
            .is_none()
    );
}

#[tokio::test]
async fn kubectl_works_with_the_written_kubeconfig() {
    let env = shared().await;
    let kubeconfig = env.kubeconfig_path().expect("envtest writes a kubeconfig");
    assert!(kubeconfig.is_file());
    let output = env
        .kubectl()
        .expect("kubectl binary")
        .args(["get", "namespaces", "-o", "name"])
        .output()
        .expect("kubectl runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "kubectl failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.lines().any(|line| line == "namespace/default"),
        "{stdout}"
    );
}
