//! The node's container runtime: Debian's containerd 1.6 run by hand with a private root, state,
//! socket, runc state and network-namespace directory (nothing shared with a system containerd),
//! runc at `/usr/sbin/runc` with cgroupfs, `restrict_oom_score_adj` (this sandbox cannot lower
//! OOM scores), a local pause image, CNI from the cluster's own configuration directory and the
//! streaming server on a random loopback port. `ctr` talks to it for image imports.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::Context as _;

use super::prerequisites::{CNI_BIN_DIR, RUNC};
use super::process::Component;
use crate::machine::timeout;

/// The containerd namespace the kubelet's CRI uses.
pub const K8S_NAMESPACE: &str = "k8s.io";

/// Where containerd keeps its files, all under the cluster's work directory.
#[derive(Debug, Clone)]
pub struct ContainerdPaths {
    /// The directory holding everything below.
    pub dir: PathBuf,
    /// The gRPC socket (the kubelet's `containerRuntimeEndpoint`).
    pub socket: PathBuf,
    /// The CNI configuration directory.
    pub cni_conf_dir: PathBuf,
}

impl ContainerdPaths {
    /// The layout under `dir`.
    pub fn under(dir: &Path, cni_conf_dir: &Path) -> ContainerdPaths {
        ContainerdPaths {
            dir: dir.to_path_buf(),
            socket: dir.join("containerd.sock"),
            cni_conf_dir: cni_conf_dir.to_path_buf(),
        }
    }

    /// The kubelet's `containerRuntimeEndpoint`.
    pub fn endpoint(&self) -> String {
        format!("unix://{}", self.socket.display())
    }

    /// `ctr --address <socket> -n k8s.io images import <archive>`: makes the images of a
    /// docker-archive tarball available to pods.
    pub fn import(&self, archive: &Path) -> anyhow::Result<()> {
        crate::go_tool::run(self.ctr().args(["images", "import"]).arg(archive))
            .with_context(|| format!("importing {} into containerd", archive.display()))
    }

    /// Kills the task of the container `id` (a pod status's `containerID` without its
    /// `containerd://`) with SIGKILL, as an out-of-memory kill or a crash would end it.
    pub fn kill(&self, id: &str) -> anyhow::Result<()> {
        crate::go_tool::run(
            self.ctr()
                .args(["tasks", "kill", "--signal", "SIGKILL"])
                .arg(id),
        )
        .with_context(|| format!("killing the container {id}"))
    }

    /// The image references containerd's k8s.io namespace holds.
    pub fn images(&self) -> anyhow::Result<Vec<String>> {
        let output = self
            .ctr()
            .args(["images", "list", "--quiet"])
            .output()
            .context("running ctr")?;
        anyhow::ensure!(
            output.status.success(),
            "ctr images list failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        Ok(String::from_utf8_lossy(&output.stdout)
            .lines()
            .map(str::to_owned)
            .collect())
    }

    /// `ctr` talking to this containerd, in the k8s.io namespace.
    /// A shell script that loads the podman image named by its last argument into this
    /// containerd (a loader command for tools that take one, such as a scaffolded project's
    /// `make test-e2e E2E_LOAD_IMAGE=...`).
    pub fn loader_script(&self) -> String {
        format!(
            "#!/bin/sh\n\
             # Loads the podman image named by the last argument into the node's containerd.\n\
             set -eu\n\
             for image; do :; done\n\
             archive=\"$(mktemp)\"\n\
             trap 'rm -f \"$archive\"' EXIT\n\
             podman save --format docker-archive -o \"$archive\" \"$image\"\n\
             ctr --address '{}' --namespace {K8S_NAMESPACE} images import \"$archive\"\n",
            self.socket.display()
        )
    }

    fn ctr(&self) -> Command {
        let mut command = Command::new("ctr");
        command
            .arg("--address")
            .arg(&self.socket)
            .args(["--namespace", K8S_NAMESPACE]);
        command
    }
}

/// containerd's `config.toml` for `paths`, with `sandbox_image` as every pod's pause image.
pub fn config(paths: &ContainerdPaths, sandbox_image: &str) -> String {
    let dir = paths.dir.display();
    format!(
        r#"# containerd of the kubesmith test node: everything private to {dir}
version = 2
root = "{dir}/root"
state = "{dir}/state"
disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs", "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]

[grpc]
  address = "{socket}"

[ttrpc]
  address = "{socket}.ttrpc"

[debug]
  address = ""

[metrics]
  address = ""

[plugins."io.containerd.internal.v1.opt"]
  path = "{dir}/opt"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "{sandbox_image}"
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  disable_apparmor = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  enable_selinux = false

  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "{cni_bin}"
    conf_dir = "{cni_conf}"
    max_conf_num = 1

  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"

    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"

      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        BinaryName = "{runc}"
        Root = "{dir}/runc"
        SystemdCgroup = false
"#,
        socket = paths.socket.display(),
        cni_bin = CNI_BIN_DIR,
        cni_conf = paths.cni_conf_dir.display(),
        runc = RUNC,
    )
}

/// Writes the configuration and starts containerd; returns once it answers on its socket.
pub async fn start(
    paths: &ContainerdPaths,
    sandbox_image: &str,
    logs_dir: &Path,
) -> anyhow::Result<Component> {
    std::fs::create_dir_all(&paths.dir)
        .with_context(|| format!("creating {}", paths.dir.display()))?;
    let config_path = paths.dir.join("config.toml");
    std::fs::write(&config_path, config(paths, sandbox_image))
        .with_context(|| format!("writing {}", config_path.display()))?;
    let program =
        crate::prerequisite::find_program("containerd").context("containerd is not on PATH")?;
    let mut process = Component::start(
        "containerd",
        &program,
        &["--config".to_owned(), config_path.display().to_string()],
        logs_dir,
    )?;
    let deadline = Instant::now() + timeout(Duration::from_secs(60));
    loop {
        process.ensure_running()?;
        let answered = paths
            .ctr()
            .arg("version")
            .output()
            .is_ok_and(|output| output.status.success());
        if answered {
            return Ok(process);
        }
        if Instant::now() > deadline {
            anyhow::bail!(
                "containerd did not answer on {} in time; its log ends with:\n{}",
                paths.socket.display(),
                process.log_tail()
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
