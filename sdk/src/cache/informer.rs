//! One kind's informer: its watch (one per watched namespace, merged), the store it fills, the
//! field indexes kept beside the store, whether it has synced, and the subscriptions of the
//! controllers that react to its changes.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::BoxFuture;
use futures::{FutureExt, StreamExt};
use kube::Client;
use kube::runtime::WatchStreamExt;
use kube::runtime::reflector::{self, ObjectRef, ReflectHandle, Store};
use kube::runtime::watcher::{self, Event};
use tokio::sync::{Notify, broadcast, watch};

use super::error::CacheError;
use super::index::Indexes;
use super::kind::{Kind, WatchScope, kind_name};
use super::ownership;

/// How many change notifications a kind buffers for its slowest controller.
const SUBSCRIBER_BUFFER: usize = 256;

/// How long a read waits for the watch to deliver this process's own write before it answers
/// from the cache as it is.
pub const WRITE_VISIBILITY_TIMEOUT: Duration = Duration::from_secs(5);

/// Which objects of a kind the cache holds: label and field selectors of its watch.
///
/// A kind is cached once for the whole manager, so every controller and every read sees the
/// same selection; two declarations asking for different selections of one kind are refused.
///
/// ```
/// use kubesmith::cache::Selection;
/// let selection = Selection::default().labels("app.kubernetes.io/managed-by=my-operator");
/// assert_eq!(selection.label_selector(), Some("app.kubernetes.io/managed-by=my-operator"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[must_use]
pub struct Selection {
    labels: Option<String>,
    fields: Option<String>,
}

impl Selection {
    /// Only objects whose labels match `selector` (`key=value,other in (a,b)`).
    pub fn labels(mut self, selector: &str) -> Self {
        self.labels = Some(selector.to_string());
        self
    }

    /// Only objects whose fields match `selector` (`metadata.name=x`, `status.phase!=Failed`).
    pub fn fields(mut self, selector: &str) -> Self {
        self.fields = Some(selector.to_string());
        self
    }

    /// The label selector, if any.
    pub fn label_selector(&self) -> Option<&str> {
        self.labels.as_deref()
    }

    /// The field selector, if any.
    pub fn field_selector(&self) -> Option<&str> {
        self.fields.as_deref()
    }

    fn watcher_config(&self) -> watcher::Config {
        // Lists are served from the API server's watch cache (resourceVersion=0), as client-go's
        // informers do: no quorum read from etcd at start or after a relist.
        let mut config = watcher::Config::default().any_semantic();
        if let Some(labels) = &self.labels {
            config = config.labels(labels);
        }
        if let Some(fields) = &self.fields {
            config = config.fields(fields);
        }
        config
    }
}

impl fmt::Display for Selection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.labels, &self.fields) {
            (None, None) => f.write_str("every object"),
            (Some(labels), None) => write!(f, "labels {labels:?}"),
            (None, Some(fields)) => write!(f, "fields {fields:?}"),
            (Some(labels), Some(fields)) => write!(f, "labels {labels:?} and fields {fields:?}"),
        }
    }
}

/// Whether a kind's cache can answer reads yet.
#[derive(Debug, Clone, PartialEq, Eq)]
enum SyncState {
    /// The first list has not completed.
    Pending,
    /// The store holds a complete list (and follows the watch since).
    Synced,
    /// The first list failed with this error; the watch retries with backoff.
    Failed(String),
}

/// The informer of kind `W`.
pub(crate) struct Informer<W: Kind> {
    kind: String,
    selection: Selection,
    store: Store<W>,
    writer: Mutex<Option<reflector::store::Writer<W>>>,
    pub(crate) indexes: Indexes<W>,
    state: watch::Sender<SyncState>,
    /// Deleted objects: shared reflectors only notify about applied objects.
    deleted: broadcast::Sender<Arc<W>>,
    started: AtomicBool,
    /// This process's writes the watch has not delivered yet: the resourceVersion written.
    written: Mutex<HashMap<ObjectRef<W>, String>>,
    /// Wakes readers waiting for a write to arrive.
    written_seen: Notify,
}

impl<W: Kind> Informer<W> {
    /// A new informer of the objects `selection` picks; `subscribable` when controllers may
    /// still subscribe to its changes.
    pub(crate) fn new(selection: Selection, subscribable: bool) -> Self {
        let (store, writer) = if subscribable {
            reflector::store_shared(SUBSCRIBER_BUFFER)
        } else {
            reflector::store()
        };
        Informer {
            kind: kind_name::<W>(),
            selection,
            store,
            writer: Mutex::new(Some(writer)),
            indexes: Indexes::new(),
            state: watch::channel(SyncState::Pending).0,
            deleted: broadcast::channel(SUBSCRIBER_BUFFER).0,
            started: AtomicBool::new(false),
            written: Mutex::new(HashMap::new()),
            written_seen: Notify::new(),
        }
    }

