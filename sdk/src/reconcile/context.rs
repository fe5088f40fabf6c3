//! [`Context`]: what a reconcile gets besides its object — the client, the manager's cache,
//! an event recorder — and [`ContextBuilder`], which makes one for unit tests.

use std::sync::Arc;

use k8s_openapi::NamespaceResourceScope;
use kube::runtime::events::{Event, EventType, Recorder};
use kube::{Client, Resource};

use crate::Kind;
use crate::cache::{Cache, CacheError, CachedApi};

/// What a reconcile hands to the reconciler besides the object.
///
/// Reads through [`namespaced`](Self::namespaced) and [`all`](Self::all) come from the
/// manager's cache; writes through the returned [`CachedApi`] go to the API server.
#[derive(Clone)]
pub struct Context {
    client: Client,
    cache: Cache,
    recorder: Recorder,
    controller: Arc<str>,
}

impl Context {
    pub(crate) fn new(client: Client, cache: Cache, recorder: Recorder, controller: &str) -> Self {
        Context {
            client,
            cache,
            recorder,
            controller: controller.into(),
        }
    }

    /// A context for calling a reconciler directly in a unit test: its cache holds the objects
    /// given to the builder and watches nothing; writes go to `client` (a `tower-test` mock,
    /// or envtest's client).
    ///
    /// ```
    /// use k8s_openapi::api::core::v1::ConfigMap;
    /// use kubesmith::reconcile::Context;
    ///
    /// # async fn example(client: kube::Client) -> Result<(), Box<dyn std::error::Error>> {
    /// let mut fixture = ConfigMap::default();
    /// fixture.metadata.name = Some("settings".into());
    /// fixture.metadata.namespace = Some("default".into());
    /// let ctx = Context::builder(client).object(fixture)?.build();
    /// let cached = ctx.namespaced::<ConfigMap>("default").get("settings").await?;
    /// assert!(cached.is_some());
    /// # Ok(()) }
    /// ```
    pub fn builder(client: Client) -> ContextBuilder {
        ContextBuilder {
            cache: Cache::fixtures(client.clone()),
            client,
            controller: "test".into(),
        }
    }

    /// The manager's client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The manager's cache.
    pub fn cache(&self) -> &Cache {
        &self.cache
    }

    /// `K` in `namespace`: reads from the cache, writes to the API server.
    pub fn namespaced<K>(&self, namespace: &str) -> CachedApi<K>
    where
        K: Kind + Resource<Scope = NamespaceResourceScope>,
    {
        self.cache.namespaced(namespace)
    }

    /// `K` in every cached namespace, or a cluster-scoped `K`.
    pub fn all<K: Kind>(&self) -> CachedApi<K> {
        self.cache.all()
    }

    /// The event recorder of this controller (reporting component: the controller's name), for
    /// events [`event`](Self::event) and [`warn`](Self::warn) do not cover (another action,
    /// a related object).
    pub fn recorder(&self) -> &Recorder {
        &self.recorder
    }

    /// Records a `Normal` event about `object`, as `kubectl describe` shows it: a `reason` in
    /// UpperCamelCase (`Scaled`) and a `note` for people. Repeats are counted on one event.
    /// Events are diagnostics, not state: a failure to record one is logged, not returned.
    ///
    /// ```no_run
    /// # use std::sync::Arc;
    /// # use k8s_openapi::api::apps::v1::Deployment;
    /// # async fn example(deployment: Arc<Deployment>, ctx: &kubesmith::reconcile::Context) {
    /// ctx.event(&*deployment, "Scaled", "scaled to 3 replicas").await;
    /// # }
    /// ```
    pub async fn event<K>(&self, object: &K, reason: &str, note: impl Into<String>)
    where
        K: Resource<DynamicType = ()>,
    {
        self.record(EventType::Normal, object, reason, note.into())
            .await;
    }

    /// Records a `Warning` event about `object`; like [`event`](Self::event).
    pub async fn warn<K>(&self, object: &K, reason: &str, note: impl Into<String>)
    where
        K: Resource<DynamicType = ()>,
    {
        self.record(EventType::Warning, object, reason, note.into())
            .await;
    }

    async fn record<K>(&self, type_: EventType, object: &K, reason: &str, note: String)
    where
        K: Resource<DynamicType = ()>,
    {
        let event = Event {
            type_,
            reason: reason.to_string(),
            note: Some(note),
            action: "Reconcile".into(),
            secondary: None,
        };
        let regarding = object.object_ref(&());
        if let Err(error) = self.recorder.publish(&event, &regarding).await {
            tracing::warn!(controller = %self.controller, reason, %error, "could not record an event");
        }
    }

    /// The controller's name (its metrics label).
    pub fn controller_name(&self) -> &str {
        &self.controller
    }
}

/// Builds a [`Context`] for unit tests; start with [`Context::builder`].
#[must_use = "call build() to get the context"]
pub struct ContextBuilder {
    client: Client,
    cache: Cache,
    controller: String,
}

impl ContextBuilder {
    /// The controller name the context reports (default `test`).
    pub fn controller_name(mut self, name: &str) -> Self {
        self.controller = name.to_string();
        self
    }

    /// Registers a field index on `K` (before objects of `K` are added).
    pub fn index_field<K: Kind>(
        self,
        name: &str,
        function: impl Fn(&K) -> Vec<String> + Send + Sync + 'static,
    ) -> Result<Self, CacheError> {
        self.cache.index_field(name, function)?;
        Ok(self)
    }

    /// Puts `object` into the cache.
    pub fn object<K: Kind>(self, object: K) -> Result<Self, CacheError> {
        self.cache.insert(object)?;
        Ok(self)
    }

    /// The context.
    pub fn build(self) -> Context {
        let recorder = crate::events::recorder(self.client.clone(), &self.controller, "test");
        Context::new(self.client, self.cache, recorder, &self.controller)
    }
}
