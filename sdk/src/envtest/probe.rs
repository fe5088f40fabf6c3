//! Readiness probes of control-plane processes: a single HTTP/1.0 GET whose status code is read.
//!
//! The probes bypass `kube::Client` on purpose: its tracing layer logs every 5xx answer as an
//! error, and a starting API server answers `/readyz` with 500 many times before it is ready.

use std::sync::Arc;
use std::time::Duration;

use kube::client::ConfigExt;
use rustls_pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

/// How long one probe may take before it counts as "not ready".
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// Whether `GET path` over plain HTTP to 127.0.0.1:`port` answers 200 with a body containing `expect`.
pub(crate) async fn http_ok(port: u16, path: &str, expect: &str) -> bool {
    let exchange = async {
        let stream = TcpStream::connect(("127.0.0.1", port)).await.ok()?;
        get(stream, path).await
    };
    matches!(
        tokio::time::timeout(PROBE_TIMEOUT, exchange).await,
        Ok(Some((200, body))) if body.contains(expect)
    )
}

/// Whether `GET path` to the API server of `config` answers 200, authenticating as `config`'s user.
pub(crate) async fn https_ok(config: &kube::Config, path: &str) -> bool {
    let exchange = async {
        let tls = config.rustls_client_config().ok()?;
        let host = config
            .cluster_url
            .host()?
            .trim_matches(['[', ']'])
            .to_string();
        let port = config.cluster_url.port_u16()?;
        let server_name = ServerName::try_from(host.clone()).ok()?;
        let tcp = TcpStream::connect((host.as_str(), port)).await.ok()?;
        let stream = tokio_rustls::TlsConnector::from(Arc::new(tls))
            .connect(server_name, tcp)
            .await
            .ok()?;
        get(stream, path).await
    };
    matches!(
        tokio::time::timeout(PROBE_TIMEOUT, exchange).await,
        Ok(Some((200, _)))
    )
}

/// Sends `GET path HTTP/1.0` and returns the status code and body.
async fn get<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    path: &str,
) -> Option<(u16, String)> {
    let request = format!("GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.ok()?;
    let mut response = Vec::new();
    // A TLS peer may close without close_notify; keep what was read.
    let _ = stream.read_to_end(&mut response).await;
    let text = String::from_utf8_lossy(&response);
    let status = text.split_whitespace().nth(1)?.parse().ok()?;
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_string())
        .unwrap_or_default();
    Some((status, body))
}
