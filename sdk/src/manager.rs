//! The manager: one client, one cache, many controllers, the probe and metrics servers and
//! leader election, started in controller-runtime's order and stopped gracefully.
//!
//! Startup order: HTTP servers (probes, metrics) → caches synced (`/readyz` turns 200) →
//! leader election (when enabled) → controllers. On SIGTERM or SIGINT the controllers stop
//! taking new work, in-flight reconciles get the [grace period](DEFAULT_GRACEFUL_SHUTDOWN_TIMEOUT)
//! to finish, the lease is released when configured, and [`Manager::run`] returns. Losing the
//! lease stops everything and returns [`Error::LeaderElectionLost`], so `main` exits non-zero.
//!
//! ```no_run
//! use clap::Parser;
//! use kubesmith::flags::ManagerFlags;
//! use kubesmith::manager::Manager;
//!
//! #[derive(Parser)]
//! struct Args {
//!     #[command(flatten)]
//!     manager: ManagerFlags,
//! }
//!
//! #[tokio::main]
//! async fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let args = Args::parse();
//!     let mut options = args.manager.manager_options()?;
//!     options.leader_election_id = "example.my.domain".into();
//!     let manager = Manager::new(kube::Client::try_default().await?, options)?;
//!     // manager.controller::<MyKind>()....complete(MyReconciler)?;
//!     manager.run().await?;
//!     Ok(())
//! }
//! ```

use std::collections::BTreeSet;
use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use futures::future::BoxFuture;
use kube::Client;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::cache::{Cache, Kind};
use crate::controller::{ControllerBuilder, Runnable, Start};
use crate::healthz::Readiness;
use crate::leader_election::{LeaderElectionConfig, LeaderElectionError, LeaseLock};
use crate::metrics::Metrics;
use crate::rbac::Rule;
use crate::reconcile::Context;
use crate::tls::TlsError;

pub use crate::tls::TlsFiles;

/// Default of [`ManagerOptions::graceful_shutdown_timeout`].
pub const DEFAULT_GRACEFUL_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(30);
/// The environment variable naming the namespace a namespaced manager watches.
pub const WATCH_NAMESPACE_VAR: &str = "WATCH_NAMESPACE";
/// Where a pod finds its namespace (the default namespace of the leader-election lease).
const POD_NAMESPACE_FILE: &str = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";

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
    /// Leader election is on but no lease name was given.
    #[error(
        "leader election needs ManagerOptions::leader_election_id (the lease name); found none"
    )]
    MissingLeaderElectionId,
    /// `WATCH_NAMESPACE` lists more than one namespace.
    #[error(
        "{WATCH_NAMESPACE_VAR}={0:?} lists several namespaces; watching more than one namespace is not supported yet, expected one namespace or none"
    )]
    MultipleNamespaces(String),
    /// The metrics TLS configuration is not usable.
    #[error("metrics TLS: {0}")]
    Tls(#[from] TlsError),
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
    /// Keep `metadata.managedFields` in cached objects (default `false`: they are dropped when
    /// objects enter the cache, which saves memory; reconcilers that use server-side apply do
    /// not need them).
    pub cache_managed_fields: bool,
    /// The namespace to watch namespaced kinds in; all namespaces when `None`
    /// (default: from `WATCH_NAMESPACE`, see [`watch_namespace_from_env`]).
    pub watch_namespace: Option<String>,
}

impl Default for ManagerOptions {
    fn default() -> Self {
        ManagerOptions {
            metrics_bind_address: BindAddress::Address(SocketAddr::from(([0, 0, 0, 0], 8443))),
            metrics_secure: true,
            metrics_tls: None,
            enable_http2: false,
            health_probe_bind_address: BindAddress::Address(SocketAddr::from(([0, 0, 0, 0], 8081))),
            leader_election: false,
            leader_election_id: String::new(),
            leader_election_namespace: None,
            leader_election_release_on_cancel: false,
            lease_duration: crate::leader_election::DEFAULT_LEASE_DURATION,
            renew_deadline: crate::leader_election::DEFAULT_RENEW_DEADLINE,
            retry_period: crate::leader_election::DEFAULT_RETRY_PERIOD,
            graceful_shutdown_timeout: DEFAULT_GRACEFUL_SHUTDOWN_TIMEOUT,
            cache_managed_fields: false,
            watch_namespace: None,
        }
    }
}