    /// The store the watch fills.
    pub(crate) fn store(&self) -> &Store<W> {
        &self.store
    }

    /// The kind's name, for messages.
    pub(crate) fn kind(&self) -> &str {
        &self.kind
    }

    /// Whether the watch has started.
    pub(crate) fn is_started(&self) -> bool {
        self.started.load(Ordering::SeqCst)
    }

    /// Fails when this informer caches a different selection than `selection`.
    pub(crate) fn check_compatible(&self, selection: &Selection) -> Result<(), CacheError> {
        if self.selection == *selection {
            return Ok(());
        }
        Err(CacheError::ConflictingWatch {
            kind: self.kind.clone(),
            existing: self.selection.to_string(),
            requested: selection.to_string(),
        })
    }

    /// A new subscription to the kind's changes; `None` once the watch has started.
    pub(crate) fn subscribe(&self) -> Option<Subscription<W>> {
        let writer = lock(&self.writer);
        let handle = writer.as_ref()?.subscribe()?;
        Some(Subscription {
            handle,
            deleted: self.deleted.subscribe(),
        })
    }

    /// Starts the watch: returns the future that drives it, or `None` when it already runs.
    pub(crate) fn start(
        self: &Arc<Self>,
        client: &Client,
        namespaces: &[String],
        strip_managed_fields: bool,
    ) -> Option<BoxFuture<'static, ()>> {
        let writer = lock(&self.writer).take()?;
        self.started.store(true, Ordering::SeqCst);
        let config = self.selection.watcher_config();
        // `Api<PartialObjectMeta<K>>` asks the API server for metadata only. After an error
        // the watch waits (client-go's backoff: 800 ms doubling to 30 s) before it retries, so
        // a failing API server is not hammered and the task yields, also while the runtime
        // shuts down.
        let mut streams: Vec<_> = W::Scope::apis::<W>(client, namespaces)
            .into_iter()
            .map(|(namespace, api)| {
                let events = watcher::watcher(api, config.clone()).default_backoff();
                (namespace, events.boxed())
            })
            .collect();
        let events = if streams.len() == 1 {
            streams.remove(0).1
        } else {
            let names = streams
                .iter()
                .map(|(namespace, _)| namespace.clone().unwrap_or_default())
                .collect();
            let streams = streams.into_iter().map(|(_, stream)| stream).collect();
            super::namespaces::merge(streams, names, self.store.clone()).boxed()
        };
        let before = Arc::clone(self);
        let events = events
            .modify(move |object: &mut W| {
                if strip_managed_fields {
                    ownership::keep_applied(&mut object.meta_mut().managed_fields);
                }
            })
            .inspect(move |event| before.observe(event));
        let reflected = if writer.subscribe().is_some() {
            events.reflect_shared(writer).boxed()
        } else {
            events.reflect(writer).boxed()
        };
        let after = Arc::clone(self);
        Some(
            reflected
                .for_each(move |event| {
                    after.settle(event);
                    futures::future::ready(())
                })
                .boxed(),
        )
    }

    /// Before the store applies an event: indexes and deletion notices.
    fn observe(&self, event: &watcher::Result<Event<W>>) {
        let Ok(event) = event else { return };
        self.indexes.apply(event);
        if let Event::Delete(object) = event {
            // Without subscribers nobody needs the notification.
            let _ = self.deleted.send(Arc::new(object.clone()));
        }
    }

    /// After the store applied an event: the sync state, and which of this process's writes
    /// the cache now shows.
    fn settle(&self, event: watcher::Result<Event<W>>) {
        match event {
            Ok(Event::Apply(object)) => self.arrived(&object, false),
            Ok(Event::Delete(object)) => self.arrived(&object, true),
            Ok(Event::InitDone) => {
                // A complete list shows every write made before it.
                let cleared = !lock(&self.written).is_empty();
                lock(&self.written).clear();
                if cleared {
                    self.written_seen.notify_waiters();
                }
                self.state.send_if_modified(|state| {
                    let changed = *state != SyncState::Synced;
                    *state = SyncState::Synced;
                    changed
                });
            }
            Ok(Event::Init | Event::InitApply(_)) => {}
            Err(error) => {
                tracing::warn!(%error, kind = %self.kind, "watch failed; retrying with backoff");
                self.state.send_if_modified(|state| match state {
                    SyncState::Synced => false,
                    _ => {
                        *state = SyncState::Failed(error.to_string());
                        true
                    }
                });
            }
        }
    }

    /// Records that this process wrote `object` (as the API server returned it), so that reads
    /// wait for the watch to deliver it instead of answering with an older version. Only for
    /// a running watch.
    pub(crate) fn expect_written(&self, object: &W) {
        let Some(version) = object.meta().resource_version.clone() else {
            return;
        };
        if !self.is_started() {
            return;
        }
        let key = ObjectRef::from_obj(object);
        let cached = self.store.get(&key);
        if cached.is_some_and(|cached| {
            cached
                .meta()
                .resource_version
                .as_deref()
                .is_some_and(|seen| not_older(seen, &version))
        }) {
            return;
        }
        lock(&self.written).insert(key, version);
    }

    /// Waits until the cache shows this process's writes to objects `in_scope`, or
    /// [`WRITE_VISIBILITY_TIMEOUT`] passed (then answers with what the cache has).
    pub(crate) async fn wait_for_writes(&self, in_scope: impl Fn(&ObjectRef<W>) -> bool) {
        let deadline = tokio::time::Instant::now() + WRITE_VISIBILITY_TIMEOUT;
        loop {
            let notified = self.written_seen.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if !lock(&self.written).keys().any(&in_scope) {
                return;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                lock(&self.written).retain(|key, _| !in_scope(key));
                return;
            }
        }
    }

    /// Whether a write of this process to `key` has not reached the cache yet.
    pub(crate) fn awaits_write(&self, key: &ObjectRef<W>) -> bool {
        lock(&self.written).contains_key(key)
    }

    /// The watch delivered `object` (`deleted`: its deletion): forget the writes it shows.
    fn arrived(&self, object: &W, deleted: bool) {
        let key = ObjectRef::from_obj(object);
        let mut written = lock(&self.written);
        let shown = match written.get(&key) {
            None => return,
            Some(version) => {
                deleted
                    || object
                        .meta()
                        .resource_version
                        .as_deref()
                        .is_some_and(|seen| not_older(seen, version))
            }
        };
        if shown {
            written.remove(&key);
            drop(written);
            self.written_seen.notify_waiters();
        }
    }

    /// Marks the store complete without a watch (a cache of test fixtures).
    pub(crate) fn mark_synced(&self) {
        self.state.send_replace(SyncState::Synced);
    }

    /// Puts `object` into the store and the indexes directly (a cache of test fixtures).
    pub(crate) fn insert(&self, object: W) -> Result<(), CacheError> {
        let mut writer = lock(&self.writer);
        let writer = writer.as_mut().ok_or(CacheError::NotATestCache)?;
        let event = Event::Apply(object);
        self.indexes.apply(&event);
        writer.apply_watcher_event(&event);
        Ok(())
    }

    /// Waits until the store holds a complete list; fails when `stopped` turns true, after
    /// `timeout`, and — with `fail_fast` — when the first list failed (the watch keeps
    /// retrying; without `fail_fast` the wait goes on).
    pub(crate) async fn wait_synced(
        &self,
        mut stopped: watch::Receiver<bool>,
        timeout: Duration,
        fail_fast: bool,
    ) -> Result<(), CacheError> {
        let mut state = self.state.subscribe();
        let settled = async {
            loop {
                match &*state.borrow_and_update() {
                    SyncState::Synced => return Ok(()),
                    SyncState::Failed(reason) if fail_fast => {
                        return Err(CacheError::Watch {
                            kind: self.kind.clone(),
                            reason: reason.clone(),
                        });
                    }
                    SyncState::Pending | SyncState::Failed(_) => {}
                }
                if state.changed().await.is_err() {
                    return Err(CacheError::Stopped);
                }
            }
        };
        tokio::select! {
            result = settled => result,
            _ = stopped.wait_for(|stopped| *stopped) => Err(CacheError::Stopped),
            _ = tokio::time::sleep(timeout) => Err(CacheError::SyncTimeout {
                kind: self.kind.clone(),
                waited: timeout,
            }),
        }
    }

    /// Whether the store holds a complete list.
    pub(crate) fn is_synced(&self) -> bool {
        *self.state.borrow() == SyncState::Synced
    }
}

/// Whether resourceVersion `seen` is at least `written`. Versions are opaque to clients, but
/// the API server's are etcd revisions, which increase: compare them as numbers when both are,
/// and only by equality otherwise.
fn not_older(seen: &str, written: &str) -> bool {
    match (seen.parse::<u64>(), written.parse::<u64>()) {
        (Ok(seen), Ok(written)) => seen >= written,
        _ => seen == written,
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// One controller's notifications about a kind: applied and deleted objects.
pub(crate) struct Subscription<W: Kind> {
    handle: ReflectHandle<W>,
    deleted: broadcast::Receiver<Arc<W>>,
}

impl<W: Kind> Subscription<W> {
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
    pub(crate) fn into_stream(self) -> impl futures::Stream<Item = Arc<W>> + Send + 'static {
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
