//! [`LocalWebhooks`]: how a manager running outside the cluster serves its webhooks (which
//! address the API server calls back, on which port), and why that can fail.

use std::net::SocketAddr;
use std::path::PathBuf;

use crate::server::tls::TlsError;

/// The webhooks of a manager that runs outside the cluster (`make run`), served from this
/// process: a development CA and serving certificate made at start, and the cluster's webhook
/// configurations and CRD conversions pointed at `https://<host>:<port>/<path>` until the
/// manager stops, then put back. Turn it on with
/// [`ManagerOptions::local_webhooks`](crate::manager::ManagerOptions::local_webhooks) (the flag
/// `--webhook-local`).
///
/// ```
/// use kubesmith::webhook::LocalWebhooks;
/// // kind: the API server runs in a container and reaches this machine through the gateway
/// // of the `kind` network.
/// let local = LocalWebhooks::new().host("172.18.0.1").port(9443);
/// assert_eq!(local.chosen_host(), Some("172.18.0.1"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[must_use]
pub struct LocalWebhooks {
    host: Option<String>,
    port: u16,
}

impl LocalWebhooks {
    /// The defaults: the host chosen from where the API server runs, a free port.
    pub fn new() -> Self {
        LocalWebhooks::default()
    }

    /// The address (IP or DNS name) the API server calls the webhooks at, instead of the one
    /// chosen: `127.0.0.1` when the API server runs on this machine, else this machine's
    /// address on the route towards it.
    pub fn host(mut self, host: &str) -> Self {
        self.host = Some(host.to_string());
        self
    }

    /// The port to serve on (default 0: a free one).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// The host set with [`host`](Self::host), if any.
    pub fn chosen_host(&self) -> Option<&str> {
        self.host.as_deref()
    }

    /// The port set with [`port`](Self::port) (0: a free one).
    pub fn chosen_port(&self) -> u16 {
        self.port
    }
}

/// Why the webhooks could not be served locally, or the cluster pointed at them.
#[derive(Debug, thiserror::Error)]
pub enum LocalWebhookError {
    /// The development certificate could not be issued or written.
    #[error("the development webhook certificate: {0}")]
    Certificate(#[from] TlsError),
    /// Writing the certificate files failed.
    #[error("writing {path}: {source}")]
    Write {
        /// The file or directory.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The webhook server could not listen.
    #[error(
        "cannot listen on {address} for the local webhooks: {source}; pass --webhook-local-host and --webhook-local-port to choose another address"
    )]
    Bind {
        /// The address.
        address: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// A request to the API server failed.
    #[error("{action}: {source}")]
    Api {
        /// What was being done.
        action: String,
        /// The error.
        source: kube::Error,
    },
    /// A CRD whose conversion this manager serves is not in the cluster.
    #[error(
        "CustomResourceDefinition {0} is not installed, so its conversion cannot be pointed at this process; run `make install` first"
    )]
    CrdNotInstalled(String),
    /// A webhook configuration of the name this manager creates exists and is not one it made.
    #[error(
        "{kind} {name} exists and was not made by a local manager; expected it to be absent or made by --webhook-local (annotation kubesmith.dev/local-webhooks)"
    )]
    NameTaken {
        /// MutatingWebhookConfiguration or ValidatingWebhookConfiguration.
        kind: &'static str,
        /// Its name.
        name: String,
    },
    /// An object kept changing while it was being patched.
    #[error("{kind} {name} kept changing while it was being patched ({attempts} attempts)")]
    KeptChanging {
        /// The object's kind.
        kind: &'static str,
        /// Its name.
        name: String,
        /// How often it was tried.
        attempts: usize,
    },
}
