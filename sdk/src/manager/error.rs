//! What can go wrong setting up or running the manager.

use std::net::SocketAddr;
use std::time::Duration;

use crate::cache::CacheError;
use crate::healthz::CheckError;
use crate::leader_election::LeaderElectionError;
use crate::server::tls::TlsError;
use crate::webhook::{CertificateError, LocalWebhookError, RegistrationError};

/// Errors of the manager.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A bind address flag could not be parsed.
    #[error("invalid bind address {0:?}: expected \"0\" (off), \":port\" or \"host:port\"")]
    BindAddress(String),
    /// A server could not bind its address.
    #[error("cannot listen on {address} for {server}: {source}")]
    Bind {
        /// Which server.
        server: &'static str,
        /// The address.
        address: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// Two controllers have the same name.
    #[error("a controller named {0:?} is already registered; names must be unique")]
    DuplicateController(String),
    /// A health or readiness check could not be added (an empty name, a `/` in it, or a
    /// name already used on the same endpoint).
    #[error(transparent)]
    HealthCheck(#[from] CheckError),
    /// A controller or an index could not be set up in the cache.
    #[error(transparent)]
    Cache(#[from] CacheError),
    /// Leader election is on but no lease name was given.
    #[error(
        "leader election needs ManagerOptions::leader_election_id (the lease name); found none"
    )]
    MissingLeaderElectionId,
    /// The metrics TLS configuration is not usable.
    #[error("metrics TLS: {0}")]
    Tls(#[from] TlsError),
    /// The webhook server's certificate is not usable.
    #[error("webhook server TLS: {0}")]
    WebhookTls(TlsError),
    /// The self-managed webhook certificates could not be provided.
    #[error(transparent)]
    WebhookCertificates(#[from] CertificateError),
    /// The webhooks could not be served locally (`--webhook-local`).
    #[error(transparent)]
    LocalWebhooks(#[from] LocalWebhookError),
    /// A webhook or conversion could not be registered.
    #[error(transparent)]
    Webhook(#[from] RegistrationError),
    /// Leadership was lost; the process should exit non-zero.
    #[error(transparent)]
    LeaderElectionLost(#[from] LeaderElectionError),
    /// Controllers did not finish within the grace period.
    #[error("controllers did not stop within the graceful shutdown timeout of {0:?}")]
    GracefulShutdownTimeout(Duration),
    /// Waiting for a termination signal failed.
    #[error("cannot listen for termination signals: {0}")]
    Signal(std::io::Error),
}
