//! The test helpers: `wait_for` returns the object once its condition holds and reports the
//! last version it saw when it does not; `eventually` likewise for a polled check; a
//! `TestManager` stops cleanly.

use std::time::Duration;

use k8s_openapi::api::core::v1::ConfigMap;
use kube::Api;
use kube::api::{Patch, PatchParams, PostParams};
use kubesmith::envtest::{Error, TestManager, eventually, wait_for};
use kubesmith::manager::Manager;
use serde_json::json;

use crate::shared;

fn config_map(name: &str) -> ConfigMap {
    let mut config_map = ConfigMap::default();
    config_map.metadata.name = Some(name.into());
    config_map
}

fn has_mode(config_map: &ConfigMap) -> bool {
    config_map
        .data
        .as_ref()
        .is_some_and(|data| data.contains_key("mode"))
}

#[tokio::test]
async fn wait_for_sees_a_change_and_reports_the_last_version_when_none_comes() {
    let env = shared().await;
    let namespace = env.create_namespace("waits").await.expect("namespace");
    let config_maps: Api<ConfigMap> = Api::namespaced(env.client().expect("client"), &namespace);
    config_maps
        .create(&PostParams::default(), &config_map("settings"))
        .await
        .expect("create");

    // Long enough for the watch's first list to arrive on a busy machine: the timeout is what
    // this waits for, and the version it reports is that list's.
    let error = wait_for(&config_maps, "settings", Duration::from_secs(5), has_mode)
        .await
        .expect_err("no mode yet");
    let Error::WaitTimeout { what, last, .. } = &error else {
        panic!("not a timeout: {error}");
    };
    assert_eq!(what, "ConfigMap settings");
    assert!(last.contains("settings"), "the last version seen: {last}");

    let patched = {
        let config_maps = config_maps.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(200)).await;
            let patch = Patch::Merge(json!({"data": {"mode": "fast"}}));
            config_maps
                .patch("settings", &PatchParams::default(), &patch)
                .await
        })
    };
    let seen = wait_for(&config_maps, "settings", Duration::from_secs(60), has_mode)
        .await
        .expect("the change");
    assert!(has_mode(&seen));
    patched.await.expect("task").expect("patch");

    let error = eventually(Duration::from_millis(300), "never", || async { None::<()> })
        .await
        .expect_err("never");
    assert!(
        error
            .to_string()
            .starts_with("never: not as expected after"),
        "{error}"
    );
}

#[tokio::test]
async fn a_test_manager_stops_cleanly() {
    let env = shared().await;
    let manager =
        Manager::new(env.client().expect("client"), env.manager_options()).expect("manager");
    let running = TestManager::start(manager);
    running.stop().await.expect("a clean stop");
}
