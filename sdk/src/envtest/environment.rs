//! [`Environment`]: a running control plane (or an existing cluster) and its builder.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::PostParams;
use kube::{Api, Client};

use super::apiserver::ApiServerSpec;
use super::binaries::Binary;
use super::crd::{self, CrdInstallOptions};
use super::error::{Error, Result};
use super::etcd::Etcd;
use super::kubeconfig;
use super::pki::Pki;
use super::process::{Output, Process};
use super::settings::{
    self, ATTACH_OUTPUT_VAR, DEFAULT_START_TIMEOUT, DEFAULT_STOP_TIMEOUT, START_TIMEOUT_VAR,
    STOP_TIMEOUT_VAR, USE_EXISTING_CLUSTER_VAR,
};

/// The user name of the admin client.
pub const ADMIN_USER: &str = "envtest-admin";
/// The group that makes the admin client a cluster administrator.
pub const ADMIN_GROUP: &str = "system:masters";
/// How many times a start is retried when another program took a port between picking and binding it.
const PORT_CONFLICT_ATTEMPTS: usize = 3;

/// Configures and starts an [`Environment`]. Unset options fall back to the environment
/// variables in the [module documentation](super), then to controller-runtime's defaults.
#[derive(Debug, Default, Clone)]
#[must_use]
pub struct EnvironmentBuilder {
    crds: CrdInstallOptions,
    assets_dir: Option<PathBuf>,
    start_timeout: Option<Duration>,
    stop_timeout: Option<Duration>,
    attach_output: Option<bool>,
    use_existing_cluster: Option<bool>,
    api_server_args: Vec<String>,
}

impl EnvironmentBuilder {
    /// Installs the CRDs found in this directory or file at start (see [`CrdInstallOptions::path`]).
    pub fn crd_directory(mut self, path: impl Into<PathBuf>) -> Self {
        self.crds = self.crds.path(path);
        self
    }

    /// Installs this in-memory CRD at start, e.g. `MyKind::crd()`.
    pub fn crd(mut self, crd: CustomResourceDefinition) -> Self {
        self.crds = self.crds.crd(crd);
        self
    }

    /// Whether a CRD directory that does not exist fails the start (default `false`).
    pub fn error_if_crd_path_missing(mut self, error: bool) -> Self {
        self.crds = self.crds.error_if_path_missing(error);
        self
    }

    /// How long to wait for installed CRDs to be served (default 10 s).
    pub fn crd_install_timeout(mut self, timeout: Duration) -> Self {
        self.crds = self.crds.timeout(timeout);
        self
    }

    /// The directory searched for binaries after `TEST_ASSET_*` and `KUBEBUILDER_ASSETS`.
    pub fn binary_assets_directory(mut self, dir: impl Into<PathBuf>) -> Self {
        self.assets_dir = Some(dir.into());
        self
    }

    /// How long each process may take to become ready (default: `KUBEBUILDER_CONTROLPLANE_START_TIMEOUT`, else 20 s).
    pub fn start_timeout(mut self, timeout: Duration) -> Self {
        self.start_timeout = Some(timeout);
        self
    }

    /// How long etcd may take to exit after SIGTERM before it is killed (default:
    /// `KUBEBUILDER_CONTROLPLANE_STOP_TIMEOUT`, else 20 s). The API server is killed at once on
    /// teardown: its state is in etcd, which is deleted.
    pub fn stop_timeout(mut self, timeout: Duration) -> Self {
        self.stop_timeout = Some(timeout);
        self
    }

    /// Whether control-plane output goes to the terminal (default: `KUBEBUILDER_ATTACH_CONTROL_PLANE_OUTPUT`, else to log files).
    pub fn attach_output(mut self, attach: bool) -> Self {
        self.attach_output = Some(attach);
        self
    }

    /// Whether to use the current kubeconfig's cluster instead of starting one (default: `USE_EXISTING_CLUSTER`).
    pub fn use_existing_cluster(mut self, existing: bool) -> Self {
        self.use_existing_cluster = Some(existing);
        self
    }

    /// Adds a kube-apiserver flag, e.g. `--feature-gates=...`; later flags override earlier ones.
    pub fn api_server_arg(mut self, arg: impl Into<String>) -> Self {
        self.api_server_args.push(arg.into());
        self
    }

