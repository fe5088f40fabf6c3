//! How the manager runs: [`ManagerOptions`], bind addresses and the watch namespace.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::time::Duration;

use super::error::Error;
use crate::cache::DEFAULT_CACHE_SYNC_TIMEOUT;
use crate::leader_election::{
    DEFAULT_LEASE_DURATION, DEFAULT_RENEW_DEADLINE, DEFAULT_RETRY_PERIOD,
};
use crate::server::tls::TlsFiles;
pub use crate::server::tls::{DEFAULT_CERT_NAME, DEFAULT_KEY_NAME};
use crate::webhook::{LocalWebhooks, SelfManagedCertificates, WebhookServerOptions};

/// Default of `--metrics-bind-address`: HTTPS on 8443 (`:8080` for plain HTTP, `0` turns metrics off).
pub const DEFAULT_METRICS_BIND_ADDRESS: &str = ":8443";
/// Default of `--health-probe-bind-address`.
pub const DEFAULT_HEALTH_PROBE_BIND_ADDRESS: &str = ":8081";
/// Default of [`ManagerOptions::graceful_shutdown_timeout`].
pub const DEFAULT_GRACEFUL_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(30);
/// Default of [`ManagerOptions::sync_period`] (controller-runtime's cache `SyncPeriod`).
pub const DEFAULT_SYNC_PERIOD: Duration = Duration::from_secs(10 * 60 * 60);
/// The environment variable naming the namespace a namespaced manager watches.
pub const WATCH_NAMESPACE_VAR: &str = "WATCH_NAMESPACE";

/// Where a server listens, parsed from a flag like `:8080`, `127.0.0.1:8443` or `0` (off).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BindAddress {
    /// The server is off.
    Disabled,
    /// The server listens here.
    Address(SocketAddr),
}

impl BindAddress {
    /// Parses a bind-address flag; `:port` listens on all interfaces.
    pub fn parse(text: &str) -> Result<Self, Error> {
        let text = text.trim();
        if text == "0" || text.is_empty() {
            return Ok(BindAddress::Disabled);
        }
        let full = if text.starts_with(':') {
            format!("0.0.0.0{text}")
        } else {
            text.to_string()
        };
        full.parse()
            .map(BindAddress::Address)
            .map_err(|_| Error::BindAddress(text.to_string()))
    }

    /// A default address constant, which always parses.
    fn default_of(text: &str) -> Self {
        BindAddress::parse(text).unwrap_or(BindAddress::Disabled)
    }
}

/// How the manager runs. [`Default`] gives the kubebuilder defaults.
#[derive(Debug, Clone)]
pub struct ManagerOptions {
    /// Metrics endpoint (default `:8443`).
    pub metrics_bind_address: BindAddress,
    /// Serve metrics over HTTPS with TokenReview/SubjectAccessReview checks (default `true`).
    pub metrics_secure: bool,
    /// Metrics certificate and key; a self-signed certificate when `None` (default).
    pub metrics_tls: Option<TlsFiles>,
    /// Offer HTTP/2 on the metrics server (default `false`).
    pub enable_http2: bool,
    /// Probe endpoint (default `:8081`).
    pub health_probe_bind_address: BindAddress,
    /// Run controllers only while holding the lease (default `false`).
    pub leader_election: bool,
    /// Name of the lease (required with leader election).
    pub leader_election_id: String,
    /// Namespace of the lease (default: the pod's namespace, else the client's default namespace).
    pub leader_election_namespace: Option<String>,
    /// Give the lease up on graceful shutdown so a standby takes over at once (default `false`).
    pub leader_election_release_on_cancel: bool,
    /// Lease duration (default 15 s).
    pub lease_duration: Duration,
    /// Renew deadline (default 10 s).
    pub renew_deadline: Duration,
    /// Retry period (default 2 s).
    pub retry_period: Duration,
    /// How long in-flight reconciles may take to finish on shutdown (default 30 s).
    pub graceful_shutdown_timeout: Duration,
    /// Keep every entry of `metadata.managedFields` in cached objects (default `false`: only
    /// the entries of server-side applies are kept, which `CachedApi::apply` reads to tell
    /// that an apply would change nothing; the rest are dropped when objects enter the cache,
    /// which saves memory).
    pub cache_managed_fields: bool,
    /// The namespaces to watch namespaced kinds in; all namespaces when empty
    /// (default: from `WATCH_NAMESPACE`, see [`watch_namespaces_from_env`]).
    pub watch_namespaces: Vec<String>,
    /// Every object of a reconciled kind is reconciled again this often, changed or not
    /// (default [`DEFAULT_SYNC_PERIOD`], 10 h).
    pub sync_period: Duration,
    /// How long a read of a kind that is not cached yet waits for its watch to sync (default
    /// [`DEFAULT_CACHE_SYNC_TIMEOUT`], 2 min).
    pub cache_sync_timeout: Duration,
    /// The webhook server: address (`:9443`), certificate files (`tls.crt`/`tls.key` in
    /// `$TMPDIR/k8s-webhook-server/serving-certs`), HTTP/2 (off). It runs only when webhooks
    /// are registered.
    pub webhook_server: WebhookServerOptions,
    /// The operator issues, stores, injects and rotates its own webhook certificates instead of
    /// reading files cert-manager provides (default `None`: files).
    pub self_managed_certificates: Option<SelfManagedCertificates>,
    /// The manager runs outside the cluster and serves its webhooks itself: a development
    /// certificate, and the cluster's webhook configurations and CRD conversions pointed at
    /// it until it stops (default `None`; `--webhook-local`, which `make run` passes). It
    /// replaces [`webhook_server`](Self::webhook_server)'s address and certificate files and
    /// the [`self_managed_certificates`](Self::self_managed_certificates).
    pub local_webhooks: Option<LocalWebhooks>,
}

