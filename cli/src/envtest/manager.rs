//! The asset manager: which version to use, and where its binaries come from.
//!
//! `use` looks in this order, stopping at the first that works:
//! 1. the store — a matching installed version is used without touching the network
//!    (for `latest`, only with `--installed-only` or when the index is unreachable, since only
//!    the index knows what the newest release is);
//! 2. the release index and its archives (SHA-512 verified before extraction);
//! 3. the Go toolchain and the Go module proxy ([`go_build`]), when the
//!    download is impossible (index or archive unreachable, or the release not listed).
//!
//! A failed integrity check is never papered over by the fallback: it is reported as is.
//!
//! `use --node` ([`AssetManager::use_with_node`]) does the above, then adds the node binaries
//! (kubelet, kube-controller-manager, kube-scheduler, kube-proxy) to the same directory unless
//! they are there: release archives carry none, so they are always built with Go
//! ([`go_build::build_node`]).

use std::io::Write;
use std::path::PathBuf;

use super::defaults::{DEFAULT_GO, DEFAULT_INDEX_URL};
use super::download::Downloader;
use super::error::{Error, list_or_nothing};
use super::go_build;
use super::platform::Platform;
use super::store::{Removed, Store};
use super::version::{Selector, Version};

/// Where a version's binaries came from in a [`AssetManager::use_version`] call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// They were already in the store.
    Installed,
    /// They were downloaded from this URL.
    Downloaded(String),
    /// They were built with the Go toolchain from the Go module proxy.
    Built,
}

/// A version ready to use: its binaries are in `path`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assets {
    /// The Kubernetes version.
    pub version: Version,
    /// The platform of the binaries.
    pub platform: Platform,
    /// The directory holding `etcd`, `kube-apiserver` and `kubectl` (and the node binaries,
    /// when asked for); the value for `KUBEBUILDER_ASSETS`.
    pub path: PathBuf,
    /// Where they came from.
    pub source: Source,
    /// Where the node binaries came from: `None` unless they were asked for
    /// ([`AssetManager::use_with_node`]); never [`Source::Downloaded`].
    pub node: Option<Source>,
}

/// Whether a version is in the store or only offered by the index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Availability {
    /// Installed in the store.
    Installed,
    /// Listed in the release index, not installed.
    Available,
}

/// One line of [`AssetManager::list`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing {
    /// The Kubernetes version.
    pub version: Version,
    /// The platform.
    pub platform: Platform,
    /// Installed or only downloadable.
    pub availability: Availability,
}

/// Manages envtest binaries in one store for one platform.
///
/// ```no_run
/// use kubesmith_cli::envtest::{AssetManager, Selector, Store};
///
/// let manager = AssetManager::new(Store::user_default()?);
/// let assets = manager.use_version(&"1.37".parse::<Selector>()?, &mut std::io::stderr())?;
/// println!("KUBEBUILDER_ASSETS={}", assets.path.display());
/// # Ok::<(), kubesmith_cli::envtest::Error>(())
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct AssetManager {
    store: Store,
    platform: Platform,
    installed_only: bool,
    index_url: String,
    go: Option<PathBuf>,
    downloader: Downloader,
}

impl AssetManager {
    /// A manager for `store` with the defaults: this machine's platform, downloads allowed from
    /// [`DEFAULT_INDEX_URL`], building with [`DEFAULT_GO`] from `PATH` as the fallback.
    pub fn new(store: Store) -> Self {
        Self {
            store,
            platform: Platform::host(),
            installed_only: false,
            index_url: DEFAULT_INDEX_URL.to_owned(),
            go: Some(PathBuf::from(DEFAULT_GO)),
            downloader: Downloader::new(),
        }
    }

    /// Manages binaries for `platform` instead of this machine's.
    pub fn platform(mut self, platform: Platform) -> Self {
        self.platform = platform;
        self
    }

    /// Only ever uses what is installed: no index, no downloads, no builds.
    pub fn installed_only(mut self, installed_only: bool) -> Self {
        self.installed_only = installed_only;
        self
    }

    /// Reads releases from this index instead of [`DEFAULT_INDEX_URL`].
    pub fn index_url(mut self, url: impl Into<String>) -> Self {
        self.index_url = url.into();
        self
    }

    /// The Go toolchain to build with when downloading is impossible; `None` disables building.
    pub fn go(mut self, go: Option<PathBuf>) -> Self {
        self.go = go;
        self
    }

    /// The store this manager works on.
    #[must_use]
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Makes the version `selector` picks available and returns where it is. Progress and
    /// warnings go to `progress` (stderr in the CLI), never to stdout.
    pub fn use_version(
        &self,
        selector: &Selector,
        progress: &mut dyn Write,
    ) -> Result<Assets, Error> {
        let installed = self.store.installed(&self.platform)?;
        let newest_installed = selector.newest(&installed);
        if let Some(version) = newest_installed
            && (self.installed_only || *selector != Selector::Latest)
        {
            return Ok(self.assets(version, Source::Installed));
        }
        if self.installed_only {
            return Err(Error::NotInstalled {
                selector: *selector,
                platform: self.platform.clone(),
                store: self.store.versions_dir(),
                installed: list_or_nothing(&installed),
            });
        }

        let download_error = match self.download(selector, &installed, progress) {
            Ok(assets) => return Ok(assets),
            Err(error) if error.is_unavailable() => error,
            Err(error) => return Err(error),
        };
        let _ = writeln!(progress, "envtest: download failed: {download_error}");
        if let Some(version) = newest_installed {
            let _ = writeln!(
                progress,
                "envtest: using the newest installed version, {version}, which may not be the latest"
            );
            return Ok(self.assets(version, Source::Installed));
        }

        let build_error = match &self.go {
            None => Error::GoBuildDisabled,
            Some(go) => {
                match go_build::build(go, selector, &self.platform, &self.store, progress) {
                    Ok((version, _)) => return Ok(self.assets(version, Source::Built)),
                    Err(error) => error,
                }
            }
        };
        Err(Error::Unavailable {
            selector: *selector,
            platform: self.platform.clone(),
            download: Box::new(download_error),
            build: Box::new(build_error),
        })
    }

