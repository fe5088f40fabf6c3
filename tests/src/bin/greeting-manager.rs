//! The sample operator as a process, for tests and benchmarks that need separate operator
//! processes: `--mode kubesmith` runs it on kubesmith's manager (with the standard manager
//! flags), `--mode kube-runtime` on a plain kube-runtime `Controller`, `--mode floor` sends the
//! fewest requests that converge the Greetings once. The cluster comes from `KUBECONFIG`. The
//! first line on stdout is `IDENTITY <leader-election identity>`.

use std::io::Write;
use std::time::Duration;

use clap::Parser;
use kubesmith::manager::Manager;
use kubesmith::manager::ManagerFlags;
use kubesmith_e2e::managed::{self, SampleReconciler};
use kubesmith_e2e::{floor, peer};

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Mode {
    Kubesmith,
    KubeRuntime,
    Floor,
}

#[derive(Parser)]
struct Args {
    #[command(flatten)]
    manager: ManagerFlags,
    /// Which runtime drives the controller.
    #[arg(long, value_enum, default_value = "kubesmith")]
    mode: Mode,
    /// Name of the leader-election lease.
    #[arg(long, default_value = "greeting-manager.kubesmith.dev")]
    leader_election_id: String,
    /// Namespace of the leader-election lease.
    #[arg(long, default_value = "default")]
    leader_election_namespace: String,
    /// Release the lease on graceful shutdown.
    #[arg(long)]
    release_on_cancel: bool,
    /// Extra milliseconds each reconcile takes.
    #[arg(long, default_value_t = 0)]
    reconcile_delay_ms: u64,
    /// Reconciles running at once (both modes).
    #[arg(long, default_value_t = 1)]
    max_concurrent_reconciles: u16,
    /// Keep managedFields in kubesmith's cache.
    #[arg(long)]
    cache_managed_fields: bool,
    /// Graceful shutdown timeout in seconds.
    #[arg(long, default_value_t = 30)]
    graceful_shutdown_seconds: u64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    args.manager.logging.init()?;
    let client = kube::Client::try_default().await?;
    match args.mode {
        Mode::Floor => {
            let namespace = kubesmith::manager::watch_namespaces_from_env()
                .into_iter()
                .next()
                .ok_or_else(|| anyhow::anyhow!("the floor mode needs WATCH_NAMESPACE"))?;
            announce("floor")?;
            let concurrency = usize::from(args.max_concurrent_reconciles);
            let failed = floor::converge_all(client, &namespace, concurrency).await?;
            anyhow::ensure!(failed == 0, "{failed} Greetings failed to converge");
            // Stay alive like an operator until the benchmark stops the process.
            std::future::pending::<()>().await;
            Ok(())
        }
        Mode::KubeRuntime => {
            let namespaces = kubesmith::manager::watch_namespaces_from_env();
            anyhow::ensure!(
                namespaces.len() <= 1,
                "the kube-runtime mode watches one namespace or all"
            );
            let namespace = namespaces.into_iter().next();
            announce("kube-runtime")?;
            let mut terminate =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
            tokio::select! {
                _ = peer::run_controller(client, namespace.as_deref(), args.max_concurrent_reconciles) => {}
                _ = terminate.recv() => {}
            }
            Ok(())
        }
        Mode::Kubesmith => {
            let mut options = args.manager.manager_options()?;
            options.leader_election_id = args.leader_election_id;
            options.leader_election_namespace = Some(args.leader_election_namespace);
            options.leader_election_release_on_cancel = args.release_on_cancel;
            options.graceful_shutdown_timeout = Duration::from_secs(args.graceful_shutdown_seconds);
            options.cache_managed_fields = args.cache_managed_fields;
            let mut manager = Manager::new(client, options)?;
            let identity = manager.identity().to_string();
            let reconciler = SampleReconciler {
                reconciled_by: Some(identity.clone()),
                delay: Duration::from_millis(args.reconcile_delay_ms),
            };
            managed::register(&mut manager, reconciler, args.max_concurrent_reconciles)?;
            announce(&identity)?;
            manager.run().await?;
            tracing::info!("manager stopped");
            Ok(())
        }
    }
}

fn announce(identity: &str) -> std::io::Result<()> {
    let mut stdout = std::io::stdout();
    writeln!(stdout, "IDENTITY {identity}")?;
    stdout.flush()
}
