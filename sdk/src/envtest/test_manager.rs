//! [`TestManager`]: a manager running in the background of a test, and
//! [`Environment::start_operator`], an operator's manager started the way a test needs it.

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::manager::{self, BindAddress, Manager, ManagerOptions};
use crate::metrics::Metrics;
use crate::operator::Operator;

use super::environment::Environment;
use super::error::{Error, Result};
use super::webhooks::{InstalledWebhooks, WebhookInstallOptions};

/// A manager running in the background of a test, from [`TestManager::start`] until
/// [`stop`](Self::stop) (a graceful stop, whose result the test can check) or until it is
/// dropped (the manager's task is aborted, also when the test fails).
///
/// ```no_run
/// use k8s_openapi::api::core::v1::ConfigMap;
/// use kubesmith::controller::Controller;
/// use kubesmith::envtest::{Environment, TestManager};
/// use kubesmith::manager::Manager;
/// # use kubesmith::reconcile::{Action, Context, ReconcileError, Reconciler};
/// # struct Noop;
/// # impl Reconciler<ConfigMap> for Noop {
/// #     async fn reconcile(&self, _: std::sync::Arc<ConfigMap>, _: &Context) -> Result<Action, ReconcileError> { Ok(Action::await_change()) }
/// # }
///
/// # async fn example(env: &Environment) -> Result<(), Box<dyn std::error::Error>> {
/// let mut manager = Manager::new(env.client()?, env.manager_options())?;
/// manager.add(Controller::<ConfigMap>::new(), Noop)?;
/// let running = TestManager::start(manager);
/// // ... create objects, wait for the controller's work ...
/// running.stop().await?;
/// # Ok(()) }
/// ```
pub struct TestManager {
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<Result<(), manager::Error>>>,
    webhooks: Option<(InstalledWebhooks, kube::Client)>,
    metrics: Metrics,
}

impl TestManager {
    /// Runs `manager` on a task of its own.
    pub fn start(manager: Manager) -> Self {
        let metrics = manager.metrics().clone();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(manager.run_until(async move {
            let _ = stopped.await;
        }));
        TestManager {
            stop: Some(stop),
            task: Some(task),
            webhooks: None,
            metrics,
        }
    }

    /// The manager's metrics, to wait for its controllers' work
    /// ([`Metrics::reconciles`]) where the work leaves nothing else to see.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// Stops the manager gracefully and returns how its run ended. Webhook configurations
    /// installed for it by [`Environment::start_operator`] are deleted first.
    pub async fn stop(mut self) -> Result<()> {
        if let Some((webhooks, client)) = self.webhooks.take() {
            webhooks.uninstall(&client).await?;
        }
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.task.take() {
            Some(task) => task
                .await
                .unwrap_or_else(|error| {
                    // The task panicked or was cancelled: that is the test's failure.
                    std::panic::resume_unwind(error.into_panic())
                })
                .map_err(|source| Error::Manager { source }),
            None => Ok(()),
        }
    }
}

impl Drop for TestManager {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

impl Environment {
    /// Options for a manager in a test against this environment: health probes and metrics
    /// off (no ports to pick), no leader election, a 5 s graceful shutdown; the rest default.
    /// Set `watch_namespaces` to confine it to a test's namespace.
    pub fn manager_options(&self) -> ManagerOptions {
        ManagerOptions {
            health_probe_bind_address: BindAddress::Disabled,
            metrics_bind_address: BindAddress::Disabled,
            leader_election: false,
            graceful_shutdown_timeout: std::time::Duration::from_secs(5),
            ..ManagerOptions::default()
        }
    }

    /// Starts `operator` against this environment, as its manager process runs it but with
    /// [`manager_options`](Self::manager_options): every controller, and — when it has any —
    /// its admission webhooks and conversions, installed on this control plane and pointed at
    /// a serving certificate of the test's; returns once the API server can reach them.
    ///
    /// Start one operator with webhooks per environment at a time: the API server calls every
    /// installed configuration (a [`SharedEnvironment`](super::SharedEnvironment) of a test
    /// file with one such test, or one environment per test).
    ///
    /// ```no_run
    /// # use kubesmith::operator::Operator;
    /// # fn operator() -> Operator { Operator::new("tidy", "example.com") }
    /// # async fn example(env: &kubesmith::envtest::Environment) -> kubesmith::envtest::Result<()> {
    /// let running = env.start_operator(operator()).await?;
    /// // ... create objects, wait for the operator's work ...
    /// running.stop().await?;
    /// # Ok(()) }
    /// ```
    pub async fn start_operator(&self, operator: Operator) -> Result<TestManager> {
        let mut options = self.manager_options();
        let client = self.client()?;
        let webhooks =
            if operator.admission_webhooks().is_empty() && operator.conversion_crds().is_empty() {
                None
            } else {
                let install = operator
                    .admission_webhooks()
                    .iter()
                    .fold(WebhookInstallOptions::default(), |install, webhooks| {
                        install.webhook(webhooks.clone())
                    });
                let install = operator
                    .conversion_crds()
                    .iter()
                    .fold(install, |install, crd| install.conversion(crd));
                let installed = self.install_webhooks(&install).await?;
                options.webhook_server = installed.server_options();
                Some(installed)
            };
        let manager = operator
            .manager(client.clone(), options)
            .map_err(|source| Error::Manager { source })?;
        let mut running = TestManager::start(manager);
        if let Some(installed) = webhooks {
            installed.wait_until_reachable().await?;
            running.webhooks = Some((installed, client));
        }
        Ok(running)
    }
}
