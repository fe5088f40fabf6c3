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

use crate::Kind;

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

/// Predicates that must all pass (each added one narrows what triggers a reconcile).
pub(crate) struct Predicates<K>(Vec<SharedPredicate<K>>);

impl<K> Default for Predicates<K> {
    fn default() -> Self {
        Predicates(Vec::new())
    }
}

impl<K: Kind> Predicates<K> {
    /// Adds `predicate`: an event then also has to pass it.
    pub(crate) fn and(&mut self, predicate: impl Predicate<K> + Send + Sync + 'static) {
        self.0.push(Arc::new(predicate));
    }

    /// Keeps the objects of `stream` that pass every predicate: each predicate passes an
    /// object whose hash differs from the one it last saw for that object (objects without
    /// the property always pass). Every predicate records every object it sees, so each
    /// compares with the previous version, as controller-runtime's `And` does. Hashes of
    /// objects for which `still_cached` is false are dropped now and then.
    pub(crate) fn filter<S>(
        self,
        stream: S,
        still_cached: impl Fn(&ObjectRef<K>) -> bool + Send + 'static,
    ) -> futures::stream::BoxStream<'static, Arc<K>>
    where
        S: Stream<Item = Arc<K>> + Send + 'static,
    {
        if self.0.is_empty() {
            return stream.boxed();
        }
        let mut seen: Vec<HashMap<ObjectRef<K>, u64>> = vec![HashMap::new(); self.0.len()];
        let mut events = 0usize;
        stream
            .filter(move |object| {
                events = events.wrapping_add(1);
                if events.is_multiple_of(PRUNE_EVERY) {
                    for hashes in &mut seen {
                        hashes.retain(|key, _| still_cached(key));
                    }
                }
                let key = ObjectRef::from_obj(object.as_ref());
                let mut pass = true;
                for (predicate, hashes) in self.0.iter().zip(&mut seen) {
                    if let Some(hash) = predicate.hash_property(object) {
                        pass &= hashes.insert(key.clone(), hash) != Some(hash);
                    }
                }
                futures::future::ready(pass)
            })
            .boxed()
    }
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
        predicates: Predicates<ConfigMap>,
        objects: Vec<Arc<ConfigMap>>,
    ) -> Vec<(i64, String)> {
        predicates
            .filter(futures::stream::iter(objects), |_| true)
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

    fn only<P: Predicate<ConfigMap> + Send + Sync + 'static>(
        predicate: P,
    ) -> Predicates<ConfigMap> {
        let mut predicates = Predicates::default();
        predicates.and(predicate);
        predicates
    }

    #[tokio::test]
    async fn generation_predicate_drops_updates_with_the_same_generation() {
        let objects = vec![
            config_map("a", 1, "x"),
            config_map("a", 1, "y"),
            config_map("b", 1, "x"),
            config_map("a", 2, "y"),
        ];
        let passed = passing(only(generation_changed), objects).await;
        assert_eq!(passed, [(1, "x".into()), (1, "x".into()), (2, "y".into())]);
    }

    #[tokio::test]
    async fn hashes_of_objects_that_left_the_cache_are_pruned() {
        let same = || futures::stream::iter((0..PRUNE_EVERY).map(|_| config_map("a", 1, "x")));
        let kept = only(generation_changed).filter(same(), |_| true);
        assert_eq!(kept.count().await, 1);
        let pruned = only(generation_changed).filter(same(), |_| false);
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
        let passed = passing(only(generation_changed.combine(labels_changed)), objects).await;
        assert_eq!(passed, [(1, "x".into()), (1, "y".into()), (2, "y".into())]);
    }

    #[tokio::test]
    async fn added_predicates_must_all_pass() {
        let objects = vec![
            config_map("a", 1, "x"),
            config_map("a", 1, "y"),
            config_map("a", 2, "y"),
            config_map("a", 3, "z"),
        ];
        let mut both = only(generation_changed);
        both.and(labels_changed);
        let passed = passing(both, objects).await;
        assert_eq!(
            passed,
            [(1, "x".into()), (3, "z".into())],
            "only the first sight and the change of both generation and labels pass"
        );
    }
}
