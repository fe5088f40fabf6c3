//! Leader election, graceful shutdown and lease loss with real operator processes
//! (`greeting-manager`) against one control plane.

use std::process::{ExitStatus, Stdio};
use std::time::{Duration, Instant};

use greeting_operator::api::{Greeting, GreetingSpec};
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::ConfigMap;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime;
use k8s_openapi::jiff::Timestamp;
use kube::api::{Patch, PatchParams, PostParams};
use kube::{Api, Client, CustomResourceExt};
use kubesmith::envtest::{Environment, SharedEnvironment};
use kubesmith_e2e::machine::{deadline, timeout};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, Command};

static SHARED: SharedEnvironment =
    SharedEnvironment::new(|| Environment::builder().crd(Greeting::crd()));

/// Lease duration and retry period of the operators (the defaults).
const LEASE_DURATION: Duration = Duration::from_secs(15);
const RETRY_PERIOD: Duration = Duration::from_secs(2);
const LEASE: &str = "greeting-manager.kubesmith.dev";

async fn shared() -> &'static Environment {
    match SHARED.get().await {
        Ok(env) => env,
        Err(error) => panic!("no test control plane: {error}"),
    }
}

struct Operator {
    child: Child,
    identity: String,
    /// Plain-HTTP metrics port.
    metrics_port: u16,
}

impl Operator {
    async fn spawn(env: &Environment, namespace: &str, args: &[&str]) -> Operator {
        let kubeconfig = env.kubeconfig_path().expect("envtest writes a kubeconfig");
        let metrics_port = free_port();
        let mut child = Command::new(env!("CARGO_BIN_EXE_greeting-manager"))
            .env("KUBECONFIG", kubeconfig)
            .env("WATCH_NAMESPACE", namespace)
            .args([
                "--metrics-secure=false",
                // Lease and lifecycle lines for a failure's diagnosis, not the debug stream.
                "--zap-log-level=info",
                "--leader-election-namespace",
                namespace,
            ])
            .arg(format!("--metrics-bind-address=127.0.0.1:{metrics_port}"))
            .args(args)
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("start greeting-manager");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .await
            .expect("read identity");
        let identity = line
            .trim()
            .strip_prefix("IDENTITY ")
            .expect("IDENTITY line")
            .to_string();
        Operator {
            child,
            identity,
            metrics_port,
        }
    }

    fn signal(&self, signal: i32) {
        let pid = self.child.id().expect("running") as i32;
        // SAFETY: kill(2) with a pid this test spawned and a valid signal number.
        let status = unsafe { libc::kill(pid, signal) };
        assert_eq!(status, 0, "kill({pid}, {signal})");
    }

    async fn exit_within(&mut self, limit: Duration) -> ExitStatus {
        tokio::time::timeout(timeout(limit), self.child.wait())
            .await
            .expect("operator exits in time")
            .expect("wait for operator")
    }
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("address").port()
}

/// `leader_election_master_status{name=LEASE}` scraped from `operator`.
async fn leader_status(operator: &Operator) -> Option<String> {
    let (status, body) = http_get(operator.metrics_port, "/metrics").await?;
    let series = format!("leader_election_master_status{{name=\"{LEASE}\"}} ");
    (status == 200).then(|| {
        body.lines()
            .find_map(|l| l.strip_prefix(&series).map(str::to_string))
    })?
}

async fn holder(leases: &Api<Lease>) -> Option<String> {
    let lease = leases.get_opt(LEASE).await.ok()??;
    lease.spec?.holder_identity.filter(|h| !h.is_empty())
}

