//! The manager: one client, one cache, many controllers, the probe and metrics servers and
//! leader election, started in controller-runtime's order and stopped gracefully.
//!
//! Startup order: HTTP servers (probes, metrics) → caches synced (`/readyz` turns 200) →
//! leader election (when enabled) → controllers. On SIGTERM or SIGINT the controllers stop
//! taking new work, in-flight reconciles get the [grace period](DEFAULT_GRACEFUL_SHUTDOWN_TIMEOUT)
//! to finish, the lease is released when configured, and [`Manager::run`] returns. Losing the
//! lease stops everything and returns [`Error::LeaderElectionLost`], so `main` exits non-zero.
//!
//! The cache holds one watch per kind, shared by every controller that reconciles, owns or
//! watches it. Namespaced kinds are watched in the namespaces of `WATCH_NAMESPACE` (a comma
//! list; all namespaces when unset), and cached objects drop `metadata.managedFields` unless
//! [`ManagerOptions::cache_managed_fields`] is set.
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

mod election;
mod options;

use std::collections::BTreeSet;
use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use kube::Client;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::cache::{Cache, Kind};
use crate::controller::{ControllerBuilder, Runnable, Start};
use crate::healthz::Readiness;
use crate::leader_election::LeaderElectionError;
use crate::metrics::Metrics;
use crate::rbac::Rule;
use crate::reconcile::Context;
use crate::tls::TlsError;

pub use crate::tls::TlsFiles;
use election::Election;
pub use options::{
    BindAddress, DEFAULT_GRACEFUL_SHUTDOWN_TIMEOUT, ManagerOptions, WATCH_NAMESPACE_VAR,
    parse_watch_namespaces, watch_namespaces_from_env,
};

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
        if options.watch_namespaces.is_empty() {
            options.watch_namespaces = watch_namespaces_from_env();
        }
        if options.leader_election && options.leader_election_id.is_empty() {
            return Err(Error::MissingLeaderElectionId);
        }
        Ok(Manager {
            cache: Cache::new(
                client.clone(),
                options.watch_namespaces.clone(),
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
