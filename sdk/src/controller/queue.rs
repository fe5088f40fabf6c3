//! Work-queue metrics for kube-runtime's scheduler: which objects wait for a reconcile and
//! since when.
//!
//! kube-runtime's scheduler holds the queue; this tracker sees what enters it (watch events
//! mapped to objects) and what leaves it (a reconcile starting), which gives
//! `workqueue_depth`, `workqueue_queue_duration_seconds` and `workqueue_adds_total` with the
//! workqueue's meaning: an object that is already waiting is not added twice. Requeues after
//! a delay are counted by the worker (`workqueue_retries_total`).

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::sync::Mutex;
use std::time::Instant;

use kube::runtime::reflector::{ObjectRef, Store};

use crate::Kind;
use crate::metrics::ControllerMetrics;

/// Objects waiting for a reconcile, with the time each started waiting.
pub(crate) struct QueueTracker<K: Kind> {
    waiting: Mutex<HashMap<ObjectRef<K>, Instant>>,
    metrics: ControllerMetrics,
    /// Objects missing from the cache are never reconciled, so they never wait.
    store: Store<K>,
}

impl<K: Kind> QueueTracker<K> {
    pub(crate) fn new(metrics: ControllerMetrics, store: Store<K>) -> Self {
        QueueTracker {
            waiting: Mutex::new(HashMap::new()),
            metrics,
            store,
        }
    }

    /// A change asks for `key` to be reconciled.
    pub(crate) fn enqueued(&self, key: ObjectRef<K>) {
        if self.store.get(&key).is_none() {
            return;
        }
        let mut waiting = self.lock();
        if let Entry::Vacant(entry) = waiting.entry(key) {
            entry.insert(Instant::now());
            self.metrics.queued();
        }
        self.metrics.set_depth(waiting.len());
    }

    /// A reconcile of `key` starts.
    pub(crate) fn started(&self, key: &ObjectRef<K>) {
        let mut waiting = self.lock();
        if let Some(since) = waiting.remove(key) {
            self.metrics.waited(since.elapsed());
        }
        self.metrics.set_depth(waiting.len());
    }

    /// Forgets waiting objects that left the cache (deleted before their reconcile).
    pub(crate) fn prune(&self) {
        let mut waiting = self.lock();
        waiting.retain(|key, _| self.store.get(key).is_some());
        self.metrics.set_depth(waiting.len());
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<ObjectRef<K>, Instant>> {
        self.waiting
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::Metrics;
    use k8s_openapi::api::core::v1::ConfigMap;

    fn config_map(name: &str) -> ConfigMap {
        let mut cm = ConfigMap::default();
        cm.metadata.name = Some(name.into());
        cm.metadata.namespace = Some("ns".into());
        cm
    }

    #[test]
    fn an_object_waits_once_until_its_reconcile_starts() {
        let metrics = Metrics::new();
        let (store, mut writer) = kube::runtime::reflector::store::<ConfigMap>();
        for name in ["a", "b"] {
            writer.apply_watcher_event(&kube::runtime::watcher::Event::Apply(config_map(name)));
        }
        let tracker = QueueTracker::<ConfigMap>::new(metrics.controller("c"), store);
        tracker.enqueued(ObjectRef::new("a").within("ns"));
        tracker.enqueued(ObjectRef::new("a").within("ns"));
        tracker.enqueued(ObjectRef::new("b").within("ns"));
        tracker.enqueued(ObjectRef::new("gone").within("ns"));
        let text = metrics.encode();
        assert!(
            text.contains("workqueue_adds_total{name=\"c\",controller=\"c\"} 2"),
            "{text}"
        );
        assert!(
            text.contains("workqueue_depth{name=\"c\",controller=\"c\"} 2"),
            "{text}"
        );
        tracker.started(&ObjectRef::new("a").within("ns"));
        writer.apply_watcher_event(&kube::runtime::watcher::Event::Delete(config_map("b")));
        tracker.prune();
        let text = metrics.encode();
        assert!(
            text.contains("workqueue_depth{name=\"c\",controller=\"c\"} 0"),
            "{text}"
        );
        assert!(
            text.contains("workqueue_queue_duration_seconds_count{name=\"c\",controller=\"c\"} 1"),
            "{text}"
        );
    }
}
