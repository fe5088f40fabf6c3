//! The on-disk store of control-plane binaries, laid out like Go's `setup-envtest` store so both
//! tools share it.
//!
//! ```text
//! <root>/                           $XDG_DATA_HOME/kubebuilder-envtest (or ~/.local/share/…)
//! └── k8s/
//!     ├── 1.37.2-linux-amd64/       one directory per version and platform
//!     │   ├── etcd
//!     │   ├── kube-apiserver
//!     │   └── kubectl
//!     └── .kubesmith-tmp-…/         staging area of an install in progress
//! ```
//!
//! Installs are atomic: binaries are put together in a staging directory next to the final one
//! and renamed into place, so a version directory either holds every binary or does not exist.
//! A version directory missing a binary (left by another tool) is not considered installed.

use std::ffi::OsString;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::error::Error;
use super::platform::Platform;
use super::version::Version;

/// The store's directory name under the user data directory, shared with `setup-envtest`.
pub const STORE_DIR_NAME: &str = "kubebuilder-envtest";

/// The control-plane binaries every version directory holds.
pub const BINARIES: [&str; 3] = ["etcd", "kube-apiserver", "kubectl"];

/// The binaries that, with the control plane, make a real one-node cluster. Release archives do
/// not carry them; they are built with Go ([`super::go_build::build_node`]).
pub const NODE_BINARIES: [&str; 4] = [
    "kubelet",
    "kube-controller-manager",
    "kube-scheduler",
    "kube-proxy",
];

/// The sets of binaries a version directory can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinarySet {
    /// [`BINARIES`]: what envtest runs, and what release archives carry.
    ControlPlane,
    /// [`NODE_BINARIES`]: what a real node needs besides the control plane.
    Node,
}

impl BinarySet {
    /// The names of the binaries in the set (without a platform's `.exe`).
    #[must_use]
    pub fn binaries(self) -> &'static [&'static str] {
        match self {
            Self::ControlPlane => &BINARIES,
            Self::Node => &NODE_BINARIES,
        }
    }
}

/// The sub-directory of the store root holding one directory per version and platform.
const VERSIONS_DIR: &str = "k8s";

/// Name prefix of staging directories; the leading dot keeps `setup-envtest` from reading them
/// as versions.
const STAGING_PREFIX: &str = ".kubesmith-tmp-";

/// A store of envtest binaries rooted at one directory (`--bin-dir`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Store {
    root: PathBuf,
}

/// One version directory found in the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The Kubernetes version.
    pub version: Version,
    /// The platform the binaries are for.
    pub platform: Platform,
    /// The directory holding the binaries.
    pub path: PathBuf,
    /// Whether every binary in [`BINARIES`] is present and executable.
    pub complete: bool,
    /// Whether every binary in [`NODE_BINARIES`] is present and executable too.
    pub node: bool,
}

/// A staging directory for one install; removed when dropped unless committed.
#[derive(Debug)]
pub struct Staging {
    dir: tempfile::TempDir,
    version: Version,
    platform: Platform,
    set: BinarySet,
}

impl Staging {
    /// Where the binaries go; renamed to the version directory on commit.
    #[must_use]
    pub fn assets(&self) -> PathBuf {
        self.dir.path().join("assets")
    }

    /// Room for intermediate files (downloads, Go work modules); deleted with the staging area.
    #[must_use]
    pub fn scratch(&self) -> &Path {
        self.dir.path()
    }
}

/// What [`Store::remove`] took away.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Removed {
    /// An installed (possibly incomplete) version directory.
    Version(Entry),
    /// A staging directory left behind by an interrupted install.
    Leftover(PathBuf),
}

impl Store {
    /// A store rooted at `root`; nothing is created until something is installed.
    #[must_use]
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// The store shared with `setup-envtest`: `$XDG_DATA_HOME/kubebuilder-envtest` when
    /// `XDG_DATA_HOME` is an absolute path, otherwise `$HOME/.local/share/kubebuilder-envtest`.
    ///
    /// This is the Linux location of Go's `setup-envtest` store, used on every OS; on macOS and
    /// Windows `setup-envtest` keeps its store elsewhere, so pass its directory as `--bin-dir`
    /// to share it there.
    pub fn user_default() -> Result<Self, Error> {
        default_root(std::env::var_os("XDG_DATA_HOME"), std::env::var_os("HOME"))
            .map(Self::new)
            .ok_or(Error::NoStoreLocation)
    }

