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
mod lifecycle;
mod options;
mod servers;

pub use crate::server::tls::TlsFiles;
pub use error::Error;
pub use flags::ManagerFlags;
pub use lifecycle::Manager;
pub use options::{
    BindAddress, DEFAULT_CERT_NAME, DEFAULT_GRACEFUL_SHUTDOWN_TIMEOUT,
    DEFAULT_HEALTH_PROBE_BIND_ADDRESS, DEFAULT_KEY_NAME, DEFAULT_METRICS_BIND_ADDRESS,
    DEFAULT_SYNC_PERIOD, ManagerOptions, WATCH_NAMESPACE_VAR, parse_watch_namespaces,
    watch_namespaces_from_env,
};
