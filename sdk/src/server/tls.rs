//! Serving certificates for the metrics (and webhook) servers: PEM files, or a self-signed
//! certificate made at start when no files are given.

use std::path::PathBuf;
use std::sync::Arc;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::crypto::CryptoProvider;

/// Default of `--webhook-cert-name` and `--metrics-cert-name` (the certificate file).
pub const DEFAULT_CERT_NAME: &str = "tls.crt";
/// Default of `--webhook-cert-key` and `--metrics-cert-key` (the key file).
pub const DEFAULT_KEY_NAME: &str = "tls.key";

/// A certificate chain and its key, both PEM files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    /// The certificate chain (`tls.crt`).
    pub certificate: PathBuf,
    /// The private key (`tls.key`).
    pub key: PathBuf,
}

/// Why a TLS configuration could not be built.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A PEM file could not be read or held nothing usable.
    #[error("cannot read {what} from {path}: {reason}")]
    Pem {
        /// What was expected (certificate or key).
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// The self-signed certificate could not be generated.
    #[error("cannot generate a self-signed certificate: {0}")]
    Generate(#[from] rcgen::Error),
    /// rustls refused the certificate or key.
    #[error("the certificate or key is not usable: {0}")]
    Rustls(#[from] tokio_rustls::rustls::Error),
}

/// The rustls cryptography of kubesmith's TLS servers and clients: the process-wide default
/// when the application installed one (`CryptoProvider::install_default` in `main`, e.g.
/// aws-lc-rs's provider for post-quantum key exchange), else *ring*'s, as kube's `ring`
/// feature uses.
pub fn crypto_provider() -> Arc<CryptoProvider> {
    if let Some(installed) = CryptoProvider::get_default() {
        return Arc::clone(installed);
    }
    // rustls 0.23.48 deprecates *ring*'s provider: it has no post-quantum key exchange.
    // kubesmith stays on *ring*, the provider of kube's client in every scaffolded project,
    // so one provider is linked; the application chooses another by installing it.
    #[allow(deprecated)]
    let ring = tokio_rustls::rustls::crypto::ring::default_provider();
    Arc::new(ring)
}

/// A TLS acceptor for `files`, or for a fresh self-signed certificate for `localhost` when
/// `files` is `None`. ALPN offers `h2` only when `http2` is set.
pub fn acceptor(files: Option<&TlsFiles>, http2: bool) -> Result<TlsAcceptor, TlsError> {
    let (chain, key) = match files {
        Some(files) => read(files)?,
        None => self_signed()?,
    };
    let mut config = ServerConfig::builder_with_provider(crypto_provider())
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(chain, key)?;
    config.alpn_protocols = alpn(http2);
    Ok(TlsAcceptor::from(Arc::new(config)))
}

type Identity = (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>);

fn read(files: &TlsFiles) -> Result<Identity, TlsError> {
    let contents = |path: &PathBuf, what| {
        std::fs::read(path).map_err(|error| TlsError::Pem {
            what,
            path: path.clone(),
            reason: error.to_string(),
        })
    };
    read_identity(
        files,
        &contents(&files.certificate, "a certificate")?,
        &contents(&files.key, "a private key")?,
    )
}

/// The chain and key in the PEM texts `certificate` and `key` (read from `files`, named in
/// errors).
pub(crate) fn read_identity(
    files: &TlsFiles,
    certificate: &[u8],
    key: &[u8],
) -> Result<Identity, TlsError> {
    let pem_error = |what, path: &PathBuf, reason: String| TlsError::Pem {
        what,
        path: path.clone(),
        reason,
    };
    let chain = CertificateDer::pem_slice_iter(certificate)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| pem_error("a certificate", &files.certificate, e.to_string()))?;
    if chain.is_empty() {
        return Err(pem_error(
            "a certificate",
            &files.certificate,
            "no CERTIFICATE block found".into(),
        ));
    }
    let key = PrivateKeyDer::from_pem_slice(key)
        .map_err(|e| pem_error("a private key", &files.key, e.to_string()))?;
    Ok((chain, key))
}

/// A TLS server configuration whose certificate comes from `resolver` (a [`CertWatcher`](super::certwatcher::CertWatcher)
/// follows its files). ALPN offers `h2` only when `http2` is set.
pub fn acceptor_with_resolver(
    resolver: Arc<dyn tokio_rustls::rustls::server::ResolvesServerCert>,
    http2: bool,
) -> Result<TlsAcceptor, TlsError> {
    let mut config = ServerConfig::builder_with_provider(crypto_provider())
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_cert_resolver(resolver);
    config.alpn_protocols = alpn(http2);
    Ok(TlsAcceptor::from(Arc::new(config)))
}

fn alpn(http2: bool) -> Vec<Vec<u8>> {
    if http2 {
        vec![b"h2".to_vec(), b"http/1.1".to_vec()]
    } else {
        vec![b"http/1.1".to_vec()]
    }
}

fn self_signed() -> Result<Identity, TlsError> {
    let certified =
        rcgen::generate_simple_self_signed(vec!["localhost".to_string(), "127.0.0.1".to_string()])?;
    let key = PrivatePkcs8KeyDer::from(certified.signing_key.serialize_der());
    Ok((vec![certified.cert.der().clone()], key.into()))
}
