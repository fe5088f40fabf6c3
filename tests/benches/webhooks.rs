//! Admission round trips under concurrent load on loopback: the sample operator's defaulting
//! and validating webhooks on kubesmith's webhook server (`greeting-webhook`), and — when
//! `CONTROLLER_RUNTIME_WEBHOOK` names one — a controller-runtime webhook server with the same
//! logic, taking `--port` and `--cert-dir` (built outside this repository).
//!
//! ```text
//! cargo bench -p kubesmith-e2e --bench webhooks [-- SECONDS [CONNECTIONS [ROUNDS]]]
//! ```
//!
//! Load comes from `wrk` (Debian package `wrk`; one thread, CONNECTIONS keep-alive connections,
//! default 16, for SECONDS, default 10), which reports latency percentiles and requests per
//! second; the servers' CPU time comes from `/proc`. Each server is pinned to one core and wrk
//! to another (`taskset`), so that both runtimes see one core (tokio and Go size their thread
//! pools by it) and neither competes with the load generator. Each round (default 3) runs both
//! endpoints on every server, servers alternating; the table shows medians.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use kubesmith_e2e::measure::{cpu_seconds, median};
use tokio::process::Command;

/// The core the server under test runs on.
const SERVER_CPU: &str = "1";
/// The core wrk runs on.
const LOAD_CPU: &str = "0";

/// A server under test.
struct Server {
    name: &'static str,
    binary: PathBuf,
}

/// One wrk run.
#[derive(Debug, Clone, Copy, Default)]
struct Load {
    requests_per_second: f64,
    p50_ms: f64,
    p99_ms: f64,
    cpu_us_per_request: f64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1).filter(|a| !a.starts_with("--"));
    let seconds: u64 = args.next().map(|a| a.parse()).transpose()?.unwrap_or(10);
    let connections: u32 = args.next().map(|a| a.parse()).transpose()?.unwrap_or(16);
    let rounds: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(3);
    anyhow::ensure!(
        std::process::Command::new("wrk")
            .arg("--version")
            .output()
            .is_ok(),
        "this benchmark needs wrk (apt-get install wrk)"
    );
    let work = tempfile::tempdir()?;
    let issued = kubesmith::server::certificates::issue(
        "bench-ca",
        &["127.0.0.1".to_string(), "localhost".to_string()],
        Duration::from_secs(3600),
    )?;
    std::fs::write(work.path().join("tls.crt"), &issued.certificate_pem)?;
    std::fs::write(work.path().join("tls.key"), &issued.key_pem)?;
    let scripts = write_scripts(work.path())?;

    let mut servers = vec![Server {
        name: "kubesmith",
        binary: env!("CARGO_BIN_EXE_greeting-webhook").into(),
    }];
    if let Some(binary) = std::env::var_os("CONTROLLER_RUNTIME_WEBHOOK") {
        servers.push(Server {
            name: "controller-runtime",
            binary: binary.into(),
        });
    }

    let mut results: Vec<(&str, &str, Load)> = Vec::new();
    for round in 0..rounds {
        for i in 0..servers.len() {
            let server = &servers[(i + round) % servers.len()];
            for (endpoint, script) in &scripts {
                let load = run(server, work.path(), endpoint, script, seconds, connections).await?;
                eprintln!(
                    "round {round}: {:>18} {endpoint:<9} {:>9.0} req/s, p50 {:.3} ms, p99 {:.3} ms, {:.0} µs CPU/request",
                    server.name,
                    load.requests_per_second,
                    load.p50_ms,
                    load.p99_ms,
                    load.cpu_us_per_request
                );
                results.push((server.name, endpoint.as_str(), load));
            }
        }
    }

    println!(
        "{seconds} s of wrk, 1 thread, {connections} connections, server on core {SERVER_CPU}, wrk on core {LOAD_CPU}, medians of {rounds} rounds:"
    );
    println!(
        "{:<20}{:<10}{:>12}{:>12}{:>12}{:>16}",
        "server", "endpoint", "req/s", "p50 (ms)", "p99 (ms)", "CPU µs/request"
    );
    let medians = |server: &str, endpoint: &str| -> Load {
        let runs: Vec<Load> = results
            .iter()
            .filter(|(s, e, _)| *s == server && *e == endpoint)
            .map(|(_, _, load)| *load)
            .collect();
        let of = |field: fn(&Load) -> f64| median(runs.iter().map(field).collect());
        Load {
            requests_per_second: of(|l| l.requests_per_second),
            p50_ms: of(|l| l.p50_ms),
            p99_ms: of(|l| l.p99_ms),
            cpu_us_per_request: of(|l| l.cpu_us_per_request),
        }
    };
    for server in &servers {
        for (endpoint, _) in &scripts {
            let load = medians(server.name, endpoint);
            println!(
                "{:<20}{endpoint:<10}{:>12.0}{:>12.3}{:>12.3}{:>16.1}",
                server.name,
                load.requests_per_second,
                load.p50_ms,
                load.p99_ms,
                load.cpu_us_per_request
            );
        }
    }
    if servers.len() == 2 {
        for (endpoint, _) in &scripts {
            let (ours, theirs) = (
                medians("kubesmith", endpoint),
                medians("controller-runtime", endpoint),
            );
            println!(
                "kubesmith / controller-runtime, {endpoint}: throughput {:.2}×, p50 {:.2}×, p99 {:.2}×, CPU per request {:.2}×",
                ours.requests_per_second / theirs.requests_per_second,
                ours.p50_ms / theirs.p50_ms,
                ours.p99_ms / theirs.p99_ms,
                ours.cpu_us_per_request / theirs.cpu_us_per_request,
            );
        }
    }
    Ok(())
}

