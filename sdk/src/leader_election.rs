//! Leader election on a `coordination.k8s.io/v1` Lease, with client-go's timings.
//!
//! A candidate tries to take the lease every [retry period](DEFAULT_RETRY_PERIOD). It may take
//! it when nobody holds it, or when the holder's record has not changed for the lease duration
//! as observed by the candidate's own clock (so clock skew between machines does not matter).
//! The leader renews every retry period; when it cannot renew for the
//! [renew deadline](DEFAULT_RENEW_DEADLINE) it has lost the lease and must stop. A leader that
//! shuts down may release the lease, so a candidate takes over at its next retry.
//!
//! The [`Manager`](crate::manager::Manager) runs this for you with `--leader-elect`.

use std::time::{Duration, Instant};

use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime;
use k8s_openapi::jiff::Timestamp;
use kube::api::PostParams;
use kube::{Api, Client};

use crate::rbac::Rule;

/// How long a lease is valid after its holder last renewed it.
pub const DEFAULT_LEASE_DURATION: Duration = Duration::from_secs(15);
/// How long the leader keeps trying to renew before it gives up leadership.
pub const DEFAULT_RENEW_DEADLINE: Duration = Duration::from_secs(10);
/// How often candidates try to acquire, and the leader to renew.
pub const DEFAULT_RETRY_PERIOD: Duration = Duration::from_secs(2);

