//! Serving certificates that follow their files: [`CertWatcher`] re-reads `tls.crt` and
//! `tls.key` when they change (checked every second) and every
//! [`CERT_RELOAD_INTERVAL`] regardless, as controller-runtime's certwatcher does; new TLS
//! connections get the new pair, with no restart.

use std::path::Path;
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use tokio_rustls::rustls::server::{ClientHello, ResolvesServerCert};
use tokio_rustls::rustls::sign::CertifiedKey;

use super::tls::{TlsError, TlsFiles, crypto_provider, read_identity};

/// How often the files are read again even when they look unchanged.
pub const CERT_RELOAD_INTERVAL: Duration = Duration::from_secs(10);
/// How often the files' metadata is compared with what was loaded.
const CERT_CHECK_INTERVAL: Duration = Duration::from_secs(1);

/// What identifies a version of a file without reading it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stamp {
    modified: Option<SystemTime>,
    len: u64,
    inode: u64,
}

fn stamp(path: &Path) -> Option<Stamp> {
    let metadata = std::fs::metadata(path).ok()?;
    #[cfg(unix)]
    let inode = std::os::unix::fs::MetadataExt::ino(&metadata);
    #[cfg(not(unix))]
    let inode = 0;
    Some(Stamp {
        modified: metadata.modified().ok(),
        len: metadata.len(),
        inode,
    })
}

/// What was read last: the files' contents and metadata.
#[derive(Debug)]
struct Snapshot {
    pem: (Vec<u8>, Vec<u8>),
    stamps: (Option<Stamp>, Option<Stamp>),
}

struct Loaded {
    key: Arc<CertifiedKey>,
    snapshot: Snapshot,
}

/// A certificate and key read from files and kept current; the certificate resolver of a TLS
/// server configuration.
#[derive(Debug)]
pub struct CertWatcher {
    files: TlsFiles,
    loaded: RwLock<Arc<CertifiedKey>>,
    seen: RwLock<Snapshot>,
}

impl CertWatcher {
    /// Reads `files` once; fails when they are missing or unusable.
    pub fn new(files: TlsFiles) -> Result<Arc<Self>, TlsError> {
        let loaded = load(&files)?;
        Ok(Arc::new(CertWatcher {
            files,
            loaded: RwLock::new(loaded.key),
            seen: RwLock::new(loaded.snapshot),
        }))
    }

    /// The certificate chain served now.
    pub fn certificate(&self) -> Arc<CertifiedKey> {
        Arc::clone(&self.loaded.read().unwrap_or_else(|p| p.into_inner()))
    }

    /// Reads the files again and serves them from now on if they changed and are usable;
    /// returns whether the served pair changed. A pair that cannot be used (half-written,
    /// mismatched) leaves the current one in place.
    pub fn reload(&self) -> Result<bool, TlsError> {
        let loaded = load(&self.files)?;
        let mut seen = self.seen.write().unwrap_or_else(|p| p.into_inner());
        let changed = seen.pem != loaded.snapshot.pem;
        *seen = loaded.snapshot;
        drop(seen);
        if changed {
            *self.loaded.write().unwrap_or_else(|p| p.into_inner()) = loaded.key;
            tracing::info!(certificate = %self.files.certificate.display(), "serving certificate reloaded");
        }
        Ok(changed)
    }

    /// Keeps the pair current until the returned future is dropped: a reload when the files'
    /// metadata changes, and every [`CERT_RELOAD_INTERVAL`].
    pub async fn watch(self: Arc<Self>) {
        let mut since_reload = Duration::ZERO;
        loop {
            tokio::time::sleep(CERT_CHECK_INTERVAL).await;
            since_reload += CERT_CHECK_INTERVAL;
            let stamps = (stamp(&self.files.certificate), stamp(&self.files.key));
            let moved = {
                let seen = self.seen.read().unwrap_or_else(|p| p.into_inner());
                seen.stamps != stamps
            };
            if moved || since_reload >= CERT_RELOAD_INTERVAL {
                since_reload = Duration::ZERO;
                if let Err(error) = self.reload() {
                    tracing::warn!(%error, "keeping the current serving certificate");
                }
            }
        }
    }
}

impl ResolvesServerCert for CertWatcher {
    fn resolve(&self, _client_hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.certificate())
    }
}

fn load(files: &TlsFiles) -> Result<Loaded, TlsError> {
    let stamps = (stamp(&files.certificate), stamp(&files.key));
    let read = |path: &Path, what| {
        std::fs::read(path).map_err(|error| TlsError::Pem {
            what,
            path: path.to_path_buf(),
            reason: error.to_string(),
        })
    };
    let pem = (
        read(&files.certificate, "a certificate")?,
        read(&files.key, "a private key")?,
    );
    let (chain, key) = read_identity(files, &pem.0, &pem.1)?;
    let signing = crypto_provider().key_provider.load_private_key(key)?;
    let certified = CertifiedKey::new(chain, signing);
    certified.keys_match()?;
    Ok(Loaded {
        key: Arc::new(certified),
        snapshot: Snapshot { pem, stamps },
    })
}
