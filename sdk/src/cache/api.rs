//! [`CachedApi`]: an `Api<K>` whose reads come from the manager's cache.

use std::collections::BTreeMap;
use std::sync::Arc;

use k8s_openapi::NamespaceResourceScope;
use kube::core::{Selector, SelectorExt};
use kube::runtime::reflector::ObjectRef;
use kube::{Api, Resource};

use super::cache::Cache;
use super::error::CacheError;
use super::index::CONTROLLER_OWNER_INDEX;
use super::informer::Informer;
use super::kind::{Kind, kind_name};

/// Reads of `K` from the cache, in one namespace or in all, and writes through `Api<K>` that
/// send only what the outcome needs (see the write methods).
///
/// Reads return the cached objects (`Arc<K>`) without a request to the API server. The first
/// read of a kind that nothing watches yet starts its watch (once, shared with every later
/// read) and waits until it has synced. Results of lists are sorted by namespace and name.
///
/// ```no_run
/// use k8s_openapi::api::batch::v1::Job;
/// use k8s_openapi::api::core::v1::Secret;
/// # async fn example(cache: &kubesmith::cache::Cache, cronjob: &k8s_openapi::api::batch::v1::CronJob) -> Result<(), kubesmith::cache::CacheError> {
/// let jobs = cache.namespaced::<Job>("default");
/// let owned = jobs.list_owned_by(cronjob).await?;
/// let token = cache.namespaced::<Secret>("default").get("api-token").await?;
/// # Ok(()) }
/// ```
pub struct CachedApi<K: Kind> {
    pub(super) api: Api<K>,
    pub(super) namespace: Option<String>,
    informer: Arc<Informer<K>>,
    cache: Cache,
}

impl<K: Kind> Clone for CachedApi<K> {
    fn clone(&self) -> Self {
        CachedApi {
            api: self.api.clone(),
            namespace: self.namespace.clone(),
            informer: Arc::clone(&self.informer),
            cache: self.cache.clone(),
        }
    }
}

impl Cache {
    /// `K` in `namespace` (like `Api::namespaced`).
    pub fn namespaced<K>(&self, namespace: &str) -> CachedApi<K>
    where
        K: Kind + Resource<Scope = NamespaceResourceScope>,
    {
        CachedApi {
            api: Api::namespaced(self.client().clone(), namespace),
            namespace: Some(namespace.to_string()),
            informer: self.informer::<K>(),
            cache: self.clone(),
        }
    }

    /// `K` in every cached namespace, or a cluster-scoped `K` (like `Api::all`).
    pub fn all<K: Kind>(&self) -> CachedApi<K> {
        CachedApi {
            api: Api::all(self.client().clone()),
            namespace: None,
            informer: self.informer::<K>(),
            cache: self.clone(),
        }
    }
}

impl<K: Kind> CachedApi<K> {
    /// The plain `Api<K>` in the same namespace, for what the cache does not do (live reads,
    /// deletes, patches, subresources).
    pub fn api(&self) -> &Api<K> {
        &self.api
    }

    /// The namespace reads and writes are scoped to (`None`: all, or a cluster-scoped kind).
    pub fn namespace(&self) -> Option<&str> {
        self.namespace.as_deref()
    }

    /// The cached object `name`, if it exists.
    pub async fn get(&self, name: &str) -> Result<Option<Arc<K>>, CacheError> {
        let mut key = ObjectRef::<K>::new(name);
        if let Some(namespace) = &self.namespace {
            key = key.within(namespace);
        }
        self.ready(|written| *written == key).await?;
        Ok(self.informer.store().get(&key))
    }

    /// Every cached object in scope.
    pub async fn list(&self) -> Result<Vec<Arc<K>>, CacheError> {
        self.list_with_labels(&Selector::default()).await
    }