    /// The root directory (`--bin-dir`).
    #[must_use]
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The directory holding one sub-directory per version and platform.
    #[must_use]
    pub fn versions_dir(&self) -> PathBuf {
        self.root.join(VERSIONS_DIR)
    }

    /// The directory for `version` on `platform`, e.g. `<root>/k8s/1.37.2-linux-amd64`.
    #[must_use]
    pub fn entry_dir(&self, version: &Version, platform: &Platform) -> PathBuf {
        self.versions_dir().join(entry_name(version, platform))
    }

    /// Every version directory in the store, complete or not, newest first.
    pub fn entries(&self) -> Result<Vec<Entry>, Error> {
        let mut entries: Vec<Entry> = self
            .dir_names()?
            .into_iter()
            .filter_map(|(name, path)| {
                let (version, platform) = parse_entry_name(&name)?;
                let complete =
                    missing_binaries(&path, &platform, BinarySet::ControlPlane).is_empty();
                let node = missing_binaries(&path, &platform, BinarySet::Node).is_empty();
                Some(Entry {
                    version,
                    platform,
                    path,
                    complete,
                    node,
                })
            })
            .collect();
        entries.sort_by(|a, b| {
            b.version
                .cmp(&a.version)
                .then_with(|| a.platform.cmp(&b.platform))
        });
        Ok(entries)
    }

    /// The complete installs for `platform`, newest first.
    pub fn installed(&self, platform: &Platform) -> Result<Vec<Version>, Error> {
        Ok(self
            .entries()?
            .into_iter()
            .filter(|entry| entry.complete && entry.platform == *platform)
            .map(|entry| entry.version)
            .collect())
    }

    /// Whether the node binaries of `version` on `platform` are installed (all present and
    /// executable).
    #[must_use]
    pub fn has_node(&self, version: &Version, platform: &Platform) -> bool {
        missing_binaries(
            &self.entry_dir(version, platform),
            platform,
            BinarySet::Node,
        )
        .is_empty()
    }

    /// Creates a staging directory for the binaries of `set` inside the store (same file system,
    /// so the final renames are atomic).
    pub fn stage(
        &self,
        version: Version,
        platform: &Platform,
        set: BinarySet,
    ) -> Result<Staging, Error> {
        let versions_dir = self.versions_dir();
        fs::create_dir_all(&versions_dir)
            .map_err(|e| Error::io("create directory", &versions_dir, e))?;
        let dir = tempfile::Builder::new()
            .prefix(&format!(
                "{STAGING_PREFIX}{}-",
                entry_name(&version, platform)
            ))
            .tempdir_in(&versions_dir)
            .map_err(|e| Error::io("create a staging directory in", &versions_dir, e))?;
        let staging = Staging {
            dir,
            version,
            platform: platform.clone(),
            set,
        };
        let assets = staging.assets();
        fs::create_dir(&assets).map_err(|e| Error::io("create directory", &assets, e))?;
        Ok(staging)
    }

    /// Checks that the staged binaries are complete, marks them executable and moves them into
    /// place. Returns the version directory.
    ///
    /// Control-plane binaries: the staging directory is renamed to the version directory. If
    /// another process installed the same version meanwhile, its install is kept; an incomplete
    /// directory already in the way is replaced.
    ///
    /// Node binaries: each file is renamed into the installed version directory (made writable
    /// for the moment if `setup-envtest` left it read-only).
    pub fn commit(&self, staging: Staging) -> Result<PathBuf, Error> {
        let assets = staging.assets();
        let set = staging.set;
        let missing = missing_files(&assets, &staging.platform, set);
        if !missing.is_empty() {
            return Err(Error::IncompleteAssets {
                dir: assets,
                expected: set.binaries().join(", "),
                missing: missing.join(", "),
            });
        }
        for binary in set.binaries() {
            make_executable(&assets.join(staging.platform.executable_name(binary)))?;
        }
        let target = self.entry_dir(&staging.version, &staging.platform);
        match set {
            BinarySet::ControlPlane => commit_version_dir(&assets, &target, &staging.platform),
            BinarySet::Node => {
                commit_into_version_dir(&assets, &target, &staging.platform, set)?;
                Ok(target)
            }
        }
    }