/// The namespace from `WATCH_NAMESPACE` (unset or empty: all namespaces). A comma-separated
/// list of several namespaces is refused for now.
pub fn watch_namespace_from_env() -> Result<Option<String>, Error> {
    parse_watch_namespace(&std::env::var(WATCH_NAMESPACE_VAR).unwrap_or_default())
}

/// Parses a `WATCH_NAMESPACE` value: empty means all namespaces; a list that names one
/// namespace (possibly repeated) means that namespace; several namespaces are refused.
pub fn parse_watch_namespace(value: &str) -> Result<Option<String>, Error> {
    let namespaces: BTreeSet<&str> = value
        .split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .collect();
    match namespaces.len() {
        0 => Ok(None),
        1 => Ok(namespaces.into_iter().next().map(str::to_string)),
        _ => Err(Error::MultipleNamespaces(value.to_string())),
    }
}

struct Registered {
    name: String,
    max_concurrent: u16,
    run: Runnable,
}

/// Runs controllers sharing one client and one cache. See the [module docs](self).
pub struct Manager {
    client: Client,
    options: ManagerOptions,
    cache: Cache,
    metrics: Metrics,
    readiness: Readiness,
    identity: String,
    controllers: Vec<Registered>,
    rules: BTreeSet<Rule>,
}

impl Manager {
    /// A manager using `client`. The watch namespace comes from `options`, else `WATCH_NAMESPACE`.
    pub fn new(client: Client, mut options: ManagerOptions) -> Result<Self, Error> {
        if options.watch_namespace.is_none() {
            options.watch_namespace = watch_namespace_from_env()?;
        }
        if options.leader_election && options.leader_election_id.is_empty() {
            return Err(Error::MissingLeaderElectionId);
        }
        Ok(Manager {
            cache: Cache::new(
                client.clone(),
                options.watch_namespace.clone(),
                !options.cache_managed_fields,
            ),
            client,
            options,
            metrics: Metrics::new(),
            readiness: Readiness::default(),
            identity: crate::leader_election::default_identity(),
            controllers: Vec::new(),
            rules: BTreeSet::new(),
        })
    }

