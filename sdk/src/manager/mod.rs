//! The manager: one client, one cache, many controllers, the probe and metrics servers and
//! leader election, started in controller-runtime's order and stopped gracefully.
//!
//! Startup order: HTTP servers (probes, metrics) → webhook server (when webhooks are
//! registered) → caches synced (`/readyz` turns 200) → leader election (when enabled) →
//! controllers. On SIGTERM or SIGINT the controllers stop taking new work, in-flight reconciles
//! get the [grace period](DEFAULT_GRACEFUL_SHUTDOWN_TIMEOUT) to finish, the lease is released
//! when configured, and [`Manager::run`] returns. Losing the lease stops everything and returns
//! [`Error::LeaderElectionLost`], so `main` exits non-zero.
//!
//! Outside the cluster (`make run`), [`ManagerOptions::local_webhooks`] (`--webhook-local`)
//! serves the webhooks from this process: the cluster's webhook configurations and CRD
//! conversions point at it from the start of the webhook server until the manager stops,
//! and are put back then, whatever ended the run (see [`crate::webhook::LocalWebhooks`]).
//!
//! The [cache](crate::cache) holds one watch per kind, shared by every controller that
//! reconciles, owns, watches or reads it. Namespaced kinds are watched in the namespaces of
//! `WATCH_NAMESPACE` (a comma list; all namespaces when unset), and cached objects keep only
//! the `metadata.managedFields` entries of server-side applies unless
//! [`ManagerOptions::cache_managed_fields`] is set.
//!
//! ```no_run
//! use clap::Parser;
//! use kubesmith::manager::{Manager, ManagerFlags};
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
//!     // manager.add(my_controller(), MyReconciler)?;
//!     manager.run().await?;
//!     Ok(())
//! }
//! ```

mod election;
mod error;
mod flags;
mod options;
mod servers;

pub use crate::server::tls::TlsFiles;
pub use error::Error;
pub use flags::ManagerFlags;
pub use options::{
    BindAddress, DEFAULT_CERT_NAME, DEFAULT_GRACEFUL_SHUTDOWN_TIMEOUT,
    DEFAULT_HEALTH_PROBE_BIND_ADDRESS, DEFAULT_KEY_NAME, DEFAULT_METRICS_BIND_ADDRESS,
    DEFAULT_SYNC_PERIOD, ManagerOptions, WATCH_NAMESPACE_VAR, parse_watch_namespaces,
    watch_namespaces_from_env,
};

use std::collections::BTreeSet;
use std::future::Future;
use std::sync::Arc;

use kube::Client;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use self::election::Election;
use crate::Kind;
use crate::cache::Cache;
use crate::controller::{Controller, Registration, Start};
use crate::healthz::{CACHES_SYNCED, Probes, Readiness, WEBHOOK_SERVER_STARTED};
use crate::metrics::Metrics;
use crate::rbac::Rule;
use crate::reconcile::{Context, Reconciler};
use crate::webhook::{Conversion, Webhook, WebhookServer};

