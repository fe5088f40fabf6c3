//! The manager's cache: one watch and one store per kind, shared by every controller that
//! reconciles, owns or watches that kind (kube-runtime's shared reflectors).

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::fmt::Debug;
use std::sync::Arc;

use futures::future::BoxFuture;
use futures::{FutureExt, StreamExt};
use k8s_openapi::{ClusterResourceScope, NamespaceResourceScope};
use kube::runtime::reflector::{self, ReflectHandle, Store};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, Client, Resource};
use serde::de::DeserializeOwned;
use tokio::sync::{broadcast, watch};

/// How many change notifications a kind buffers for its slowest controller.
const SUBSCRIBER_BUFFER: usize = 1024;

/// How a kind's scope decides the APIs its watch uses: namespaced kinds are watched in the
/// manager's namespaces when it has some, cluster-scoped kinds everywhere.
pub trait WatchScope {
    /// The APIs to watch `K` through, each with the namespace it covers (`None`: all).
    fn apis<K>(client: &Client, namespaces: &[String]) -> Vec<(Option<String>, Api<K>)>
    where
        K: Resource<Scope = Self, DynamicType = ()>;
}

impl WatchScope for NamespaceResourceScope {
    fn apis<K>(client: &Client, namespaces: &[String]) -> Vec<(Option<String>, Api<K>)>
    where
        K: Resource<Scope = Self, DynamicType = ()>,
    {
        if namespaces.is_empty() {
            return vec![(None, Api::all(client.clone()))];
        }
        namespaces
            .iter()
            .map(|namespace| {
                (
                    Some(namespace.clone()),
                    Api::namespaced(client.clone(), namespace),
                )
            })
            .collect()
    }
}

impl WatchScope for ClusterResourceScope {
    fn apis<K>(client: &Client, _namespaces: &[String]) -> Vec<(Option<String>, Api<K>)>
    where
        K: Resource<Scope = Self, DynamicType = ()>,
    {
        vec![(None, Api::all(client.clone()))]
    }
}

/// A Kubernetes kind the manager can watch: a k8s-openapi type or a `#[derive(CustomResource)]`.
pub trait Kind:
    Resource<DynamicType = (), Scope: WatchScope>
    + Clone
    + DeserializeOwned
    + Debug
    + Send
    + Sync
    + 'static
{
}

impl<K> Kind for K where
    K: Resource<DynamicType = (), Scope: WatchScope>
        + Clone
        + DeserializeOwned
        + Debug
        + Send
        + Sync
        + 'static
{
}

/// The watch of one kind, not yet started.
struct Informer<K: Kind> {
    apis: Vec<(Option<String>, Api<K>)>,
    reader: Store<K>,
    writer: Option<reflector::store::Writer<K>>,
    /// Deleted objects: shared reflectors only notify about applied objects.
    deleted: broadcast::Sender<Arc<K>>,
    strip_managed_fields: bool,
}

trait AnyInformer: Send {
    fn as_any(&mut self) -> &mut dyn Any;
    /// The future driving the watch, and one that completes when the store is synced.
    fn start(&mut self) -> Option<(BoxFuture<'static, ()>, BoxFuture<'static, ()>)>;
}

impl<K: Kind> AnyInformer for Informer<K> {
    fn as_any(&mut self) -> &mut dyn Any {
        self
    }

    fn start(&mut self) -> Option<(BoxFuture<'static, ()>, BoxFuture<'static, ()>)> {
        let writer = self.writer.take()?;
        let kind = K::kind(&()).into_owned();
        let deleted = self.deleted.clone();
        let strip = self.strip_managed_fields;
        let mut names = Vec::new();
        let mut watches = Vec::new();
        for (namespace, api) in &self.apis {
            names.push(namespace.clone().unwrap_or_default());
            let watch = watcher(api.clone(), watcher::Config::default())
                .default_backoff()
                .modify(move |object: &mut K| {
                    if strip {
                        object.meta_mut().managed_fields = None;
                    }
                });
            watches.push(watch.boxed());
        }
        let events = if watches.len() == 1 {
            watches.remove(0)
        } else {
            crate::namespaces::merge(watches, names, self.reader.clone()).boxed()
        };
        let drive = events
            .inspect(move |event| {
                if let Ok(watcher::Event::Delete(object)) = event {
                    // Without subscribers nobody needs the notification.
                    let _ = deleted.send(Arc::new(object.clone()));
                }
            })
            .reflect_shared(writer)
            .for_each(move |event| {
                if let Err(error) = event {
                    tracing::warn!(%error, %kind, "watch failed; retrying with backoff");
                }
                futures::future::ready(())
            })
            .boxed();
        let reader = self.reader.clone();
        let synced = async move {
            // Fails only when the writer is dropped, i.e. the manager is stopping.
            let _ = reader.wait_until_ready().await;
        }
        .boxed();
        Some((drive, synced))
    }
}

/// One shared watch per kind.
pub(crate) struct Cache {
    client: Client,
    namespaces: Vec<String>,
    strip_managed_fields: bool,
    informers: HashMap<TypeId, Box<dyn AnyInformer>>,
}

