//! Health and readiness endpoints: `/healthz` answers 200 while the process serves; `/readyz`
//! answers 500, naming what it waits for, until every readiness check has passed (the
//! manager's: [`CACHES_SYNCED`], and [`WEBHOOK_SERVER_STARTED`] when it serves webhooks).

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use hyper::StatusCode;

use crate::server::http::{Handler, text};

/// The readiness check that passes once every declared kind's cache has synced.
pub const CACHES_SYNCED: &str = "caches synced";
/// The readiness check that passes once the webhook server listens.
pub const WEBHOOK_SERVER_STARTED: &str = "webhook server started";

/// The readiness checks not passed yet, shared with the probe server.
///
/// ```
/// use kubesmith::healthz::Readiness;
/// let readiness = Readiness::default();
/// readiness.wait_for("caches synced");
/// assert!(!readiness.is_ready());
/// readiness.passed("caches synced");
/// assert!(readiness.is_ready());
/// ```
#[derive(Debug, Clone, Default)]
pub struct Readiness(Arc<Mutex<BTreeSet<String>>>);

impl Readiness {
    /// Adds a check that has to pass before the process is ready.
    pub fn wait_for(&self, check: &str) {
        self.lock().insert(check.to_string());
    }

    /// Marks `check` as passed.
    pub fn passed(&self, check: &str) {
        self.lock().remove(check);
    }

    /// Whether every check has passed.
    pub fn is_ready(&self) -> bool {
        self.lock().is_empty()
    }

    /// The checks not passed yet.
    pub fn pending(&self) -> Vec<String> {
        self.lock().iter().cloned().collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeSet<String>> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The probe endpoints.
pub(crate) fn handler(readiness: Readiness) -> Handler {
    Arc::new(move |request| {
        let response = match request.uri().path() {
            "/healthz" => text(StatusCode::OK, "ok"),
            "/readyz" => match readiness.pending() {
                pending if pending.is_empty() => text(StatusCode::OK, "ok"),
                pending => text(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    format!("waiting for: {}", pending.join(", ")),
                ),
            },
            _ => text(StatusCode::NOT_FOUND, "not found"),
        };
        Box::pin(async move { response })
    })
}
