//! Waiting in tests for what a controller does: [`wait_for`] an object to reach a state (on its
//! watch, so it returns as soon as the change arrives), [`eventually`] for anything else (a
//! check polled every 100 ms).
//!
//! ```no_run
//! use std::time::Duration;
//! use k8s_openapi::api::core::v1::ConfigMap;
//! use kube::Api;
//! use kubesmith::envtest::{Environment, eventually, wait_for};
//!
//! # async fn example(env: &Environment) -> Result<(), Box<dyn std::error::Error>> {
//! let config_maps: Api<ConfigMap> = Api::namespaced(env.client()?, "default");
//! let filled = wait_for(&config_maps, "settings", Duration::from_secs(30), |cm| {
//!     cm.data.as_ref().is_some_and(|data| data.contains_key("mode"))
//! })
//! .await?;
//! let count = eventually(Duration::from_secs(30), "two ConfigMaps", || async {
//!     let list = config_maps.list(&Default::default()).await.ok()?;
//!     (list.items.len() == 2).then_some(list.items.len())
//! })
//! .await?;
//! # let _ = (filled, count);
//! # Ok(()) }
//! ```

use std::fmt::Debug;
use std::future::Future;
use std::time::Duration;

use futures::StreamExt;
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, Resource};
use serde::de::DeserializeOwned;

use super::error::{Error, Result};

/// How often [`eventually`] checks.
const POLL_INTERVAL: Duration = Duration::from_millis(100);

/// Waits until the object `name` of `api` exists and `condition` holds for it, and returns it.
/// Watches the object, so it returns as soon as the change arrives; fails after `timeout`
/// with the last version seen.
pub async fn wait_for<K>(
    api: &Api<K>,
    name: &str,
    timeout: Duration,
    condition: impl Fn(&K) -> bool,
) -> Result<K>
where
    K: Resource + Clone + DeserializeOwned + Debug + Send + 'static,
    K::DynamicType: Default,
{
    let config = watcher::Config::default().fields(&format!("metadata.name={name}"));
    let events = watcher::watcher(api.clone(), config)
        .default_backoff()
        .applied_objects();
    let mut events = std::pin::pin!(events);
    let mut last = None;
    let found = tokio::time::timeout(timeout, async {
        while let Some(event) = events.next().await {
            // The watcher retries failed requests itself (with backoff).
            if let Ok(object) = event {
                if condition(&object) {
                    return Some(object);
                }
                last = Some(object);
            }
        }
        None
    })
    .await;
    match found {
        Ok(Some(object)) => Ok(object),
        Ok(None) | Err(_) => Err(Error::WaitTimeout {
            what: format!("{} {name}", K::kind(&K::DynamicType::default())),
            timeout,
            last: last.map_or_else(|| "none".to_string(), |object| format!("{object:?}")),
        }),
    }
}

/// Calls `check` every 100 ms until it returns `Some`, and returns that; fails after `timeout`
/// naming `what`.
pub async fn eventually<T, F, Fut>(timeout: Duration, what: &str, mut check: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(value) = check().await {
            return Ok(value);
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(Error::WaitTimeout {
                what: what.to_string(),
                timeout,
                last: "none".to_string(),
            });
        }
        tokio::time::sleep(POLL_INTERVAL).await;
    }
}
