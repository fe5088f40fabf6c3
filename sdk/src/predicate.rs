//! Event filters: which changes of a watched object trigger a reconcile.
//!
//! Predicates are kube-runtime's [`Predicate`]s (a hash of the property that matters): an
//! event passes when the hash differs from the one last seen for that object.
//! [`generation_changed`], [`labels_changed`] and [`annotations_changed`] are the common ones;
//! combine them with [`Predicate::combine`] (passes when any of the properties changed) and
//! [`Predicate::fallback`] (use a second property where the first is missing).
//!
//! ```
//! use k8s_openapi::api::apps::v1::Deployment;
//! use kubesmith::predicate::{Predicate, annotations_changed, generation_changed};
//!
//! fn spec_or_annotations() -> impl Predicate<Deployment> {
//!     generation_changed.combine(annotations_changed)
//! }
//! ```

use std::collections::HashMap;
use std::sync::Arc;

use futures::{Stream, StreamExt};
use kube::Resource;

pub use kube::runtime::Predicate;
pub use kube::runtime::predicates::{
    annotations as annotations_changed, finalizers as finalizers_changed,
    generation as generation_changed, labels as labels_changed,
    resource_version as resource_version_changed,
};

/// A predicate shared by the streams of a controller.
pub(crate) type SharedPredicate<K> = Arc<dyn Predicate<K> + Send + Sync>;

/// Keeps the objects of `stream` whose predicate hash changed since that object was last seen
/// (objects without the property always pass).
pub(crate) fn filter<K, S>(stream: S, predicate: SharedPredicate<K>) -> impl Stream<Item = Arc<K>>
where
    K: Resource + Send + Sync + 'static,
    S: Stream<Item = Arc<K>> + Send + 'static,
{
    let mut seen: HashMap<String, u64> = HashMap::new();
    stream.filter(move |object| {
        let pass = match predicate.hash_property(object) {
            None => true,
            Some(hash) => {
                let meta = object.meta();
                let key = meta.uid.clone().unwrap_or_else(|| {
                    format!(
                        "{}/{}",
                        meta.namespace.as_deref().unwrap_or_default(),
                        meta.name.as_deref().unwrap_or_default()
                    )
                });
                seen.insert(key, hash) != Some(hash)
            }
        };
        futures::future::ready(pass)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::ConfigMap;

    fn config_map(uid: &str, generation: i64, label: &str) -> Arc<ConfigMap> {
        let mut cm = ConfigMap::default();
        cm.metadata.uid = Some(uid.into());
        cm.metadata.generation = Some(generation);
        cm.metadata.labels = Some([("l".to_string(), label.to_string())].into());
        Arc::new(cm)
    }

    async fn passing(
        predicate: SharedPredicate<ConfigMap>,
        objects: Vec<Arc<ConfigMap>>,
    ) -> Vec<(i64, String)> {
        filter(futures::stream::iter(objects), predicate)
            .map(|cm| {
                let label = cm
                    .metadata
                    .labels
                    .as_ref()
                    .and_then(|l| l.get("l"))
                    .cloned()
                    .unwrap_or_default();
                (cm.metadata.generation.unwrap_or_default(), label)
            })
            .collect()
            .await
    }

    #[tokio::test]
    async fn generation_predicate_drops_updates_with_the_same_generation() {
        let objects = vec![
            config_map("a", 1, "x"),
            config_map("a", 1, "y"),
            config_map("b", 1, "x"),
            config_map("a", 2, "y"),
        ];
        let passed = passing(Arc::new(generation_changed), objects).await;
        assert_eq!(passed, [(1, "x".into()), (1, "x".into()), (2, "y".into())]);
    }

    #[tokio::test]
    async fn combined_predicate_passes_when_either_property_changes() {
        let objects = vec![
            config_map("a", 1, "x"),
            config_map("a", 1, "y"),
            config_map("a", 1, "y"),
            config_map("a", 2, "y"),
        ];
        let passed = passing(
            Arc::new(generation_changed.combine(labels_changed)),
            objects,
        )
        .await;
        assert_eq!(passed, [(1, "x".into()), (1, "y".into()), (2, "y".into())]);
    }
}
