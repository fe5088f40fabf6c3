//! The controller builder: which kind a controller reconciles, what it owns and watches, how
//! events are filtered and how many reconciles run at once.
//!
//! ```no_run
//! use std::sync::Arc;
//! use k8s_openapi::api::apps::v1::Deployment;
//! use k8s_openapi::api::core::v1::ConfigMap;
//! use kubesmith::manager::{Manager, ManagerOptions};
//! use kubesmith::predicate::generation_changed;
//! use kubesmith::reconcile::{Action, Context, ReconcileError, Reconciler};
//!
//! struct DeploymentReconciler;
//! impl Reconciler<Deployment> for DeploymentReconciler {
//!     async fn reconcile(&self, _d: Arc<Deployment>, _ctx: &Context) -> Result<Action, ReconcileError> {
//!         Ok(Action::await_change())
//!     }
//! }
//!
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! let mut manager = Manager::new(kube::Client::try_default().await?, ManagerOptions::default())?;
//! manager
//!     .controller::<Deployment>()
//!     .owns::<ConfigMap>()
//!     .with_predicate(generation_changed)
//!     .max_concurrent_reconciles(4)
//!     .complete(DeploymentReconciler)?;
//! manager.run().await?;
//! # Ok(()) }
//! ```

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use futures::{FutureExt, StreamExt};
use kube::runtime::Controller as KubeController;
use kube::runtime::controller::Config as KubeConfig;
use kube::runtime::reflector::{ObjectRef, Store};
use tokio::sync::watch;

use crate::backoff::ErrorBackoff;
use crate::cache::{Kind, Subscription, snapshot};
use crate::manager::{Error, Manager};
use crate::metrics::ControllerMetrics;
use crate::predicate::{self, Predicate, SharedPredicate};
use crate::queue::QueueTracker;
use crate::rbac::Rule;
use crate::reconcile::{Context, Reconciler};
use crate::reconcile_loop::{Failure, ReconcileLoop};

/// Default of [`ControllerBuilder::max_concurrent_reconciles`].
pub const DEFAULT_MAX_CONCURRENT_RECONCILES: u16 = 1;
/// Every object is reconciled again this often even without changes (the cache resync period).
pub const RESYNC_PERIOD: Duration = Duration::from_secs(10 * 60 * 60);

/// Opens when this process may reconcile (caches synced, leadership held).
pub(crate) type Gate = watch::Receiver<bool>;
type Attach<K> = Box<dyn FnOnce(KubeController<K>) -> KubeController<K> + Send>;
type Relation<K> =
    Box<dyn FnOnce(Gate, Arc<QueueTracker<K>>) -> BoxFuture<'static, Attach<K>> + Send>;

/// What the manager hands a controller when it runs.
pub(crate) struct Start {
    pub(crate) context: Context,
    pub(crate) metrics: ControllerMetrics,
    pub(crate) gate: Gate,
    pub(crate) shutdown: futures::channel::oneshot::Receiver<()>,
}

/// A registered controller, run by the manager.
pub(crate) type Runnable = Box<dyn FnOnce(Start) -> BoxFuture<'static, ()> + Send>;

/// Builds a controller for kind `K`; start with [`Manager::controller`].
#[must_use = "a controller does nothing until `complete` registers it"]
pub struct ControllerBuilder<'m, K: Kind> {
    manager: &'m mut Manager,
    store: Store<K>,
    subscription: Subscription<K>,
    name: Option<String>,
    max_concurrent: u16,
    timeout: Option<Duration>,
    predicate: Option<SharedPredicate<K>>,
    relations: Vec<Relation<K>>,
    rules: Vec<Rule>,
}

impl<'m, K: Kind> ControllerBuilder<'m, K> {
    pub(crate) fn new(manager: &'m mut Manager) -> Self {
        let (store, subscription) = manager.cache_mut().subscribe::<K>();
        ControllerBuilder {
            manager,
            store,
            subscription,
            name: None,
            max_concurrent: DEFAULT_MAX_CONCURRENT_RECONCILES,
            timeout: None,
            predicate: None,
            relations: Vec::new(),
            rules: rules_for::<K>(),
        }
    }

    /// Reconciles the controlling owner of every `C` that changes (objects whose owner
    /// reference to a `K` has `controller: true`).
    pub fn owns<C: Kind>(self) -> Self {
        self.owned::<C>(true)
    }

    /// Like [`owns`](Self::owns), but every `K` in the owner references is reconciled, not only
    /// the controlling one.
    pub fn owns_with_any_owner<C: Kind>(self) -> Self {
        self.owned::<C>(false)
    }

