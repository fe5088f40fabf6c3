//! A real one-node Kubernetes cluster on this machine, for tests that need pods to run: etcd,
//! kube-apiserver, kube-controller-manager, kube-scheduler, containerd, the kubelet and
//! kube-proxy, all started by the test and torn down by it, the host restored afterwards.
//!
//! ```no_run
//! # async fn example() -> anyhow::Result<()> {
//! use kubesmith_e2e::node::Cluster;
//!
//! let cluster = Cluster::start().await?;
//! let client = cluster.client().await?;
//! cluster.load_image("localhost/my-operator:dev")?;
//! // ... create objects, wait for pods ...
//! cluster.stop()?;
//! # Ok(()) }
//! ```
//!
//! | module | concept |
//! |---|---|
//! | [`prerequisites`] | root and the Debian packages, installed when missing |
//! | [`binaries`] | the Kubernetes binaries, from the envtest store (built with Go once) |
//! | [`network`] | the private ranges, the node's address, free ports |
//! | [`host_state`] | what the cluster changes on the host, recorded and restored |
//! | [`iptables`] | the guard keeping pods' traffic on the machine; removing the cluster's chains |
//! | [`pki`], [`kubeconfig`] | certificates and the components' kubeconfigs |
//! | [`control_plane`], [`containerd`], [`cni`], [`kubelet`], [`proxy`] | each component's settings |
//! | [`process`] | the components' processes: own process group, die with the test |
//! | [`images`] | scratch images made with podman: pause, toolbox, test images |
//! | [`snapshot`] | a comparable picture of the host, to prove the restore |
//! | [`watchdog`] | restores the host at once when the test process dies with a cluster running |
//!
//! One cluster runs per machine at a time ([`Cluster::start`] takes the machine lock
//! `node-cluster`). It changes the host as root: before anything changes, [`HostRecord`] saves
//! what will be changed; [`Cluster::stop`] (or dropping the cluster, also during a panic)
//! restores it, and a run that died without restoring is cleaned up by the next start.
//!
//! Deadlines scale with `KUBESMITH_TEST_TIMEOUT_FACTOR` ([`crate::machine::timeout`]).

pub mod binaries;
pub mod cni;
pub mod containerd;
pub mod control_plane;
pub mod host_state;
pub mod images;
pub mod iptables;
pub mod kubeconfig;
pub mod kubelet;
pub mod network;
pub mod pki;
pub mod prerequisites;
pub mod process;
pub mod proxy;
pub mod snapshot;
pub mod watchdog;

use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use k8s_openapi::api::core::v1::{Node, ServiceAccount};
use kube::Api;
use kube::runtime::wait::await_condition;

pub use binaries::Binaries;
pub use host_state::{HostRecord, LOCK_NAME};
pub use network::Uplink;

use crate::machine::{MachineLock, cache_dir, timeout};
use containerd::ContainerdPaths;
use process::Component;

/// How long a component gets to exit after SIGTERM before it is killed.
const STOP_GRACE: Duration = Duration::from_secs(10);

/// A running one-node cluster. Stop it with [`Cluster::stop`]; dropping it stops it too.
#[derive(Debug)]
pub struct Cluster {
    uplink: Uplink,
    binaries: Binaries,
    work_dir: PathBuf,
    logs_dir: PathBuf,
    kubeconfig: PathBuf,
    record: Option<HostRecord>,
    /// The components in start order (containerd among them), stopped in reverse.
    components: Vec<Component>,
    containerd: Option<ContainerdPaths>,
    _lock: MachineLock,
}

