//! Tests on a real one-node cluster (`kubesmith_e2e::node::Cluster`): kubelet, containerd,
//! kube-proxy and the control plane on this machine, as root.
//!
//! One cluster serves every test: it starts before the first test that runs (not at all when
//! every test is filtered out), the tests run one after another, and the last test,
//! `stopping_the_cluster_restores_the_host`, stops it and compares the host with a snapshot
//! taken before the start. The cluster is also stopped when a test panics, and when that last
//! test is filtered out. The report is cargo's usual one (`test result: ok. N passed; …`).
//!
//! To add a test, write `async fn my_behaviour(cluster: &Cluster) -> anyhow::Result<()>` in a
//! module here and add `node_test!(module::my_behaviour)` to [`TESTS`].
//!
//! Without root or the packages (and outside CI), every test says what is missing and passes
//! without running; under `CI=true` they fail.

mod operator;
mod smoke;
mod workloads;

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};

use kubesmith_e2e::node::Cluster;
use kubesmith_e2e::node::prerequisites::require_root;
use kubesmith_e2e::node::snapshot::HostSnapshot;
use kubesmith_e2e::prerequisite::{Missing, require};
use libtest_mimic::{Arguments, Failed, Trial};

/// A node test's body.
type NodeTestFn = for<'a> fn(&'a Cluster) -> Pin<Box<dyn Future<Output = anyhow::Result<()>> + 'a>>;

/// `(name, body)` of a test in [`TESTS`], from the path of an async function taking the cluster.
macro_rules! node_test {
    ($($path:ident)::+) => {{
        fn body(cluster: &Cluster) -> Pin<Box<dyn Future<Output = anyhow::Result<()>> + '_>> {
            Box::pin($($path)::+(cluster))
        }
        (stringify!($($path)::+), body as NodeTestFn)
    }};
}

/// Every node test, run in this order.
const TESTS: &[(&str, NodeTestFn)] = &[
    node_test!(smoke::restricted_deployment_becomes_ready_behind_its_readiness_probe),
    node_test!(smoke::failing_readiness_probe_keeps_the_endpoint_not_ready),
    node_test!(smoke::cluster_ip_answers_from_the_host_and_from_another_pod),
    node_test!(smoke::projected_service_account_token_is_accepted_at_the_service_address),
    node_test!(smoke::deleting_a_namespace_completes),
    node_test!(operator::golden_project_passes_its_own_make_test_e2e),
    node_test!(operator::self_managed_project_passes_its_own_make_test_e2e_without_cert_manager),
    node_test!(operator::a_killed_leader_is_replaced_and_make_undeploy_leaves_nothing),
];

/// The test that stops the cluster and compares the host with how it was before.
const RESTORE_TEST: &str = "stopping_the_cluster_restores_the_host";

/// The cluster shared by the tests, and the host as it was before it started.
enum Session {
    /// No test has asked for the cluster yet.
    NotStarted,
    /// Running, with the snapshot taken before the start.
    Running(Arc<Cluster>, HostSnapshot),
    /// The machine cannot run a node.
    Missing(Missing),
    /// Starting failed; every test fails with this message.
    Failed(String),
    /// Stopped by the restore test.
    Stopped,
}

static SESSION: Mutex<Session> = Mutex::new(Session::NotStarted);

