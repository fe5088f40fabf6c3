//! kubesmith's manager against a plain kube-runtime `Controller` running the same reconcile
//! logic (sample `Greeting` → owned ConfigMap + `Ready` condition), each in its own process,
//! against one envtest control plane in the same run.
//!
//! ```text
//! KUBEBUILDER_ASSETS=... cargo bench -p kubesmith-e2e --bench runtime [-- OBJECTS [CONCURRENCY [ROUNDS]]]
//! ```
//!
//! For each round: create OBJECTS Greetings (default 1000) in a fresh namespace, start the
//! operator (`greeting-manager`, watching only that namespace, CONCURRENCY reconciles at once,
//! default 4), and measure until every Greeting is converged: wall time, the operator's CPU
//! seconds (utime + stime from /proc/<pid>/stat) and its peak RSS (VmHWM). Each of ROUNDS
//! rounds (default 4) measures both operators, alternating which goes first; the medians and
//! their ratios are printed (the API server on a small machine makes single runs noisy).
//! `KUBESMITH_ARGS` adds flags to the kubesmith operator (e.g. `--cache-managed-fields`);
//! `BENCH_LOG` is passed to the operators as `RUST_LOG` (their logs go to stderr).

use std::process::Stdio;
use std::time::{Duration, Instant};

use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{ListParams, PostParams};
use kube::{Api, Client, CustomResourceExt};
use kubesmith::envtest::Environment;
use greeting_operator::api::{Greeting, GreetingSpec};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

/// Reads one number out of a [`Measurement`].
type Field = fn(&Measurement) -> f64;

#[derive(Debug, Clone, Copy)]
struct Measurement {
    seconds: f64,
    cpu_seconds: f64,
    peak_rss_mib: f64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1).filter(|a| !a.starts_with("--"));
    let objects: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(1000);
    let concurrency: u16 = args.next().map(|a| a.parse()).transpose()?.unwrap_or(4);
    let rounds: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(4);
    let env = Environment::builder().crd(Greeting::crd()).start().await?;
    let client = env.client()?;
    let mut results: Vec<(&str, Measurement)> = Vec::new();
    let order = (0..rounds).flat_map(|round| {
        if round.is_multiple_of(2) {
            ["kube-runtime", "kubesmith"]
        } else {
            ["kubesmith", "kube-runtime"]
        }
    });
    for mode in order {
        let namespace = env.create_namespace(mode).await?;
        create_greetings(&client, &namespace, objects).await?;
        let measurement = measure(&env, &client, &namespace, mode, objects, concurrency).await?;
        eprintln!(
            "{mode:>12}: {:.2} s, {:.2} CPU s, {:.1} MiB peak RSS",
            measurement.seconds, measurement.cpu_seconds, measurement.peak_rss_mib
        );
        results.push((mode, measurement));
    }
    env.stop().await;

    let median = |mode: &str, field: Field| {
        let mut values: Vec<f64> = results
            .iter()
            .filter(|(m, _)| *m == mode)
            .map(|(_, r)| field(r))
            .collect();
        values.sort_by(f64::total_cmp);
        let middle = values.len() / 2;
        if values.len().is_multiple_of(2) {
            (values[middle - 1] + values[middle]) / 2.0
        } else {
            values[middle]
        }
    };
    println!(
        "{objects} Greetings, {concurrency} concurrent reconciles, medians of {rounds} runs each:"
    );
    println!(
        "{:<22}{:>14}{:>14}{:>10}",
        "", "kube-runtime", "kubesmith", "ratio"
    );
    let rows: [(&str, Field); 3] = [
        ("time to converge (s)", |m| m.seconds),
        ("CPU (s)", |m| m.cpu_seconds),
        ("peak RSS (MiB)", |m| m.peak_rss_mib),
    ];
    for (label, field) in rows {
        let (raw, ours) = (median("kube-runtime", field), median("kubesmith", field));
        println!("{label:<22}{raw:>14.2}{ours:>14.2}{:>10.3}", ours / raw);
    }
    Ok(())
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

async fn measure(
    env: &Environment,
    client: &Client,
    namespace: &str,
    mode: &str,
    objects: usize,
    concurrency: u16,
) -> anyhow::Result<Measurement> {
    let kubeconfig = env
        .kubeconfig_path()
        .ok_or_else(|| anyhow::anyhow!("envtest wrote no kubeconfig"))?;
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_greeting-manager"))
        .env("KUBECONFIG", kubeconfig)
        .env("WATCH_NAMESPACE", namespace)
        .env(
            "RUST_LOG",
            std::env::var("BENCH_LOG").unwrap_or_else(|_| "error".into()),
        )
        .args(extra_args(mode))
        .args([
            "--mode",
            mode,
            "--metrics-bind-address=0",
            "--health-probe-bind-address=0",
        ])
        .args(["--max-concurrent-reconciles", &concurrency.to_string()])
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()?;
    let pid = child
        .id()
        .ok_or_else(|| anyhow::anyhow!("operator exited at once"))?;
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| anyhow::anyhow!("no stdout"))?;
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).await?;

    let greetings: Api<Greeting> = Api::namespaced(client.clone(), namespace);
    let config_maps: Api<ConfigMap> = Api::namespaced(client.clone(), namespace);
    let deadline = started + Duration::from_secs(600);
    loop {
        let converged = greetings
            .list(&ListParams::default())
            .await?
            .items
            .iter()
            .filter(|g| g.is_converged())
            .count();
        if converged == objects
            && config_maps.list(&ListParams::default()).await?.items.len() >= objects
        {
            break;
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "{mode}: only {converged}/{objects} converged after 10 minutes"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let seconds = started.elapsed().as_secs_f64();
    let (cpu_seconds, peak_rss_mib) = process_usage(pid)?;
    child.kill().await?;
    Ok(Measurement {
        seconds,
        cpu_seconds,
        peak_rss_mib,
    })
}

/// Extra flags for `mode` from `KUBESMITH_ARGS`.
fn extra_args(mode: &str) -> Vec<String> {
    match (mode, std::env::var("KUBESMITH_ARGS")) {
        ("kubesmith", Ok(args)) => args.split_whitespace().map(str::to_string).collect(),
        _ => Vec::new(),
    }
}

/// CPU seconds (user + system) and peak RSS of a running process, from /proc.
fn process_usage(pid: u32) -> anyhow::Result<(f64, f64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let after_name = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest)
        .unwrap_or_default();
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks = |index: usize| -> anyhow::Result<f64> {
        Ok(fields
            .get(index)
            .ok_or_else(|| anyhow::anyhow!("short /proc stat"))?
            .parse::<f64>()?)
    };
    // SAFETY: sysconf has no preconditions.
    let ticks_per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    let cpu = (ticks(11)? + ticks(12)?) / ticks_per_second;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let hwm_kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next())
        .ok_or_else(|| anyhow::anyhow!("no VmHWM in /proc/{pid}/status"))?
        .parse()?;
    Ok((cpu, hwm_kib / 1024.0))
}
