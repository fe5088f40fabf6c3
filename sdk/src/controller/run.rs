//! From a [`Controller`] declaration to a running kube-runtime `Controller`: subscriptions to
//! the shared cache taken at registration, streams opened once the manager's gate opens.

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use futures::{FutureExt, StreamExt};
use kube::runtime::Controller as KubeController;
use kube::runtime::controller::Config as KubeConfig;

use super::backoff::ErrorBackoff;
use super::builder::Controller;
use super::queue::QueueTracker;
use super::trigger::{Gate, Trigger, subscribe};
use super::watch::Watch;
use super::worker::{Failure, Worker};
use crate::Kind;
use crate::cache::{Cache, CacheError, Informer, Subscription, key_of};
use crate::metrics::ControllerMetrics;
use crate::predicate::Predicates;
use crate::rbac::Rule;
use crate::reconcile::{Context, Reconciler};

/// What the manager hands a controller when it runs.
pub(crate) struct Start {
    pub(crate) context: Context,
    pub(crate) metrics: ControllerMetrics,
    pub(crate) gate: Gate,
    pub(crate) shutdown: futures::channel::oneshot::Receiver<()>,
    /// Every object is reconciled again this often.
    pub(crate) sync_period: Duration,
}

/// A controller registered with a manager: its name, concurrency and RBAC rules, and how it
/// runs.
pub(crate) struct Registration {
    pub(crate) name: String,
    pub(crate) max_concurrent: u16,
    pub(crate) rules: Vec<Rule>,
    pub(crate) run: Box<dyn FnOnce(Start) -> BoxFuture<'static, ()> + Send>,
}

impl<K: Kind> Controller<K> {
    /// Takes the controller's subscriptions in `cache` and returns how it runs with `reconciler`.
    pub(crate) fn register<R: Reconciler<K>>(
        self,
        reconciler: R,
        cache: &Cache,
    ) -> Result<Registration, CacheError> {
        let name = self.name();
        let Watch {
            selection,
            predicates,
        } = self.watch;
        let (informer, subscription) = subscribe(cache, selection)?;
        let triggers = self
            .relations
            .into_iter()
            .map(|relate| relate(cache))
            .collect::<Result<Vec<_>, _>>()?;
        for read in self.reads {
            read(cache)?;
        }
        let running = Running {
            informer,
            subscription,
            predicates,
            triggers,
            max_concurrent: self.max_concurrent,
            timeout: self.timeout,
        };
        Ok(Registration {
            name,
            max_concurrent: self.max_concurrent,
            rules: self.rules,
            run: Box::new(move |start| running.run(reconciler, start).boxed()),
        })
    }
}

/// What a registered controller runs with.
struct Running<K: Kind> {
    informer: Arc<Informer<K>>,
    subscription: Subscription<K>,
    predicates: Predicates<K>,
    triggers: Vec<Trigger<K>>,
    max_concurrent: u16,
    timeout: Option<Duration>,
}

impl<K: Kind> Running<K> {
    async fn run<R: Reconciler<K>>(self, reconciler: R, start: Start) {
        let Start {
            context,
            metrics,
            gate,
            shutdown,
            sync_period,
        } = start;
        let store = self.informer.store().clone();
        let queue = Arc::new(QueueTracker::new(metrics.clone(), store.clone()));
        // Every subscription is drained while the gate is closed, all at once.
        let opened = self
            .triggers
            .into_iter()
            .map(|trigger| trigger.open(gate.clone(), Arc::clone(&queue)));
        let (subscription, triggers) = futures::join!(
            self.subscription.wait_for_gate(gate.clone()),
            futures::future::join_all(opened)
        );
        let (cached, queued) = (store.clone(), Arc::clone(&queue));
        let initial = futures::stream::iter(store.state());
        let changes = self
            .predicates
            .filter(initial.chain(subscription.into_stream()), move |key| {
                cached.get(key).is_some()
            })
            .inspect(move |object| queued.enqueued(key_of(object.as_ref())));
        let mut controller = KubeController::for_shared_stream(changes, store.clone())
            .with_config(KubeConfig::default().concurrency(self.max_concurrent))
            .reconcile_all_on(ticks(sync_period))
            .graceful_shutdown_on(shutdown.map(|_| ()));
        for trigger in triggers {
            controller = controller.reconcile_on(trigger);
        }
        let worker = Arc::new(Worker {
            reconciler,
            context,
            metrics,
            backoff: ErrorBackoff::default(),
            timeout: self.timeout,
            informer: self.informer,
            queue,
            reconciles: Default::default(),
        });
        controller
            .run(
                |object, worker: Arc<Worker<K, R>>| worker.reconcile(object).boxed(),
                |_object, failure: &Failure, _| failure.action(),
                worker,
            )
            .for_each(|result| {
                if let Err(error) = result {
                    tracing::debug!(%error, "controller stream item");
                }
                futures::future::ready(())
            })
            .await;
    }
}

/// A tick every `period` (the periodic resync of every object).
fn ticks(period: Duration) -> impl futures::Stream<Item = ()> + Send + 'static {
    futures::stream::unfold((), move |()| async move {
        tokio::time::sleep(period).await;
        Some(((), ()))
    })
}
