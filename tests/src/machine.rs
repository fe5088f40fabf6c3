//! Things the tests keep once per machine rather than once per checkout: a cache directory
//! that outlives `target/` (tools built from the Go module proxy, images), locks that
//! serialize work across test processes (one build of a tool at a time, one node cluster per
//! machine), and how much slower than usual this machine may be ([`timeout`]).

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;

/// `KUBESMITH_CACHE_DIR`: where the tests keep what they build once per machine.
pub const CACHE_DIR_ENV: &str = "KUBESMITH_CACHE_DIR";

/// The machine's cache of the tests: `$KUBESMITH_CACHE_DIR`, else `$XDG_CACHE_HOME/kubesmith`,
/// else `~/.cache/kubesmith`, else `kubesmith-cache` in the temporary directory.
pub fn cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os(CACHE_DIR_ENV).filter(|dir| !dir.is_empty()) {
        return PathBuf::from(dir);
    }
    if let Some(dir) = std::env::var_os("XDG_CACHE_HOME").filter(|dir| !dir.is_empty()) {
        return PathBuf::from(dir).join("kubesmith");
    }
    match std::env::var_os("HOME").filter(|dir| !dir.is_empty()) {
        Some(home) => PathBuf::from(home).join(".cache").join("kubesmith"),
        None => std::env::temp_dir().join("kubesmith-cache"),
    }
}

/// `KUBESMITH_TEST_TIMEOUT_FACTOR`: a number (e.g. `2` or `1.5`) every deadline of the tests is
/// multiplied by, for machines slower or busier than usual.
pub const TIMEOUT_FACTOR_ENV: &str = "KUBESMITH_TEST_TIMEOUT_FACTOR";

/// `base` multiplied by [`TIMEOUT_FACTOR_ENV`] when it is set to a positive number; `base`
/// otherwise (an unusable value is reported once on stderr and ignored).
pub fn timeout(base: Duration) -> Duration {
    base.mul_f64(timeout_factor(
        std::env::var(TIMEOUT_FACTOR_ENV).ok().as_deref(),
    ))
}

/// The instant `base` from now, scaled like [`timeout`]: the deadline of a wait.
pub fn deadline(base: Duration) -> std::time::Instant {
    std::time::Instant::now() + timeout(base)
}

/// The factor [`timeout`] applies for the value `value` of [`TIMEOUT_FACTOR_ENV`].
fn timeout_factor(value: Option<&str>) -> f64 {
    let Some(value) = value.map(str::trim).filter(|value| !value.is_empty()) else {
        return 1.0;
    };
    match value.parse::<f64>() {
        Ok(factor) if factor.is_finite() && factor > 0.0 && factor <= 1000.0 => factor,
        _ => {
            static WARNED: std::sync::Once = std::sync::Once::new();
            WARNED.call_once(|| {
                eprintln!(
                    "{TIMEOUT_FACTOR_ENV}={value:?} ignored: expected a positive number up to 1000"
                );
            });
            1.0
        }
    }
}

/// An exclusive lock on a file, held until dropped: other processes taking the same lock
/// wait. Locks live in `<cache>/locks/<name>.lock`.
#[derive(Debug)]
pub struct MachineLock {
    _file: File,
}

impl MachineLock {
    /// Waits for and takes the machine-wide lock `name`.
    pub fn acquire(name: &str) -> anyhow::Result<MachineLock> {
        let path = cache_dir().join("locks").join(format!("{name}.lock"));
        Self::acquire_at(&path)
    }

    /// Waits for and takes the lock on the file at `path` (created when missing).
    pub fn acquire_at(path: &Path) -> anyhow::Result<MachineLock> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)
            .with_context(|| format!("opening {}", path.display()))?;
        file.lock()
            .with_context(|| format!("locking {}", path.display()))?;
        Ok(MachineLock { _file: file })
    }
}

/// `<cache>/<name>`, made once per machine by `make` (given an empty staging directory to
/// fill) and reused afterwards. Concurrent callers wait for one build; a failed or interrupted
/// build leaves nothing behind that looks finished.
pub fn cached_dir(
    name: &str,
    make: impl FnOnce(&Path) -> anyhow::Result<()>,
) -> anyhow::Result<PathBuf> {
    cached_dir_in(&cache_dir(), name, make)
}

/// [`cached_dir`] under `root` instead of the machine's cache.
fn cached_dir_in(
    root: &Path,
    name: &str,
    make: impl FnOnce(&Path) -> anyhow::Result<()>,
) -> anyhow::Result<PathBuf> {
    let dir = root.join(name);
    if dir.is_dir() {
        return Ok(dir);
    }
    let lock = root
        .join("locks")
        .join(format!("{}.lock", name.replace('/', "_")));
    let _lock = MachineLock::acquire_at(&lock)?;
    if dir.is_dir() {
        return Ok(dir);
    }
    let staging = root.join(format!("{name}.partial"));
    if staging.exists() {
        std::fs::remove_dir_all(&staging)
            .with_context(|| format!("removing {}", staging.display()))?;
    }
    std::fs::create_dir_all(&staging).with_context(|| format!("creating {}", staging.display()))?;
    make(&staging)?;
    std::fs::rename(&staging, &dir)
        .with_context(|| format!("moving {} into place", staging.display()))?;
    Ok(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_timeout_factor_scales_deadlines_and_ignores_nonsense() {
        assert_eq!(timeout_factor(None), 1.0);
        assert_eq!(timeout_factor(Some("")), 1.0);
        assert_eq!(timeout_factor(Some("2")), 2.0);
        assert_eq!(timeout_factor(Some(" 1.5 ")), 1.5);
        for nonsense in ["0", "-1", "fast", "NaN", "inf", "1e9"] {
            assert_eq!(timeout_factor(Some(nonsense)), 1.0, "{nonsense}");
        }
    }

    #[test]
    fn a_cached_dir_is_made_once_and_a_failed_make_leaves_nothing() {
        let root = tempfile::tempdir().expect("a directory");
        let failed = cached_dir_in(root.path(), "tool/v1", |staging| {
            std::fs::write(staging.join("half"), "")?;
            anyhow::bail!("the build broke")
        });
        assert!(failed.is_err());
        assert!(
            !root.path().join("tool/v1").exists(),
            "a failed build looks finished"
        );

        let made = cached_dir_in(root.path(), "tool/v1", |staging| {
            assert!(
                !staging.join("half").exists(),
                "staging kept a failed build's files"
            );
            Ok(std::fs::write(staging.join("bin"), "1")?)
        })
        .expect("a build");
        assert_eq!(made, root.path().join("tool/v1"));
        let again =
            cached_dir_in(root.path(), "tool/v1", |_| panic!("built twice")).expect("the cache");
        assert_eq!(
            std::fs::read_to_string(again.join("bin")).expect("the file"),
            "1"
        );
    }

    #[test]
    fn a_lock_is_exclusive_until_dropped() {
        let dir = tempfile::tempdir().expect("a directory");
        let path = dir.path().join("x.lock");
        let held = MachineLock::acquire_at(&path).expect("the lock");
        let other = OpenOptions::new()
            .write(true)
            .open(&path)
            .expect("the lock file");
        assert!(other.try_lock().is_err(), "a second holder got the lock");
        drop(held);
        assert!(other.try_lock().is_ok(), "the lock outlived its holder");
    }
}