    /// Starts the control plane (or connects to the existing cluster) and installs the CRDs.
    pub async fn start(self) -> Result<Environment> {
        let use_existing = match self.use_existing_cluster {
            Some(existing) => existing,
            None => settings::bool_var(USE_EXISTING_CLUSTER_VAR)?,
        };
        // Read CRD files before starting anything, so a bad path fails fast.
        let crds = self.crds.load()?;
        let env = if use_existing {
            Environment {
                config: kube::Config::infer().await?,
                kubeconfig_path: None,
                control_plane: Mutex::new(None),
            }
        } else {
            self.start_control_plane().await?
        };
        if !crds.is_empty() {
            crd::install(&env.client()?, &crds, self.crds.timeout_value()).await?;
        }
        Ok(env)
    }

    async fn start_control_plane(&self) -> Result<Environment> {
        let mut attempt = 1;
        loop {
            match self.start_control_plane_once().await {
                Err(error) if attempt < PORT_CONFLICT_ATTEMPTS && is_port_conflict(&error) => {
                    tracing::debug!(%error, attempt, "port taken by another program; retrying with new ports");
                    attempt += 1;
                }
                result => return result,
            }
        }
    }

    async fn start_control_plane_once(&self) -> Result<Environment> {
        let etcd_binary = Binary::Etcd.locate(self.assets_dir.as_deref())?;
        let apiserver_binary = Binary::KubeApiServer.locate(self.assets_dir.as_deref())?;
        let start_timeout = match self.start_timeout {
            Some(timeout) => timeout,
            None => settings::duration_var(START_TIMEOUT_VAR)?.unwrap_or(DEFAULT_START_TIMEOUT),
        };
        let stop_timeout = match self.stop_timeout {
            Some(timeout) => timeout,
            None => settings::duration_var(STOP_TIMEOUT_VAR)?.unwrap_or(DEFAULT_STOP_TIMEOUT),
        };
        let attach = match self.attach_output {
            Some(attach) => attach,
            None => settings::bool_var(ATTACH_OUTPUT_VAR)?,
        };
        let workdir = tempfile::Builder::new()
            .prefix("kubesmith-envtest-")
            .tempdir()
            .map_err(Error::io(
                "creating a temporary directory in",
                std::env::temp_dir(),
            ))?;
        let dir = workdir.path();
        let output = |name: &str| match attach {
            true => Output::Attached,
            false => Output::LogFile(dir.join(format!("{name}.log"))),
        };

        let pki = Pki::generate()?;
        let etcd = Etcd::start(
            &etcd_binary,
            dir,
            output("etcd"),
            start_timeout,
            stop_timeout,
        )
        .await?;
        let spec = ApiServerSpec::new(
            apiserver_binary,
            dir,
            &etcd.client_url,
            &pki,
            &self.api_server_args,
            output("kube-apiserver"),
            (start_timeout, stop_timeout),
        )?;
        let admin_identity =
            pki.issue_client_certificate(ADMIN_USER, &[ADMIN_GROUP.to_string()])?;
        let admin_kubeconfig =
            kubeconfig::kubeconfig_for(&spec.url, &pki.serving_ca_pem, ADMIN_USER, &admin_identity);
        let kubeconfig_path = dir.join("kubeconfig");
        kubeconfig::write_kubeconfig(&admin_kubeconfig, &kubeconfig_path)?;
        let config = kubeconfig::client_config(admin_kubeconfig).await?;
        let api_server = spec.start(&config).await?;
        Ok(Environment {
            config,
            kubeconfig_path: Some(kubeconfig_path),
            control_plane: Mutex::new(Some(ControlPlane {
                api_server: Some(api_server),
                api_server_spec: spec,
                etcd,
                pki,
                workdir,
            })),
        })
    }
}

fn is_port_conflict(error: &Error) -> bool {
    match error {
        Error::Exited { output, .. } => {
            output.contains("address already in use") || output.contains("bind: address")
        }
        _ => false,
    }
}

/// The processes and files of a control plane envtest started.
struct ControlPlane {
    api_server: Option<Process>,
    api_server_spec: ApiServerSpec,
    etcd: Etcd,
    pki: Pki,
    workdir: tempfile::TempDir,
}

impl Drop for ControlPlane {
    /// Stops the API server, then etcd; the temporary directory goes when the fields drop.
    ///
    /// The API server is killed rather than asked to shut down: everything it holds lives in
    /// etcd, which is about to be deleted, and a graceful shutdown costs about a second.
    fn drop(&mut self) {
        if let Some(mut api_server) = self.api_server.take() {
            api_server.kill();
        }
        self.etcd.process.stop();
    }
}