    /// Removes the version directories `select` accepts, and every leftover staging directory.
    ///
    /// Stops at the first failure; what was removed before it is lost from the report, but the
    /// error names the path that could not be removed.
    pub fn remove(&self, select: impl Fn(&Entry) -> bool) -> Result<Vec<Removed>, Error> {
        let mut removed = Vec::new();
        for entry in self.entries()?.into_iter().filter(|entry| select(entry)) {
            remove_dir(&entry.path)?;
            removed.push(Removed::Version(entry));
        }
        for (name, path) in self.dir_names()? {
            if name.starts_with(STAGING_PREFIX) {
                remove_dir(&path)?;
                removed.push(Removed::Leftover(path));
            }
        }
        Ok(removed)
    }

    /// Names and paths of the directories in `k8s/`; empty if it does not exist yet.
    fn dir_names(&self) -> Result<Vec<(String, PathBuf)>, Error> {
        let versions_dir = self.versions_dir();
        let read = match fs::read_dir(&versions_dir) {
            Ok(read) => read,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(Error::io("list", &versions_dir, e)),
        };
        let mut dirs = Vec::new();
        for item in read {
            let item = item.map_err(|e| Error::io("list", &versions_dir, e))?;
            let path = item.path();
            if let (Some(name), true) = (item.file_name().to_str(), path.is_dir()) {
                dirs.push((name.to_owned(), path));
            }
        }
        Ok(dirs)
    }
}

/// Renames the staged control plane `assets` to `target` (see [`Store::commit`]).
fn commit_version_dir(assets: &Path, target: &Path, platform: &Platform) -> Result<PathBuf, Error> {
    let installed =
        |dir: &Path| missing_binaries(dir, platform, BinarySet::ControlPlane).is_empty();
    if target.exists() {
        if installed(target) {
            return Ok(target.to_path_buf());
        }
        remove_dir(target)?;
    }
    match fs::rename(assets, target) {
        Ok(()) => Ok(target.to_path_buf()),
        // Lost a race with a concurrent install of the same version: theirs is as good.
        Err(_) if installed(target) => Ok(target.to_path_buf()),
        Err(e) => Err(Error::io("move the staged binaries to", target, e)),
    }
}

/// Renames each staged binary of `set` into the installed version directory `target`.
fn commit_into_version_dir(
    assets: &Path,
    target: &Path,
    platform: &Platform,
    set: BinarySet,
) -> Result<(), Error> {
    if !missing_binaries(target, platform, BinarySet::ControlPlane).is_empty() {
        return Err(Error::IncompleteAssets {
            dir: target.to_path_buf(),
            expected: BINARIES.join(", "),
            missing: missing_binaries(target, platform, BinarySet::ControlPlane).join(", "),
        });
    }
    let mode = WritableWhile::make(target)?;
    let moved = set.binaries().iter().try_for_each(|binary| {
        let name = platform.executable_name(binary);
        let destination = target.join(&name);
        fs::rename(assets.join(&name), &destination)
            .map_err(|e| Error::io("move the staged binary to", &destination, e))
    });
    mode.restore()?;
    moved
}

/// A directory made writable for a while, and its permissions before.
struct WritableWhile<'a> {
    dir: &'a Path,
    before: fs::Permissions,
}

impl<'a> WritableWhile<'a> {
    /// Adds the owner's write permission to `dir` (on Unix) until [`Self::restore`].
    fn make(dir: &'a Path) -> Result<Self, Error> {
        let before = fs::metadata(dir)
            .map_err(|e| Error::io("inspect", dir, e))?
            .permissions();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            if before.mode() & 0o200 == 0 {
                fs::set_permissions(dir, fs::Permissions::from_mode(before.mode() | 0o200))
                    .map_err(|e| Error::io("make writable", dir, e))?;
            }
        }
        Ok(Self { dir, before })
    }

    /// Puts the permissions back as they were.
    fn restore(self) -> Result<(), Error> {
        fs::set_permissions(self.dir, self.before)
            .map_err(|e| Error::io("restore the permissions of", self.dir, e))
    }
}

/// Picks the store root from `XDG_DATA_HOME` and `HOME` (split out for testing).
fn default_root(xdg_data_home: Option<OsString>, home: Option<OsString>) -> Option<PathBuf> {
    let xdg = xdg_data_home
        .map(PathBuf::from)
        .filter(|path| path.is_absolute());
    let data_home = xdg.or_else(|| {
        home.filter(|home| !home.is_empty())
            .map(|home| PathBuf::from(home).join(".local").join("share"))
    })?;
    Some(data_home.join(STORE_DIR_NAME))
}

/// `1.37.2-linux-amd64`.
fn entry_name(version: &Version, platform: &Platform) -> String {
    format!("{version}-{}-{}", platform.os, platform.arch)
}

