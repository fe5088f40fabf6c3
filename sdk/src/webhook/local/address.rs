//! Where a local webhook server listens and what it serves: the address the API server calls
//! back (chosen from where the API server runs, or given), a listener on it, and a development
//! CA with a serving certificate for that address, written to a private directory.
//!
//! The address is chosen from the API server's own advertised address (`GET /api`,
//! `serverAddressByClientCIDRs`, readable by every authenticated user):
//! - an address of this machine (loopback or one of its interfaces): the API server runs
//!   here and calls `127.0.0.1`;
//! - another address: this machine's address on the route towards it (the API server of a
//!   kind cluster advertises its container's address, and the route to it leaves through the
//!   kind network's gateway, which is the address the container reaches the host at);
//! - none known: `127.0.0.1`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::path::PathBuf;
use std::time::Duration;

use kube::Client;
use tokio::net::TcpListener;

use super::options::{LocalWebhookError, LocalWebhooks};
use crate::server::certificates;
use crate::server::tls::{DEFAULT_CERT_NAME, DEFAULT_KEY_NAME, TlsFiles};

/// How long the development certificate is valid (a `make run` session is shorter).
const DEVELOPMENT_CERTIFICATE_VALIDITY: Duration = Duration::from_secs(30 * 24 * 60 * 60);
/// The name of the development CA.
const DEVELOPMENT_CA: &str = "kubesmith-local-webhooks-ca";

/// A local webhook server's address and certificate.
#[derive(Debug)]
pub(crate) struct LocalServer {
    /// `https://<host>:<port>`: what the cluster is pointed at (paths appended).
    pub(crate) base: String,
    /// The development CA (the `caBundle`), PEM.
    pub(crate) ca_pem: String,
    /// The serving certificate and key files.
    pub(crate) tls: TlsFiles,
    /// The private directory of the files.
    dir: PathBuf,
}

impl LocalServer {
    /// Chooses the host (unless `options` gives one), listens on it and issues the
    /// certificate; returns the listener and the server's address and certificate.
    pub(crate) async fn listen(
        client: &Client,
        options: &LocalWebhooks,
    ) -> Result<(TcpListener, LocalServer), LocalWebhookError> {
        let host = match options.chosen_host() {
            Some(host) => host.to_string(),
            None => chosen_host(client).await,
        };
        let bind = SocketAddr::new(bind_ip(&host), options.chosen_port());
        let listener = TcpListener::bind(bind)
            .await
            .map_err(|source| LocalWebhookError::Bind {
                address: bind,
                source,
            })?;
        let port = listener
            .local_addr()
            .map_err(|source| LocalWebhookError::Bind {
                address: bind,
                source,
            })?
            .port();
        let mut hosts = vec![host.clone()];
        if host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback()) {
            hosts.push("localhost".into());
        }
        let issued = certificates::issue(DEVELOPMENT_CA, &hosts, DEVELOPMENT_CERTIFICATE_VALIDITY)?;
        // One directory per process and port: managers of one process never share files.
        let dir = std::env::temp_dir().join(format!(
            "kubesmith-local-webhooks-{}-{port}",
            std::process::id()
        ));
        let tls = TlsFiles {
            certificate: dir.join(DEFAULT_CERT_NAME),
            key: dir.join(DEFAULT_KEY_NAME),
        };
        crate::webhook::certificates::write_pair(
            &tls,
            issued.certificate_pem.as_bytes(),
            issued.key_pem.as_bytes(),
        )
        .map_err(|(path, source)| LocalWebhookError::Write { path, source })?;
        let shown = match host.parse::<IpAddr>() {
            Ok(IpAddr::V6(ip)) => format!("[{ip}]"),
            _ => host,
        };
        let server = LocalServer {
            base: format!("https://{shown}:{port}"),
            ca_pem: issued.ca_pem,
            tls,
            dir,
        };
        Ok((listener, server))
    }

    /// Removes the certificate files.
    pub(crate) fn remove_files(&self) {
        if let Err(error) = std::fs::remove_dir_all(&self.dir) {
            tracing::debug!(%error, dir = %self.dir.display(), "the local webhook certificate stays");
        }
    }
}

/// The host the API server reaches this machine at; see the module docs.
async fn chosen_host(client: &Client) -> String {
    let advertised = match advertised_address(client).await {
        Ok(address) => address,
        Err(reason) => {
            tracing::warn!(%reason, "calling the local webhooks at 127.0.0.1; pass --webhook-local-host if the API server cannot reach that");
            return Ipv4Addr::LOCALHOST.to_string();
        }
    };
    let host = if is_local(advertised) {
        IpAddr::V4(Ipv4Addr::LOCALHOST)
    } else {
        match route_source(advertised) {
            Ok(source) => source,
            Err(error) => {
                tracing::warn!(%error, api_server = %advertised, "no route to the API server's address; calling the local webhooks at 127.0.0.1");
                IpAddr::V4(Ipv4Addr::LOCALHOST)
            }
        }
    };
    tracing::info!(api_server = %advertised, %host, "the API server calls the local webhooks at this address (--webhook-local-host overrides it)");
    host.to_string()
}

/// The address the API server advertises to clients (`GET /api`).
async fn advertised_address(client: &Client) -> Result<IpAddr, String> {
    let versions = client
        .list_core_api_versions()
        .await
        .map_err(|error| format!("reading the API server's address: {error}"))?;
    let address = versions
        .server_address_by_client_cidrs
        .iter()
        .map(|entry| entry.server_address.as_str())
        .next()
        .ok_or("the API server advertises no address")?;
    if let Ok(socket) = address.parse::<SocketAddr>() {
        return Ok(socket.ip());
    }
    let host = address
        .rsplit_once(':')
        .map_or(address, |(host, _)| host)
        .trim_matches(['[', ']']);
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(ip);
    }
    tokio::net::lookup_host((host, 443))
        .await
        .ok()
        .and_then(|mut found| found.next())
        .map(|socket| socket.ip())
        .ok_or_else(|| format!("the API server's address {address} does not resolve"))
}

/// Whether `ip` is an address of this machine.
fn is_local(ip: IpAddr) -> bool {
    ip.is_loopback() || UdpSocket::bind((ip, 0)).is_ok()
}

/// This machine's address on the route towards `ip` (a UDP socket connected there sends
/// nothing, but the kernel picks its source address).
fn route_source(ip: IpAddr) -> std::io::Result<IpAddr> {
    let any = match ip {
        IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
    };
    let socket = UdpSocket::bind((any, 0))?;
    socket.connect((ip, 443))?;
    Ok(socket.local_addr()?.ip())
}

/// Where to listen for calls to `host`: the address itself when it is one of this machine's,
/// else every interface (a DNS name, or an address a NAT maps to this machine).
fn bind_ip(host: &str) -> IpAddr {
    match host.parse::<IpAddr>() {
        Ok(ip) if is_local(ip) => ip,
        Ok(IpAddr::V6(_)) => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
        _ => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_is_local_and_listened_on_alone() {
        assert!(is_local(IpAddr::V4(Ipv4Addr::LOCALHOST)));
        assert_eq!(bind_ip("127.0.0.1"), IpAddr::V4(Ipv4Addr::LOCALHOST));
        assert_eq!(
            bind_ip("host.docker.internal"),
            IpAddr::V4(Ipv4Addr::UNSPECIFIED)
        );
    }

    #[test]
    fn the_route_to_a_local_address_starts_there() {
        assert_eq!(
            route_source(IpAddr::V4(Ipv4Addr::LOCALHOST)).expect("a route"),
            IpAddr::V4(Ipv4Addr::LOCALHOST)
        );
    }
}
