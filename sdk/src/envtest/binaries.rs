//! Finding the etcd, kube-apiserver and kubectl executables.

use std::path::{Path, PathBuf};

use super::error::{Error, Result};

/// `KUBEBUILDER_ASSETS`: a directory holding all control-plane binaries.
pub const ASSETS_DIR_VAR: &str = "KUBEBUILDER_ASSETS";
/// The directory looked at last, where kubebuilder's documentation has users unpack binaries.
pub const DEFAULT_ASSETS_DIR: &str = "/usr/local/kubebuilder/bin";

/// A control-plane binary envtest can run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Binary {
    /// `etcd`.
    Etcd,
    /// `kube-apiserver`.
    KubeApiServer,
    /// `kubectl`.
    Kubectl,
}

impl Binary {
    /// The executable's file name.
    pub fn file_name(self) -> &'static str {
        match self {
            Binary::Etcd => "etcd",
            Binary::KubeApiServer => "kube-apiserver",
            Binary::Kubectl => "kubectl",
        }
    }

    /// The `TEST_ASSET_*` variable that names this executable directly.
    pub fn env_var(self) -> &'static str {
        match self {
            Binary::Etcd => "TEST_ASSET_ETCD",
            Binary::KubeApiServer => "TEST_ASSET_KUBE_APISERVER",
            Binary::Kubectl => "TEST_ASSET_KUBECTL",
        }
    }

    /// Finds the executable: `TEST_ASSET_<NAME>`, then `$KUBEBUILDER_ASSETS/<name>`, then
    /// `<configured_dir>/<name>`, then `/usr/local/kubebuilder/bin/<name>`. The first candidate
    /// that exists wins; the error lists every path looked at.
    ///
    /// ```no_run
    /// use kubesmith::envtest::Binary;
    /// let apiserver = Binary::KubeApiServer.locate(None)?;
    /// # Ok::<(), kubesmith::envtest::Error>(())
    /// ```
    pub fn locate(self, configured_dir: Option<&Path>) -> Result<PathBuf> {
        let candidates = self.candidates(
            std::env::var_os(self.env_var()).map(PathBuf::from),
            std::env::var_os(ASSETS_DIR_VAR).map(PathBuf::from),
            configured_dir,
        );
        self.first_existing(candidates)
    }

    fn first_existing(self, candidates: Vec<PathBuf>) -> Result<PathBuf> {
        candidates
            .iter()
            .find(|path| path.is_file())
            .cloned()
            .ok_or(Error::BinaryNotFound {
                binary: self.file_name(),
                env_var: self.env_var(),
                tried: candidates,
            })
    }

    fn candidates(
        self,
        direct: Option<PathBuf>,
        assets_dir: Option<PathBuf>,
        configured_dir: Option<&Path>,
    ) -> Vec<PathBuf> {
        let non_empty = |p: &PathBuf| !p.as_os_str().is_empty();
        let dirs = [
            assets_dir.filter(non_empty),
            configured_dir.map(Path::to_path_buf).filter(non_empty),
            Some(PathBuf::from(DEFAULT_ASSETS_DIR)),
        ];
        direct
            .filter(non_empty)
            .into_iter()
            .chain(
                dirs.into_iter()
                    .flatten()
                    .map(|dir| dir.join(self.file_name())),
            )
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_order_is_direct_then_assets_then_configured_then_default() {
        let found = Binary::Etcd.candidates(
            Some("/direct/etcd".into()),
            Some("/assets".into()),
            Some(Path::new("/configured")),
        );
        let expected: Vec<PathBuf> = [
            "/direct/etcd",
            "/assets/etcd",
            "/configured/etcd",
            "/usr/local/kubebuilder/bin/etcd",
        ]
        .iter()
        .map(PathBuf::from)
        .collect();
        assert_eq!(found, expected);
    }

    #[test]
    fn empty_variables_are_ignored() {
        let found = Binary::KubeApiServer.candidates(Some("".into()), Some("".into()), None);
        assert_eq!(
            found,
            vec![PathBuf::from("/usr/local/kubebuilder/bin/kube-apiserver")]
        );
    }

    #[test]
    fn missing_binary_error_names_every_path_tried() {
        let dir = tempfile::tempdir().expect("temp dir");
        let candidates = Binary::Kubectl.candidates(None, None, Some(dir.path()));
        let err = Binary::Kubectl
            .first_existing(candidates)
            .expect_err("nothing there");
        let message = err.to_string();
        assert!(
            message.contains(&dir.path().join("kubectl").display().to_string()),
            "{message}"
        );
        assert!(message.contains("TEST_ASSET_KUBECTL"), "{message}");
    }
}
