//! The envtest asset manager: `kubesmith envtest use | list | cleanup`.
//!
//! envtest runs a real `kube-apiserver` and `etcd` (plus `kubectl`) for tests. This module puts
//! those binaries in a store shared with Go's `setup-envtest` and tells tests where they are
//! (`KUBEBUILDER_ASSETS`). Start with [`AssetManager`]; the pieces it is made of are public too:
//!
//! | module | concept |
//! |---|---|
//! | [`version`] | Kubernetes versions and the selectors `1.37.2`, `1.37`/`1.37.x`, `latest` |
//! | [`platform`] | OS/architecture in Go's names |
//! | [`store`] | the on-disk store, `<bin-dir>/k8s/<X.Y.Z>-<os>-<arch>/`, atomic installs |
//! | [`index`] | the `envtest-releases.yaml` release index |
//! | [`download`] | HTTP fetch, SHA-512 verification, archive extraction |
//! | [`go_mod`] | the go.mod derivation for building from the Go module proxy |
//! | [`go_build`] | building the binaries with the Go toolchain |
//! | [`manager`] | the decisions: store, then download, then build |
//! | [`command`] | the command-line interface over all of it |

pub mod command;
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
pub use error::Error;
pub use manager::{AssetManager, Assets, Source};
pub use platform::Platform;
pub use store::Store;
pub use version::{Selector, Version};

/// The Kubernetes version `use` picks when none is given: the API version kubesmith is compiled
/// against (its `k8s-openapi` feature `v1_37`), so tests run against the API the operator
/// was built for.
pub const DEFAULT_KUBERNETES_VERSION: &str = "1.37.2";

/// Where the release index is read from unless `--index` or [`INDEX_ENV`] says otherwise:
/// controller-tools' `envtest-releases.yaml`, the index Go's `setup-envtest` uses.
pub const DEFAULT_INDEX_URL: &str =
    "https://raw.githubusercontent.com/kubernetes-sigs/controller-tools/HEAD/envtest-releases.yaml";

/// Environment variable overriding [`DEFAULT_INDEX_URL`] (for a mirror).
pub const INDEX_ENV: &str = "KUBESMITH_ENVTEST_INDEX";

/// Environment variable that, set to `true`/`1`, disables the Go-toolchain fallback (as
/// `--no-go-build` does); tests use it so a missing download never starts a long build.
pub const NO_GO_BUILD_ENV: &str = "KUBESMITH_ENVTEST_NO_GO_BUILD";

/// Environment variable that, set to `true`/`1`, turns on `--installed-only`; the name Go's
/// `setup-envtest` reads, so existing CI settings keep working.
pub const INSTALLED_ONLY_ENV: &str = "ENVTEST_INSTALLED_ONLY";

/// The Go toolchain used for the build fallback, looked up on `PATH`.
pub const DEFAULT_GO: &str = "go";