    /// The cached objects in scope whose labels match `selector`.
    ///
    /// ```no_run
    /// use k8s_openapi::api::core::v1::Pod;
    /// use kube::core::{Expression, Selector};
    /// # async fn example(cache: &kubesmith::cache::Cache) -> Result<(), kubesmith::cache::CacheError> {
    /// let selector: Selector = Expression::Equal("app".into(), "web".into()).into();
    /// let pods = cache.namespaced::<Pod>("default").list_with_labels(&selector).await?;
    /// # Ok(()) }
    /// ```
    pub async fn list_with_labels(&self, selector: &Selector) -> Result<Vec<Arc<K>>, CacheError> {
        self.ready(|written| self.key_in_scope(written)).await?;
        let empty = BTreeMap::new();
        let matching = self.informer.store().state().into_iter().filter(|object| {
            self.in_scope(object)
                && selector.matches(object.meta().labels.as_ref().unwrap_or(&empty))
        });
        Ok(sorted(matching.collect()))
    }

    /// The cached objects in scope that the field index `index` finds under `value` (see
    /// [`Cache::index_field`]).
    pub async fn list_by_index(&self, index: &str, value: &str) -> Result<Vec<Arc<K>>, CacheError> {
        self.ready(|written| self.key_in_scope(written)).await?;
        let unknown = || CacheError::UnknownIndex {
            kind: kind_name::<K>(),
            index: index.to_string(),
        };
        let function = self.informer.indexes.function(index).ok_or_else(unknown)?;
        let keys = self
            .informer
            .indexes
            .lookup(index, value)
            .ok_or_else(unknown)?;
        let store = self.informer.store();
        let found = keys
            .iter()
            .filter_map(|key| store.get(key))
            // The index is updated just before the store: check that what the store holds
            // still has the value.
            .filter(|object| self.in_scope(object) && function(object).iter().any(|v| v == value))
            .collect();
        Ok(sorted(found))
    }

    /// The cached objects in scope whose controller owner reference points at `owner` (by
    /// uid; the built-in [`CONTROLLER_OWNER_INDEX`]).
    pub async fn list_owned_by(&self, owner: &impl Resource) -> Result<Vec<Arc<K>>, CacheError> {
        match owner.meta().uid.as_deref() {
            Some(uid) => self.list_by_index(CONTROLLER_OWNER_INDEX, uid).await,
            None => Ok(Vec::new()),
        }
    }

    /// Waits until the kind has synced and the cache shows this process's writes to the
    /// objects `wanted` picks (see [`Informer::wait_for_writes`]).
    async fn ready(&self, wanted: impl Fn(&ObjectRef<K>) -> bool) -> Result<(), CacheError> {
        let watched = self.cache.namespaces();
        if let Some(namespace) = &self.namespace
            && <K::Scope as super::kind::WatchScope>::NAMESPACED
            && !watched.is_empty()
            && !watched.contains(namespace)
        {
            return Err(CacheError::NamespaceNotWatched {
                kind: kind_name::<K>(),
                namespace: namespace.clone(),
                watched: watched.to_vec(),
            });
        }
        self.cache.wait_synced(&self.informer).await?;
        self.informer.wait_for_writes(wanted).await;
        Ok(())
    }

    /// Records a write this process made, so that later reads wait until the cache shows it.
    pub(super) fn wrote(&self, object: &K) {
        self.informer.expect_written(object);
    }

    fn key_in_scope(&self, key: &ObjectRef<K>) -> bool {
        self.namespace.is_none() || key.namespace == self.namespace
    }

    fn in_scope(&self, object: &K) -> bool {
        match &self.namespace {
            None => true,
            Some(namespace) => object.meta().namespace.as_deref() == Some(namespace),
        }
    }
}

fn sorted<K: Kind>(mut objects: Vec<Arc<K>>) -> Vec<Arc<K>> {
    objects.sort_by(|a, b| {
        (a.meta().namespace.as_deref(), a.meta().name.as_deref())
            .cmp(&(b.meta().namespace.as_deref(), b.meta().name.as_deref()))
    });
    objects
}