/// Polls until the lease is held by one of `candidates`; returns the holder and when it was seen.
async fn wait_for_holder(
    leases: &Api<Lease>,
    candidates: &[&str],
    limit: Duration,
) -> (String, Instant) {
    let deadline = deadline(limit);
    loop {
        if let Some(holder) = holder(leases).await
            && candidates.contains(&holder.as_str())
        {
            return (holder, Instant::now());
        }
        assert!(
            Instant::now() < deadline,
            "no holder among {candidates:?} within {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Starts two operators with `args` and returns them as (leader, follower) once one holds the lease.
async fn spawn_pair(
    env: &Environment,
    namespace: &str,
    leases: &Api<Lease>,
    args: &[&str],
) -> (Operator, Operator) {
    let a = Operator::spawn(env, namespace, args).await;
    let b = Operator::spawn(env, namespace, args).await;
    let (leader, _) =
        wait_for_holder(leases, &[&a.identity, &b.identity], Duration::from_secs(30)).await;
    if leader == a.identity { (a, b) } else { (b, a) }
}

async fn set_message(client: &Client, namespace: &str, message: &str) {
    let greetings: Api<Greeting> = Api::namespaced(client.clone(), namespace);
    if greetings
        .get_opt("hello")
        .await
        .expect("read greeting")
        .is_none()
    {
        let greeting = Greeting::new(
            "hello",
            GreetingSpec {
                message: message.into(),
            },
        );
        greetings
            .create(&PostParams::default(), &greeting)
            .await
            .expect("create greeting");
    } else {
        let change = serde_json::json!({ "spec": { "message": message } });
        greetings
            .patch("hello", &PatchParams::default(), &Patch::Merge(&change))
            .await
            .expect("update greeting");
    }
}

/// Waits until the ConfigMap holds `message`; returns who reconciled it.
async fn reconciled_by(client: &Client, namespace: &str, message: &str) -> String {
    let config_maps: Api<ConfigMap> = Api::namespaced(client.clone(), namespace);
    let deadline = deadline(Duration::from_secs(60));
    loop {
        if let Ok(Some(cm)) = config_maps.get_opt("hello-greeting").await {
            let data = cm.data.unwrap_or_default();
            if data.get("message").map(String::as_str) == Some(message) {
                return data.get("reconciledBy").cloned().unwrap_or_default();
            }
        }
        assert!(
            Instant::now() < deadline,
            "ConfigMap never held {message:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn only_the_leader_reconciles_and_a_killed_leader_is_replaced_after_the_lease_expires() {
    let env = shared().await;
    let namespace = env.create_namespace("le-kill").await.expect("namespace");
    let client = env.client().expect("client");
    let leases: Api<Lease> = Api::namespaced(client.clone(), &namespace);
    let args = ["--leader-elect", "--health-probe-bind-address=0"];
    let (mut leader, follower) = spawn_pair(env, &namespace, &leases, &args).await;

    for message in ["one", "two", "three"] {
        set_message(&client, &namespace, message).await;
        assert_eq!(
            reconciled_by(&client, &namespace, message).await,
            leader.identity,
            "only the leader reconciles"
        );
    }

    assert_eq!(
        leader_status(&leader).await.as_deref(),
        Some("1"),
        "the leader reports leadership"
    );
    assert_eq!(
        leader_status(&follower).await.as_deref(),
        Some("0"),
        "the follower reports none"
    );

    // Wait for a fresh renewal so the follower's view of the lease is current, then kill -9.
    let renewed = leases
        .get(LEASE)
        .await
        .expect("lease")
        .spec
        .and_then(|s| s.renew_time);
    while leases
        .get(LEASE)
        .await
        .expect("lease")
        .spec
        .and_then(|s| s.renew_time)
        == renewed
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let killed = Instant::now();
    leader.signal(libc::SIGKILL);
    leader.exit_within(Duration::from_secs(5)).await;
    let (new_leader, seen) =
        wait_for_holder(&leases, &[&follower.identity], Duration::from_secs(30)).await;
    let takeover = seen - killed;
    eprintln!("kill -9 of the leader: takeover after {takeover:?}");
    let bound = LEASE_DURATION + RETRY_PERIOD + Duration::from_millis(1500);
    assert!(
        takeover <= bound,
        "takeover took {takeover:?}, expected at most {bound:?}"
    );
    assert!(
        takeover >= LEASE_DURATION - RETRY_PERIOD - Duration::from_millis(500),
        "took over before the lease expired ({takeover:?})"
    );

    set_message(&client, &namespace, "four").await;
    assert_eq!(reconciled_by(&client, &namespace, "four").await, new_leader);
}

#[tokio::test]
async fn a_released_lease_is_taken_over_in_about_one_retry_period() {
    let env = shared().await;
    let namespace = env.create_namespace("le-release").await.expect("namespace");
    let client = env.client().expect("client");
    let leases: Api<Lease> = Api::namespaced(client.clone(), &namespace);
    let args = [
        "--leader-elect",
        "--release-on-cancel",
        "--health-probe-bind-address=0",
    ];
    let (mut leader, follower) = spawn_pair(env, &namespace, &leases, &args).await;

    let stopped = Instant::now();
    leader.signal(libc::SIGTERM);
    let status = leader.exit_within(Duration::from_secs(10)).await;
    assert!(status.success(), "graceful shutdown exits 0, got {status}");
    let (_, seen) = wait_for_holder(&leases, &[&follower.identity], Duration::from_secs(20)).await;
    let handover = seen - stopped;
    eprintln!("graceful release: handover after {handover:?}");
    let bound = RETRY_PERIOD + Duration::from_millis(1500);
    assert!(
        handover <= bound,
        "handover took {handover:?}, expected about one retry period ({RETRY_PERIOD:?})"
    );
}

#[tokio::test]
async fn losing_the_lease_stops_the_operator_with_a_non_zero_exit() {
    let env = shared().await;
    let namespace = env.create_namespace("le-lost").await.expect("namespace");
    let client = env.client().expect("client");
    let leases: Api<Lease> = Api::namespaced(client.clone(), &namespace);
    let mut operator = Operator::spawn(
        env,
        &namespace,
        &["--leader-elect", "--health-probe-bind-address=0"],
    )
    .await;
    wait_for_holder(&leases, &[&operator.identity], Duration::from_secs(30)).await;

    let usurp = serde_json::json!({ "spec": {
        "holderIdentity": "usurper",
        "renewTime": MicroTime(Timestamp::now()),
        "leaseDurationSeconds": 15,
    } });
    leases
        .patch(LEASE, &PatchParams::default(), &Patch::Merge(&usurp))
        .await
        .expect("take the lease away");
    let status = operator.exit_within(Duration::from_secs(15)).await;
    assert!(
        !status.success(),
        "a lost lease must exit non-zero, got {status}"
    );
}

async fn http_get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .ok()?;
    let request = format!("GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n");
    stream.write_all(request.as_bytes()).await.ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).await.ok()?;
    let status = response.split_whitespace().nth(1)?.parse().ok()?;
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    Some((status, body))
}

#[tokio::test]
async fn graceful_shutdown_waits_for_the_in_flight_reconcile_and_exits_zero() {
    let env = shared().await;
    let namespace = env.create_namespace("graceful").await.expect("namespace");
    let client = env.client().expect("client");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let probes = format!("--health-probe-bind-address=127.0.0.1:{port}");
    let mut operator =
        Operator::spawn(env, &namespace, &[&probes, "--reconcile-delay-ms", "3000"]).await;
    let deadline = deadline(Duration::from_secs(60));
    while http_get(port, "/readyz").await.map(|(status, _)| status) != Some(200) {
        assert!(Instant::now() < deadline, "operator never became ready");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    set_message(&client, &namespace, "in flight").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let config_maps: Api<ConfigMap> = Api::namespaced(client.clone(), &namespace);
    assert!(
        config_maps
            .get_opt("hello-greeting")
            .await
            .expect("read")
            .is_none(),
        "the reconcile is still in flight"
    );

    let stopped = Instant::now();
    operator.signal(libc::SIGTERM);
    let status = operator.exit_within(Duration::from_secs(30)).await;
    assert!(status.success(), "graceful shutdown exits 0, got {status}");
    assert!(
        stopped.elapsed() >= Duration::from_millis(2000),
        "exited after {:?}, before the reconcile could finish",
        stopped.elapsed()
    );
    let config_map = config_maps
        .get_opt("hello-greeting")
        .await
        .expect("read")
        .expect("the in-flight reconcile finished");
    assert_eq!(
        config_map
            .data
            .unwrap_or_default()
            .get("message")
            .map(String::as_str),
        Some("in flight")
    );
}
