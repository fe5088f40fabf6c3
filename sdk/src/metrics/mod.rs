//! Prometheus metrics with controller-runtime's names, so existing dashboards keep working.
//!
//! The [`Metrics`] registry is created by the manager and served on `/metrics` (see
//! [`server`]). Register your own metrics on [`Metrics::registry`] before the manager runs.
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
//! | `workqueue_retries_total` | name, controller | rate-limited requeues (errors and [`Action::requeue`](crate::reconcile::Action::requeue)) |
//! | `workqueue_work_duration_seconds` | name, controller | time spent processing one request |
//! | `leader_election_master_status` | name | 1 while this process holds the lease |
//! | `controller_runtime_webhook_requests_total` | webhook, code | webhook requests answered, by path and HTTP status |
//! | `controller_runtime_webhook_latency_seconds` | webhook | time to answer a webhook request |
//! | `controller_runtime_webhook_requests_in_flight` | webhook | webhook requests being answered now |
//! | `process_cpu_seconds_total` | | CPU time the manager used (user and system) |
//! | `process_resident_memory_bytes`, `process_virtual_memory_bytes` | | the manager's memory |
//! | `process_open_fds`, `process_max_fds` | | file descriptors open, and the limit |
//! | `process_start_time_seconds` | | when the manager started (Unix time) |

mod process;
mod registry;
pub mod server;

pub use registry::{Metrics, RECONCILE_TIME_BUCKETS, WEBHOOK_LATENCY_BUCKETS};

pub(crate) use registry::{ControllerMetrics, ReconcileResult, WebhookMetrics};