/// Runs controllers sharing one client and one cache. See the [module docs](self).
pub struct Manager {
    client: Client,
    options: ManagerOptions,
    cache: Cache,
    metrics: Metrics,
    readiness: Readiness,
    probes: Probes,
    identity: String,
    controllers: Vec<Registration>,
    rules: BTreeSet<Rule>,
    webhooks: WebhookServer,
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
        let metrics = Metrics::new();
        Ok(Manager {
            webhooks: WebhookServer::new(client.clone(), metrics.clone()),
            cache: Cache::new(
                client.clone(),
                options.watch_namespaces.clone(),
                !options.cache_managed_fields,
                options.cache_sync_timeout,
            ),
            client,
            options,
            metrics,
            readiness: Readiness::default(),
            probes: Probes::default(),
            identity: crate::leader_election::default_identity(),
            controllers: Vec::new(),
            rules: BTreeSet::new(),
        })
    }

    /// Registers `controller`, reconciled by `reconciler`; it runs with the manager.
    ///
    /// Fails when a controller of the same name exists, or when the controller watches a kind
    /// that another declaration already watches with a different selection.
    pub fn add<K: Kind, R: Reconciler<K>>(
        &mut self,
        controller: Controller<K>,
        reconciler: R,
    ) -> Result<(), Error> {
        let name = controller.name();
        if self.controllers.iter().any(|c| c.name == name) {
            return Err(Error::DuplicateController(name));
        }
        let registration = controller.register(reconciler, &self.cache)?;
        self.metrics
            .controller(&registration.name)
            .register(registration.max_concurrent);
        self.rules.extend(registration.rules.iter().cloned());
        self.controllers.push(registration);
        Ok(())
    }

    /// Registers the admission webhooks of `K`; the manager serves them (see
    /// [`crate::webhook`]). Fails when a webhook of the same path is registered.
    pub fn add_webhook<K: Kind + serde::Serialize>(
        &mut self,
        webhook: Webhook<K>,
    ) -> Result<(), Error> {
        Ok(self.webhooks.add_webhook(webhook)?)
    }

    /// Registers the conversion of a Kind through its hub `H`; served at `/convert`. Fails
    /// when the Kind already has a hub, or a spoke is not a version of it.
    pub fn add_conversion<H>(&mut self, conversion: Conversion<H>) -> Result<(), Error>
    where
        H: Kind + serde::Serialize + serde::de::DeserializeOwned,
    {
        Ok(self.webhooks.add_conversion(conversion)?)
    }

    /// Adds a liveness check served by the probe server (controller-runtime's
    /// `AddHealthzCheck`): `/healthz` answers 500 while any health check fails, and
    /// `/healthz/<name>` runs this one. See [`crate::healthz`].
    ///
    /// Fails when `name` is empty, contains `/`, or names a health check already added.
    ///
    /// ```no_run
    /// # async fn example(client: kube::Client) -> Result<(), kubesmith::manager::Error> {
    /// use kubesmith::healthz;
    /// use kubesmith::manager::{Manager, ManagerOptions};
    /// let mut manager = Manager::new(client, ManagerOptions::default())?;
    /// manager.add_healthz_check("ping", healthz::ping)?;
    /// # Ok(()) }
    /// ```
    pub fn add_healthz_check(
        &mut self,
        name: &str,
        check: impl Fn() -> Result<(), String> + Send + Sync + 'static,
    ) -> Result<(), Error> {
        Ok(self.probes.healthz.add(name, Arc::new(check))?)
    }

    /// Adds a readiness check served by the probe server (controller-runtime's
    /// `AddReadyzCheck`): `/readyz` answers 500 while any readiness check fails (as well as
    /// before the caches have synced), and `/readyz/<name>` runs this one. See
    /// [`crate::healthz`].
    ///
    /// Fails when `name` is empty, contains `/`, or names a readiness check already added.
    ///
    /// ```no_run
    /// # async fn example(client: kube::Client) -> Result<(), kubesmith::manager::Error> {
    /// use std::sync::Arc;
    /// use std::sync::atomic::{AtomicBool, Ordering};
    /// use kubesmith::manager::{Manager, ManagerOptions};
    /// let mut manager = Manager::new(client, ManagerOptions::default())?;
    /// let connected = Arc::new(AtomicBool::new(false));
    /// let flag = Arc::clone(&connected);
    /// manager.add_readyz_check("upstream", move || {
    ///     if flag.load(Ordering::Relaxed) {
    ///         Ok(())
    ///     } else {
    ///         Err("not connected to the upstream service yet".to_string())
    ///     }
    /// })?;
    /// // A task of yours sets `connected` once the upstream answers.
    /// # Ok(()) }
    /// ```
    pub fn add_readyz_check(
        &mut self,
        name: &str,
        check: impl Fn() -> Result<(), String> + Send + Sync + 'static,
    ) -> Result<(), Error> {
        Ok(self.probes.readyz.add(name, Arc::new(check))?)
    }

    /// Registers a field index on `K` in the manager's cache (see [`Cache::index_field`]).
    pub fn index_field<K: Kind>(
        &mut self,
        name: &str,
        function: impl Fn(&K) -> Vec<String> + Send + Sync + 'static,
    ) -> Result<(), Error> {
        Ok(self.cache.index_field(name, function)?)
    }

    /// The manager's client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The manager's cache, shared by its controllers.
    pub fn cache(&self) -> &Cache {
        &self.cache
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
            rules.extend(crate::metrics::server::rbac_rules());
        }
        if let Some(certificates) = &self.options.self_managed_certificates {
            rules.extend(certificates.rbac_rules());
        }
        rules
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
            cache,
            metrics,
            readiness,
            probes,
            identity,
            controllers,
            webhooks,
            ..
        } = self;
        readiness.wait_for(CACHES_SYNCED);
        if !webhooks.is_empty() {
            readiness.wait_for(WEBHOOK_SERVER_STARTED);
        }
        let (stop_servers, servers_stopped) = watch::channel(false);
        servers::start_servers(
            &client,
            &options,
            &metrics,
            &readiness,
            probes,
            &servers_stopped,
        )
        .await?;
        let webhook_serving =
            servers::start_webhook_server(webhooks, &client, &options, &servers_stopped).await?;
        readiness.passed(WEBHOOK_SERVER_STARTED);

        let synced = cache.start();
        let (open_gate, gate) = watch::channel(false);
        let mut stops = Vec::new();
        let mut running = Vec::new();
        for registered in controllers {
            let (stop, stopped) = futures::channel::oneshot::channel();
            stops.push(stop);
            let recorder = crate::events::recorder(client.clone(), &registered.name, &identity);
            let start = Start {
                context: Context::new(client.clone(), cache.clone(), recorder, &registered.name),
                metrics: metrics.controller(&registered.name),
                gate: gate.clone(),
                shutdown: stopped,
                sync_period: options.sync_period,
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
        cache.stop();
        webhook_serving.stop().await;
        let _ = stop_servers.send(true);
        match (outcome.error, finished) {
            (Some(error), _) => Err(error),
            (None, Err(_)) => Err(Error::GracefulShutdownTimeout(grace)),
            (None, Ok(_)) => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use k8s_openapi::api::apps::v1::Deployment;
    use k8s_openapi::api::core::v1::{ConfigMap, Secret};

    use super::*;
    use crate::cache::{CacheError, Selection};
    use crate::controller::{rules_for, rules_owns};
    use crate::healthz::CheckError;
    use crate::reconcile::{Action, ReconcileError};

    struct Noop;

    impl Reconciler<Deployment> for Noop {
        async fn reconcile(
            &self,
            _: Arc<Deployment>,
            _: &Context,
        ) -> Result<Action, ReconcileError> {
            Ok(Action::await_change())
        }
    }

    /// A manager whose client points nowhere: nothing here talks to a server.
    fn manager() -> Manager {
        let config = kube::Config::new("https://127.0.0.1:1".parse().expect("url"));
        let client = Client::try_from(config).expect("client");
        let options = ManagerOptions {
            metrics_secure: false,
            watch_namespaces: vec!["default".into()],
            ..ManagerOptions::default()
        };
        Manager::new(client, options).expect("manager")
    }

    #[tokio::test]
    async fn controllers_share_one_watch_per_kind_and_contribute_their_rules() {
        let mut manager = manager();
        manager
            .add(Controller::<Deployment>::new().owns::<ConfigMap>(), Noop)
            .expect("first");
        manager
            .add(
                Controller::<Deployment>::new()
                    .owns::<ConfigMap>()
                    .reads::<Secret>()
                    .named("second"),
                Noop,
            )
            .expect("second");
        assert_eq!(
            manager.cache().len(),
            3,
            "Deployments, ConfigMaps and Secrets are watched once each"
        );
        let mut expected = rules_for::<Deployment>();
        expected.extend(rules_owns::<Deployment, ConfigMap>());
        expected.extend(crate::controller::rules_watches::<Secret>());
        expected.sort();
        expected.dedup();
        assert_eq!(manager.rbac_rules(), expected);
    }

    #[tokio::test]
    async fn duplicate_names_and_conflicting_selections_are_refused() {
        let mut manager = manager();
        manager
            .add(Controller::<Deployment>::new(), Noop)
            .expect("first");
        let duplicate = manager.add(Controller::<Deployment>::new(), Noop);
        assert!(matches!(duplicate, Err(Error::DuplicateController(name)) if name == "deployment"));
        let conflicting = manager.add(
            Controller::<Deployment>::new()
                .selection(Selection::default().labels("team=a"))
                .named("team-a"),
            Noop,
        );
        assert!(
            matches!(
                conflicting,
                Err(Error::Cache(CacheError::ConflictingWatch { ref kind, .. })) if kind == "Deployment"
            ),
            "{conflicting:?}"
        );
        manager
            .index_field::<ConfigMap>("data.key", |cm| {
                cm.data.iter().flatten().map(|(k, _)| k.clone()).collect()
            })
            .expect("index before start");
        let again = manager.index_field::<ConfigMap>("data.key", |_| Vec::new());
        assert!(matches!(
            again,
            Err(Error::Cache(CacheError::IndexRegistration { .. }))
        ));
    }

    #[tokio::test]
    async fn probe_checks_need_a_name_unique_per_endpoint() {
        let mut manager = manager();
        manager
            .add_healthz_check("ping", crate::healthz::ping)
            .expect("health check");
        manager
            .add_readyz_check("ping", crate::healthz::ping)
            .expect("a readiness check may share a health check's name");
        let duplicate = manager.add_healthz_check("ping", || Err("never".into()));
        assert!(
            matches!(
                &duplicate,
                Err(Error::HealthCheck(CheckError::DuplicateName { endpoint: "healthz", name })) if name == "ping"
            ),
            "{duplicate:?}"
        );
        let message = duplicate.expect_err("duplicate").to_string();
        assert!(
            message.contains("\"ping\"") && message.contains("its own name"),
            "{message}"
        );
        let empty = manager.add_readyz_check("", crate::healthz::ping);
        assert!(
            matches!(
                empty,
                Err(Error::HealthCheck(CheckError::EmptyName {
                    endpoint: "readyz"
                }))
            ),
            "{empty:?}"
        );
    }
}