impl Cache {
    /// A cache watching namespaced kinds in `namespaces` (all when empty), dropping
    /// `metadata.managedFields` from cached objects when `strip_managed_fields` is set.
    pub(crate) fn new(client: Client, namespaces: Vec<String>, strip_managed_fields: bool) -> Self {
        Cache {
            client,
            namespaces,
            strip_managed_fields,
            informers: HashMap::new(),
        }
    }

    /// The store of `K` and a new subscription to its changes (starts the watch of `K` when
    /// the manager runs, once for all subscribers).
    pub(crate) fn subscribe<K: Kind>(&mut self) -> (Store<K>, Subscription<K>) {
        let (client, namespaces) = (&self.client, &self.namespaces);
        let strip_managed_fields = self.strip_managed_fields;
        let informer = self.informers.entry(TypeId::of::<K>()).or_insert_with(|| {
            let (reader, writer) = reflector::store_shared(SUBSCRIBER_BUFFER);
            Box::new(Informer::<K> {
                apis: K::Scope::apis(client, namespaces),
                reader,
                writer: Some(writer),
                deleted: broadcast::channel(SUBSCRIBER_BUFFER).0,
                strip_managed_fields,
            })
        });
        let informer = informer
            .as_any()
            .downcast_mut::<Informer<K>>()
            .expect("informers are keyed by the TypeId of their kind");
        let writer = informer
            .writer
            .as_ref()
            .expect("controllers are registered before the cache starts");
        let handle = writer
            .subscribe()
            .expect("stores made by store_shared accept subscribers");
        let subscription = Subscription {
            handle,
            deleted: informer.deleted.subscribe(),
        };
        (informer.reader.clone(), subscription)
    }

    /// How many kinds are watched.
    pub(crate) fn len(&self) -> usize {
        self.informers.len()
    }

    /// Starts every watch: returns the futures that drive them and one that completes when all
    /// stores are synced.
    pub(crate) fn start(&mut self) -> (Vec<BoxFuture<'static, ()>>, BoxFuture<'static, ()>) {
        let (drives, synced): (Vec<_>, Vec<_>) = self
            .informers
            .values_mut()
            .filter_map(|i| i.start())
            .unzip();
        (
            drives,
            futures::future::join_all(synced).map(|_| ()).boxed(),
        )
    }
}

/// One controller's notifications about a kind: applied and deleted objects.
pub(crate) struct Subscription<K: Kind> {
    handle: ReflectHandle<K>,
    deleted: broadcast::Receiver<Arc<K>>,
}

impl<K: Kind> Subscription<K> {
    /// Discards notifications until the gate opens (a controller that may not run yet must
    /// not stall the shared watch), then hands the subscription over.
    pub(crate) async fn wait_for_gate(mut self, mut gate: watch::Receiver<bool>) -> Self {
        loop {
            tokio::select! {
                biased;
                _ = gate.wait_for(|open| *open) => break,
                next = self.handle.next() => if next.is_none() { break },
            }
        }
        // What is already buffered predates the gate: the controller starts from a snapshot of
        // the store instead. Deletions seen before the gate opened are stale too.
        while let Some(Some(_)) = self.handle.next().now_or_never() {}
        self.deleted = self.deleted.resubscribe();
        self
    }

    /// Applied and deleted objects, as they come.
    pub(crate) fn into_stream(self) -> impl futures::Stream<Item = Arc<K>> + Send + 'static {
        let deleted = futures::stream::unfold(self.deleted, |mut deleted| async move {
            loop {
                match deleted.recv().await {
                    Ok(object) => return Some((object, deleted)),
                    Err(broadcast::error::RecvError::Lagged(missed)) => {
                        tracing::warn!(
                            missed,
                            "deletion notifications dropped; a slow controller fell behind"
                        );
                    }
                    Err(broadcast::error::RecvError::Closed) => return None,
                }
            }
        });
        futures::stream::select(self.handle, deleted)
    }
}

/// Objects of a store, as a stream (the initial reconcile of a controller starting late).
pub(crate) fn snapshot<K: Kind>(store: &Store<K>) -> impl futures::Stream<Item = Arc<K>> + use<K> {
    futures::stream::iter(store.state())
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::{ConfigMap, Secret};

    #[tokio::test]
    async fn controllers_share_one_watch_per_kind() {
        let config = kube::Config::new("https://127.0.0.1:1".parse().expect("url"));
        let client = Client::try_from(config).expect("client");
        let mut cache = Cache::new(client, vec!["default".into()], true);
        let _first = cache.subscribe::<ConfigMap>();
        let _second = cache.subscribe::<ConfigMap>();
        assert_eq!(
            cache.len(),
            1,
            "a second subscriber reuses the kind's watch"
        );
        let _secret = cache.subscribe::<Secret>();
        assert_eq!(cache.len(), 2);
        let (drives, _) = cache.start();
        assert_eq!(drives.len(), 2, "one watch per kind is started");
    }
}
