//! The manager's HTTP servers: health probes, metrics and webhooks.

use std::net::SocketAddr;
use std::sync::Arc;

use kube::Client;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_rustls::rustls::server::ResolvesServerCert;

use super::error::Error;
use super::options::{BindAddress, ManagerOptions};
use crate::healthz::{Probes, Readiness};
use crate::metrics::Metrics;
use crate::server::certwatcher::CertWatcher;
use crate::server::tls::TlsFiles;
use crate::webhook::{
    LocalServer, Redirection, Served, WebhookServer, WebhookServerOptions, local_configuration_name,
};

/// Starts the probe and metrics servers the options turn on; they stop when `stopped` turns true.
pub(super) async fn start_servers(
    client: &Client,
    options: &ManagerOptions,
    metrics: &Metrics,
    readiness: &Readiness,
    probes: Probes,
    stopped: &watch::Receiver<bool>,
) -> Result<(), Error> {
    if let BindAddress::Address(address) = options.health_probe_bind_address {
        let listener = bind("health probes", address).await?;
        let handler = crate::healthz::handler(readiness.clone(), probes);
        tokio::spawn(crate::server::http::serve(
            listener,
            None,
            false,
            handler,
            wait_true(stopped.clone()),
        ));
    }
    if let BindAddress::Address(address) = options.metrics_bind_address {
        let listener = bind("metrics", address).await?;
        let (tls, auth) = if options.metrics_secure {
            let tls =
                crate::server::tls::acceptor(options.metrics_tls.as_ref(), options.enable_http2)?;
            (Some(tls), Some(client.clone()))
        } else {
            (None, None)
        };
        let handler = crate::metrics::server::handler(metrics.clone(), auth);
        tokio::spawn(crate::server::http::serve(
            listener,
            tls,
            options.enable_http2,
            handler,
            wait_true(stopped.clone()),
        ));
    }
    Ok(())
}

async fn bind(server: &'static str, address: SocketAddr) -> Result<TcpListener, Error> {
    TcpListener::bind(address)
        .await
        .map_err(|source| Error::Bind {
            server,
            address,
            source,
        })
}

async fn wait_true(mut flag: watch::Receiver<bool>) {
    let _ = flag.wait_for(|set| *set).await;
}

/// The running webhook server: its tasks, and — serving locally — where the cluster was
/// pointed at it.
#[derive(Default)]
pub(super) struct WebhookServing {
    tasks: Vec<JoinHandle<()>>,
    local: Option<(LocalServer, Redirection)>,
}

impl WebhookServing {
    /// Puts the cluster back as it was (local webhooks, while the server still answers), then
    /// stops the server's tasks.
    pub(super) async fn stop(self) {
        if let Some((server, redirection)) = &self.local {
            redirection.restore().await;
            server.remove_files();
        }
        self.tasks.iter().for_each(JoinHandle::abort);
    }
}

/// Starts the webhook server when `webhooks` has any: binds its address, loads its
/// certificate (kept current by a [`CertWatcher`]), and serves until `stopped` turns true.
/// Serving locally ([`ManagerOptions::local_webhooks`]), it listens where the API server calls
/// back with a development certificate and points the cluster at itself.
pub(super) async fn start_webhook_server(
    webhooks: WebhookServer,
    client: &Client,
    options: &ManagerOptions,
    stopped: &watch::Receiver<bool>,
) -> Result<WebhookServing, Error> {
    if webhooks.is_empty() {
        return Ok(WebhookServing::default());
    }
    let settings = &options.webhook_server;
    if let Some(local) = &options.local_webhooks {
        if options.self_managed_certificates.is_some() {
            tracing::info!(
                "serving the webhooks locally: a development certificate instead of the self-managed ones"
            );
        }
        let (listener, server) = LocalServer::listen(client, local).await?;
        let declared = webhooks.webhooks().to_vec();
        let crds = webhooks.converted_crds().to_vec();
        let tasks = serve(webhooks, listener, &server.tls, settings, stopped)?;
        let configuration_name = local_configuration_name(&options.leader_election_id);
        let served = Served {
            webhooks: &declared,
            crds: &crds,
            configuration_name: &configuration_name,
        };
        return match Redirection::point(client, &server.base, &server.ca_pem, served).await {
            Ok(redirection) => Ok(WebhookServing {
                tasks,
                local: Some((server, redirection)),
            }),
            Err(error) => {
                tasks.iter().for_each(JoinHandle::abort);
                server.remove_files();
                Err(error.into())
            }
        };
    }
    let mut tasks = Vec::new();
    if let Some(certificates) = &options.self_managed_certificates {
        let version = certificates.ensure(client, &settings.tls).await?;
        tasks.push(tokio::spawn(certificates.clone().maintain(
            client.clone(),
            settings.tls.clone(),
            version,
        )));
    }
    let listener = bind("webhooks", settings.address).await?;
    tasks.extend(serve(webhooks, listener, &settings.tls, settings, stopped)?);
    Ok(WebhookServing { tasks, local: None })
}

/// Serves `webhooks` on `listener` with the certificate of `tls` (reloaded when its files
/// change) until `stopped` turns true; returns the tasks.
fn serve(
    mut webhooks: WebhookServer,
    listener: TcpListener,
    tls: &TlsFiles,
    settings: &WebhookServerOptions,
    stopped: &watch::Receiver<bool>,
) -> Result<Vec<JoinHandle<()>>, Error> {
    let certificates = CertWatcher::new(tls.clone()).map_err(Error::WebhookTls)?;
    let acceptor = crate::server::tls::acceptor_with_resolver(
        Arc::clone(&certificates) as Arc<dyn ResolvesServerCert>,
        settings.http2,
    )
    .map_err(Error::WebhookTls)?;
    webhooks.set_read_timeout(settings.read_timeout);
    let address = listener.local_addr().map_err(|source| Error::Bind {
        server: "webhooks",
        address: settings.address,
        source,
    })?;
    tracing::info!(%address, paths = ?webhooks.paths(), "serving webhooks");
    Ok(vec![
        tokio::spawn(certificates.watch()),
        tokio::spawn(webhooks.serve(
            listener,
            acceptor,
            settings.http2,
            wait_true(stopped.clone()),
        )),
    ])
}