    /// Like [`Self::use_version`], and makes sure the node binaries ([`NODE_BINARIES`](super::store::NODE_BINARIES)) are in
    /// the same directory, building them with Go when they are missing. Release archives carry
    /// no node binaries, so without a Go toolchain (or with building disabled, or
    /// installed-only) only an earlier build can provide them.
    pub fn use_with_node(
        &self,
        selector: &Selector,
        progress: &mut dyn Write,
    ) -> Result<Assets, Error> {
        if self.platform.os != go_build::NODE_OS {
            return Err(Error::NodeUnsupportedPlatform {
                platform: self.platform.clone(),
            });
        }
        let mut assets = self.use_version(selector, progress)?;
        if self.store.has_node(&assets.version, &self.platform) {
            assets.node = Some(Source::Installed);
            return Ok(assets);
        }
        if self.installed_only {
            return Err(Error::NodeNotInstalled {
                version: assets.version,
                platform: self.platform.clone(),
                dir: assets.path,
            });
        }
        let built = match &self.go {
            None => Err(Error::GoBuildDisabled),
            Some(go) => {
                go_build::build_node(go, &assets.version, &self.platform, &self.store, progress)
            }
        };
        match built {
            Ok(_) => {
                assets.node = Some(Source::Built);
                Ok(assets)
            }
            Err(error) => Err(Error::NodeUnavailable {
                version: assets.version,
                platform: self.platform.clone(),
                build: Box::new(error),
            }),
        }
    }

    /// Versions matching `selector` (all when `None`): installed ones, plus those the index
    /// offers unless installed-only. An unreachable index is reported on `progress` and the
    /// installed versions are still listed. Newest first.
    pub fn list(
        &self,
        selector: Option<&Selector>,
        progress: &mut dyn Write,
    ) -> Result<Vec<Listing>, Error> {
        let accepts = |version: &Version| selector.is_none_or(|s| s.matches(version));
        let installed: Vec<Version> = self
            .store
            .installed(&self.platform)?
            .into_iter()
            .filter(|version| accepts(version))
            .collect();
        let mut listings: Vec<Listing> = installed
            .iter()
            .map(|version| self.listing(*version, Availability::Installed))
            .collect();
        if !self.installed_only {
            match self.downloader.fetch_index(&self.index_url) {
                Ok(index) => listings.extend(
                    index
                        .for_platform(&self.platform)
                        .map(|release| release.version)
                        .filter(|version| accepts(version) && !installed.contains(version))
                        .map(|version| self.listing(version, Availability::Available)),
                ),
                Err(error) => {
                    let _ = writeln!(
                        progress,
                        "envtest: listing installed versions only; the index is unavailable: {error}"
                    );
                }
            }
        }
        listings.sort_by(|a, b| {
            b.version
                .cmp(&a.version)
                .then(a.availability.cmp(&b.availability))
        });
        listings.dedup_by(|a, b| a.version == b.version);
        Ok(listings)
    }

    /// Removes installed versions for this platform that match `selector` (all when `None`),
    /// and leftovers of interrupted installs.
    pub fn cleanup(&self, selector: Option<&Selector>) -> Result<Vec<Removed>, Error> {
        self.store.remove(|entry| {
            entry.platform == self.platform && selector.is_none_or(|s| s.matches(&entry.version))
        })
    }

    /// Fetches the index, picks the release and installs it (unless it already is).
    fn download(
        &self,
        selector: &Selector,
        installed: &[Version],
        progress: &mut dyn Write,
    ) -> Result<Assets, Error> {
        let _ = writeln!(
            progress,
            "envtest: reading the release index {}",
            self.index_url
        );
        let index = self.downloader.fetch_index(&self.index_url)?;
        let release = index
            .newest(selector, &self.platform)
            .ok_or_else(|| Error::NoRelease {
                url: self.index_url.clone(),
                selector: *selector,
                platform: self.platform.clone(),
                available: list_or_nothing(index.for_platform(&self.platform).map(|r| r.version)),
            })?;
        if installed.contains(&release.version) {
            return Ok(self.assets(release.version, Source::Installed));
        }
        self.downloader.install(release, &self.store, progress)?;
        Ok(self.assets(release.version, Source::Downloaded(release.url.clone())))
    }

    fn assets(&self, version: Version, source: Source) -> Assets {
        Assets {
            version,
            platform: self.platform.clone(),
            path: self.store.entry_dir(&version, &self.platform),
            source,
            node: None,
        }
    }

    fn listing(&self, version: Version, availability: Availability) -> Listing {
        Listing {
            version,
            platform: self.platform.clone(),
            availability,
        }
    }
}
