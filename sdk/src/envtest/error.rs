//! Errors of the test control plane.

use std::path::PathBuf;
use std::time::Duration;

/// Everything that can go wrong while starting, using or stopping an [`Environment`](super::Environment).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No executable was found for a control-plane binary at any of the places looked at.
    #[error(
        "{binary} not found; looked at: {}. Run `kubesmith envtest use` and set KUBEBUILDER_ASSETS \
         to the directory it prints, or point {env_var} at the binary",
        display_paths(.tried)
    )]
    BinaryNotFound {
        /// The binary's file name, e.g. `kube-apiserver`.
        binary: &'static str,
        /// The environment variable that names this binary directly.
        env_var: &'static str,
        /// Every path that was checked, in lookup order.
        tried: Vec<PathBuf>,
    },
    /// An environment variable holds a value of the wrong shape.
    #[error("environment variable {name}={value:?} is invalid: expected {expected}")]
    InvalidEnvVar {
        /// The variable's name.
        name: &'static str,
        /// The value found.
        value: String,
        /// What a valid value looks like.
        expected: &'static str,
    },
    /// A control-plane process could not be started.
    #[error("could not start {binary} ({path}): {source}")]
    Spawn {
        /// The binary's file name.
        binary: &'static str,
        /// The executable that was started.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A control-plane process exited while it was expected to run.
    #[error("{binary} exited with {status} before becoming ready; last output:\n{output}")]
    Exited {
        /// The binary's file name.
        binary: &'static str,
        /// How it exited.
        status: std::process::ExitStatus,
        /// The tail of its log (empty when output is attached to the terminal).
        output: String,
    },
    /// A control-plane process did not become ready in time.
    #[error(
        "{binary} was not ready after {timeout:?} (raise KUBEBUILDER_CONTROLPLANE_START_TIMEOUT); \
         last output:\n{output}"
    )]
    StartTimeout {
        /// The binary's file name.
        binary: &'static str,
        /// The limit that ran out.
        timeout: Duration,
        /// The tail of its log (empty when output is attached to the terminal).
        output: String,
    },
    /// Generating certificates or keys failed.
    #[error("could not generate {what}: {message}")]
    Certificate {
        /// Which certificate or key.
        what: String,
        /// The library's error.
        message: String,
    },
    /// A file or directory operation failed.
    #[error("{action} {}: {source}", .path.display())]
    Io {
        /// What was being done, e.g. "writing".
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A request to the API server failed.
    #[error("API server request failed while {action}: {source}")]
    Kube {
        /// What was being done.
        action: String,
        /// The client's error.
        source: kube::Error,
    },
    /// A client configuration could not be built.
    #[error("could not build a client configuration: {0}")]
    Kubeconfig(#[from] kube::config::KubeconfigError),
    /// `USE_EXISTING_CLUSTER=true` is set, but the kubeconfig could not be loaded.
    #[error("USE_EXISTING_CLUSTER=true but no usable kubeconfig was found: {0}")]
    ExistingCluster(#[from] kube::config::InferConfigError),
    /// An operation needs a control plane started by envtest.
    #[error(
        "{0} needs a control plane started by envtest; it is not available with USE_EXISTING_CLUSTER=true"
    )]
    NotSupportedOnExistingCluster(&'static str),
    /// A CRD path does not exist and the environment was asked to treat that as an error.
    #[error("CRD path {} does not exist", .0.display())]
    CrdPathMissing(PathBuf),
    /// A CRD file could not be parsed.
    #[error("could not parse manifest file {}: {message}", .path.display())]
    ManifestParse {
        /// The file.
        path: PathBuf,
        /// What was wrong.
        message: String,
    },
    /// Installed CRDs did not show up in discovery in time.
    #[error("CRDs not served after {timeout:?}; still missing: {}", .missing.join(", "))]
    CrdTimeout {
        /// The limit that ran out.
        timeout: Duration,
        /// `group/version/plural` entries discovery did not list yet.
        missing: Vec<String>,
    },
    /// The manager under test could not be made, or its run failed.
    #[error("the manager under test failed")]
    Manager {
        /// Why.
        source: crate::manager::Error,
    },
    /// The environment was already stopped.
    #[error("the test environment was already stopped")]
    Stopped,
    /// The webhook server did not answer in time.
    #[error("the webhook server at {address} did not answer a TLS handshake within {timeout:?}")]
    WebhookUnreachable {
        /// Where it was expected.
        address: String,
        /// How long it was waited for.
        timeout: Duration,
    },
    /// What a test waited for did not happen in time.
    #[error("{what}: not as expected after {timeout:?}; last seen: {last}")]
    WaitTimeout {
        /// What was waited for.
        what: String,
        /// How long.
        timeout: Duration,
        /// The last value seen (`none` when there was none).
        last: String,
    },
}

/// A `Result` with an envtest [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

fn display_paths(paths: &[PathBuf]) -> String {
    let shown: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    shown.join(", ")
}

impl Error {
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| Error::Io {
            action,
            path,
            source,
        }
    }

    pub(crate) fn kube(action: impl Into<String>) -> impl FnOnce(kube::Error) -> Self {
        let action = action.into();
        move |source| Error::Kube { action, source }
    }
}
