//! Running a scaffolded project on this machine as its README and the book say: `make
//! install`, `make run` (ready: its webhooks are served), the samples applied, then waiting
//! for what the operator does.

use std::time::{Duration, Instant};

use kube::api::{Api, DynamicObject};
use kubesmith::envtest::Environment;
use kubesmith_e2e::scaffolded::{Background, Scaffold, check_success};

use super::kubectl;

/// `make install` into `env`'s API server, then `make run` in the background with `args` as
/// the manager's arguments (its output goes to `make-run.log` in the project).
pub fn install_and_run(project: &Scaffold, env: &Environment, args: &str) -> Background {
    let kubeconfig = env.kubeconfig_path().expect("a kubeconfig").to_path_buf();
    let kubectl = kubectl();
    let make_env = [
        ("KUBECONFIG", kubeconfig.as_path()),
        ("KUBECTL", kubectl.as_path()),
    ];
    let install = project.make(&["install"], &make_env).expect("make");
    check_success("make install", &install).unwrap_or_else(|error| panic!("{error:#}"));
    let mut run = project.command("make");
    run.arg("run")
        .arg(format!("ARGS={args}"))
        .env("CARGO", kubesmith_e2e::scaffolded::cargo())
        .env("KUBECONFIG", &kubeconfig);
    Background::start(run, project.file("make-run.log")).expect("make run")
}

/// `kubectl apply -f` of each of `samples` (under `config/samples`), retried for up to a minute
/// while kubectl's discovery does not know the CRD `make install` just created.
pub async fn apply_samples(project: &Scaffold, env: &Environment, samples: &[&str]) {
    for sample in samples {
        let discovered = kubesmith_e2e::machine::deadline(Duration::from_secs(60));
        loop {
            let mut apply = env.kubectl().expect("kubectl");
            apply
                .args(["apply", "-f"])
                .arg(project.file("config/samples").join(sample));
            let applied = apply.output().expect("kubectl");
            if applied.status.success() || Instant::now() > discovered {
                check_success("kubectl apply", &applied)
                    .unwrap_or_else(|error| panic!("{error:#}"));
                break;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
}

/// Polls `done` until it holds; fails, with what `manager` printed, when `manager` exits or
/// `deadline` passes first.
pub async fn wait_until(
    manager: &mut Background,
    deadline: Instant,
    what: &str,
    mut done: impl AsyncFnMut() -> bool,
) {
    while !done().await {
        assert!(
            manager.exited().is_none(),
            "make run exited:\n{}",
            manager.output()
        );
        assert!(
            Instant::now() < deadline,
            "{what}; make run said:\n{}",
            manager.output()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Whether the object `name` has the condition `Ready=True` (false when it cannot be read).
pub async fn is_ready(api: &Api<DynamicObject>, name: &str) -> bool {
    let Ok(object) = api.get(name).await else {
        return false;
    };
    object.data["status"]["conditions"]
        .as_array()
        .is_some_and(|conditions| {
            conditions
                .iter()
                .any(|c| c["type"] == "Ready" && c["status"] == "True")
        })
}

/// A free address on 127.0.0.1 (for `--health-probe-bind-address`).
pub fn free_address() -> std::net::SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
}

/// Waits until `/readyz` of `manager` on `probes` answers 200 (with webhooks: the cluster
/// points at it); fails like [`wait_until`].
pub async fn wait_until_ready(
    manager: &mut Background,
    deadline: Instant,
    probes: std::net::SocketAddr,
) {
    wait_until(manager, deadline, "make run never got ready", async || {
        readyz(probes).await
    })
    .await;
}

/// Whether `/readyz` on `probes` answers 200.
async fn readyz(probes: std::net::SocketAddr) -> bool {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let Ok(mut stream) = tokio::net::TcpStream::connect(probes).await else {
        return false;
    };
    let mut response = String::new();
    stream
        .write_all(b"GET /readyz HTTP/1.0\r\nHost: localhost\r\n\r\n")
        .await
        .is_ok()
        && stream.read_to_string(&mut response).await.is_ok()
        && response.split_whitespace().nth(1) == Some("200")
}
