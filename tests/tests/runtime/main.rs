//! kubesmith's runtime (manager, controller builder, reconcile loop, metrics, probes, logs) on a
//! real control plane. Each test runs its own manager watching its own namespace.

mod cached_reads;
mod generated_rbac;
mod helpers;
mod http;
mod logs;
mod loop_semantics;
mod metrics;
mod namespaces;
mod operand;
mod outage;
mod owned;
mod requests;
mod watch_scope;

use std::collections::{HashMap, HashSet, VecDeque};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use greeting_operator::api::{Greeting, GreetingSpec};
use kube::api::PostParams;
use kube::{Api, Client, CustomResourceExt, ResourceExt};
use kubesmith::envtest::{Environment, SharedEnvironment, TestManager};
use kubesmith::manager::{BindAddress, Manager, ManagerOptions};
use kubesmith::reconcile::{Action, Context, ReconcileError, Reconciler};

static SHARED: SharedEnvironment =
    SharedEnvironment::new(|| Environment::builder().crd(Greeting::crd()));

async fn shared() -> &'static Environment {
    match SHARED.get().await {
        Ok(env) => env,
        Err(error) => panic!("no test control plane: {error}"),
    }
}

/// A free loopback address for a server of the manager.
fn free_address() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("address")
}

/// Options of a test manager: plain-HTTP metrics and probes on free ports, watching `namespace`.
fn options(namespace: &str) -> (ManagerOptions, SocketAddr, SocketAddr) {
    let (probes, metrics) = (free_address(), free_address());
    let options = ManagerOptions {
        health_probe_bind_address: BindAddress::Address(probes),
        metrics_bind_address: BindAddress::Address(metrics),
        metrics_secure: false,
        watch_namespaces: vec![namespace.to_string()],
        graceful_shutdown_timeout: Duration::from_secs(5),
        ..ManagerOptions::default()
    };
    (options, probes, metrics)
}

/// The sample Greeting controller on a kubesmith manager watching `namespace`.
fn run_sample(client: &Client, namespace: &str) -> TestManager {
    let (options, _, _) = options(namespace);
    let mut manager = Manager::new(client.clone(), options).expect("manager");
    kubesmith_e2e::managed::register(&mut manager, Default::default(), 1).expect("controller");
    TestManager::start(manager)
}

async fn create_greeting(client: &Client, namespace: &str, name: &str, message: &str) -> Greeting {
    Api::<Greeting>::namespaced(client.clone(), namespace)
        .create(
            &PostParams::default(),
            &Greeting::new(
                name,
                GreetingSpec {
                    message: message.into(),
                },
            ),
        )
        .await
        .expect("create Greeting")
}

/// The least time [`eventually`] waits: what usually takes milliseconds can take seconds on
/// a machine busy with other builds.
const LEAST_WAIT: Duration = Duration::from_secs(60);

/// Polls `check` every 50 ms until it returns `Some`, failing after `timeout` (at least
/// [`LEAST_WAIT`], scaled by [`kubesmith_e2e::machine::timeout`]).
async fn eventually<T, F, Fut>(timeout: Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let timeout = kubesmith_e2e::machine::timeout(timeout.max(LEAST_WAIT));
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// What reconciles saw, in order, shared between a reconciler and its test.
#[derive(Debug)]
struct Sightings<T>(Arc<Mutex<Vec<T>>>);

impl<T> Clone for Sightings<T> {
    fn clone(&self) -> Self {
        Sightings(Arc::clone(&self.0))
    }
}

impl<T> Default for Sightings<T> {
    fn default() -> Self {
        Sightings(Arc::default())
    }
}

impl<T: Clone> Sightings<T> {
    fn record(&self, seen: T) {
        self.0.lock().expect("lock").push(seen);
    }

    /// The latest sighting that `matches`.
    fn latest(&self, matches: impl Fn(&T) -> bool) -> Option<T> {
        let seen = self.0.lock().expect("lock");
        seen.iter().rev().find(|s| matches(s)).cloned()
    }

    fn count(&self) -> usize {
        self.0.lock().expect("lock").len()
    }
}

/// What a [`Scripted`] reconcile does.
#[derive(Debug, Clone, Copy)]
enum Step {
    Fail,
    Terminal,
    Panic,
    Hang,
    RequeueAfter(Duration),
}

/// A reconciler that follows a script per object name (success once the script is empty)
/// and records every attempt.
#[derive(Clone, Default)]
struct Scripted {
    script: Arc<Mutex<HashMap<String, VecDeque<Step>>>>,
    attempts: Arc<Mutex<HashMap<String, Vec<Instant>>>>,
    in_flight: Arc<Mutex<HashSet<String>>>,
    most_in_flight: Arc<Mutex<usize>>,
    overlaps: Arc<Mutex<Vec<String>>>,
    hold: Duration,
}

impl Scripted {
    fn script(&self, name: &str, steps: &[Step]) {
        self.script
            .lock()
            .expect("lock")
            .entry(name.to_string())
            .or_default()
            .extend(steps.iter().copied());
    }

    fn attempts(&self, name: &str) -> Vec<Instant> {
        self.attempts
            .lock()
            .expect("lock")
            .get(name)
            .cloned()
            .unwrap_or_default()
    }
}

impl Reconciler<Greeting> for Scripted {
    async fn reconcile(
        &self,
        greeting: Arc<Greeting>,
        _ctx: &Context,
    ) -> Result<Action, ReconcileError> {
        let name = greeting.name_any();
        self.attempts
            .lock()
            .expect("lock")
            .entry(name.clone())
            .or_default()
            .push(Instant::now());
        {
            let mut in_flight = self.in_flight.lock().expect("lock");
            if !in_flight.insert(name.clone()) {
                self.overlaps.lock().expect("lock").push(name.clone());
            }
            let mut most = self.most_in_flight.lock().expect("lock");
            *most = (*most).max(in_flight.len());
        }
        tokio::time::sleep(self.hold).await;
        self.in_flight.lock().expect("lock").remove(&name);
        let step = self
            .script
            .lock()
            .expect("lock")
            .get_mut(&name)
            .and_then(VecDeque::pop_front);
        match step {
            None => Ok(Action::await_change()),
            Some(Step::Fail) => Err(ReconcileError::retry("scripted failure")),
            Some(Step::Terminal) => Err(ReconcileError::terminal("scripted terminal failure")),
            Some(Step::Panic) => panic!("scripted panic"),
            Some(Step::Hang) => {
                tokio::time::sleep(Duration::from_secs(3600)).await;
                Ok(Action::await_change())
            }
            Some(Step::RequeueAfter(delay)) => Ok(Action::requeue_after(delay)),
        }
    }
}
