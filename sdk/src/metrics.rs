//! Prometheus metrics with controller-runtime's names, so existing dashboards keep working.
//!
//! The [`Metrics`] registry is created by the manager and served on `/metrics` (see
//! [`metrics_server`](crate::metrics_server)). Register your own metrics on
//! [`Metrics::registry`] before the manager runs.
//!
//! | metric | labels | meaning |
//! |---|---|---|
//! | `controller_runtime_reconcile_total` | controller, result | reconciles by result: success, error, requeue, requeue_after |
//! | `controller_runtime_reconcile_errors_total` | controller | failed reconciles (terminal errors, panics and timeouts included) |
//! | `controller_runtime_terminal_reconcile_errors_total` | controller | terminal errors (not retried) |
//! | `controller_runtime_reconcile_panics_total` | controller | panics recovered from the reconciler |
//! | `controller_runtime_reconcile_time_seconds` | controller | reconcile duration histogram |
//! | `controller_runtime_max_concurrent_reconciles` | controller | configured concurrency |
//! | `controller_runtime_active_workers` | controller | reconciles running now |
//! | `workqueue_depth` | name, controller | objects waiting for a reconcile |
//! | `workqueue_adds_total` | name, controller | objects that started waiting (changes of an object already waiting are not counted), plus rate-limited requeues |
//! | `workqueue_queue_duration_seconds` | name, controller | how long an object waited between a change and its reconcile |
//! | `workqueue_retries_total` | name, controller | rate-limited requeues (errors and [`Action::Requeue`](crate::reconcile::Action::Requeue)) |
//! | `workqueue_work_duration_seconds` | name, controller | time spent processing one request |
//! | `leader_election_master_status` | name | 1 while this process holds the lease |

use std::sync::{Arc, RwLock};
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// Buckets of `controller_runtime_reconcile_time_seconds`, as in controller-runtime.
pub const RECONCILE_TIME_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9,
    1.0, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 15.0, 20.0,
    25.0, 30.0, 40.0, 50.0, 60.0,
];

/// The result label of `controller_runtime_reconcile_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReconcileResult {
    /// Succeeded and waits for the next change.
    Success,
    /// Failed (an error, a panic or a timeout).
    Error,
    /// Succeeded and asked for a rate-limited requeue.
    Requeue,
    /// Succeeded and asked to be reconciled again after a delay.
    RequeueAfter,
}

