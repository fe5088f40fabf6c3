//! A minimal HTTP/1.0 client for scraping the manager's endpoints.

use std::net::SocketAddr;
use std::sync::Arc;

use rustls_pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::rustls::{ClientConfig, RootCertStore};

/// `GET path` over plain HTTP; `None` while nothing listens.
pub async fn get(address: SocketAddr, path: &str) -> Option<(u16, String)> {
    let stream = TcpStream::connect(address).await.ok()?;
    exchange(stream, path, None).await
}

/// `GET path` over HTTPS trusting only `ca`, with an optional bearer token.
pub async fn get_tls(
    address: SocketAddr,
    path: &str,
    ca: &CertificateDer<'static>,
    token: Option<&str>,
) -> Option<(u16, String)> {
    let mut roots = RootCertStore::empty();
    roots.add(ca.clone()).ok()?;
    let config = ClientConfig::builder_with_provider(kubesmith::server::tls::crypto_provider())
        .with_safe_default_protocol_versions()
        .ok()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let stream = TcpStream::connect(address).await.ok()?;
    let name = ServerName::try_from("localhost").ok()?;
    let stream = tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(name, stream)
        .await
        .ok()?;
    exchange(stream, path, token).await
}

async fn exchange<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    path: &str,
    token: Option<&str>,
) -> Option<(u16, String)> {
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let request =
        format!("GET {path} HTTP/1.0\r\nHost: localhost\r\n{auth}Connection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.ok()?;
    let mut response = Vec::new();
    // A TLS peer may close without close_notify; keep what was read.
    let _ = stream.read_to_end(&mut response).await;
    let text = String::from_utf8_lossy(&response).into_owned();
    let status = text.split_whitespace().nth(1)?.parse().ok()?;
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_string())
        .unwrap_or_default();
    Some((status, body))
}

/// The value of the series `name{labels}` in a Prometheus text scrape (labels as written, e.g.
/// `controller="x",result="error"`).
pub fn sample(scrape: &str, name: &str, labels: &str) -> Option<f64> {
    let prefix = format!("{name}{{{labels}}} ");
    scrape
        .lines()
        .find_map(|line| line.strip_prefix(&prefix))
        .and_then(|value| value.split_whitespace().next())
        .and_then(|value| value.parse().ok())
}
