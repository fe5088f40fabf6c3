//! One controller's reconcile worker on kube-runtime's `Controller`: per-object error backoff,
//! terminal errors, panic recovery, an optional per-reconcile timeout and the metrics.
//!
//! kube-runtime's scheduler guarantees that one object is never reconciled twice at once and
//! bounds concurrency; this module decides what happens after each reconcile.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::FutureExt;
use kube::runtime::controller::Action as KubeAction;
use kube::runtime::reflector::ObjectRef;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::backoff::ErrorBackoff;
use super::queue::QueueTracker;
use crate::Kind;
use crate::cache::Informer;
use crate::metrics::{ControllerMetrics, ReconcileResult};
use crate::reconcile::{Action, Context, Next, ReconcileError, Reconciler};

/// A failed reconcile, as kube-runtime's error policy sees it.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub(crate) struct Failure {
    message: String,
    /// `None` for terminal errors: wait for the next change.
    retry_after: Option<Duration>,
}

impl Failure {
    pub(crate) fn action(&self) -> KubeAction {
        match self.retry_after {
            Some(delay) => KubeAction::requeue(delay),
            None => KubeAction::await_change(),
        }
    }
}

/// How one reconcile went wrong.
enum Fault {
    Error(ReconcileError),
    Panic(String),
    Timeout(Duration),
}

/// Everything a controller's reconciles share.
pub(crate) struct Worker<K: Kind, R> {
    pub(crate) reconciler: R,
    pub(crate) context: Context,
    pub(crate) metrics: ControllerMetrics,
    pub(crate) backoff: ErrorBackoff<ObjectRef<K>>,
    pub(crate) timeout: Option<Duration>,
    /// The controller's informer of `K`: to forget the failures of deleted objects, and to
    /// wait for this process's own writes to reach the cache.
    pub(crate) informer: Arc<Informer<K>>,
    /// Objects waiting for a reconcile.
    pub(crate) queue: Arc<QueueTracker<K>>,
    /// Reconciles so far, to prune the backoff now and then.
    pub(crate) reconciles: AtomicUsize,
}

/// How many reconciles pass between two prunings of deleted objects' failure counts.
const PRUNE_EVERY: usize = 1024;

impl<K: Kind, R: Reconciler<K>> Worker<K, R> {
    /// Runs the reconciler once for `object` and decides what comes next.
    ///
    /// The reconciler gets the latest cached version, and is not called at all when the object
    /// has left the cache since it was queued (deleted, or out of the controller's selection):
    /// there is nothing left to reconcile, and a reconcile of the stale copy would only write
    /// to an object that is gone. An object with a finalizer stays in the cache, marked for
    /// deletion, until its finalizers are removed, so its cleanup still runs.
    pub(crate) async fn reconcile(self: Arc<Self>, object: Arc<K>) -> Result<KubeAction, Failure> {
        let key = ObjectRef::from_obj(&*object);
        // kube-runtime may hand over the version from when the request was queued. When a
        // write of ours to this object is on its way, wait for it: the version before it would
        // only conflict or repeat the write.
        if self.informer.awaits_write(&key) {
            self.informer
                .wait_for_writes(|written| *written == key)
                .await;
        }
        let Some(object) = self.informer.store().get(&key) else {
            self.backoff.forget(&key);
            tracing::debug!(controller = self.context.controller_name(), object = %key, "not reconciled: the object has left the cache");
            return Ok(KubeAction::await_change());
        };
        if (self.reconciles.fetch_add(1, Ordering::Relaxed) + 1).is_multiple_of(PRUNE_EVERY) {
            self.backoff
                .retain(|key| self.informer.store().get(key).is_some());
            self.queue.prune();
        }
        self.queue.started(&key);
        let started = Instant::now();
        self.metrics.set_active(true);
        let outcome = self.call(object).await;
        self.metrics.set_active(false);
        let elapsed = started.elapsed();
        match outcome {
            Ok(Action(Next::AwaitChange)) => {
                self.backoff.forget(&key);
                self.metrics.finished(ReconcileResult::Success, elapsed);
                Ok(KubeAction::await_change())
            }
            Ok(Action(Next::RequeueAfter(delay))) => {
                self.backoff.forget(&key);
                self.metrics
                    .finished(ReconcileResult::RequeueAfter, elapsed);
                Ok(KubeAction::requeue(delay))
            }
            Ok(Action(Next::Requeue)) => {
                self.metrics.finished(ReconcileResult::Requeue, elapsed);
                self.metrics.retried();
                Ok(KubeAction::requeue(self.backoff.next_delay(&key)))
            }
            Err(fault) => {
                self.metrics.finished(ReconcileResult::Error, elapsed);
                Err(self.fail(&key, fault))
            }
        }
    }

