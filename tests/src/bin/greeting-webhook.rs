//! The sample operator's webhooks on their own, for the webhook benchmark: kubesmith's webhook
//! server answering admission and conversion reviews on `--port` with the certificate in
//! `--cert-dir` (`tls.crt`, `tls.key`), until SIGTERM. No API server is needed.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Parser;
use greeting_operator::webhook::{conversion, webhook};
use kubesmith::metrics::Metrics;
use kubesmith::server::certwatcher::CertWatcher;
use kubesmith::server::tls::TlsFiles;
use kubesmith::webhook::{DEFAULT_WEBHOOK_PORT, WebhookServer};

#[derive(Parser)]
struct Args {
    /// Port to listen on (all interfaces).
    #[arg(long, default_value_t = DEFAULT_WEBHOOK_PORT)]
    port: u16,
    /// Directory with `tls.crt` and `tls.key`.
    #[arg(long)]
    cert_dir: PathBuf,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let certificates = CertWatcher::new(TlsFiles {
        certificate: args.cert_dir.join("tls.crt"),
        key: args.cert_dir.join("tls.key"),
    })?;
    let acceptor = kubesmith::server::tls::acceptor_with_resolver(certificates, false)?;
    // The handlers never call the API server; the client only fills their context.
    let client = kube::Client::try_from(kube::Config::new("https://127.0.0.1:1".parse()?))?;
    let mut server = WebhookServer::new(client, Metrics::new());
    server.add_webhook(webhook())?;
    server.add_conversion(conversion())?;
    let listener =
        tokio::net::TcpListener::bind(SocketAddr::from(([0, 0, 0, 0], args.port))).await?;
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    server
        .serve(listener, acceptor, false, async move {
            terminate.recv().await;
        })
        .await;
    Ok(())
}