fn main() -> std::process::ExitCode {
    // This executable is also the cluster's watchdog (restoring the host if the tests die).
    kubesmith_e2e::node::watchdog::serve_if_requested();
    let mut args = Arguments::from_args();
    // One cluster, one test at a time (and on the main thread).
    args.test_threads = Some(1);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("node tests: no tokio runtime: {error}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let runtime = Arc::new(runtime);
    let mut trials: Vec<Trial> = TESTS
        .iter()
        .map(|(name, body)| {
            let (name, body, runtime) = (*name, *body, runtime.clone());
            let short = name.rsplit("::").next().unwrap_or(name).trim();
            Trial::test(short, move || {
                let start = std::time::Instant::now();
                let result = runtime.block_on(run_on_cluster(short, body));
                // Where a run's time goes, beside cargo's result.
                eprint!("[{:.0} s] ", start.elapsed().as_secs_f64());
                result
            })
        })
        .collect();
    let restore_runtime = runtime.clone();
    trials.push(Trial::test(RESTORE_TEST, move || {
        restore_runtime.block_on(stop_and_compare())
    }));
    let conclusion = libtest_mimic::run(&args, trials);
    // A test that panicked or the restore test being filtered out leaves the cluster running.
    let left = std::mem::replace(&mut *session(), Session::Stopped);
    if let Session::Running(cluster, _) = left
        && let Err(error) = stop(cluster)
    {
        eprintln!("node tests: stopping the cluster failed: {error:#}");
        return std::process::ExitCode::FAILURE;
    }
    conclusion.exit_code()
}

fn session() -> MutexGuard<'static, Session> {
    SESSION
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Runs `body` on the shared cluster, starting it first when needed.
async fn run_on_cluster(name: &str, body: NodeTestFn) -> Result<(), Failed> {
    match started().await {
        Session::Running(cluster, _) => body(&cluster).await.map_err(|error| {
            Failed::from(format!(
                "{error:#}\n\ncluster logs:\n{}",
                cluster.diagnostics()
            ))
        }),
        Session::Missing(missing) => {
            require(name, Err::<(), _>(missing));
            Ok(())
        }
        Session::Failed(message) => Err(Failed::from(message)),
        Session::Stopped | Session::NotStarted => {
            Err(Failed::from("the cluster was stopped before this test"))
        }
    }
}

/// Stops the cluster (starting it when no test did) and compares the host with its snapshot.
async fn stop_and_compare() -> Result<(), Failed> {
    started().await;
    match std::mem::replace(&mut *session(), Session::Stopped) {
        Session::Running(cluster, before) => {
            stop(cluster).map_err(|error| Failed::from(format!("{error:#}")))?;
            let after =
                HostSnapshot::capture().map_err(|error| Failed::from(format!("{error:#}")))?;
            let differences = after.differences_from(&before);
            if differences.is_empty() {
                Ok(())
            } else {
                Err(Failed::from(format!(
                    "the host differs from before the cluster started:\n{}",
                    differences.join("\n")
                )))
            }
        }
        Session::Missing(missing) => {
            require(RESTORE_TEST, Err::<(), _>(missing));
            Ok(())
        }
        Session::Failed(message) => Err(Failed::from(message)),
        Session::Stopped | Session::NotStarted => {
            Err(Failed::from("the cluster was stopped before this test"))
        }
    }
}

/// Stops the cluster once no test holds it any more.
fn stop(cluster: Arc<Cluster>) -> anyhow::Result<()> {
    match Arc::try_unwrap(cluster) {
        Ok(cluster) => cluster.stop(),
        // Unreachable with tests run one at a time; dropping the last holder stops it.
        Err(_) => anyhow::bail!("the cluster is still in use"),
    }
}

/// The session, after starting the cluster if no test has yet (the lock is not held while
/// tests run, so a panicking test does not poison it for the others).
async fn started() -> Session {
    if matches!(*session(), Session::NotStarted) {
        let outcome = start().await;
        *session() = outcome;
    }
    session().clone_for_test()
}

async fn start() -> Session {
    let missing_or_failed = |error: anyhow::Error, what: &str| match error.downcast::<Missing>() {
        Ok(missing) => Session::Missing(missing),
        Err(error) => Session::Failed(format!("{what}: {error:#}")),
    };
    if let Err(missing) = require_root() {
        return Session::Missing(missing);
    }
    // The picture of the host must not include what a crashed earlier run left.
    if let Err(error) = kubesmith_e2e::node::recover_host() {
        return Session::Failed(format!(
            "restoring the host after an earlier run: {error:#}"
        ));
    }
    let before = match HostSnapshot::capture() {
        Ok(snapshot) => snapshot,
        Err(error) => return missing_or_failed(error, "a snapshot of the host"),
    };
    match Cluster::start().await {
        Ok(cluster) => Session::Running(Arc::new(cluster), before),
        Err(error) => missing_or_failed(error, "starting the cluster"),
    }
}

impl Session {
    /// A copy for one test: the cluster shared, the rest cloned.
    fn clone_for_test(&self) -> Session {
        match self {
            Session::NotStarted => Session::NotStarted,
            Session::Running(cluster, before) => Session::Running(cluster.clone(), before.clone()),
            Session::Missing(missing) => Session::Missing(missing.clone()),
            Session::Failed(message) => Session::Failed(message.clone()),
            Session::Stopped => Session::Stopped,
        }
    }
}