/// Starts `server`, loads `endpoint` with wrk, stops the server.
async fn run(
    server: &Server,
    certs: &Path,
    endpoint: &str,
    script: &Path,
    seconds: u64,
    connections: u32,
) -> anyhow::Result<Load> {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        listener.local_addr()?.port()
    };
    // The server gets one core and wrk the other: on a small machine, a server whose threads
    // compete with the load generator for cores shows the scheduler's hiccups, not its own.
    let mut child = Command::new("taskset")
        .args(["--cpu-list", SERVER_CPU])
        .arg(&server.binary)
        .arg("--port")
        .arg(port.to_string())
        .arg("--cert-dir")
        .arg(certs)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()?;
    let pid = child
        .id()
        .ok_or_else(|| anyhow::anyhow!("{} exited at once", server.name))?;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        anyhow::ensure!(
            tokio::time::Instant::now() < deadline,
            "{} did not listen",
            server.name
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let url = format!("https://127.0.0.1:{port}/{endpoint}-demo-kubesmith-dev-v1-greeting");
    // A short warm-up, then the measured run.
    wrk(&url, script, 2, connections).await?;
    let before = cpu_seconds(pid)?;
    let output = wrk(&url, script, seconds, connections).await?;
    let cpu = cpu_seconds(pid)? - before;
    child.kill().await?;
    let mut load = parse_wrk(&output)?;
    load.cpu_us_per_request = cpu * 1e6 / (load.requests_per_second * seconds as f64);
    Ok(load)
}

async fn wrk(url: &str, script: &Path, seconds: u64, connections: u32) -> anyhow::Result<String> {
    let output = Command::new("wrk")
        .args([
            "-t1",
            &format!("-c{connections}"),
            &format!("-d{seconds}s"),
            "--latency",
            "-s",
        ])
        .arg(script)
        .arg(url)
        .output()
        .await?;
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    anyhow::ensure!(output.status.success(), "wrk failed: {text}");
    anyhow::ensure!(
        !text.contains("Non-2xx"),
        "the server answered errors: {text}"
    );
    Ok(text)
}

/// Requests per second and latency percentiles from wrk's report.
fn parse_wrk(text: &str) -> anyhow::Result<Load> {
    let millis = |value: &str| -> Option<f64> {
        let (number, unit) = value.split_at(value.find(|c: char| c.is_ascii_alphabetic())?);
        let number: f64 = number.parse().ok()?;
        Some(match unit {
            "us" => number / 1000.0,
            "ms" => number,
            "s" => number * 1000.0,
            _ => return None,
        })
    };
    let field = |prefix: &str| -> Option<&str> {
        text.lines()
            .map(str::trim)
            .find(|line| line.starts_with(prefix))
            .and_then(|line| line.split_whitespace().nth(1))
    };
    let parsed = || -> Option<Load> {
        Some(Load {
            requests_per_second: field("Requests/sec:")?.parse().ok()?,
            p50_ms: millis(field("50%")?)?,
            p99_ms: millis(field("99%")?)?,
            cpu_us_per_request: 0.0,
        })
    };
    parsed().ok_or_else(|| anyhow::anyhow!("unreadable wrk report: {text}"))
}

/// wrk scripts posting a defaulting and a validating AdmissionReview for a Greeting.
fn write_scripts(dir: &Path) -> anyhow::Result<Vec<(String, PathBuf)>> {
    let review = |uid: &str, message: &str| {
        serde_json::json!({
            "apiVersion": "admission.k8s.io/v1",
            "kind": "AdmissionReview",
            "request": {
                "uid": uid,
                "kind": {"group": "demo.kubesmith.dev", "version": "v1", "kind": "Greeting"},
                "resource": {"group": "demo.kubesmith.dev", "version": "v1", "resource": "greetings"},
                "name": "hello",
                "namespace": "default",
                "operation": "CREATE",
                "userInfo": {"username": "kubernetes-admin", "groups": ["system:authenticated"]},
                "object": {
                    "apiVersion": "demo.kubesmith.dev/v1",
                    "kind": "Greeting",
                    "metadata": {"name": "hello", "namespace": "default"},
                    "spec": {"message": message},
                },
                "dryRun": false,
            }
        })
    };
    let mut scripts = Vec::new();
    for (endpoint, message) in [("mutate", ""), ("validate", "hi!")] {
        let body = serde_json::to_string(&review("705ab4f5-6393-11e8-b7cc-42010a800002", message))?;
        let lua = format!(
            "wrk.method = \"POST\"\nwrk.headers[\"Content-Type\"] = \"application/json\"\nwrk.body = {}\n",
            lua_string(&body)
        );
        let path = dir.join(format!("{endpoint}.lua"));
        std::fs::write(&path, lua)?;
        scripts.push((endpoint.to_string(), path));
    }
    Ok(scripts)
}

/// `text` as a Lua long string literal.
fn lua_string(text: &str) -> String {
    let mut level = String::new();
    while text.contains(&format!("]{level}]")) {
        level.push('=');
    }
    format!("[{level}[{text}]{level}]")
}