impl Cluster {
    /// Starts a cluster and waits until it is usable: the node Ready, the `default`
    /// ServiceAccount in `default`, the `kubernetes` Service reachable at 10.96.0.1 through
    /// kube-proxy's rules. Waits for another cluster on the machine to stop first; restores the
    /// host first when a previous run died without doing so.
    ///
    /// `Err` holds a [`crate::prerequisite::Missing`] when the machine cannot run a node (not
    /// root, packages not installable, no binaries and no Go toolchain).
    pub async fn start() -> anyhow::Result<Cluster> {
        let started = Instant::now();
        let lock = MachineLock::acquire(LOCK_NAME)?;
        restore_left_behind()?;
        prerequisites::ensure(prerequisites::NODE_HOST_FILES)?;
        let binaries = Binaries::obtain()?;
        let uplink = Uplink::discover()?;
        images::pause_image().build()?;
        images::toolbox_image().build()?;

        let logs_dir = cache_dir().join("node-cluster").join("logs");
        if logs_dir.exists() {
            std::fs::remove_dir_all(&logs_dir)
                .with_context(|| format!("removing {}", logs_dir.display()))?;
        }
        std::fs::create_dir_all(&logs_dir)?;
        watchdog::start(&logs_dir)?;
        let work_dir = tempfile::Builder::new()
            .prefix("kubesmith-node-")
            .tempdir_in("/tmp")?
            .keep();
        let mut cluster = Cluster {
            kubeconfig: work_dir.join("admin.kubeconfig"),
            uplink,
            binaries,
            work_dir,
            logs_dir,
            record: None,
            components: Vec::new(),
            containerd: None,
            _lock: lock,
        };
        match cluster.bring_up().await {
            Ok(()) => {
                eprintln!(
                    "node: cluster ready in {:.1} s (logs in {})",
                    started.elapsed().as_secs_f64(),
                    cluster.logs_dir.display()
                );
                Ok(cluster)
            }
            Err(error) => {
                let diagnostics = cluster.diagnostics();
                let teardown = cluster.teardown();
                Err(error.context(format!(
                    "starting the node cluster{}\n{diagnostics}",
                    teardown
                        .err()
                        .map(|e| format!(" (and restoring the host: {e:#})"))
                        .unwrap_or_default()
                )))
            }
        }
    }

    /// The admin kubeconfig (`system:masters`).
    pub fn kubeconfig_path(&self) -> &Path {
        &self.kubeconfig
    }

    /// A client as the cluster administrator.
    pub async fn client(&self) -> anyhow::Result<kube::Client> {
        kubeconfig::client(&self.kubeconfig).await
    }

    /// `kubectl` of the cluster's version with `KUBECONFIG` set to the admin kubeconfig.
    pub fn kubectl(&self) -> Command {
        let mut command = Command::new(self.binaries.path("kubectl"));
        command.env("KUBECONFIG", &self.kubeconfig);
        command
    }

    /// Makes the podman image `image` available to pods (`podman save` into containerd). Pods
    /// using it must not have pull policy `Always` (a tag other than `latest` avoids that).
    pub fn load_image(&self, image: &str) -> anyhow::Result<()> {
        let containerd = self
            .containerd
            .as_ref()
            .context("the cluster's containerd is not running")?;
        let images_dir = self.work_dir.join("images");
        std::fs::create_dir_all(&images_dir)?;
        let archive = images::save(image, &images_dir)?;
        let imported = containerd.import(&archive);
        let _ = std::fs::remove_file(&archive);
        imported
    }

    /// Kills the container whose pod status `containerID` is `container_id`
    /// (`containerd://<id>`) with SIGKILL; the kubelet then restarts it.
    pub fn kill_container(&self, container_id: &str) -> anyhow::Result<()> {
        let containerd = self
            .containerd
            .as_ref()
            .context("the cluster's containerd is not running")?;
        let id = container_id
            .strip_prefix("containerd://")
            .with_context(|| format!("{container_id} is not a containerd container"))?;
        containerd.kill(id)
    }

