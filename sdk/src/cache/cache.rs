//! The [`Cache`]: one informer per kind, shared by every controller and every read of the
//! manager. Kinds declared by controllers are watched from the start; a kind first read from a
//! reconciler or a mapper gets its watch then, once, and the read waits until it has synced.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use futures::FutureExt;
use futures::future::BoxFuture;
use kube::Client;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::error::CacheError;
use super::informer::{Informer, Selection};
use super::kind::{Kind, kind_name};

/// Default of how long a read waits for a kind's first list (controller-runtime's
/// `CacheSyncTimeout`).
pub const DEFAULT_CACHE_SYNC_TIMEOUT: Duration = Duration::from_secs(120);

/// An informer with its type erased, for starting and waiting.
trait Erased: Send + Sync {
    fn start(
        self: Arc<Self>,
        client: &Client,
        namespaces: &[String],
        strip_managed_fields: bool,
    ) -> Option<BoxFuture<'static, ()>>;
    fn synced(
        self: Arc<Self>,
        stopped: watch::Receiver<bool>,
        timeout: Duration,
    ) -> BoxFuture<'static, Result<(), CacheError>>;
}

impl<W: Kind> Erased for Informer<W> {
    fn start(
        self: Arc<Self>,
        client: &Client,
        namespaces: &[String],
        strip_managed_fields: bool,
    ) -> Option<BoxFuture<'static, ()>> {
        Informer::start(&self, client, namespaces, strip_managed_fields)
    }

    fn synced(
        self: Arc<Self>,
        stopped: watch::Receiver<bool>,
        timeout: Duration,
    ) -> BoxFuture<'static, Result<(), CacheError>> {
        async move { self.wait_synced(stopped, timeout, false).await }.boxed()
    }
}

struct Entry {
    typed: Arc<dyn Any + Send + Sync>,
    erased: Arc<dyn Erased>,
}

/// Where the cache is in its life.
enum Phase {
    /// Kinds are being declared; nothing is watched yet.
    Declaring,
    /// Watches run; new kinds start at once.
    Running(Vec<JoinHandle<()>>),
    /// Watches were stopped.
    Stopped,
    /// A cache of test fixtures: nothing is watched, every kind is complete as filled.
    Fixtures,
}

struct Inner {
    client: Client,
    namespaces: Vec<String>,
    strip_managed_fields: bool,
    sync_timeout: Duration,
    informers: Mutex<HashMap<TypeId, Entry>>,
    phase: Mutex<Phase>,
    stopped: watch::Sender<bool>,
}

/// The manager's cache: one watch and one store per kind, with field indexes, read through
/// [`CachedApi`](super::CachedApi) ([`Cache::namespaced`], [`Cache::all`]).
///
/// Cloning is cheap; clones share the same informers.
#[derive(Clone)]
pub struct Cache {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Cache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cache")
            .field("namespaces", &self.inner.namespaces)
            .field("kinds", &self.len())
            .finish_non_exhaustive()
    }
}

impl Cache {
    /// A cache watching namespaced kinds in `namespaces` (all when empty), dropping the
    /// `metadata.managedFields` entries other than server-side applies from cached objects
    /// when `strip_managed_fields` is set. Reads
    /// of a kind wait up to `sync_timeout` for its first list.
    pub(crate) fn new(
        client: Client,
        namespaces: Vec<String>,
        strip_managed_fields: bool,
        sync_timeout: Duration,
    ) -> Self {
        Cache::with_phase(
            client,
            namespaces,
            strip_managed_fields,
            sync_timeout,
            Phase::Declaring,
        )
    }

    /// A cache that watches nothing and answers from objects put in with [`Cache::insert`].
    pub(crate) fn fixtures(client: Client) -> Self {
        Cache::with_phase(
            client,
            Vec::new(),
            false,
            DEFAULT_CACHE_SYNC_TIMEOUT,
            Phase::Fixtures,
        )
    }

    fn with_phase(
        client: Client,
        namespaces: Vec<String>,
        strip_managed_fields: bool,
        sync_timeout: Duration,
        phase: Phase,
    ) -> Self {
        Cache {
            inner: Arc::new(Inner {
                client,
                namespaces,
                strip_managed_fields,
                sync_timeout,
                informers: Mutex::new(HashMap::new()),
                phase: Mutex::new(phase),
                stopped: watch::channel(false).0,
            }),
        }
    }

    /// The client the cache watches with (and [`CachedApi`](super::CachedApi) writes with).
    pub fn client(&self) -> &Client {
        &self.inner.client
    }

    /// The namespaces namespaced kinds are cached in; empty means all.
    pub fn namespaces(&self) -> &[String] {
        &self.inner.namespaces
    }

    /// Registers a field index on `W`: `function` gives the values an object is found under
    /// with [`CachedApi::list_by_index`](super::CachedApi::list_by_index). Register before the
    /// kind's watch starts (before the manager runs); the built-in
    /// [`CONTROLLER_OWNER_INDEX`](super::CONTROLLER_OWNER_INDEX) needs no registration.
    ///
    /// ```no_run
    /// use k8s_openapi::api::batch::v1::Job;
    /// # fn example(cache: &kubesmith::cache::Cache) -> Result<(), kubesmith::cache::CacheError> {
    /// cache.index_field::<Job>("spec.template.spec.serviceAccountName", |job| {
    ///     job.spec.iter()
    ///         .filter_map(|spec| spec.template.spec.as_ref()?.service_account_name.clone())
    ///         .collect()
    /// })?;
    /// # Ok(()) }
    /// ```
    pub fn index_field<W: Kind>(
        &self,
        name: &str,
        function: impl Fn(&W) -> Vec<String> + Send + Sync + 'static,
    ) -> Result<(), CacheError> {
        let informer = self.informer::<W>();
        let refuse = |reason| {
            Err(CacheError::IndexRegistration {
                kind: kind_name::<W>(),
                index: name.to_string(),
                reason,
            })
        };
        if informer.is_started() || !informer.store().is_empty() {
            return refuse(
                "the kind's cache is already filled; register indexes before the manager starts",
            );
        }
        if !informer.indexes.register(name, Arc::new(function)) {
            return refuse("an index of that name exists");
        }
        Ok(())
    }