/// A running test control plane (or a connection to an existing cluster).
///
/// Cloning clients is cheap: call [`client`](Self::client) in each test, since a
/// `kube::Client` is bound to the tokio runtime it was created on.
pub struct Environment {
    config: kube::Config,
    kubeconfig_path: Option<PathBuf>,
    control_plane: Mutex<Option<ControlPlane>>,
}

impl std::fmt::Debug for Environment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Environment")
            .field("server", &self.config.cluster_url.to_string())
            .field("kubeconfig", &self.kubeconfig_path)
            .field("pids", &self.process_ids())
            .finish()
    }
}

impl Environment {
    /// A builder with every option at its default.
    pub fn builder() -> EnvironmentBuilder {
        EnvironmentBuilder::default()
    }

    /// Starts a control plane with default options (binaries and settings from the environment variables).
    pub async fn start() -> Result<Self> {
        Self::builder().start().await
    }

    /// The admin client configuration (user `envtest-admin` in `system:masters`).
    pub fn config(&self) -> &kube::Config {
        &self.config
    }

    /// A new admin client, bound to the current tokio runtime.
    pub fn client(&self) -> Result<Client> {
        Client::try_from(self.config.clone()).map_err(Error::kube("building the admin client"))
    }

    /// The admin kubeconfig file, usable with `kubectl --kubeconfig`; `None` on an existing cluster.
    pub fn kubeconfig_path(&self) -> Option<&Path> {
        self.kubeconfig_path.as_deref()
    }

    /// The API server's URL.
    pub fn server_url(&self) -> String {
        self.config.cluster_url.to_string()
    }

    /// The temporary directory holding this control plane's certificates, kubeconfig, etcd data
    /// and the logs `etcd.log` and `kube-apiserver.log` (unless output is attached). It is
    /// removed on stop. `None` on an existing cluster or after stop.
    pub fn work_directory(&self) -> Option<PathBuf> {
        self.with_control_plane(|plane| plane.workdir.path().to_path_buf())
    }

    /// Whether this environment uses an existing cluster rather than one it started.
    pub fn is_existing_cluster(&self) -> bool {
        self.kubeconfig_path.is_none()
    }

    /// Process ids of the running etcd and kube-apiserver (empty on an existing cluster or after stop).
    pub fn process_ids(&self) -> Vec<u32> {
        self.with_control_plane(|plane| {
            plane
                .api_server
                .iter()
                .map(Process::id)
                .chain([plane.etcd.process.id()])
                .collect()
        })
        .unwrap_or_default()
    }

    /// The configuration of a client authenticated as `user` in `groups`, by a certificate
    /// signed by the control plane's client CA.
    pub async fn user_config(&self, user: &str, groups: &[&str]) -> Result<kube::Config> {
        kubeconfig::client_config(self.user_kubeconfig(user, groups)?).await
    }

    /// Writes a kubeconfig file (mode 0600) for `user` in `groups` into the environment's
    /// directory and returns its path: for a separate process — an operator under test, `kubectl`
    /// — that should act as that user.
    ///
    /// ```no_run
    /// # async fn example(env: &kubesmith::envtest::Environment) -> kubesmith::envtest::Result<()> {
    /// let path = env.write_user_kubeconfig("operator", &["system:masters"])?;
    /// std::process::Command::new("my-operator").env("KUBECONFIG", &path);
    /// # Ok(()) }
    /// ```
    pub fn write_user_kubeconfig(&self, user: &str, groups: &[&str]) -> Result<PathBuf> {
        let kubeconfig = self.user_kubeconfig(user, groups)?;
        let dir = self
            .work_directory()
            .ok_or(Error::NotSupportedOnExistingCluster(
                "writing a user kubeconfig",
            ))?;
        let file_name: String = user
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let path = dir.join(format!("{file_name}.kubeconfig"));
        kubeconfig::write_kubeconfig(&kubeconfig, &path)?;
        Ok(path)
    }

    fn user_kubeconfig(&self, user: &str, groups: &[&str]) -> Result<kube::config::Kubeconfig> {
        let groups: Vec<String> = groups.iter().map(|g| g.to_string()).collect();
        let (server, ca, identity) = self
            .with_control_plane(|plane| {
                let identity = plane.pki.issue_client_certificate(user, &groups)?;
                Ok::<_, Error>((
                    plane.api_server_spec.url.clone(),
                    plane.pki.serving_ca_pem.clone(),
                    identity,
                ))
            })
            .ok_or(Error::NotSupportedOnExistingCluster("adding a user"))??;
        Ok(kubeconfig::kubeconfig_for(&server, &ca, user, &identity))
    }