impl ReconcileResult {
    fn label(self) -> &'static str {
        match self {
            ReconcileResult::Success => "success",
            ReconcileResult::Error => "error",
            ReconcileResult::Requeue => "requeue",
            ReconcileResult::RequeueAfter => "requeue_after",
        }
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ControllerLabels {
    controller: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResultLabels {
    controller: String,
    result: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct QueueLabels {
    name: String,
    controller: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct NameLabels {
    name: String,
}

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

fn reconcile_time_histogram() -> Histogram {
    Histogram::new(RECONCILE_TIME_BUCKETS.iter().copied())
}

fn work_duration_histogram() -> Histogram {
    // 10 ns to 10 s, as the workqueue's histograms.
    Histogram::new(exponential_buckets(10e-9, 10.0, 10))
}

/// The metrics registry of a manager, with the controller-runtime families registered.
#[derive(Clone)]
pub struct Metrics {
    registry: Arc<RwLock<Registry>>,
    reconcile_total: Family<ResultLabels, Counter>,
    reconcile_errors: Family<ControllerLabels, Counter>,
    terminal_errors: Family<ControllerLabels, Counter>,
    panics: Family<ControllerLabels, Counter>,
    reconcile_time: HistogramFamily<ControllerLabels>,
    max_concurrent: Family<ControllerLabels, Gauge>,
    active_workers: Family<ControllerLabels, Gauge>,
    queue_depth: Family<QueueLabels, Gauge>,
    queue_adds: Family<QueueLabels, Counter>,
    queue_retries: Family<QueueLabels, Counter>,
    queue_duration: HistogramFamily<QueueLabels>,
    work_duration: HistogramFamily<QueueLabels>,
    leader: Family<NameLabels, Gauge>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    /// A fresh registry holding the controller-runtime metric families.
    pub fn new() -> Self {
        let metrics = Metrics {
            registry: Arc::default(),
            reconcile_total: Family::default(),
            reconcile_errors: Family::default(),
            terminal_errors: Family::default(),
            panics: Family::default(),
            reconcile_time: Family::new_with_constructor(reconcile_time_histogram),
            max_concurrent: Family::default(),
            active_workers: Family::default(),
            queue_depth: Family::default(),
            queue_adds: Family::default(),
            queue_retries: Family::default(),
            queue_duration: Family::new_with_constructor(work_duration_histogram),
            work_duration: Family::new_with_constructor(work_duration_histogram),
            leader: Family::default(),
        };
        {
            let mut registry = metrics.write_registry();
            // Counter names get their `_total` suffix from the encoder.
            registry.register(
                "controller_runtime_reconcile",
                "Reconciles run, by controller and result",
                metrics.reconcile_total.clone(),
            );
            registry.register(
                "controller_runtime_reconcile_errors",
                "Reconciles that failed, by controller",
                metrics.reconcile_errors.clone(),
            );
            registry.register(
                "controller_runtime_terminal_reconcile_errors",
                "Reconciles that failed with a terminal error, by controller",
                metrics.terminal_errors.clone(),
            );
            registry.register(
                "controller_runtime_reconcile_panics",
                "Panics recovered from reconcilers, by controller",
                metrics.panics.clone(),
            );
            registry.register(
                "controller_runtime_reconcile_time_seconds",
                "Reconcile duration in seconds, by controller",
                metrics.reconcile_time.clone(),
            );
            registry.register(
                "controller_runtime_max_concurrent_reconciles",
                "Configured reconcile concurrency, by controller",
                metrics.max_concurrent.clone(),
            );
            registry.register(
                "controller_runtime_active_workers",
                "Reconciles running now, by controller",
                metrics.active_workers.clone(),
            );
            registry.register(
                "workqueue_depth",
                "Objects waiting for a reconcile",
                metrics.queue_depth.clone(),
            );
            registry.register(
                "workqueue_queue_duration_seconds",
                "Seconds an object waited between a change and its reconcile",
                metrics.queue_duration.clone(),
            );
            registry.register(
                "workqueue_adds",
                "Reconcile requests queued",
                metrics.queue_adds.clone(),
            );
            registry.register(
                "workqueue_retries",
                "Reconcile requests requeued with backoff",
                metrics.queue_retries.clone(),
            );
            registry.register(
                "workqueue_work_duration_seconds",
                "Seconds spent processing one reconcile request",
                metrics.work_duration.clone(),
            );
            registry.register(
                "leader_election_master_status",
                "1 while this process holds the named lease, else 0",
                metrics.leader.clone(),
            );
        }
        metrics
    }

    /// The registry, for registering your own metrics.
    pub fn registry(&self) -> std::sync::RwLockWriteGuard<'_, Registry> {
        self.write_registry()
    }

    /// The metrics in the Prometheus text format.
    pub fn encode(&self) -> String {
        let mut text = String::new();
        let registry = self
            .registry
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &registry);
        text
    }

    /// The handles one controller records with.
    pub fn controller(&self, name: &str) -> ControllerMetrics {
        ControllerMetrics {
            metrics: self.clone(),
            controller: ControllerLabels {
                controller: name.to_string(),
            },
            queue: QueueLabels {
                name: name.to_string(),
                controller: name.to_string(),
            },
        }
    }

    /// Sets `leader_election_master_status{name}`.
    pub fn set_leader(&self, name: &str, leader: bool) {
        self.leader
            .get_or_create(&NameLabels {
                name: name.to_string(),
            })
            .set(i64::from(leader));
    }

    fn write_registry(&self) -> std::sync::RwLockWriteGuard<'_, Registry> {
        self.registry
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The metric series of one controller.
#[derive(Clone)]
pub struct ControllerMetrics {
    metrics: Metrics,
    controller: ControllerLabels,
    queue: QueueLabels,
}

impl ControllerMetrics {
    /// Records the configured concurrency and creates the controller's zero-valued series.
    pub fn register(&self, max_concurrent_reconciles: u16) {
        let m = &self.metrics;
        m.max_concurrent
            .get_or_create(&self.controller)
            .set(i64::from(max_concurrent_reconciles));
        let _ = m.active_workers.get_or_create(&self.controller);
        for result in [
            ReconcileResult::Success,
            ReconcileResult::Error,
            ReconcileResult::Requeue,
            ReconcileResult::RequeueAfter,
        ] {
            let _ = m.reconcile_total.get_or_create(&self.result(result));
        }
        let _ = m.reconcile_errors.get_or_create(&self.controller);
        let _ = m.terminal_errors.get_or_create(&self.controller);
        let _ = m.panics.get_or_create(&self.controller);
        let _ = m.queue_depth.get_or_create(&self.queue);
        let _ = m.queue_adds.get_or_create(&self.queue);
        let _ = m.queue_retries.get_or_create(&self.queue);
    }

    /// An object started waiting for a reconcile.
    pub fn queued(&self) {
        self.metrics.queue_adds.get_or_create(&self.queue).inc();
    }

    /// `waiting` objects wait for a reconcile.
    pub fn set_depth(&self, waiting: usize) {
        let depth = i64::try_from(waiting).unwrap_or(i64::MAX);
        self.metrics
            .queue_depth
            .get_or_create(&self.queue)
            .set(depth);
    }

    /// An object waited `waited` before its reconcile started.
    pub fn waited(&self, waited: Duration) {
        self.metrics
            .queue_duration
            .get_or_create(&self.queue)
            .observe(waited.as_secs_f64());
    }

    /// A reconcile started (or, with `started == false`, ended).
    pub fn set_active(&self, started: bool) {
        let gauge = self.metrics.active_workers.get_or_create(&self.controller);
        if started {
            gauge.inc();
        } else {
            gauge.dec();
        }
    }

    /// A reconcile finished with `result` after `elapsed`.
    pub fn finished(&self, result: ReconcileResult, elapsed: Duration) {
        let m = &self.metrics;
        m.reconcile_total.get_or_create(&self.result(result)).inc();
        m.reconcile_time
            .get_or_create(&self.controller)
            .observe(elapsed.as_secs_f64());
        m.work_duration
            .get_or_create(&self.queue)
            .observe(elapsed.as_secs_f64());
    }

    /// A reconcile failed; `terminal` and `panicked` say how.
    pub fn failed(&self, terminal: bool, panicked: bool) {
        let m = &self.metrics;
        m.reconcile_errors.get_or_create(&self.controller).inc();
        if terminal {
            m.terminal_errors.get_or_create(&self.controller).inc();
        }
        if panicked {
            m.panics.get_or_create(&self.controller).inc();
        }
    }

    /// A request was requeued with backoff.
    pub fn retried(&self) {
        let m = &self.metrics;
        m.queue_retries.get_or_create(&self.queue).inc();
        m.queue_adds.get_or_create(&self.queue).inc();
    }

    fn result(&self, result: ReconcileResult) -> ResultLabels {
        ResultLabels {
            controller: self.controller.controller.clone(),
            result: result.label().to_string(),
        }
    }
}