    /// Puts `object` into a cache built for tests ([`Context::builder`](crate::reconcile::Context::builder)).
    /// A manager's cache is filled by its watches only and refuses with
    /// [`CacheError::NotATestCache`].
    pub fn insert<W: Kind>(&self, object: W) -> Result<(), CacheError> {
        if !matches!(*self.phase(), Phase::Fixtures) {
            return Err(CacheError::NotATestCache);
        }
        self.informer::<W>().insert(object)
    }

    /// The informer of `W`, caching every object unless a declaration chose a selection;
    /// started at once when the cache runs.
    pub(crate) fn informer<W: Kind>(&self) -> Arc<Informer<W>> {
        self.get_or_create(Selection::default)
    }

    /// The informer of `W` as a declaration asks for it; refused when `W` is already cached
    /// with a different selection.
    pub(crate) fn declare<W: Kind>(
        &self,
        selection: Selection,
    ) -> Result<Arc<Informer<W>>, CacheError> {
        if let Some(existing) = self.existing::<W>() {
            existing.check_compatible(&selection)?;
            return Ok(existing);
        }
        Ok(self.get_or_create(|| selection))
    }

    fn existing<W: Kind>(&self) -> Option<Arc<Informer<W>>> {
        let informers = lock(&self.inner.informers);
        informers.get(&TypeId::of::<W>()).map(downcast)
    }

    fn get_or_create<W: Kind>(&self, selection: impl FnOnce() -> Selection) -> Arc<Informer<W>> {
        let mut informers = lock(&self.inner.informers);
        if let Some(entry) = informers.get(&TypeId::of::<W>()) {
            return downcast(entry);
        }
        let mut phase = self.phase();
        let informer = Arc::new(Informer::<W>::new(
            selection(),
            matches!(*phase, Phase::Declaring),
        ));
        match &mut *phase {
            Phase::Running(tasks) => {
                let started = Arc::clone(&informer).start(
                    &self.inner.client,
                    &self.inner.namespaces,
                    self.inner.strip_managed_fields,
                );
                if let Some(drive) = started {
                    tracing::debug!(kind = informer.kind(), "watch started on first read");
                    tasks.push(tokio::spawn(drive));
                }
            }
            Phase::Fixtures => informer.mark_synced(),
            Phase::Declaring | Phase::Stopped => {}
        }
        informers.insert(
            TypeId::of::<W>(),
            Entry {
                typed: Arc::clone(&informer) as Arc<dyn Any + Send + Sync>,
                erased: Arc::clone(&informer) as Arc<dyn Erased>,
            },
        );
        informer
    }

    /// How many kinds are cached.
    pub(crate) fn len(&self) -> usize {
        lock(&self.inner.informers).len()
    }

    /// Starts the watch of every kind declared so far; the returned future completes when all
    /// of them have synced (or the cache stops). Kinds read later start on first read.
    pub(crate) fn start(&self) -> BoxFuture<'static, ()> {
        let informers = lock(&self.inner.informers);
        let mut phase = self.phase();
        if !matches!(*phase, Phase::Declaring) {
            return futures::future::ready(()).boxed();
        }
        let mut tasks = Vec::new();
        let mut synced = Vec::new();
        for entry in informers.values() {
            if let Some(drive) = Arc::clone(&entry.erased).start(
                &self.inner.client,
                &self.inner.namespaces,
                self.inner.strip_managed_fields,
            ) {
                tasks.push(tokio::spawn(drive));
            }
            synced.push(
                Arc::clone(&entry.erased).synced(self.inner.stopped.subscribe(), Duration::MAX),
            );
        }
        *phase = Phase::Running(tasks);
        futures::future::join_all(synced).map(|_| ()).boxed()
    }

    /// Stops every watch; reads waiting for a kind fail with [`CacheError::Stopped`].
    pub(crate) fn stop(&self) {
        if let Phase::Running(tasks) = std::mem::replace(&mut *self.phase(), Phase::Stopped) {
            tasks.iter().for_each(JoinHandle::abort);
        }
        self.inner.stopped.send_replace(true);
    }

    /// Waits until `informer` can answer reads.
    pub(crate) async fn wait_synced<W: Kind>(
        &self,
        informer: &Informer<W>,
    ) -> Result<(), CacheError> {
        if informer.is_synced() {
            return Ok(());
        }
        informer
            .wait_synced(
                self.inner.stopped.subscribe(),
                self.inner.sync_timeout,
                true,
            )
            .await
    }

    fn phase(&self) -> MutexGuard<'_, Phase> {
        lock(&self.inner.phase)
    }
}

fn downcast<W: Kind>(entry: &Entry) -> Arc<Informer<W>> {
    Arc::clone(&entry.typed)
        .downcast::<Informer<W>>()
        .unwrap_or_else(|_| unreachable!("informers are keyed by their kind's TypeId"))
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