    /// An executable script that loads the podman image named by its last argument into the
    /// node, as [`Cluster::load_image`] does: the `E2E_LOAD_IMAGE` of a scaffolded project's
    /// `make test-e2e`.
    pub fn image_loader(&self) -> anyhow::Result<PathBuf> {
        use std::os::unix::fs::PermissionsExt as _;
        let containerd = self
            .containerd
            .as_ref()
            .context("the cluster's containerd is not running")?;
        let script = self.work_dir.join("load-image");
        std::fs::write(&script, containerd.loader_script())
            .with_context(|| format!("writing {}", script.display()))?;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755))
            .with_context(|| format!("making {} executable", script.display()))?;
        Ok(script)
    }

    /// The node's address (the machine's address on its default route).
    pub fn node_ip(&self) -> Ipv4Addr {
        self.uplink.address
    }

    /// Where the components write their logs (kept after [`Cluster::stop`] for diagnostics,
    /// replaced by the next start).
    pub fn logs_dir(&self) -> &Path {
        &self.logs_dir
    }

    /// The Kubernetes binaries the cluster runs (kubectl among them).
    pub fn binaries(&self) -> &Binaries {
        &self.binaries
    }

    /// The end of every component's log, for a failure message.
    pub fn diagnostics(&self) -> String {
        let mut text = String::new();
        let Ok(entries) = std::fs::read_dir(&self.logs_dir) else {
            return text;
        };
        let mut logs: Vec<PathBuf> = entries.flatten().map(|entry| entry.path()).collect();
        logs.sort();
        for log in logs {
            text.push_str(&format!(
                "--- end of {}:\n{}\n",
                log.display(),
                process::log_tail(&log)
            ));
        }
        text
    }

    /// Stops every component and restores the host (see [`HostRecord::restore`]).
    pub fn stop(mut self) -> anyhow::Result<()> {
        self.teardown()
    }

    async fn bring_up(&mut self) -> anyhow::Result<()> {
        let work = self.work_dir.clone();
        let kube_proxy = self.binaries.path("kube-proxy");
        self.record = Some(HostRecord::capture(&work, &kube_proxy)?);

        let node_ip = self.uplink.address;
        let loopback = IpAddr::V4(Ipv4Addr::LOCALHOST);
        let apiserver_port = network::free_port(IpAddr::V4(node_ip))?;
        let kubelet_port = network::free_port(IpAddr::V4(node_ip))?;
        let (etcd_port, etcd_peer_port) =
            (network::free_port(loopback)?, network::free_port(loopback)?);
        let (proxy_healthz_port, proxy_metrics_port) =
            (network::free_port(loopback)?, network::free_port(loopback)?);
        let (controller_manager_port, scheduler_port) =
            (network::free_port(loopback)?, network::free_port(loopback)?);
        for family in iptables::FAMILIES {
            iptables::install_guard(
                family,
                &self.uplink.interface,
                &[apiserver_port, kubelet_port],
            )?;
        }

        let pki = pki::Pki::create(&work.join("pki"), node_ip)?;
        let server = format!("https://{node_ip}:{apiserver_port}");
        let kubeconfig_of =
            |identity: &pki::Identity| kubeconfig::write(&work, &pki, identity, &server);
        self.kubeconfig = kubeconfig_of(&pki::ADMIN)?;

        self.launch(
            "etcd",
            control_plane::etcd(&work.join("etcd"), etcd_port, etcd_peer_port),
        )?;
        let kubelet_client = pki.client(&pki::APISERVER_KUBELET_CLIENT)?;
        self.launch(
            "kube-apiserver",
            control_plane::apiserver(
                &pki,
                &kubelet_client,
                &work.join("apiserver"),
                node_ip,
                apiserver_port,
                etcd_port,
            ),
        )?;
        let client = self.client().await?;
        self.wait_for("the API server to be ready", Duration::from_secs(120), {
            let client = client.clone();
            async move {
                loop {
                    let ready = client
                        .request_text(http::Request::get("/readyz").body(Vec::new())?)
                        .await;
                    if ready.is_ok_and(|body| body.trim() == "ok") {
                        return Ok(());
                    }
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            }
        })
        .await?;
        self.launch(
            "kube-controller-manager",
            control_plane::controller_manager(
                &pki,
                &kubeconfig_of(&pki::CONTROLLER_MANAGER)?,
                controller_manager_port,
            ),
        )?;
        self.launch(
            "kube-scheduler",
            control_plane::scheduler(&kubeconfig_of(&pki::SCHEDULER)?, scheduler_port),
        )?;

        let cni_conf_dir = work.join("cni").join("net.d");
        cni::write_config(&cni_conf_dir, &work.join("cni").join("ipam"))?;
        let containerd_paths = ContainerdPaths::under(&work.join("containerd"), &cni_conf_dir);
        let process =
            containerd::start(&containerd_paths, images::PAUSE_IMAGE, &self.logs_dir).await?;
        self.components.push(process);
        self.containerd = Some(containerd_paths.clone());
        for image in [images::PAUSE_IMAGE, images::TOOLBOX_IMAGE] {
            self.load_image(image)?;
        }

        let kubelet_settings = kubelet::KubeletSettings {
            root_dir: work.join("kubelet"),
            pod_logs_dir: work.join("pod-logs"),
            kubeconfig: kubeconfig_of(&pki::KUBELET)?,
            runtime_endpoint: containerd_paths.endpoint(),
            node_ip,
            port: kubelet_port,
        };
        std::fs::create_dir_all(&kubelet_settings.root_dir)?;
        self.launch(
            "kubelet",
            kubelet::arguments(&work, &kubelet_settings, &pki)?,
        )?;
        self.launch(
            "kube-proxy",
            proxy::arguments(
                &work,
                &kubeconfig_of(&pki::PROXY)?,
                proxy_healthz_port,
                proxy_metrics_port,
            )?,
        )?;

        let nodes: Api<Node> = Api::all(client.clone());
        self.wait_for(
            "the node to be Ready",
            Duration::from_secs(180),
            async move {
                await_condition(nodes, network::NODE_NAME, |node: Option<&Node>| {
                    node.and_then(|node| node.status.as_ref())
                        .and_then(|status| status.conditions.as_ref())
                        .is_some_and(|conditions| {
                            conditions
                                .iter()
                                .any(|c| c.type_ == "Ready" && c.status == "True")
                        })
                })
                .await?;
                Ok(())
            },
        )
        .await?;
        let service_accounts: Api<ServiceAccount> = Api::namespaced(client, "default");
        self.wait_for(
            "the default ServiceAccount",
            Duration::from_secs(120),
            async move {
                await_condition(
                    service_accounts,
                    "default",
                    |sa: Option<&ServiceAccount>| sa.is_some(),
                )
                .await?;
                Ok(())
            },
        )
        .await?;
        self.wait_for(
            "kube-proxy to route 10.96.0.1:443",
            Duration::from_secs(120),
            async {
                let service = SocketAddr::new(IpAddr::V4(network::API_SERVICE_IP), 443);
                loop {
                    let connect = tokio::net::TcpStream::connect(service);
                    if let Ok(Ok(_)) = tokio::time::timeout(Duration::from_secs(2), connect).await {
                        return Ok(());
                    }
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            },
        )
        .await
    }

    /// Starts the binary `name` of the cluster's version with `args`.
    fn launch(&mut self, name: &str, args: Vec<String>) -> anyhow::Result<()> {
        let component = Component::start(name, &self.binaries.path(name), &args, &self.logs_dir)?;
        self.components.push(component);
        Ok(())
    }

    /// Waits for `condition` up to `base` (scaled by the timeout factor), failing early when a
    /// component exits.
    async fn wait_for(
        &mut self,
        what: &str,
        base: Duration,
        condition: impl Future<Output = anyhow::Result<()>>,
    ) -> anyhow::Result<()> {
        let limit = timeout(base);
        let deadline = tokio::time::Instant::now() + limit;
        tokio::pin!(condition);
        loop {
            tokio::select! {
                outcome = &mut condition => {
                    return outcome.with_context(|| format!("waiting for {what}"));
                }
                () = tokio::time::sleep(Duration::from_millis(500)) => {
                    for component in &mut self.components {
                        component
                            .ensure_running()
                            .with_context(|| format!("waiting for {what}"))?;
                    }
                    if tokio::time::Instant::now() > deadline {
                        anyhow::bail!("timed out after {limit:?} waiting for {what}");
                    }
                }
            }
        }
    }

    /// Stops the components (newest first) and restores the host. Idempotent.
    fn teardown(&mut self) -> anyhow::Result<()> {
        while let Some(mut component) = self.components.pop() {
            component.stop(timeout(STOP_GRACE));
        }
        self.containerd = None;
        match self.record.take() {
            Some(record) => record.restore(),
            None => {
                // Nothing was changed on the host yet; only the work directory exists.
                if self.work_dir.exists() {
                    std::fs::remove_dir_all(&self.work_dir)
                        .with_context(|| format!("removing {}", self.work_dir.display()))?;
                }
                Ok(())
            }
        }
    }
}

/// Restores the host when a previous cluster died without doing so (waiting for a running
/// cluster on the machine to stop first). Call it before taking a picture of the host that is
/// meant to show it untouched.
pub fn recover_host() -> anyhow::Result<()> {
    let _lock = MachineLock::acquire(LOCK_NAME)?;
    restore_left_behind()
}

/// Restores the host from a record left behind; the caller holds the machine lock.
fn restore_left_behind() -> anyhow::Result<()> {
    if let Some(record) = HostRecord::left_behind()? {
        eprintln!(
            "node: a previous cluster did not restore the host; restoring it from {}",
            HostRecord::path().display()
        );
        record.restore()?;
    }
    Ok(())
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if let Err(error) = self.teardown() {
            eprintln!("node: stopping the cluster: {error:#}");
        }
    }
}
