//! Benchmark: how long a test control plane takes to become ready and to be torn down.
//!
//! `cargo bench -p kubesmith --features envtest --bench envtest_startup` with
//! `KUBEBUILDER_ASSETS` set. Prints every sample and the medians; `ENVTEST_BENCH_RUNS`
//! changes the number of runs (default 5).

use std::process::Command;
use std::time::{Duration, Instant};

use kubesmith::envtest::{Binary, Environment};

fn median(samples: &mut [Duration]) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn api_server_version() -> String {
    Binary::KubeApiServer
        .locate(None)
        .ok()
        .and_then(|path| Command::new(path).arg("--version").output().ok())
        .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_string())
        .unwrap_or_else(|| "unknown".into())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let runs: usize = std::env::var("ENVTEST_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    println!("kube-apiserver: {}", api_server_version());
    let mut starts = Vec::with_capacity(runs);
    let mut stops = Vec::with_capacity(runs);
    for run in 1..=runs {
        let begin = Instant::now();
        let env = Environment::start().await?;
        let started = begin.elapsed();
        let begin = Instant::now();
        env.stop().await;
        let stopped = begin.elapsed();
        println!("run {run}: start-to-ready {started:.2?}, teardown {stopped:.2?}");
        starts.push(started);
        stops.push(stopped);
    }
    println!(
        "median of {runs}: start-to-ready {:.2?}, teardown {:.2?}",
        median(&mut starts),
        median(&mut stops)
    );
    Ok(())
}
