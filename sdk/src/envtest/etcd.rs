//! The etcd process of a test control plane.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use super::error::Result;
use super::ports::free_port;
use super::probe;
use super::process::{Output, Process};

/// A running etcd with a throwaway data directory, reachable over plain HTTP on loopback.
pub(crate) struct Etcd {
    pub(crate) process: Process,
    /// The client URL, e.g. `http://127.0.0.1:40123`.
    pub(crate) client_url: String,
    client_port: u16,
}

impl Etcd {
    /// Starts etcd with its data under `dir` and waits until `/health` reports healthy.
    pub(crate) async fn start(
        binary: &Path,
        dir: &Path,
        output: Output,
        start_timeout: Duration,
        stop_timeout: Duration,
    ) -> Result<Self> {
        let client_port = free_port()?;
        let peer_port = free_port()?;
        let client_url = format!("http://127.0.0.1:{client_port}");
        let peer_url = format!("http://127.0.0.1:{peer_port}");
        let mut args = vec![
            "--name=envtest".to_string(),
            format!("--data-dir={}", dir.join("etcd-data").display()),
            format!("--listen-client-urls={client_url}"),
            format!("--advertise-client-urls={client_url}"),
            format!("--listen-peer-urls={peer_url}"),
            format!("--initial-advertise-peer-urls={peer_url}"),
            format!("--initial-cluster=envtest={peer_url}"),
            "--log-level=warn".to_string(),
        ];
        if supports_unsafe_no_fsync(binary) {
            args.push("--unsafe-no-fsync=true".to_string());
        }
        let process = Process::spawn("etcd", binary, &args, output, stop_timeout)?;
        let mut etcd = Etcd {
            process,
            client_url,
            client_port,
        };
        etcd.wait_healthy(start_timeout).await?;
        Ok(etcd)
    }

    async fn wait_healthy(&mut self, timeout: Duration) -> Result<()> {
        let deadline = Instant::now() + timeout;
        loop {
            self.process.ensure_running()?;
            if probe::http_ok(self.client_port, "/health", r#""health":"true""#).await {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(self.process.start_timeout(timeout));
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
}

/// Whether this etcd build knows `--unsafe-no-fsync` (3.5 and later); asked once per binary.
fn supports_unsafe_no_fsync(binary: &Path) -> bool {
    static KNOWN: OnceLock<Mutex<HashMap<PathBuf, bool>>> = OnceLock::new();
    let known = KNOWN.get_or_init(Default::default);
    let mut known = known
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    *known.entry(binary.to_path_buf()).or_insert_with(|| {
        std::process::Command::new(binary)
            .arg("--help")
            .output()
            .map(|out| {
                let help = [out.stdout, out.stderr].concat();
                String::from_utf8_lossy(&help).contains("--unsafe-no-fsync")
            })
            .unwrap_or(false)
    })
}
