//! The standard manager flags of a kubebuilder project, as a ready clap struct.
//!
//! Flatten [`ManagerFlags`] into your `main`'s arguments, set up logging from its
//! [`logging`](ManagerFlags::logging) flags and turn the rest into [`ManagerOptions`] with
//! [`ManagerFlags::manager_options`]:
//!
//! ```
//! use clap::Parser;
//! use kubesmith::manager::ManagerFlags;
//!
//! #[derive(Parser)]
//! struct Args {
//!     #[command(flatten)]
//!     manager: ManagerFlags,
//! }
//!
//! let args = Args::parse_from(["manager", "--leader-elect", "--zap-devel=false"]);
//! assert!(args.manager.leader_elect);
//! assert_eq!(args.manager.health_probe_bind_address, ":8081");
//! assert_eq!(args.manager.logging.format(), kubesmith::logging::LogFormat::Json);
//! // In main: args.manager.logging.init()?;
//! ```

use std::path::PathBuf;

use super::error::Error;
use super::options::{BindAddress, ManagerOptions};
use super::options::{
    DEFAULT_CERT_NAME, DEFAULT_HEALTH_PROBE_BIND_ADDRESS, DEFAULT_KEY_NAME,
    DEFAULT_METRICS_BIND_ADDRESS,
};
use crate::logging::LoggingFlags;
use crate::server::tls::TlsFiles;
use crate::webhook::{LocalWebhooks, WebhookServerOptions};

/// The manager flags of a kubebuilder go/v4 project, with the same names and defaults.
#[derive(Debug, Clone, clap::Args)]
pub struct ManagerFlags {
    /// The address the metrics endpoint binds to: `:8443` for HTTPS, `:8080` for HTTP, `0` to disable.
    #[arg(long, default_value = DEFAULT_METRICS_BIND_ADDRESS)]
    pub metrics_bind_address: String,
    /// The address the probe endpoint (`/healthz`, `/readyz`) binds to.
    #[arg(long, default_value = DEFAULT_HEALTH_PROBE_BIND_ADDRESS)]
    pub health_probe_bind_address: String,
    /// Enable leader election, ensuring there is only one active controller manager.
    #[arg(long, default_value_t = false)]
    pub leader_elect: bool,
    /// Serve metrics over HTTPS with authentication and authorization (`--metrics-secure=false` for HTTP).
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
    pub metrics_secure: bool,
    /// The directory that contains the webhook certificate (default:
    /// `$TMPDIR/k8s-webhook-server/serving-certs`).
    #[arg(long, default_value = "")]
    pub webhook_cert_path: String,
    /// The name of the webhook certificate file.
    #[arg(long, default_value = DEFAULT_CERT_NAME)]
    pub webhook_cert_name: String,
    /// The name of the webhook key file.
    #[arg(long, default_value = DEFAULT_KEY_NAME)]
    pub webhook_cert_key: String,
    /// The directory that contains the metrics server certificate.
    #[arg(long, default_value = "")]
    pub metrics_cert_path: String,
    /// The name of the metrics server certificate file.
    #[arg(long, default_value = DEFAULT_CERT_NAME)]
    pub metrics_cert_name: String,
    /// The name of the metrics server key file.
    #[arg(long, default_value = DEFAULT_KEY_NAME)]
    pub metrics_cert_key: String,
    /// Enable HTTP/2 for the metrics and webhook servers (off by default).
    #[arg(long, default_value_t = false, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
    pub enable_http2: bool,
    /// Serve the webhooks from this process running outside the cluster (`make run` passes
    /// it): a development certificate, and the cluster's webhook configurations and CRD
    /// conversions pointed here until the process stops, then put back.
    #[arg(long, default_value_t = false, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
    pub webhook_local: bool,
    /// With --webhook-local: the address the API server calls the webhooks at (default:
    /// 127.0.0.1 when the API server runs on this machine, else this machine's address on the
    /// route to it; with kind, the gateway of the `kind` container network).
    #[arg(long, default_value = "")]
    pub webhook_local_host: String,
    /// With --webhook-local: the port to serve the webhooks on (default 0: a free port).
    #[arg(long, default_value_t = 0)]
    pub webhook_local_port: u16,
    /// controller-runtime's `--zap-*` logging flags; [`LoggingFlags::init`] installs the logger.
    #[command(flatten)]
    pub logging: LoggingFlags,
}

