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
use kube::runtime::reflector::ObjectRef;

use crate::cache::Kind;

pub use kube::runtime::Predicate;
pub use kube::runtime::predicates::{
    annotations as annotations_changed, finalizers as finalizers_changed,
    generation as generation_changed, labels as labels_changed,
    resource_version as resource_version_changed,
};

/// A predicate shared by the streams of a controller.
pub(crate) type SharedPredicate<K> = Arc<dyn Predicate<K> + Send + Sync>;

/// How many events pass between two prunings of the hashes of objects that left the cache.
const PRUNE_EVERY: usize = 1024;

/// Keeps the objects of `stream` whose predicate hash changed since that object was last seen
/// (objects without the property always pass). Hashes of objects for which `still_cached`
/// is false are dropped now and then, so deleted objects do not accumulate.
pub(crate) fn filter<K, S>(
    stream: S,
    predicate: SharedPredicate<K>,
    still_cached: impl Fn(&ObjectRef<K>) -> bool + Send + 'static,
) -> impl Stream<Item = Arc<K>>
where
    K: Kind,
    S: Stream<Item = Arc<K>> + Send + 'static,
{
    let mut seen: HashMap<ObjectRef<K>, u64> = HashMap::new();
    let mut events = 0usize;
    stream.filter(move |object| {
        events = events.wrapping_add(1);
        if events.is_multiple_of(PRUNE_EVERY) {
            seen.retain(|key, _| still_cached(key));
        }
        let pass = match predicate.hash_property(object) {
            None => true,
            Some(hash) => seen.insert(ObjectRef::from_obj(object.as_ref()), hash) != Some(hash),
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
        cm.metadata.name = Some(uid.into());
        cm.metadata.generation = Some(generation);
        cm.metadata.labels = Some([("l".to_string(), label.to_string())].into());
        Arc::new(cm)
    }

    async fn passing(
        predicate: SharedPredicate<ConfigMap>,
        objects: Vec<Arc<ConfigMap>>,
    ) -> Vec<(i64, String)> {
        filter(futures::stream::iter(objects), predicate, |_| true)
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
    async fn hashes_of_objects_that_left_the_cache_are_pruned() {
        let same = || (0..PRUNE_EVERY).map(|_| config_map("a", 1, "x"));
        let kept = filter(
            futures::stream::iter(same()),
            Arc::new(generation_changed),
            |_| true,
        );
        assert_eq!(kept.count().await, 1);
        let pruned = filter(
            futures::stream::iter(same()),
            Arc::new(generation_changed),
            |_| false,
        );
        assert_eq!(pruned.count().await, 2, "the pruned object is new again");
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
