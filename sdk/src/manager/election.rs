//! Waiting for the caches, winning and holding the lease, and opening the gate to the controllers.

use futures::future::BoxFuture;
use kube::Client;
use std::future::Future;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::error::Error;
use super::options::ManagerOptions;
use crate::healthz::Readiness;
use crate::leader_election::{LeaderElectionConfig, LeaseLock};
use crate::metrics::Metrics;

/// Where a pod finds its namespace (the default namespace of the leader-election lease).
const POD_NAMESPACE_FILE: &str = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";

/// What deciding and holding leadership needs from the manager.
pub(super) struct Election {
    pub(super) client: Client,
    pub(super) options: ManagerOptions,
    pub(super) metrics: Metrics,
    pub(super) readiness: Readiness,
    pub(super) identity: String,
    pub(super) kinds: usize,
}

impl Election {
    /// Waits for the caches, takes the lease, opens the gate, and waits for shutdown or a lost lease.
    pub(super) async fn lead(
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
            _ = synced => self.readiness.passed(crate::healthz::CACHES_SYNCED),
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

pub(super) struct Outcome {
    /// The lease, while still held.
    pub(super) leadership: Option<LeaseLock>,
    pub(super) error: Option<Error>,
}
