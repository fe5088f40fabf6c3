//! Health and readiness endpoints: `/healthz` answers 200 while the process serves;
//! `/readyz` answers 500 until the manager's caches are synced, then 200.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use hyper::StatusCode;

use crate::server::http::{Handler, text};

/// Whether the manager is ready (caches synced), shared with the probe server.
#[derive(Debug, Clone, Default)]
pub struct Readiness(Arc<AtomicBool>);

impl Readiness {
    /// Marks the manager ready.
    pub fn set_ready(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// Whether the manager is ready.
    pub fn is_ready(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// The probe endpoints.
pub(crate) fn handler(readiness: Readiness) -> Handler {
    Arc::new(move |request| {
        let response = match request.uri().path() {
            "/healthz" => text(StatusCode::OK, "ok"),
            "/readyz" if readiness.is_ready() => text(StatusCode::OK, "ok"),
            "/readyz" => text(StatusCode::INTERNAL_SERVER_ERROR, "caches not synced yet"),
            _ => text(StatusCode::NOT_FOUND, "not found"),
        };
        Box::pin(async move { response })
    })
}