    /// Reconciles the objects `mapper` returns for every `W` that changes.
    pub fn watches<W, I>(mut self, mapper: impl Fn(Arc<W>) -> I + Send + Sync + 'static) -> Self
    where
        W: Kind,
        I: IntoIterator<Item = ObjectRef<K>> + 'static,
        I::IntoIter: Send,
    {
        self.rules.extend(rules_watches::<W>());
        self.relate(mapper);
        self
    }

    /// Only changes of `K` that pass `predicate` trigger a reconcile (default: every change).
    /// Owned and watched kinds are not filtered.
    pub fn with_predicate(mut self, predicate: impl Predicate<K> + Send + Sync + 'static) -> Self {
        self.predicate = Some(Arc::new(predicate));
        self
    }

    /// How many objects are reconciled at once (default 1). One object is never reconciled twice at once.
    pub fn max_concurrent_reconciles(mut self, max: u16) -> Self {
        self.max_concurrent = max.max(1);
        self
    }

    /// Cancels a reconcile that runs longer than `limit` and retries it with backoff (default: no limit).
    pub fn reconcile_timeout(mut self, limit: Duration) -> Self {
        self.timeout = Some(limit);
        self
    }

    /// The controller's name, used in metrics, logs and events (default: the kind in lower case).
    pub fn named(mut self, name: &str) -> Self {
        self.name = Some(name.to_string());
        self
    }

    /// The RBAC rules this controller needs so far.
    pub fn rbac_rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Registers the controller with `reconciler`; it runs with the manager.
    pub fn complete<R: Reconciler<K>>(self, reconciler: R) -> Result<(), Error> {
        let name = self.name.unwrap_or_else(|| K::kind(&()).to_lowercase());
        let (store, subscription, predicate, relations) = (
            self.store,
            self.subscription,
            self.predicate,
            self.relations,
        );
        let (max_concurrent, timeout) = (self.max_concurrent, self.timeout);
        let run: Runnable = Box::new(move |start: Start| {
            async move {
                let Start {
                    context,
                    metrics,
                    gate,
                    shutdown,
                } = start;
                let queue = Arc::new(QueueTracker::new(metrics.clone(), store.clone()));
                // Every subscription is drained while the gate is closed, all at once.
                let relations = relations
                    .into_iter()
                    .map(|relation| relation(gate.clone(), Arc::clone(&queue)));
                let (subscription, attaches) = futures::join!(
                    subscription.wait_for_gate(gate.clone()),
                    futures::future::join_all(relations)
                );
                let queued = Arc::clone(&queue);
                let changes = snapshot(&store).chain(subscription.into_stream());
                let changes = match predicate {
                    Some(predicate) => {
                        let cached = store.clone();
                        predicate::filter(changes, predicate, move |key| cached.get(key).is_some())
                            .boxed()
                    }
                    None => changes.boxed(),
                }
                .inspect(move |object| queued.enqueued(ObjectRef::from_obj(object.as_ref())));
                let mut controller = KubeController::for_shared_stream(changes, store.clone())
                    .with_config(KubeConfig::default().concurrency(max_concurrent))
                    .reconcile_all_on(resync_ticks())
                    .graceful_shutdown_on(shutdown.map(|_| ()));
                for attach in attaches {
                    controller = attach(controller);
                }
                let reconcile_loop = Arc::new(ReconcileLoop {
                    reconciler,
                    context,
                    metrics,
                    backoff: ErrorBackoff::default(),
                    timeout,
                    store: store.clone(),
                    queue,
                    reconciles: Default::default(),
                });
                controller
                    .run(
                        |object, reconcile_loop: Arc<ReconcileLoop<K, R>>| {
                            reconcile_loop.reconcile(object).boxed()
                        },
                        |_object, failure: &Failure, _| failure.action(),
                        reconcile_loop,
                    )
                    .for_each(|result| {
                        if let Err(error) = result {
                            tracing::debug!(%error, "controller stream item");
                        }
                        futures::future::ready(())
                    })
                    .await;
            }
            .boxed()
        });
        self.manager.register(name, max_concurrent, self.rules, run)
    }

    fn owned<C: Kind>(mut self, controller_only: bool) -> Self {
        self.rules.extend(rules_owns::<C>());
        self.relate(move |child: Arc<C>| {
            let meta = kube::Resource::meta(&*child);
            let namespace = meta.namespace.clone();
            meta.owner_references
                .iter()
                .flatten()
                .filter(|owner| !controller_only || owner.controller == Some(true))
                .filter_map(|owner| ObjectRef::<K>::from_owner_ref(namespace.as_deref(), owner, ()))
                .collect::<Vec<_>>()
        });
        self
    }

    fn relate<W, I>(&mut self, mapper: impl Fn(Arc<W>) -> I + Send + Sync + 'static)
    where
        W: Kind,
        I: IntoIterator<Item = ObjectRef<K>> + 'static,
        I::IntoIter: Send,
    {
        let (_, subscription) = self.manager.cache_mut().subscribe::<W>();
        self.relations
            .push(Box::new(move |gate, queue: Arc<QueueTracker<K>>| {
                async move {
                    let subscription = subscription.wait_for_gate(gate).await;
                    let tracked = move |object: Arc<W>| {
                        let keys: Vec<ObjectRef<K>> = mapper(object).into_iter().collect();
                        for key in &keys {
                            queue.enqueued(key.clone());
                        }
                        keys
                    };
                    let changes = subscription.into_stream();
                    let attach: Attach<K> = Box::new(move |controller| {
                        controller.watches_shared_stream(changes, tracked)
                    });
                    attach
                }
                .boxed()
            }));
    }
}

fn resync_ticks() -> impl futures::Stream<Item = ()> + Send + 'static {
    futures::stream::unfold((), |()| async {
        tokio::time::sleep(RESYNC_PERIOD).await;
        Some(((), ()))
    })
}

const OWNED_VERBS: &[&str] = &[
    "create", "delete", "get", "list", "patch", "update", "watch",
];

/// The rules reconciling `K` needs: read and update it, its status and its finalizers, and
/// record events.
pub fn rules_for<K: Kind>() -> Vec<Rule> {
    let mut rules = vec![
        Rule::for_kind::<K>(&["get", "list", "watch", "update", "patch"]),
        Rule::for_subresource::<K>("status", &["get", "update", "patch"]),
        Rule::for_subresource::<K>("finalizers", &["update"]),
    ];
    rules.extend(crate::events::rbac_rules());
    rules
}

/// The rules owning `C` needs: full create, read, update and delete.
pub fn rules_owns<C: Kind>() -> Vec<Rule> {
    vec![Rule::for_kind::<C>(OWNED_VERBS)]
}

/// The rules watching `W` needs: get, list and watch.
pub fn rules_watches<W: Kind>() -> Vec<Rule> {
    vec![Rule::for_kind::<W>(&["get", "list", "watch"])]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manager::ManagerOptions;
    use crate::reconcile::{Action, ReconcileError};
    use k8s_openapi::api::apps::v1::Deployment;
    use k8s_openapi::api::core::v1::{ConfigMap, Secret};

    struct Noop;

    impl Reconciler<Deployment> for Noop {
        async fn reconcile(
            &self,
            _: Arc<Deployment>,
            _: &Context,
        ) -> Result<Action, ReconcileError> {
            Ok(Action::await_change())
        }
    }

    fn events() -> Vec<Rule> {
        vec![
            Rule::new(&[""], &["events"], &["create", "patch"]),
            Rule::new(&["events.k8s.io"], &["events"], &["create", "patch"]),
        ]
    }

    #[test]
    fn the_reconciled_kind_needs_read_update_status_finalizers_and_events() {
        let mut expected = vec![
            Rule::new(
                &["apps"],
                &["deployments"],
                &["get", "list", "watch", "update", "patch"],
            ),
            Rule::new(
                &["apps"],
                &["deployments/status"],
                &["get", "update", "patch"],
            ),
            Rule::new(&["apps"], &["deployments/finalizers"], &["update"]),
        ];
        expected.extend(events());
        assert_eq!(rules_for::<Deployment>(), expected);
        assert_eq!(
            rules_owns::<ConfigMap>(),
            [Rule::new(
                &[""],
                &["configmaps"],
                &[
                    "create", "delete", "get", "list", "patch", "update", "watch"
                ]
            )]
        );
        assert_eq!(
            rules_watches::<Secret>(),
            [Rule::new(&[""], &["secrets"], &["get", "list", "watch"])]
        );
    }

    #[tokio::test]
    async fn a_controller_declaration_contributes_its_rules_to_the_manager() {
        let config = kube::Config::new("https://127.0.0.1:1".parse().expect("url"));
        let client = kube::Client::try_from(config).expect("client");
        let options = ManagerOptions {
            metrics_secure: false,
            ..ManagerOptions::default()
        };
        let mut manager = Manager::new(client, options).expect("manager");
        let builder = manager
            .controller::<Deployment>()
            .owns::<ConfigMap>()
            .watches(|_: Arc<Secret>| Vec::<ObjectRef<Deployment>>::new());
        let declared = builder.rbac_rules().to_vec();
        builder.complete(Noop).expect("register");
        let mut expected = rules_for::<Deployment>();
        expected.extend(rules_owns::<ConfigMap>());
        expected.extend(rules_watches::<Secret>());
        assert_eq!(declared, expected);
        expected.sort();
        assert_eq!(manager.rbac_rules(), expected);
        let duplicate = manager.controller::<Deployment>().complete(Noop);
        assert!(matches!(duplicate, Err(Error::DuplicateController(name)) if name == "deployment"));
    }
}
