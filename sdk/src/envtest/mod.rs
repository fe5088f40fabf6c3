//! A real Kubernetes control plane for tests: etcd and kube-apiserver started by the test.
//!
//! This is the Rust counterpart of controller-runtime's `envtest`, and it honours the same
//! environment variables, so a Go team's CI settings keep working:
//!
//! | variable | meaning |
//! |---|---|
//! | `TEST_ASSET_KUBE_APISERVER`, `TEST_ASSET_ETCD`, `TEST_ASSET_KUBECTL` | path of one binary |
//! | `KUBEBUILDER_ASSETS` | directory holding all binaries (what `kubesmith envtest use -p path` prints) |
//! | `USE_EXISTING_CLUSTER=true` | use the current kubeconfig instead of starting a control plane |
//! | `KUBEBUILDER_CONTROLPLANE_START_TIMEOUT`, `..._STOP_TIMEOUT` | per-process limits (default 20 s) |
//! | `KUBEBUILDER_ATTACH_CONTROL_PLANE_OUTPUT=true` | show etcd and kube-apiserver output |
//!
//! The API server serves TLS on a free loopback port with its own CAs, authenticates clients by
//! certificate and authorizes with RBAC. The admin client is in `system:masters`;
//! [`Environment::add_user`] gives clients for other users and groups. Processes are stopped and
//! temporary files removed by [`Environment::stop`], when the environment is dropped (also
//! while a test panics), and — on Linux — by the kernel when the test process dies.
//!
//! ```no_run
//! use k8s_openapi::api::core::v1::ConfigMap;
//! use kube::Api;
//! use kubesmith::envtest::Environment;
//!
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! let env = Environment::builder()
//!     .crd_directory("config/crd/bases")
//!     .start()
//!     .await?;
//! let configmaps: Api<ConfigMap> = Api::default_namespaced(env.client()?);
//! let list = configmaps.list(&Default::default()).await?;
//! env.stop().await;
//! # Ok(()) }
//! ```
//!
//! To start one control plane per test binary and isolate tests by namespace, see
//! [`SharedEnvironment`]. A controller under test runs in a [`TestManager`] made with
//! [`Environment::manager_options`]; [`wait_for`] and [`eventually`] wait for its work.

mod apiserver;
mod binaries;
mod crd;
mod environment;
mod error;
mod etcd;
mod kubeconfig;
mod pki;
mod ports;
mod probe;
mod process;
mod settings;
mod shared;
mod test_manager;
mod wait;
mod webhooks;

pub use apiserver::SERVICE_CLUSTER_IP_RANGE;
pub use binaries::{ASSETS_DIR_VAR, Binary, DEFAULT_ASSETS_DIR};
pub use crd::{CrdInstallOptions, DEFAULT_CRD_INSTALL_TIMEOUT};
pub use error::{Error, Result};
pub use kubeconfig::CLUSTER_NAME;
pub use settings::{
    ATTACH_OUTPUT_VAR, DEFAULT_START_TIMEOUT, DEFAULT_STOP_TIMEOUT, START_TIMEOUT_VAR,
    STOP_TIMEOUT_VAR, USE_EXISTING_CLUSTER_VAR,
};
pub use shared::SharedEnvironment;
pub use test_manager::TestManager;
pub use wait::{eventually, wait_for};
pub use webhooks::{DEFAULT_WEBHOOK_REACHABLE_TIMEOUT, InstalledWebhooks, WebhookInstallOptions};

pub use environment::{ADMIN_GROUP, ADMIN_USER, Environment, EnvironmentBuilder};
