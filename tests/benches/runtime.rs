//! Converge race: operators reconciling the same 1,000 Greetings (each into an owned ConfigMap
//! and a `Ready` condition), each run against its own fresh control plane.
//!
//! ```text
//! KUBEBUILDER_ASSETS=... cargo bench -p kubesmith-e2e --bench runtime [-- OBJECTS [CONCURRENCY [ROUNDS]]]
//! ```
//!
//! Operators, each a separate process with OBJECTS (default 1000) Greetings waiting in a
//! fresh API server, CONCURRENCY reconciles at once (default 4):
//!
//! - `kubesmith`: the sample operator on kubesmith's manager: the `greeting-operator` binary of
//!   `tests/sample-operator` when `KUBESMITH_OPERATOR` names it (built with
//!   `cargo build --release -p kubesmith-sample-operator`: only kubesmith's default features,
//!   as an operator ships), else `greeting-manager --mode kubesmith`;
//! - `kube-runtime`: the same logic on a plain kube-runtime `Controller`, written as kube-rs
//!   users write it (server-side apply);
//! - `floor`: one LIST, then one create and one status update per Greeting — the fewest
//!   requests that converge them, what the API server allows on this machine;
//! - `kubebuilder`, when `KUBEBUILDER_OPERATOR` names the binary of a kubebuilder-scaffolded Go
//!   operator with the same logic (built outside this repository; see the book's benchmark
//!   page). It gets `--metrics-bind-address=0 --health-probe-bind-address=0
//!   --max-concurrent-reconciles=N --zap-log-level=error`;
//! - `before`, when `KUBESMITH_BEFORE` names a `greeting-manager` binary built from an earlier
//!   commit (run with `--mode kubesmith`), to compare a change with its parent in one run.
//!
//! `BENCH_MODES=kubesmith,floor` restricts the list; `BENCH_LOG` (a `RUST_LOG` filter) shows
//! the operators' logs, which are discarded otherwise. Each of ROUNDS rounds (default 3) runs
//! every operator once, in an order that rotates per round; the table shows medians.
//!
//! Measured per run: wall time from process start until every Greeting is converged (seen
//! through a watch); time from process start to the operator's first write (its first
//! reconcile); CPU seconds and peak RSS of the process (`/proc`); and the API requests the
//! operator sent, by verb, counted by the API server's audit log (the operator runs as its own
//! user, the only one audited), with the conflicts (409) among them.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant, SystemTime};

use futures::{StreamExt, TryStreamExt};
use greeting_operator::api::{Greeting, GreetingSpec};
use k8s_openapi::jiff::Timestamp;
use kube::api::PostParams;
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, Client, CustomResourceExt, ResourceExt};
use kubesmith::envtest::Environment;
use kubesmith_e2e::measure::{self, median};
use tokio::process::Command;

/// The user the operators run as; the audit policy records only this user's requests.
const OPERATOR_USER: &str = "bench-operator";

/// Records every request of [`OPERATOR_USER`] once: when a watch starts streaming, when
/// anything else completes.
const AUDIT_POLICY: &str = r#"apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
  - level: Metadata
    users: ["bench-operator"]
  - level: None
"#;

/// One operator run.
#[derive(Debug, Clone, Default)]
struct Run {
    seconds: f64,
    first_write_seconds: f64,
    cpu_seconds: f64,
    peak_rss_mib: f64,
    /// Requests by verb (`create`, `update`, `patch`, `get`, `list`, `watch`, ...).
    requests: BTreeMap<String, f64>,
    conflicts: f64,
}

impl Run {
    fn writes(&self) -> f64 {
        ["create", "update", "patch"]
            .iter()
            .map(|verb| self.requests.get(*verb).copied().unwrap_or(0.0))
            .sum()
    }

    fn total_requests(&self) -> f64 {
        self.requests.values().sum()
    }
}