impl Default for ManagerOptions {
    fn default() -> Self {
        ManagerOptions {
            metrics_bind_address: BindAddress::default_of(DEFAULT_METRICS_BIND_ADDRESS),
            metrics_secure: true,
            metrics_tls: None,
            enable_http2: false,
            health_probe_bind_address: BindAddress::default_of(DEFAULT_HEALTH_PROBE_BIND_ADDRESS),
            leader_election: false,
            leader_election_id: String::new(),
            leader_election_namespace: None,
            leader_election_release_on_cancel: false,
            lease_duration: DEFAULT_LEASE_DURATION,
            renew_deadline: DEFAULT_RENEW_DEADLINE,
            retry_period: DEFAULT_RETRY_PERIOD,
            graceful_shutdown_timeout: DEFAULT_GRACEFUL_SHUTDOWN_TIMEOUT,
            cache_managed_fields: false,
            watch_namespaces: Vec::new(),
            sync_period: DEFAULT_SYNC_PERIOD,
            cache_sync_timeout: DEFAULT_CACHE_SYNC_TIMEOUT,
            webhook_server: WebhookServerOptions::default(),
            self_managed_certificates: None,
            local_webhooks: None,
        }
    }
}

/// The namespaces from `WATCH_NAMESPACE`, a comma-separated list (unset or empty: all
/// namespaces).
pub fn watch_namespaces_from_env() -> Vec<String> {
    parse_watch_namespaces(&std::env::var(WATCH_NAMESPACE_VAR).unwrap_or_default())
}

/// Parses a `WATCH_NAMESPACE` value: the namespaces it lists, sorted and without repeats
/// (empty: all namespaces).
pub fn parse_watch_namespaces(value: &str) -> Vec<String> {
    let namespaces: BTreeSet<&str> = value
        .split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .collect();
    namespaces.into_iter().map(str::to_string).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bind_addresses_parse_like_the_go_flags() {
        assert_eq!(BindAddress::parse("0").ok(), Some(BindAddress::Disabled));
        assert_eq!(
            BindAddress::parse(":8080").ok(),
            Some(BindAddress::Address(SocketAddr::from(([0, 0, 0, 0], 8080))))
        );
        assert_eq!(
            BindAddress::parse("127.0.0.1:9").ok(),
            Some(BindAddress::Address(SocketAddr::from(([127, 0, 0, 1], 9))))
        );
        assert!(BindAddress::parse("eight").is_err());
    }

    #[test]
    fn watch_namespace_lists_namespaces_or_means_all() {
        assert!(parse_watch_namespaces("").is_empty());
        assert!(parse_watch_namespaces(" , ").is_empty());
        assert_eq!(parse_watch_namespaces("team-a"), ["team-a"]);
        assert_eq!(
            parse_watch_namespaces("team-b, team-a,team-b"),
            ["team-a", "team-b"]
        );
    }
}