    async fn call(&self, object: Arc<K>) -> Result<Action, Fault> {
        let guarded =
            AssertUnwindSafe(self.reconciler.reconcile(object, &self.context)).catch_unwind();
        let result = match self.timeout {
            None => guarded.await,
            Some(limit) => match tokio::time::timeout(limit, guarded).await {
                Ok(result) => result,
                Err(_) => return Err(Fault::Timeout(limit)),
            },
        };
        match result {
            Ok(Ok(action)) => Ok(action),
            Ok(Err(error)) => Err(Fault::Error(error)),
            Err(panic) => Err(Fault::Panic(panic_message(panic.as_ref()))),
        }
    }

    fn fail(&self, key: &ObjectRef<K>, fault: Fault) -> Failure {
        let (message, terminal, panicked) = match fault {
            Fault::Error(error) => (error.to_string(), error.is_terminal(), false),
            Fault::Panic(message) => (format!("reconciler panicked: {message}"), false, true),
            Fault::Timeout(limit) => (
                format!("reconcile did not finish within {limit:?}"),
                false,
                false,
            ),
        };
        self.metrics.failed(terminal, panicked);
        let retry_after = if terminal {
            self.backoff.forget(key);
            None
        } else {
            self.metrics.retried();
            Some(self.backoff.next_delay(key))
        };
        tracing::warn!(controller = self.context.controller_name(), object = %key, terminal, ?retry_after, "reconcile failed: {message}");
        Failure {
            message,
            retry_after,
        }
    }
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a non-string payload".to_string())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use k8s_openapi::api::core::v1::ConfigMap;
    use kube::runtime::controller::Action as KubeAction;

    use super::Worker;
    use crate::controller::queue::QueueTracker;
    use crate::metrics::Metrics;
    use crate::reconcile::{Action, Context, ReconcileError, Reconciler};

    /// Counts its calls.
    #[derive(Default)]
    struct Counting(Arc<AtomicUsize>);

    impl Reconciler<ConfigMap> for Counting {
        async fn reconcile(
            &self,
            _object: Arc<ConfigMap>,
            _ctx: &Context,
        ) -> Result<Action, ReconcileError> {
            self.0.fetch_add(1, Ordering::SeqCst);
            Ok(Action::await_change())
        }
    }

    fn config_map(name: &str) -> ConfigMap {
        let mut object = ConfigMap::default();
        object.metadata.name = Some(name.into());
        object.metadata.namespace = Some("default".into());
        object
    }

    /// A worker over a cache that holds `cached`, and its reconciler's call count.
    fn worker(cached: &[&str]) -> (Arc<Worker<ConfigMap, Counting>>, Arc<AtomicUsize>) {
        // Never called: the reconciler reads nothing, and the cache is made of fixtures.
        let config = kube::Config::new("http://127.0.0.1:9".parse().expect("url"));
        let client = kube::Client::try_from(config).expect("client");
        let mut builder = Context::builder(client);
        for name in cached {
            builder = builder.object(config_map(name)).expect("fixture");
        }
        let context = builder.build();
        let informer = context.cache().informer::<ConfigMap>();
        let metrics = Metrics::new().controller("test");
        let queue = Arc::new(QueueTracker::new(metrics.clone(), informer.store().clone()));
        let calls = Arc::new(AtomicUsize::new(0));
        let worker = Worker {
            reconciler: Counting(Arc::clone(&calls)),
            context,
            metrics,
            backoff: Default::default(),
            timeout: None,
            informer,
            queue,
            reconciles: Default::default(),
        };
        (Arc::new(worker), calls)
    }

    #[tokio::test]
    async fn an_object_that_left_the_cache_is_not_reconciled() {
        let (worker, calls) = worker(&["kept"]);
        let gone = Arc::clone(&worker)
            .reconcile(Arc::new(config_map("gone")))
            .await
            .expect("no failure");
        assert_eq!(gone, KubeAction::await_change());
        assert_eq!(calls.load(Ordering::SeqCst), 0);

        worker
            .reconcile(Arc::new(config_map("kept")))
            .await
            .expect("reconciled");
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }
}
