//! The envtest asset manager: `kubesmith envtest use | list | cleanup`.
//!
//! envtest runs a real `kube-apiserver` and `etcd` (plus `kubectl`) for tests. This module puts
//! those binaries in a store shared with Go's `setup-envtest` and tells tests where they are
//! (`KUBEBUILDER_ASSETS`). `use --node` adds the node binaries of a real one-node cluster
//! (kubelet, kube-controller-manager, kube-scheduler, kube-proxy) to the same directory; release
//! archives carry none, so those are always built with Go. Start with [`AssetManager`]; the
//! pieces it is made of are public too:
//!
//! | module | concept |
//! |---|---|
//! | [`version`] | Kubernetes versions and the selectors `1.37.2`, `1.37`/`1.37.x`, `latest` |
//! | [`platform`] | OS/architecture in Go's names |
//! | [`store`] | the on-disk store, `<bin-dir>/k8s/<X.Y.Z>-<os>-<arch>/`, atomic installs |
//! | [`index`] | the `envtest-releases.yaml` release index |
//! | [`download`] | HTTP fetch, SHA-512 verification, archive extraction |
//! | [`go_mod`] | the go.mod derivation for building from the Go module proxy |
//! | [`go_build`] | building the binaries (control plane, node) with the Go toolchain |
//! | [`manager`] | the decisions: store, then download, then build |
//! | [`command`] | the command-line interface over all of it |

pub mod command;
mod defaults;
pub mod download;
mod error;
pub mod go_build;
pub mod go_mod;
pub mod index;
pub mod manager;
pub mod platform;
pub mod store;
pub mod version;

pub use command::EnvtestCommand;
pub use defaults::{
    DEFAULT_GO, DEFAULT_INDEX_URL, DEFAULT_KUBERNETES_VERSION, INDEX_ENV, INSTALLED_ONLY_ENV,
    NO_GO_BUILD_ENV,
};
pub use error::Error;
pub use manager::{AssetManager, Assets, Source};
pub use platform::Platform;
pub use store::Store;
pub use version::{Selector, Version};