    /// Starts building a controller that reconciles `K`.
    pub fn controller<K: Kind>(&mut self) -> ControllerBuilder<'_, K> {
        ControllerBuilder::new(self)
    }

    /// The manager's client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The metrics registry (register your own metrics before [`run`](Self::run)).
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// This process's leader-election identity (`hostname_uuid`).
    pub fn identity(&self) -> &str {
        &self.identity
    }

    /// The RBAC rules of every registered controller, plus those of the secure metrics server
    /// (unmerged; leader election's rules are in [`leader_election::rbac_rules`](crate::leader_election::rbac_rules)).
    pub fn rbac_rules(&self) -> Vec<Rule> {
        let mut rules: Vec<Rule> = self.rules.iter().cloned().collect();
        if self.options.metrics_secure {
            rules.extend(crate::metrics_server::rbac_rules());
        }
        rules
    }

    pub(crate) fn cache_mut(&mut self) -> &mut Cache {
        &mut self.cache
    }

    pub(crate) fn register(
        &mut self,
        name: String,
        max_concurrent: u16,
        rules: Vec<Rule>,
        run: Runnable,
    ) -> Result<(), Error> {
        if self.controllers.iter().any(|c| c.name == name) {
            return Err(Error::DuplicateController(name));
        }
        self.metrics.controller(&name).register(max_concurrent);
        self.rules.extend(rules);
        self.controllers.push(Registered {
            name,
            max_concurrent,
            run,
        });
        Ok(())
    }

    /// Runs until SIGTERM or SIGINT, then shuts down gracefully.
    pub async fn run(self) -> Result<(), Error> {
        let mut terminate =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                .map_err(Error::Signal)?;
        self.run_until(async move {
            tokio::select! {
                _ = terminate.recv() => tracing::info!("SIGTERM received; shutting down"),
                _ = tokio::signal::ctrl_c() => tracing::info!("SIGINT received; shutting down"),
            }
        })
        .await
    }

    /// Runs until `shutdown` completes, then shuts down gracefully.
    pub async fn run_until(self, shutdown: impl Future<Output = ()> + Send) -> Result<(), Error> {
        let Manager {
            client,
            options,
            mut cache,
            metrics,
            readiness,
            identity,
            controllers,
            ..
        } = self;
        let (stop_servers, servers_stopped) = watch::channel(false);
        start_servers(&client, &options, &metrics, &readiness, &servers_stopped).await?;

        let (drives, synced) = cache.start();
        let watches: Vec<JoinHandle<()>> = drives.into_iter().map(tokio::spawn).collect();
        let (open_gate, gate) = watch::channel(false);
        let mut stops = Vec::new();
        let mut running = Vec::new();
        for registered in controllers {
            let (stop, stopped) = futures::channel::oneshot::channel();
            stops.push(stop);
            let recorder = crate::events::recorder(client.clone(), &registered.name, &identity);
            let start = Start {
                context: Context::new(client.clone(), recorder, &registered.name),
                metrics: metrics.controller(&registered.name),
                gate: gate.clone(),
                shutdown: stopped,
            };
            tracing::debug!(controller = %registered.name, max_concurrent = registered.max_concurrent, "controller registered");
            running.push(tokio::spawn((registered.run)(start)));
        }

        tokio::pin!(shutdown);
        let grace = options.graceful_shutdown_timeout;
        let release = options.leader_election_release_on_cancel;
        let election = Election {
            client,
            options,
            metrics: metrics.clone(),
            readiness,
            identity,
            kinds: cache.len(),
        };
        drop(cache);
        let outcome = election
            .lead(synced, &open_gate, &mut shutdown, &mut running)
            .await;

        // Controllers that never passed the gate have nothing in flight; a lost lease stops at once.
        let started = *open_gate.borrow();
        if !started || outcome.error.is_some() {
            running.iter().for_each(JoinHandle::abort);
        }
        for stop in stops {
            let _ = stop.send(());
        }
        let finished =
            tokio::time::timeout(grace, futures::future::join_all(running.iter_mut())).await;
        if finished.is_err() {
            running.iter().for_each(JoinHandle::abort);
        }
        if let Some(mut lock) = outcome.leadership {
            if release && let Err(error) = lock.release().await {
                tracing::warn!(%error, "could not release the lease");
            }
            metrics.set_leader(&lock.config().name, false);
        }
        watches.iter().for_each(JoinHandle::abort);
        let _ = stop_servers.send(true);
        match (outcome.error, finished) {
            (Some(error), _) => Err(error),
            (None, Err(_)) => Err(Error::GracefulShutdownTimeout(grace)),
            (None, Ok(_)) => Ok(()),
        }
    }
}

async fn start_servers(
    client: &Client,
    options: &ManagerOptions,
    metrics: &Metrics,
    readiness: &Readiness,
    stopped: &watch::Receiver<bool>,
) -> Result<(), Error> {
    if let BindAddress::Address(address) = options.health_probe_bind_address {
        let listener = bind("health probes", address).await?;
        let handler = crate::healthz::handler(readiness.clone());
        tokio::spawn(crate::http_server::serve(
            listener,
            None,
            false,
            handler,
            wait_true(stopped.clone()),
        ));
    }
    if let BindAddress::Address(address) = options.metrics_bind_address {
        let listener = bind("metrics", address).await?;
        let (tls, auth) = if options.metrics_secure {
            let tls = crate::tls::acceptor(options.metrics_tls.as_ref(), options.enable_http2)?;
            (Some(tls), Some(client.clone()))
        } else {
            (None, None)
        };
        let handler = crate::metrics_server::handler(metrics.clone(), auth);
        tokio::spawn(crate::http_server::serve(
            listener,
            tls,
            options.enable_http2,
            handler,
            wait_true(stopped.clone()),
        ));
    }
    Ok(())
}

/// What deciding and holding leadership needs from the manager.
struct Election {
    client: Client,
    options: ManagerOptions,
    metrics: Metrics,
    readiness: Readiness,
    identity: String,
    kinds: usize,
}

