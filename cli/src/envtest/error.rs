//! Everything that can go wrong while managing envtest binaries.

use std::io;
use std::path::PathBuf;

use super::platform::{InvalidPlatform, Platform};
use super::version::{InvalidVersion, Selector, Version};

/// Why an envtest command failed. Each message says what was expected and what was found.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A Kubernetes version or version selector could not be parsed.
    #[error(transparent)]
    InvalidVersion(#[from] InvalidVersion),

    /// An OS or architecture name is not usable in store paths.
    #[error(transparent)]
    InvalidPlatform(#[from] InvalidPlatform),

    /// Neither `--bin-dir`, `XDG_DATA_HOME` nor `HOME` says where the store is.
    #[error(
        "cannot locate the envtest store: expected --bin-dir, an absolute XDG_DATA_HOME or HOME, found none"
    )]
    NoStoreLocation,

    /// A file-system operation failed.
    #[error("could not {action} {}: {source}", path.display())]
    Io {
        /// What was being done, e.g. `create directory`.
        action: &'static str,
        /// The path it was done to.
        path: PathBuf,
        /// The operating system's error.
        source: io::Error,
    },

    /// `--installed-only` was given but no installed version matches.
    #[error(
        "no installed envtest binaries match {selector} for {platform} in {}: found {installed}; \
         run without --installed-only to download them",
        store.display()
    )]
    NotInstalled {
        /// What was asked for.
        selector: Selector,
        /// The platform asked for.
        platform: Platform,
        /// The store's `k8s` directory.
        store: PathBuf,
        /// The versions installed for that platform, or `nothing`.
        installed: String,
    },

    /// An HTTP request failed (network, DNS, timeout or an error status).
    #[error("could not fetch {url}: {source}")]
    Http {
        /// The URL requested.
        url: String,
        /// What went wrong.
        source: Box<ureq::Error>,
    },

    /// The release index is not in the `envtest-releases.yaml` format.
    #[error(
        "the release index at {url} is not valid: expected envtest-releases.yaml \
         (releases: {{vX.Y.Z: {{<archive>: {{hash, selfLink}}}}}}), found: {source}"
    )]
    IndexParse {
        /// Where the index came from.
        url: String,
        /// The YAML error.
        source: Box<serde_saphyr::Error>,
    },

    /// An archive listed in the index carries an unusable hash.
    #[error(
        "the release index lists archive {archive} with hash `{hash}`: expected 128 hexadecimal digits (SHA-512)"
    )]
    IndexHash {
        /// The archive name.
        archive: String,
        /// The hash as listed.
        hash: String,
    },

    /// The release index has nothing that matches.
    #[error(
        "the release index at {url} has no release matching {selector} for {platform}; it has: {available}"
    )]
    NoRelease {
        /// Where the index came from.
        url: String,
        /// What was asked for.
        selector: Selector,
        /// The platform asked for.
        platform: Platform,
        /// The versions it does list for that platform, or `nothing`.
        available: String,
    },

    /// A downloaded archive does not have the checksum the index promises. Nothing was installed.
    #[error(
        "refusing {url}: SHA-512 mismatch, nothing was installed\n  expected (from the index): {expected}\n  actual (downloaded):       {actual}"
    )]
    HashMismatch {
        /// Where the archive came from.
        url: String,
        /// The hash listed in the index.
        expected: String,
        /// The hash of the bytes received.
        actual: String,
    },

    /// A verified archive does not contain exactly the envtest binaries.
    #[error(
        "archive {archive} does not have the envtest layout: {problem}; expected exactly \
         controller-tools/envtest/{{etcd,kube-apiserver,kubectl}}"
    )]
    InvalidArchive {
        /// The archive name.
        archive: String,
        /// What was found instead.
        problem: String,
    },

    /// A directory about to be installed lacks binaries.
    #[error("{} is incomplete: expected {expected}, missing {missing}", dir.display())]
    IncompleteAssets {
        /// The directory checked.
        dir: PathBuf,
        /// The binaries it should hold.
        expected: String,
        /// The binaries not found.
        missing: String,
    },

    /// Building from the Go module proxy was switched off.
    #[error(
        "building from the Go module proxy is disabled (--no-go-build or KUBESMITH_ENVTEST_NO_GO_BUILD)"
    )]
    GoBuildDisabled,

    /// The Go toolchain could not be started.
    #[error(
        "expected a Go toolchain to build from the Go module proxy, but `{program}` is not on PATH"
    )]
    GoMissing {
        /// The program that was looked for.
        program: String,
    },

    /// A `go` command failed.
    #[error("`{command}` failed ({status}); last output:\n{output}")]
    GoFailed {
        /// The command line.
        command: String,
        /// How it exited.
        status: String,
        /// The last lines it printed.
        output: String,
    },

    /// A `go` command printed something unexpected.
    #[error("`{command}` printed unexpected output: expected {expected}, found `{found}`")]
    GoOutput {
        /// The command line.
        command: String,
        /// What was expected.
        expected: &'static str,
        /// What was printed (shortened).
        found: String,
    },

    /// The Go module proxy has no matching stable `k8s.io/kubernetes` version.
    #[error(
        "the Go module proxy has no stable k8s.io/kubernetes version matching {selector}; it has: {available}"
    )]
    NoGoRelease {
        /// What was asked for.
        selector: Selector,
        /// The newest few stable versions it lists.
        available: String,
    },

    /// The downloaded `k8s.io/kubernetes` go.mod lacks something the build derives from it.
    #[error("the go.mod of k8s.io/kubernetes {version} has no {expected}")]
    GoModIncomplete {
        /// The Kubernetes version.
        version: String,
        /// What was looked for.
        expected: &'static str,
    },

    /// Node binaries were asked for a platform they are not built for.
    #[error("node binaries (kubelet, kube-proxy, …) are built for linux only, not for {platform}")]
    NodeUnsupportedPlatform {
        /// The platform asked for.
        platform: Platform,
    },

    /// `--installed-only` was given but the node binaries are not installed.
    #[error(
        "the node binaries of Kubernetes {version} ({platform}) are not installed in {}: expected \
         kubelet, kube-controller-manager, kube-scheduler and kube-proxy; run without \
         --installed-only to build them with Go",
        dir.display()
    )]
    NodeNotInstalled {
        /// The Kubernetes version.
        version: Version,
        /// The platform asked for.
        platform: Platform,
        /// The version directory they belong in.
        dir: PathBuf,
    },

    /// The node binaries are not installed and could not be built.
    #[error(
        "the node binaries of Kubernetes {version} ({platform}) could not be obtained: release \
         archives carry no kubelet, kube-controller-manager, kube-scheduler or kube-proxy, so \
         they are built with the Go toolchain from the Go module proxy, and that failed: {build}"
    )]
    NodeUnavailable {
        /// The Kubernetes version.
        version: Version,
        /// The platform asked for.
        platform: Platform,
        /// Why building failed or was not attempted.
        build: Box<Error>,
    },

    /// Neither downloading nor building produced the binaries.
    #[error(
        "no envtest binaries for Kubernetes {selector} ({platform}) could be obtained\n  \
         download: {download}\n  \
         build from the Go module proxy: {build}\n\
         To use binaries you already have, set KUBEBUILDER_ASSETS to a directory containing etcd, \
         kube-apiserver and kubectl, or set TEST_ASSET_KUBE_APISERVER, TEST_ASSET_ETCD and \
         TEST_ASSET_KUBECTL to the path of each binary."
    )]
    Unavailable {
        /// What was asked for.
        selector: Selector,
        /// The platform asked for.
        platform: Platform,
        /// Why downloading failed.
        download: Box<Error>,
        /// Why building failed or was not attempted.
        build: Box<Error>,
    },
}

impl Error {
    /// Builds an [`Error::Io`].
    pub(crate) fn io(action: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        Self::Io {
            action,
            path: path.into(),
            source,
        }
    }

    /// Whether this download failure means "the release cannot be fetched from here" (so
    /// building it instead is reasonable), as opposed to a failed integrity check or a local
    /// problem, which must be reported as is.
    #[must_use]
    pub fn is_unavailable(&self) -> bool {
        matches!(
            self,
            Self::Http { .. } | Self::IndexParse { .. } | Self::NoRelease { .. }
        )
    }
}

/// Joins items for an error message, or says `nothing`.
pub(crate) fn list_or_nothing<T: std::fmt::Display>(items: impl IntoIterator<Item = T>) -> String {
    let joined = items
        .into_iter()
        .map(|item| item.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    if joined.is_empty() {
        "nothing".to_owned()
    } else {
        joined
    }
}