/// An operator under test.
struct Operator {
    name: &'static str,
    binary: PathBuf,
    args: Vec<String>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1).filter(|a| !a.starts_with("--"));
    let objects: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(1000);
    let concurrency: u16 = args.next().map(|a| a.parse()).transpose()?.unwrap_or(4);
    let rounds: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(3);
    let operators = operators(concurrency);
    anyhow::ensure!(!operators.is_empty(), "BENCH_MODES selects no operator");

    let mut results: Vec<(&'static str, Run)> = Vec::new();
    for round in 0..rounds {
        for i in 0..operators.len() {
            let operator = &operators[(i + round) % operators.len()];
            let run = measure(operator, objects).await?;
            eprintln!(
                "round {round}: {:>12}: {:.2} s, first write {:.2} s, {:.2} CPU s, {:.1} MiB, {:.0} requests ({:.0} writes, {:.0} conflicts)",
                operator.name,
                run.seconds,
                run.first_write_seconds,
                run.cpu_seconds,
                run.peak_rss_mib,
                run.total_requests(),
                run.writes(),
                run.conflicts,
            );
            results.push((operator.name, run));
        }
    }
    print_table(&operators, &results, objects, concurrency, rounds);
    Ok(())
}

/// The operators to race, from the environment.
fn operators(concurrency: u16) -> Vec<Operator> {
    let concurrency = concurrency.to_string();
    let ours = PathBuf::from(env!("CARGO_BIN_EXE_greeting-manager"));
    let quiet = |mode: &str| {
        vec![
            "--mode".to_string(),
            mode.to_string(),
            "--metrics-bind-address=0".into(),
            "--health-probe-bind-address=0".into(),
            "--max-concurrent-reconciles".into(),
            concurrency.clone(),
        ]
    };
    let kubesmith = match std::env::var_os("KUBESMITH_OPERATOR") {
        Some(binary) => Operator {
            name: "kubesmith",
            binary: binary.into(),
            args: quiet("kubesmith").split_off(2),
        },
        None => Operator {
            name: "kubesmith",
            binary: ours.clone(),
            args: quiet("kubesmith"),
        },
    };
    let mut operators = vec![
        kubesmith,
        Operator {
            name: "kube-runtime",
            binary: ours.clone(),
            args: quiet("kube-runtime"),
        },
        Operator {
            name: "floor",
            binary: ours,
            args: quiet("floor"),
        },
    ];
    if let Some(binary) = std::env::var_os("KUBEBUILDER_OPERATOR") {
        operators.push(Operator {
            name: "kubebuilder",
            binary: binary.into(),
            args: vec![
                "--metrics-bind-address=0".into(),
                "--health-probe-bind-address=0".into(),
                format!("--max-concurrent-reconciles={concurrency}"),
                "--zap-log-level=error".into(),
            ],
        });
    }
    if let Some(binary) = std::env::var_os("KUBESMITH_BEFORE") {
        operators.push(Operator {
            name: "before",
            binary: binary.into(),
            args: quiet("kubesmith"),
        });
    }
    if let Ok(modes) = std::env::var("BENCH_MODES") {
        let wanted: HashSet<&str> = modes.split(',').map(str::trim).collect();
        operators.retain(|operator| wanted.contains(operator.name));
    }
    operators
}

/// Runs `operator` on a fresh control plane holding `objects` Greetings.
async fn measure(operator: &Operator, objects: usize) -> anyhow::Result<Run> {
    let audit = tempfile::tempdir()?;
    let policy = audit.path().join("policy.yaml");
    std::fs::write(&policy, AUDIT_POLICY)?;
    let log = audit.path().join("audit.log");
    let env = Environment::builder()
        .crd(Greeting::crd())
        .api_server_arg(format!("--audit-policy-file={}", policy.display()))
        .api_server_arg(format!("--audit-log-path={}", log.display()))
        .start()
        .await?;
    let outcome = race(&env, operator, objects, &log).await;
    env.stop().await;
    outcome
}