impl ManagerFlags {
    /// Manager options with these flags applied to [`ManagerOptions::default`].
    pub fn manager_options(&self) -> Result<ManagerOptions, Error> {
        let metrics_tls = (!self.metrics_cert_path.is_empty()).then(|| TlsFiles {
            certificate: PathBuf::from(&self.metrics_cert_path).join(&self.metrics_cert_name),
            key: PathBuf::from(&self.metrics_cert_path).join(&self.metrics_cert_key),
        });
        let webhook_dir = if self.webhook_cert_path.is_empty() {
            crate::webhook::default_cert_dir()
        } else {
            PathBuf::from(&self.webhook_cert_path)
        };
        let webhook_server = WebhookServerOptions {
            tls: TlsFiles {
                certificate: webhook_dir.join(&self.webhook_cert_name),
                key: webhook_dir.join(&self.webhook_cert_key),
            },
            http2: self.enable_http2,
            ..WebhookServerOptions::default()
        };
        let local_webhooks = self.webhook_local.then(|| {
            let local = LocalWebhooks::new().port(self.webhook_local_port);
            match self.webhook_local_host.trim() {
                "" => local,
                host => local.host(host),
            }
        });
        Ok(ManagerOptions {
            metrics_bind_address: BindAddress::parse(&self.metrics_bind_address)?,
            health_probe_bind_address: BindAddress::parse(&self.health_probe_bind_address)?,
            leader_election: self.leader_elect,
            metrics_secure: self.metrics_secure,
            metrics_tls,
            enable_http2: self.enable_http2,
            webhook_server,
            local_webhooks,
            ..ManagerOptions::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;
    use std::net::SocketAddr;

    #[derive(Parser)]
    struct Args {
        #[command(flatten)]
        manager: ManagerFlags,
    }

    #[test]
    fn defaults_match_kubebuilder() {
        let options = Args::parse_from(["manager"])
            .manager
            .manager_options()
            .expect("options");
        assert_eq!(
            options.metrics_bind_address,
            BindAddress::Address(SocketAddr::from(([0, 0, 0, 0], 8443)))
        );
        assert_eq!(
            options.health_probe_bind_address,
            BindAddress::Address(SocketAddr::from(([0, 0, 0, 0], 8081)))
        );
        assert!(options.metrics_secure);
        assert!(!options.leader_election);
        assert!(!options.enable_http2);
        assert_eq!(options.metrics_tls, None);
        assert_eq!(options.local_webhooks, None);
        assert_eq!(
            options.graceful_shutdown_timeout,
            std::time::Duration::from_secs(30)
        );
    }

    #[test]
    fn flags_override_the_defaults() {
        let args = Args::parse_from([
            "manager",
            "--metrics-bind-address=0",
            "--metrics-secure=false",
            "--enable-http2",
            "--leader-elect",
            "--metrics-cert-path=/certs",
            "--metrics-cert-name=c.pem",
        ]);
        let options = args.manager.manager_options().expect("options");
        assert_eq!(options.metrics_bind_address, BindAddress::Disabled);
        assert!(!options.metrics_secure && options.enable_http2 && options.leader_election);
        let tls = options.metrics_tls.expect("cert files");
        assert_eq!(tls.certificate, std::path::Path::new("/certs/c.pem"));
        assert_eq!(tls.key, std::path::Path::new("/certs/tls.key"));
        assert_eq!(args.manager.webhook_cert_name, "tls.crt");
    }

    #[test]
    fn webhook_local_chooses_the_host_unless_told() {
        let chosen = Args::parse_from(["manager", "--webhook-local"])
            .manager
            .manager_options()
            .expect("options");
        assert_eq!(chosen.local_webhooks, Some(LocalWebhooks::new()));
        let told = Args::parse_from([
            "manager",
            "--webhook-local=true",
            "--webhook-local-host=172.18.0.1",
            "--webhook-local-port=9443",
        ])
        .manager
        .manager_options()
        .expect("options");
        assert_eq!(
            told.local_webhooks,
            Some(LocalWebhooks::new().host("172.18.0.1").port(9443))
        );
        let off = Args::parse_from(["manager", "--webhook-local=false", "--webhook-local-port=1"])
            .manager
            .manager_options()
            .expect("options");
        assert_eq!(off.local_webhooks, None);
    }
}
