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
use crate::webhook::WebhookServer;

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

/// Starts the webhook server when `webhooks` has any: binds its address, loads its
/// certificate (kept current by a [`CertWatcher`]), and serves until `stopped` turns true.
/// Returns the tasks to abort on shutdown.
pub(super) async fn start_webhook_server(
    webhooks: WebhookServer,
    client: &Client,
    options: &ManagerOptions,
    stopped: &watch::Receiver<bool>,
) -> Result<Vec<JoinHandle<()>>, Error> {
    if webhooks.is_empty() {
        return Ok(Vec::new());
    }
    let settings = &options.webhook_server;
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
    let certificates = CertWatcher::new(settings.tls.clone()).map_err(Error::WebhookTls)?;
    let acceptor = crate::server::tls::acceptor_with_resolver(
        Arc::clone(&certificates) as Arc<dyn ResolvesServerCert>,
        settings.http2,
    )
    .map_err(Error::WebhookTls)?;
    let mut webhooks = webhooks;
    webhooks.set_read_timeout(settings.read_timeout);
    tracing::info!(address = %settings.address, paths = ?webhooks.paths(), "serving webhooks");
    tasks.push(tokio::spawn(certificates.watch()));
    tasks.push(tokio::spawn(webhooks.serve(
        listener,
        acceptor,
        settings.http2,
        wait_true(stopped.clone()),
    )));
    Ok(tasks)
}