impl Election {
    /// Waits for the caches, takes the lease, opens the gate, and waits for shutdown or a lost lease.
    async fn lead(
        &self,
        synced: BoxFuture<'static, ()>,
        open_gate: &watch::Sender<bool>,
        shutdown: &mut (impl Future<Output = ()> + Unpin),
        running: &mut [JoinHandle<()>],
    ) -> Outcome {
        let stopped = Outcome {
            leadership: None,
            error: None,
        };
        tokio::select! {
            _ = &mut *shutdown => return stopped,
            _ = synced => self.readiness.set_ready(),
        }
        tracing::info!(kinds = self.kinds, "caches synced");
        let mut lock = None;
        if self.options.leader_election {
            let mut candidate = LeaseLock::new(self.client.clone(), self.lease_config().await);
            self.metrics.set_leader(&candidate.config().name, false);
            tokio::select! {
                _ = &mut *shutdown => return stopped,
                _ = candidate.acquire() => {}
            }
            self.metrics.set_leader(&candidate.config().name, true);
            lock = Some(candidate);
        }
        // Controllers start only now, after the caches synced: kube-runtime's
        // `Store::wait_until_ready` wakes a single waiter, so no controller may wait on a store
        // while `synced` does.
        let _ = open_gate.send(true);
        // Controllers only end on their own when their watches end; a manager without
        // controllers still serves probes and metrics until shutdown.
        let idle = running.is_empty();
        let all_stopped = async move {
            if idle {
                std::future::pending::<()>().await;
            }
            futures::future::join_all(running.iter_mut()).await;
        };
        let error = match &mut lock {
            Some(lock) => tokio::select! {
                _ = &mut *shutdown => None,
                lost = lock.hold() => Some(Error::from(lost)),
                _ = all_stopped => None,
            },
            None => tokio::select! {
                _ = &mut *shutdown => None,
                _ = all_stopped => None,
            },
        };
        match (error, lock) {
            (Some(error), Some(lock)) => {
                tracing::error!(%error, "leader election lost; stopping");
                self.metrics.set_leader(&lock.config().name, false);
                Outcome {
                    leadership: None,
                    error: Some(error),
                }
            }
            (error, lock) => Outcome {
                leadership: lock,
                error,
            },
        }
    }

    async fn lease_config(&self) -> LeaderElectionConfig {
        let namespace = match &self.options.leader_election_namespace {
            Some(namespace) => namespace.clone(),
            None => match tokio::fs::read_to_string(POD_NAMESPACE_FILE).await {
                Ok(namespace) if !namespace.trim().is_empty() => namespace.trim().to_string(),
                _ => self.client.default_namespace().to_string(),
            },
        };
        LeaderElectionConfig {
            identity: self.identity.clone(),
            lease_duration: self.options.lease_duration,
            renew_deadline: self.options.renew_deadline,
            retry_period: self.options.retry_period,
            ..LeaderElectionConfig::new(&self.options.leader_election_id, &namespace)
        }
    }
}

struct Outcome {
    /// The lease, while still held.
    leadership: Option<LeaseLock>,
    error: Option<Error>,
}

async fn bind(server: &'static str, address: SocketAddr) -> Result<TcpListener, Error> {
    TcpListener::bind(address)
        .await
        .map_err(|source| Error::Bind {
            server,
            address,
            source,
        })
}

async fn wait_true(mut flag: watch::Receiver<bool>) {
    let _ = flag.wait_for(|set| *set).await;
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
    fn watch_namespace_is_one_namespace_or_all() {
        assert_eq!(parse_watch_namespace("").ok(), Some(None));
        assert_eq!(parse_watch_namespace(" , ").ok(), Some(None));
        assert_eq!(
            parse_watch_namespace("team-a").ok(),
            Some(Some("team-a".into()))
        );
        assert_eq!(
            parse_watch_namespace("team-a, team-a").ok(),
            Some(Some("team-a".into()))
        );
        assert!(matches!(
            parse_watch_namespace("a,b"),
            Err(Error::MultipleNamespaces(_))
        ));
    }
}
