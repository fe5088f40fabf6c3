//! [`TestManager`]: a manager running in the background of a test.

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::manager::{self, BindAddress, Manager, ManagerOptions};

use super::environment::Environment;

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
}

impl TestManager {
    /// Runs `manager` on a task of its own.
    pub fn start(manager: Manager) -> Self {
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(manager.run_until(async move {
            let _ = stopped.await;
        }));
        TestManager {
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// Stops the manager gracefully and returns how its run ended.
    pub async fn stop(mut self) -> Result<(), manager::Error> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.task.take() {
            Some(task) => task.await.unwrap_or_else(|error| {
                // The task panicked or was cancelled: that is the test's failure.
                std::panic::resume_unwind(error.into_panic())
            }),
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
}