    /// A client authenticated as `user` in `groups`; what it may do is decided by RBAC.
    ///
    /// ```no_run
    /// # async fn example(env: &kubesmith::envtest::Environment) -> kubesmith::envtest::Result<()> {
    /// let alice = env.add_user("alice", &["developers"]).await?;
    /// # Ok(()) }
    /// ```
    pub async fn add_user(&self, user: &str, groups: &[&str]) -> Result<Client> {
        let config = self.user_config(user, groups).await?;
        Client::try_from(config).map_err(Error::kube(format!("building a client for {user}")))
    }

    /// Installs CRDs and waits until discovery lists every served version.
    pub async fn install_crds(
        &self,
        options: &CrdInstallOptions,
    ) -> Result<Vec<CustomResourceDefinition>> {
        let crds = options.load()?;
        crd::install(&self.client()?, &crds, options.timeout_value()).await?;
        Ok(crds)
    }

    /// Installs webhook configurations (and CRD conversions) that point at a local webhook
    /// server, with a fresh serving certificate; see [`WebhookInstallOptions`](super::WebhookInstallOptions).
    pub async fn install_webhooks(
        &self,
        options: &super::webhooks::WebhookInstallOptions,
    ) -> Result<super::webhooks::InstalledWebhooks> {
        super::webhooks::install(&self.client()?, options).await
    }

    /// Creates a namespace named `<prefix><random suffix>` and returns its name, to isolate a test.
    pub async fn create_namespace(&self, prefix: &str) -> Result<String> {
        let namespace = Namespace {
            metadata: ObjectMeta {
                generate_name: Some(format!("{}-", prefix.trim_end_matches('-'))),
                ..ObjectMeta::default()
            },
            ..Namespace::default()
        };
        let created = Api::<Namespace>::all(self.client()?)
            .create(&PostParams::default(), &namespace)
            .await
            .map_err(Error::kube(format!(
                "creating a namespace with prefix {prefix}"
            )))?;
        Ok(created.metadata.name.unwrap_or_default())
    }

    /// A `kubectl` command already pointed at this control plane's admin kubeconfig.
    pub fn kubectl(&self) -> Result<std::process::Command> {
        let assets_dir = self.with_control_plane(|plane| {
            plane.api_server_spec.binary.parent().map(Path::to_path_buf)
        });
        let binary = Binary::Kubectl.locate(assets_dir.flatten().as_deref())?;
        let mut command = std::process::Command::new(binary);
        if let Some(path) = &self.kubeconfig_path {
            command.arg("--kubeconfig").arg(path);
        }
        Ok(command)
    }

    /// Stops the API server gracefully (SIGTERM) while etcd and its data stay, e.g. to test how
    /// a controller rides out an API outage. [`start_api_server`](Self::start_api_server)
    /// brings it back on the same address.
    pub async fn stop_api_server(&self) -> Result<()> {
        let process = self
            .with_control_plane(|plane| plane.api_server.take())
            .ok_or(Error::NotSupportedOnExistingCluster(
                "stopping the API server",
            ))?;
        if let Some(mut process) = process {
            let _ = tokio::task::spawn_blocking(move || process.stop()).await;
        }
        Ok(())
    }

    /// Starts the API server again after [`stop_api_server`](Self::stop_api_server), with the
    /// same port, certificates and etcd, and waits until it is ready. Does nothing when it runs.
    pub async fn start_api_server(&self) -> Result<()> {
        let spec = self
            .with_control_plane(|plane| {
                plane
                    .api_server
                    .is_none()
                    .then(|| plane.api_server_spec.clone())
            })
            .ok_or(Error::NotSupportedOnExistingCluster(
                "starting the API server",
            ))?;
        let Some(spec) = spec else {
            return Ok(());
        };
        let process = spec.start(&self.config).await?;
        self.with_control_plane(|plane| plane.api_server = Some(process))
            .ok_or(Error::Stopped)
    }

    /// Stops kube-apiserver and etcd and removes the temporary files. Dropping the environment
    /// does the same; this form does not block the async runtime while processes exit.
    pub async fn stop(self) {
        let _ = tokio::task::spawn_blocking(move || drop(self)).await;
    }

    /// Stops the processes now (blocking); later calls do nothing.
    pub(super) fn teardown(&self) {
        let plane = self
            .control_plane
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take();
        drop(plane);
    }

    fn with_control_plane<T>(&self, f: impl FnOnce(&mut ControlPlane) -> T) -> Option<T> {
        let mut guard = self
            .control_plane
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        guard.as_mut().map(f)
    }
}

impl Drop for Environment {
    fn drop(&mut self) {
        self.teardown();
    }
}