/// Errors of leader election.
#[derive(Debug, thiserror::Error)]
pub enum LeaderElectionError {
    /// The lease was not renewed within the renew deadline, or another candidate took it.
    #[error("lost the lease {namespace}/{name}: {reason}")]
    Lost {
        /// Namespace of the lease.
        namespace: String,
        /// Name of the lease.
        name: String,
        /// What happened.
        reason: String,
    },
    /// A request about the lease failed.
    #[error("lease request failed: {0}")]
    Kube(#[from] kube::Error),
}

/// Where the lease lives, who we are and the timings.
#[derive(Debug, Clone)]
pub struct LeaderElectionConfig {
    /// Name of the Lease object.
    pub name: String,
    /// Namespace of the Lease object.
    pub namespace: String,
    /// This candidate's identity (default: [`default_identity`]).
    pub identity: String,
    /// Lease duration (default 15 s).
    pub lease_duration: Duration,
    /// Renew deadline (default 10 s).
    pub renew_deadline: Duration,
    /// Retry period (default 2 s).
    pub retry_period: Duration,
}

impl LeaderElectionConfig {
    /// A configuration for the lease `namespace/name` with the default identity and timings.
    pub fn new(name: &str, namespace: &str) -> Self {
        LeaderElectionConfig {
            name: name.to_string(),
            namespace: namespace.to_string(),
            identity: default_identity(),
            lease_duration: DEFAULT_LEASE_DURATION,
            renew_deadline: DEFAULT_RENEW_DEADLINE,
            retry_period: DEFAULT_RETRY_PERIOD,
        }
    }
}

/// `<hostname>_<uuid>`: unique per process, readable in `kubectl get lease`.
pub fn default_identity() -> String {
    let host = hostname::get()
        .map(|h| h.to_string_lossy().into_owned())
        .unwrap_or_else(|_| "unknown".to_string());
    format!("{host}_{}", uuid::Uuid::new_v4())
}

/// The RBAC rules of the leader-election role: read, create and update the Lease (nothing
/// else is sent: no list, watch, patch or delete, and no events).
pub fn rbac_rules() -> Vec<Rule> {
    vec![Rule::new(
        &["coordination.k8s.io"],
        &["leases"],
        &["get", "create", "update"],
    )]
}

/// One candidate for a lease.
pub struct LeaseLock {
    api: Api<Lease>,
    config: LeaderElectionConfig,
    /// The holder and renew time last seen, and when this process saw them change.
    observed: Option<(Option<String>, Option<MicroTime>, i32, Instant)>,
}

impl LeaseLock {
    /// A candidate using `client`.
    pub fn new(client: Client, config: LeaderElectionConfig) -> Self {
        LeaseLock {
            api: Api::namespaced(client, &config.namespace),
            config,
            observed: None,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &LeaderElectionConfig {
        &self.config
    }

    /// Waits until this candidate holds the lease.
    pub async fn acquire(&mut self) {
        loop {
            match self.try_acquire_or_renew().await {
                Ok(true) => {
                    tracing::info!(lease = %self.config.name, identity = %self.config.identity, "acquired the lease");
                    return;
                }
                Ok(false) => {}
                Err(error) => tracing::warn!(%error, "could not read or take the lease"),
            }
            tokio::time::sleep(self.config.retry_period).await;
        }
    }

    /// Renews the lease every retry period; returns once a renewal did not succeed within the
    /// renew deadline (leadership is lost).
    pub async fn hold(&mut self) -> LeaderElectionError {
        let mut last_renewed = Instant::now();
        loop {
            tokio::time::sleep(self.config.retry_period).await;
            let deadline = last_renewed + self.config.renew_deadline;
            let attempt =
                tokio::time::timeout_at(deadline.into(), self.try_acquire_or_renew()).await;
            match attempt {
                Ok(Ok(true)) => last_renewed = Instant::now(),
                Ok(Ok(false)) => {
                    let holder = self
                        .observed
                        .as_ref()
                        .and_then(|(holder, ..)| holder.clone());
                    return self.lost(format!("now held by {}", holder.unwrap_or_default()));
                }
                Ok(Err(error)) => tracing::warn!(%error, "could not renew the lease"),
                Err(_) => tracing::warn!("renewing the lease timed out"),
            }
            if Instant::now() >= last_renewed + self.config.renew_deadline {
                let deadline = self.config.renew_deadline;
                return self.lost(format!(
                    "not renewed within the renew deadline of {deadline:?}"
                ));
            }
        }
    }

    /// Gives the lease up (if still held), so another candidate takes it at its next retry.
    pub async fn release(&mut self) -> Result<(), LeaderElectionError> {
        let Some(mut lease) = self.api.get_opt(&self.config.name).await? else {
            return Ok(());
        };
        let spec = lease.spec.get_or_insert_with(LeaseSpec::default);
        if spec.holder_identity.as_deref() != Some(self.config.identity.as_str()) {
            return Ok(());
        }
        let now = MicroTime(Timestamp::now());
        spec.holder_identity = None;
        spec.lease_duration_seconds = Some(1);
        spec.renew_time = Some(now.clone());
        spec.acquire_time = Some(now);
        self.api
            .replace(&self.config.name, &PostParams::default(), &lease)
            .await?;
        tracing::info!(lease = %self.config.name, "released the lease");
        Ok(())
    }

    fn lost(&self, reason: String) -> LeaderElectionError {
        LeaderElectionError::Lost {
            namespace: self.config.namespace.clone(),
            name: self.config.name.clone(),
            reason,
        }
    }

    /// One attempt to take or renew the lease; `Ok(false)` when another candidate holds it.
    async fn try_acquire_or_renew(&mut self) -> Result<bool, kube::Error> {
        let now = MicroTime(Timestamp::now());
        let lease_seconds = i32::try_from(self.config.lease_duration.as_secs()).unwrap_or(i32::MAX);
        let Some(mut lease) = self.api.get_opt(&self.config.name).await? else {
            let lease = Lease {
                metadata: kube::api::ObjectMeta {
                    name: Some(self.config.name.clone()),
                    ..Default::default()
                },
                spec: Some(LeaseSpec {
                    holder_identity: Some(self.config.identity.clone()),
                    lease_duration_seconds: Some(lease_seconds),
                    acquire_time: Some(now.clone()),
                    renew_time: Some(now),
                    lease_transitions: Some(0),
                    ..Default::default()
                }),
            };
            return match self.api.create(&PostParams::default(), &lease).await {
                Ok(_) => Ok(true),
                Err(kube::Error::Api(status)) if status.code == 409 => Ok(false),
                Err(error) => Err(error),
            };
        };
        let spec = lease.spec.get_or_insert_with(LeaseSpec::default);
        let holder = spec.holder_identity.clone().filter(|h| !h.is_empty());
        let record_duration = spec.lease_duration_seconds.unwrap_or(lease_seconds);
        let changed = match &self.observed {
            Some((h, r, _, _)) => *h != holder || *r != spec.renew_time,
            None => true,
        };
        if changed {
            self.observed = Some((
                holder.clone(),
                spec.renew_time.clone(),
                record_duration,
                Instant::now(),
            ));
        }
        let is_me = holder.as_deref() == Some(self.config.identity.as_str());
        if let (Some(_), false, Some((_, _, duration, seen))) = (&holder, is_me, &self.observed) {
            let valid_for = Duration::from_secs(u64::try_from(*duration).unwrap_or(0));
            if seen.elapsed() < valid_for {
                return Ok(false);
            }
        }
        if !is_me {
            spec.acquire_time = Some(now.clone());
            spec.lease_transitions = Some(spec.lease_transitions.unwrap_or(0).saturating_add(1));
        }
        spec.holder_identity = Some(self.config.identity.clone());
        spec.lease_duration_seconds = Some(lease_seconds);
        spec.renew_time = Some(now);
        match self
            .api
            .replace(&self.config.name, &PostParams::default(), &lease)
            .await
        {
            Ok(stored) => {
                let spec = stored.spec.unwrap_or_default();
                self.observed = Some((
                    spec.holder_identity,
                    spec.renew_time,
                    lease_seconds,
                    Instant::now(),
                ));
                Ok(true)
            }
            Err(kube::Error::Api(status)) if status.code == 409 => Ok(false),
            Err(error) => Err(error),
        }
    }
}