/// Reads `1.37.2-linux-amd64` back; `None` for anything else.
fn parse_entry_name(name: &str) -> Option<(Version, Platform)> {
    let mut parts = name.split('-');
    let (version, os, arch) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    Some((version.parse().ok()?, Platform::new(os, arch).ok()?))
}

/// The binaries of `set` in `dir` that are missing or not executable.
fn missing_binaries(dir: &Path, platform: &Platform, set: BinarySet) -> Vec<String> {
    missing(dir, platform, set, is_executable)
}

/// The binaries of `set` in `dir` that are missing (executable or not).
fn missing_files(dir: &Path, platform: &Platform, set: BinarySet) -> Vec<String> {
    missing(dir, platform, set, Path::is_file)
}

/// The binaries of `set` for `platform` for which `present` does not hold in `dir`.
fn missing(
    dir: &Path,
    platform: &Platform,
    set: BinarySet,
    present: fn(&Path) -> bool,
) -> Vec<String> {
    set.binaries()
        .iter()
        .map(|binary| platform.executable_name(binary))
        .filter(|name| !present(&dir.join(name)))
        .collect()
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path).is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(path: &Path) -> bool {
    path.is_file()
}

/// Sets `rwxr-xr-x`.
#[cfg(unix)]
fn make_executable(path: &Path) -> Result<(), Error> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(0o755))
        .map_err(|e| Error::io("make executable", path, e))
}

#[cfg(not(unix))]
fn make_executable(_path: &Path) -> Result<(), Error> {
    Ok(())
}

