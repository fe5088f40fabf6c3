//! Triggers: changes of related kinds (owned or watched) mapped to the objects to reconcile.

use std::sync::Arc;

use futures::future::BoxFuture;
use futures::stream::BoxStream;
use futures::{FutureExt, StreamExt};
use kube::runtime::reflector::ObjectRef;
use tokio::sync::watch;

use super::queue::QueueTracker;
use super::watch::Watch;
use crate::Kind;
use crate::cache::{Cache, CacheError, Informer, Selection, Subscription};

/// Opens when this process may reconcile (caches synced, leadership held).
pub(crate) type Gate = watch::Receiver<bool>;

/// Maps a changed related object to the objects to reconcile.
pub(crate) type Mapper<W, K> =
    Arc<dyn Fn(Arc<W>, Cache) -> BoxFuture<'static, Vec<ObjectRef<K>>> + Send + Sync>;

/// Objects to reconcile because a related kind changed; the stream opens with the gate.
type OpenTrigger<K> = Box<
    dyn FnOnce(Gate, Arc<QueueTracker<K>>) -> BoxFuture<'static, BoxStream<'static, ObjectRef<K>>>
        + Send,
>;

/// A related kind, subscribed to in the cache.
pub(crate) struct Trigger<K: Kind> {
    open: OpenTrigger<K>,
}

impl<K: Kind> Trigger<K> {
    /// Subscribes to `W` as `watch` says; changes that pass its predicates are mapped to the
    /// `K`s to reconcile by `mapper`.
    pub(crate) fn related<W: Kind>(
        cache: &Cache,
        watch: Watch<W>,
        mapper: Mapper<W, K>,
    ) -> Result<Self, CacheError> {
        let Watch {
            selection,
            predicates,
        } = watch;
        let (informer, subscription) = subscribe(cache, selection)?;
        let store = informer.store().clone();
        let cache = cache.clone();
        let open: OpenTrigger<K> = Box::new(move |gate, queue| {
            async move {
                let subscription = subscription.wait_for_gate(gate).await;
                predicates
                    .filter(subscription.into_stream(), move |key| {
                        store.get(key).is_some()
                    })
                    .then(move |object| mapper(object, cache.clone()))
                    .flat_map(futures::stream::iter)
                    .inspect(move |key| queue.enqueued(key.clone()))
                    .boxed()
            }
            .boxed()
        });
        Ok(Trigger { open })
    }

    /// Waits for the gate, then yields the objects to reconcile (each counted as queued).
    pub(crate) fn open(
        self,
        gate: Gate,
        queue: Arc<QueueTracker<K>>,
    ) -> BoxFuture<'static, BoxStream<'static, ObjectRef<K>>> {
        (self.open)(gate, queue)
    }
}

/// Declares `W` in the cache as `spec` says and subscribes to its changes.
pub(crate) fn subscribe<W: Kind>(
    cache: &Cache,
    selection: Selection,
) -> Result<(Arc<Informer<W>>, Subscription<W>), CacheError> {
    let informer: Arc<Informer<W>> = cache.declare(selection)?;
    let subscription = informer
        .subscribe()
        .ok_or_else(|| CacheError::AlreadyStarted {
            kind: informer.kind().to_string(),
        })?;
    Ok((informer, subscription))
}
