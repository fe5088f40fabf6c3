//! The [`Metrics`] registry with controller-runtime's metric families, and the series of one
//! controller.

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
pub(crate) enum ReconcileResult {
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

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct WebhookLabels {
    webhook: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct WebhookCodeLabels {
    webhook: String,
    code: String,
}

/// Buckets of `controller_runtime_webhook_latency_seconds` (Prometheus' defaults, as
/// controller-runtime uses).
pub const WEBHOOK_LATENCY_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

fn webhook_latency_histogram() -> Histogram {
    Histogram::new(WEBHOOK_LATENCY_BUCKETS.iter().copied())
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
    webhook_requests: Family<WebhookCodeLabels, Counter>,
    webhook_latency: HistogramFamily<WebhookLabels>,
    webhook_in_flight: Family<WebhookLabels, Gauge>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    /// A fresh registry holding the controller-runtime metric families and the process's own
    /// (CPU, memory, file descriptors).
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
            webhook_requests: Family::default(),
            webhook_latency: Family::new_with_constructor(webhook_latency_histogram),
            webhook_in_flight: Family::default(),
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
            registry.register(
                "controller_runtime_webhook_requests",
                "Webhook requests answered, by webhook path and HTTP status code",
                metrics.webhook_requests.clone(),
            );
            registry.register(
                "controller_runtime_webhook_latency_seconds",
                "Seconds from receiving a webhook request to answering it, by webhook path",
                metrics.webhook_latency.clone(),
            );
            registry.register(
                "controller_runtime_webhook_requests_in_flight",
                "Webhook requests being answered now, by webhook path",
                metrics.webhook_in_flight.clone(),
            );
            registry.register_collector(Box::new(super::process::ProcessCollector));
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

    /// How many reconciles of the controller `controller` ended with `result` (`success`,
    /// `error`, `requeue` or `requeue_after`): `controller_runtime_reconcile_total`, for tests
    /// that wait for a controller's work.
    pub fn reconciles(&self, controller: &str, result: &str) -> u64 {
        self.reconcile_total
            .get(&ResultLabels {
                controller: controller.to_string(),
                result: result.to_string(),
            })
            .map_or(0, |counter| counter.get())
    }

    /// The series one controller records into (created now, at zero).
    pub(crate) fn controller(&self, name: &str) -> ControllerMetrics {
        let controller = ControllerLabels {
            controller: name.to_string(),
        };
        let queue = QueueLabels {
            name: name.to_string(),
            controller: name.to_string(),
        };
        let result = |result: ReconcileResult| {
            self.reconcile_total
                .get_or_create(&ResultLabels {
                    controller: name.to_string(),
                    result: result.label().to_string(),
                })
                .clone()
        };
        ControllerMetrics {
            success: result(ReconcileResult::Success),
            error: result(ReconcileResult::Error),
            requeue: result(ReconcileResult::Requeue),
            requeue_after: result(ReconcileResult::RequeueAfter),
            errors: self.reconcile_errors.get_or_create(&controller).clone(),
            terminal_errors: self.terminal_errors.get_or_create(&controller).clone(),
            panics: self.panics.get_or_create(&controller).clone(),
            reconcile_time: self.reconcile_time.get_or_create(&controller).clone(),
            max_concurrent: self.max_concurrent.get_or_create(&controller).clone(),
            active_workers: self.active_workers.get_or_create(&controller).clone(),
            queue_depth: self.queue_depth.get_or_create(&queue).clone(),
            queue_adds: self.queue_adds.get_or_create(&queue).clone(),
            queue_retries: self.queue_retries.get_or_create(&queue).clone(),
            queue_duration: self.queue_duration.get_or_create(&queue).clone(),
            work_duration: self.work_duration.get_or_create(&queue).clone(),
        }
    }

    /// The series one webhook path records into (created now, at zero).
    pub(crate) fn webhook(&self, path: &str) -> WebhookMetrics {
        let labels = WebhookLabels {
            webhook: path.to_string(),
        };
        WebhookMetrics {
            path: path.to_string(),
            requests: self.webhook_requests.clone(),
            latency: self.webhook_latency.get_or_create(&labels).clone(),
            in_flight: self.webhook_in_flight.get_or_create(&labels).clone(),
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

/// The metric series of one controller. The series are resolved once, when the controller is
/// set up, so recording on the reconcile path is a few atomic operations (no label hashing, no
/// allocation).
#[derive(Clone)]
pub(crate) struct ControllerMetrics {
    success: Counter,
    error: Counter,
    requeue: Counter,
    requeue_after: Counter,
    errors: Counter,
    terminal_errors: Counter,
    panics: Counter,
    reconcile_time: Histogram,
    max_concurrent: Gauge,
    active_workers: Gauge,
    queue_depth: Gauge,
    queue_adds: Counter,
    queue_retries: Counter,
    queue_duration: Histogram,
    work_duration: Histogram,
}

impl ControllerMetrics {
    /// Records the configured concurrency.
    pub(crate) fn register(&self, max_concurrent_reconciles: u16) {
        self.max_concurrent
            .set(i64::from(max_concurrent_reconciles));
    }

    /// An object started waiting for a reconcile.
    pub(crate) fn queued(&self) {
        self.queue_adds.inc();
    }

    /// `waiting` objects wait for a reconcile.
    pub(crate) fn set_depth(&self, waiting: usize) {
        self.queue_depth
            .set(i64::try_from(waiting).unwrap_or(i64::MAX));
    }

    /// An object waited `waited` before its reconcile started.
    pub(crate) fn waited(&self, waited: Duration) {
        self.queue_duration.observe(waited.as_secs_f64());
    }

    /// A reconcile started (or, with `started == false`, ended).
    pub(crate) fn set_active(&self, started: bool) {
        if started {
            self.active_workers.inc();
        } else {
            self.active_workers.dec();
        }
    }

    /// A reconcile finished with `result` after `elapsed`.
    pub(crate) fn finished(&self, result: ReconcileResult, elapsed: Duration) {
        let total = match result {
            ReconcileResult::Success => &self.success,
            ReconcileResult::Error => &self.error,
            ReconcileResult::Requeue => &self.requeue,
            ReconcileResult::RequeueAfter => &self.requeue_after,
        };
        total.inc();
        self.reconcile_time.observe(elapsed.as_secs_f64());
        self.work_duration.observe(elapsed.as_secs_f64());
    }

    /// A reconcile failed; `terminal` and `panicked` say how.
    pub(crate) fn failed(&self, terminal: bool, panicked: bool) {
        self.errors.inc();
        if terminal {
            self.terminal_errors.inc();
        }
        if panicked {
            self.panics.inc();
        }
    }

    /// A request was requeued with backoff.
    pub(crate) fn retried(&self) {
        self.queue_retries.inc();
        self.queue_adds.inc();
    }
}

/// The metric series of one webhook path.
#[derive(Clone)]
pub(crate) struct WebhookMetrics {
    path: String,
    requests: Family<WebhookCodeLabels, Counter>,
    latency: Histogram,
    in_flight: Gauge,
}

impl WebhookMetrics {
    /// A request arrived.
    pub(crate) fn started(&self) {
        self.in_flight.inc();
    }

    /// A request was answered with HTTP status `code` after `elapsed`.
    pub(crate) fn answered(&self, code: u16, elapsed: Duration) {
        self.in_flight.dec();
        self.latency.observe(elapsed.as_secs_f64());
        self.requests
            .get_or_create(&WebhookCodeLabels {
                webhook: self.path.clone(),
                code: code.to_string(),
            })
            .inc();
    }
}

#[cfg(test)]
mod tests {
    use super::Metrics;

    #[test]
    fn reconciles_are_counted_per_controller_and_result() {
        let metrics = Metrics::new();
        assert_eq!(metrics.reconciles("widget", "success"), 0);
        let widget = metrics.controller("widget");
        widget.success.inc();
        widget.success.inc();
        widget.error.inc();
        assert_eq!(metrics.reconciles("widget", "success"), 2);
        assert_eq!(metrics.reconciles("widget", "error"), 1);
        assert_eq!(metrics.reconciles("gadget", "success"), 0);
    }
}