async fn race(
    env: &Environment,
    operator: &Operator,
    objects: usize,
    audit_log: &Path,
) -> anyhow::Result<Run> {
    let client = env.client()?;
    let namespace = env.create_namespace("bench").await?;
    create_greetings(&client, &namespace, objects).await?;
    let kubeconfig = env.write_user_kubeconfig(OPERATOR_USER, &["system:masters"])?;
    let greetings: Api<Greeting> = Api::namespaced(client.clone(), &namespace);
    let mut changes = watcher(greetings, watcher::Config::default())
        .applied_objects()
        .boxed();

    let started_at = SystemTime::now();
    let started = Instant::now();
    let mut child = Command::new(&operator.binary)
        .args(&operator.args)
        .env("KUBECONFIG", &kubeconfig)
        .env("WATCH_NAMESPACE", &namespace)
        // The race is about reconciling: no webhook server (and no certificate) needed.
        .env("ENABLE_WEBHOOKS", "false")
        .env(
            "RUST_LOG",
            std::env::var("BENCH_LOG").unwrap_or_else(|_| "off".into()),
        )
        .stdout(Stdio::null())
        .stderr(if std::env::var_os("BENCH_LOG").is_some() {
            Stdio::inherit()
        } else {
            Stdio::null()
        })
        .kill_on_drop(true)
        .spawn()?;
    let pid = child
        .id()
        .ok_or_else(|| anyhow::anyhow!("{} exited at once", operator.name))?;

    let mut converged = HashSet::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(600);
    while converged.len() < objects {
        let next = tokio::time::timeout_at(deadline, changes.try_next()).await;
        let greeting = match next {
            Ok(Ok(Some(greeting))) => greeting,
            Ok(Ok(None)) => anyhow::bail!("the watch of Greetings ended"),
            Ok(Err(error)) => anyhow::bail!("watching Greetings: {error}"),
            Err(_) => anyhow::bail!(
                "{}: only {}/{objects} converged after 10 minutes",
                operator.name,
                converged.len()
            ),
        };
        if greeting.is_converged() {
            converged.insert(greeting.name_any());
        }
        if let Ok(Some(status)) = child.try_wait() {
            anyhow::bail!("{} exited early: {status}", operator.name);
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    let (cpu_seconds, peak_rss_mib) = (measure::cpu_seconds(pid)?, measure::peak_rss_mib(pid)?);
    child.kill().await?;
    let (requests, conflicts, first_write) = audited_requests(audit_log)?;
    let first_write_seconds = first_write
        .map(|at| {
            let at: SystemTime = at.into();
            at.duration_since(started_at)
                .unwrap_or_default()
                .as_secs_f64()
        })
        .unwrap_or(f64::NAN);
    Ok(Run {
        seconds,
        first_write_seconds,
        cpu_seconds,
        peak_rss_mib,
        requests,
        conflicts,
    })
}

async fn create_greetings(client: &Client, namespace: &str, count: usize) -> anyhow::Result<()> {
    let greetings: Api<Greeting> = Api::namespaced(client.clone(), namespace);
    futures::stream::iter(0..count)
        .map(|i| {
            let greetings = greetings.clone();
            async move {
                let greeting = Greeting::new(
                    &format!("g{i}"),
                    GreetingSpec {
                        message: format!("hello {i}"),
                    },
                );
                greetings.create(&PostParams::default(), &greeting).await
            }
        })
        .buffer_unordered(16)
        .try_collect::<Vec<_>>()
        .await?;
    Ok(())
}

/// The operator's requests by verb, how many were conflicts (409), and when its first write
/// arrived, from the API server's audit log.
fn audited_requests(
    path: &Path,
) -> anyhow::Result<(BTreeMap<String, f64>, f64, Option<Timestamp>)> {
    let text = std::fs::read_to_string(path)?;
    let mut requests = BTreeMap::new();
    let mut conflicts = 0.0;
    let mut first_write: Option<Timestamp> = None;
    for line in text.lines() {
        let event: serde_json::Value = serde_json::from_str(line)?;
        let verb = event["verb"].as_str().unwrap_or_default();
        let stage = event["stage"].as_str().unwrap_or_default();
        // A watch is counted when it starts streaming, everything else when it completes.
        let counted = if verb == "watch" {
            stage == "ResponseStarted"
        } else {
            stage == "ResponseComplete"
        };
        if !counted {
            continue;
        }
        *requests.entry(verb.to_string()).or_insert(0.0) += 1.0;
        if event["responseStatus"]["code"].as_i64() == Some(409) {
            conflicts += 1.0;
        }
        if matches!(verb, "create" | "update" | "patch")
            && let Some(at) = event["requestReceivedTimestamp"]
                .as_str()
                .and_then(|text| text.parse::<Timestamp>().ok())
        {
            first_write = Some(first_write.map_or(at, |first| first.min(at)));
        }
    }
    Ok((requests, conflicts, first_write))
}

/// Reads one number out of a [`Run`].
type Field = Box<dyn Fn(&Run) -> f64>;

fn print_table(
    operators: &[Operator],
    results: &[(&'static str, Run)],
    objects: usize,
    concurrency: u16,
    rounds: usize,
) {
    let per_object = |verb: &'static str| -> Field {
        Box::new(move |run: &Run| run.requests.get(verb).copied().unwrap_or(0.0) / objects as f64)
    };
    let rows: Vec<(&str, Field)> = vec![
        ("time to converge (s)", Box::new(|run: &Run| run.seconds)),
        (
            "first write (s)",
            Box::new(|run: &Run| run.first_write_seconds),
        ),
        ("CPU (s)", Box::new(|run: &Run| run.cpu_seconds)),
        ("peak RSS (MiB)", Box::new(|run: &Run| run.peak_rss_mib)),
        (
            "requests / object",
            Box::new(move |run: &Run| run.total_requests() / objects as f64),
        ),
        (
            "writes / object",
            Box::new(move |run: &Run| run.writes() / objects as f64),
        ),
        ("  create / object", per_object("create")),
        ("  update / object", per_object("update")),
        ("  patch / object", per_object("patch")),
        ("  get / object", per_object("get")),
        (
            "list requests",
            Box::new(|run: &Run| run.requests.get("list").copied().unwrap_or(0.0)),
        ),
        (
            "watch requests",
            Box::new(|run: &Run| run.requests.get("watch").copied().unwrap_or(0.0)),
        ),
        ("conflicts (409)", Box::new(|run: &Run| run.conflicts)),
    ];
    println!(
        "{objects} Greetings, {concurrency} concurrent reconciles, fresh API server per run, medians of {rounds} rounds:"
    );
    print!("{:<22}", "");
    for operator in operators {
        print!("{:>14}", operator.name);
    }
    println!();
    let medians = |field: &Field| -> Vec<f64> {
        operators
            .iter()
            .map(|operator| {
                median(
                    results
                        .iter()
                        .filter(|(name, _)| *name == operator.name)
                        .map(|(_, run)| field(run))
                        .collect(),
                )
            })
            .collect()
    };
    for (label, field) in &rows {
        print!("{label:<22}");
        for value in medians(field) {
            print!("{value:>14.3}");
        }
        println!();
    }
    let Some(ours) = operators.iter().position(|o| o.name == "kubesmith") else {
        return;
    };
    for peer in operators.iter().filter(|o| o.name != "kubesmith") {
        let Some(theirs) = operators.iter().position(|o| o.name == peer.name) else {
            continue;
        };
        let ratio = |index: usize| {
            let values = medians(&rows[index].1);
            values[ours] / values[theirs]
        };
        println!(
            "kubesmith / {:<12} time {:.3}, first write {:.3}, CPU {:.3}, peak RSS {:.3}",
            peer.name,
            ratio(0),
            ratio(1),
            ratio(2),
            ratio(3)
        );
    }
}