/// Removes a directory tree, first making the directory writable (`setup-envtest` leaves its
/// version directories read-only).
fn remove_dir(path: &Path) -> Result<(), Error> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // Best effort: if this fails, remove_dir_all reports the real problem.
        let _ = fs::set_permissions(path, fs::Permissions::from_mode(0o755));
    }
    fs::remove_dir_all(path).map_err(|e| Error::io("remove", path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn linux() -> Platform {
        Platform::new("linux", "amd64").expect("valid platform")
    }

    fn v(s: &str) -> Version {
        s.parse().expect("valid version")
    }

    fn write_binaries(dir: &Path, names: &[&str]) {
        fs::create_dir_all(dir).expect("create dir");
        for name in names {
            let path = dir.join(name);
            fs::write(&path, "#!/bin/sh\n").expect("write binary");
            make_executable(&path).expect("chmod");
        }
    }

    #[test]
    fn default_root_prefers_an_absolute_xdg_data_home() {
        assert_eq!(
            default_root(Some("/data".into()), Some("/home/me".into())),
            Some(PathBuf::from("/data/kubebuilder-envtest"))
        );
        assert_eq!(
            default_root(Some("relative".into()), Some("/home/me".into())),
            Some(PathBuf::from("/home/me/.local/share/kubebuilder-envtest"))
        );
        assert_eq!(
            default_root(None, Some("/home/me".into())),
            Some(PathBuf::from("/home/me/.local/share/kubebuilder-envtest"))
        );
        assert_eq!(default_root(None, None), None);
        assert_eq!(default_root(Some("".into()), Some("".into())), None);
    }

    #[test]
    fn version_directories_are_named_version_os_arch() {
        let store = Store::new("/store");
        assert_eq!(
            store.entry_dir(&v("1.37.2"), &linux()),
            PathBuf::from("/store/k8s/1.37.2-linux-amd64")
        );
        assert_eq!(
            parse_entry_name("1.37.2-linux-amd64"),
            Some((v("1.37.2"), linux()))
        );
        for bad in [
            "1.37.2-linux",
            "1.37.2-linux-amd64-x",
            "v1.37-linux-amd64",
            ".kubesmith-tmp-1.37.2-linux-amd64-abc",
        ] {
            assert_eq!(parse_entry_name(bad), None, "{bad}");
        }
    }

    #[test]
    fn empty_or_missing_store_lists_nothing() {
        let root = tempfile::tempdir().expect("tempdir");
        let store = Store::new(root.path().join("does-not-exist"));
        assert_eq!(store.entries().expect("entries"), Vec::new());
    }

    #[test]
    fn only_complete_directories_count_as_installed_newest_first() {
        let root = tempfile::tempdir().expect("tempdir");
        let store = Store::new(root.path());
        write_binaries(&store.entry_dir(&v("1.36.1"), &linux()), &BINARIES);
        write_binaries(&store.entry_dir(&v("1.37.2"), &linux()), &BINARIES);
        write_binaries(
            &store.entry_dir(&v("1.38.0"), &linux()),
            &["etcd", "kubectl"],
        );
        let darwin = Platform::new("darwin", "arm64").expect("valid");
        write_binaries(&store.entry_dir(&v("1.39.0"), &darwin), &BINARIES);
        fs::write(store.versions_dir().join("1.40.0-linux-amd64.txt"), "").expect("write");

        assert_eq!(
            store.installed(&linux()).expect("installed"),
            vec![v("1.37.2"), v("1.36.1")]
        );
        let entries = store.entries().expect("entries");
        let incomplete: Vec<_> = entries
            .iter()
            .filter(|e| !e.complete)
            .map(|e| e.version)
            .collect();
        assert_eq!(incomplete, vec![v("1.38.0")]);
        assert_eq!(entries.len(), 4);
    }

    #[test]
    fn commit_renames_staging_into_place_and_leaves_no_staging_dir() {
        let root = tempfile::tempdir().expect("tempdir");
        let store = Store::new(root.path());
        let staging = store
            .stage(v("1.37.2"), &linux(), BinarySet::ControlPlane)
            .expect("stage");
        write_binaries(&staging.assets(), &BINARIES);
        let path = store.commit(staging).expect("commit");
        assert_eq!(path, store.entry_dir(&v("1.37.2"), &linux()));
        assert_eq!(
            store.installed(&linux()).expect("installed"),
            vec![v("1.37.2")]
        );
        let names: Vec<_> = store
            .dir_names()
            .expect("names")
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        assert_eq!(names, vec!["1.37.2-linux-amd64".to_owned()]);
    }

    #[test]
    fn commit_refuses_incomplete_staging_and_dropping_it_cleans_up() {
        let root = tempfile::tempdir().expect("tempdir");
        let store = Store::new(root.path());
        let staging = store
            .stage(v("1.37.2"), &linux(), BinarySet::ControlPlane)
            .expect("stage");
        write_binaries(&staging.assets(), &["etcd"]);
        let err = store.commit(staging).expect_err("incomplete");
        assert!(
            err.to_string().contains("missing kube-apiserver, kubectl"),
            "{err}"
        );
        assert_eq!(store.dir_names().expect("names"), Vec::new());
    }

    #[test]
    fn commit_replaces_an_incomplete_directory_in_the_way() {
        let root = tempfile::tempdir().expect("tempdir");
        let store = Store::new(root.path());
        let target = store.entry_dir(&v("1.37.2"), &linux());
        write_binaries(&target, &["etcd"]);
        let staging = store
            .stage(v("1.37.2"), &linux(), BinarySet::ControlPlane)
            .expect("stage");
        write_binaries(&staging.assets(), &BINARIES);
        store.commit(staging).expect("commit");
        assert!(missing_binaries(&target, &linux(), BinarySet::ControlPlane).is_empty());
    }

    #[test]
    fn remove_takes_selected_versions_and_every_leftover() {
        let root = tempfile::tempdir().expect("tempdir");
        let store = Store::new(root.path());
        write_binaries(&store.entry_dir(&v("1.36.1"), &linux()), &BINARIES);
        write_binaries(&store.entry_dir(&v("1.37.2"), &linux()), &BINARIES);
        let leftover = store
            .stage(v("1.38.0"), &linux(), BinarySet::ControlPlane)
            .expect("stage")
            .dir
            .keep();

        let removed = store
            .remove(|entry| entry.version == v("1.36.1"))
            .expect("remove");
        assert_eq!(removed.len(), 2, "{removed:?}");
        assert!(matches!(&removed[0], Removed::Version(e) if e.version == v("1.36.1")));
        assert_eq!(removed[1], Removed::Leftover(leftover.clone()));
        assert!(!leftover.exists());
        assert_eq!(
            store.installed(&linux()).expect("installed"),
            vec![v("1.37.2")]
        );
    }

    #[cfg(unix)]
    #[test]
    fn remove_handles_read_only_directories_left_by_setup_envtest() {
        use std::os::unix::fs::PermissionsExt;
        let root = tempfile::tempdir().expect("tempdir");
        let store = Store::new(root.path());
        let dir = store.entry_dir(&v("1.37.2"), &linux());
        write_binaries(&dir, &BINARIES);
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o555)).expect("chmod");
        store.remove(|_| true).expect("remove");
        assert!(!dir.exists());
    }
}
