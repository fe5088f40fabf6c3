//! The Kubernetes binaries of the cluster: the envtest store's version directory with the
//! control plane and the node binaries, obtained the way `kubesmith envtest use --node` does
//! (from the store, else built with Go from the Go module proxy, once per machine).

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use kubesmith_cli::envtest::{
    AssetManager, DEFAULT_KUBERNETES_VERSION, INDEX_ENV, Selector, Store,
};

use crate::machine::MachineLock;
use crate::prerequisite::Missing;

/// The directory holding etcd, kube-apiserver, kubectl, kubelet, kube-controller-manager,
/// kube-scheduler and kube-proxy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binaries {
    dir: PathBuf,
}

impl Binaries {
    /// The binaries of [`DEFAULT_KUBERNETES_VERSION`] from the user's envtest store, building
    /// what is missing with the Go toolchain (`$GO`, else `go`). Concurrent callers on the
    /// machine wait for one build. `Err` holds a [`Missing`] when neither the store nor a Go
    /// toolchain can provide them.
    pub fn obtain() -> anyhow::Result<Binaries> {
        let selector: Selector = DEFAULT_KUBERNETES_VERSION
            .parse()
            .context("the default Kubernetes version")?;
        let store = Store::user_default()?;
        let go = crate::go_tool::go();
        let _lock = MachineLock::acquire("envtest-node-binaries")?;
        let mut manager = AssetManager::new(store).go(go.as_ref().ok().cloned());
        if let Ok(index) = std::env::var(INDEX_ENV) {
            manager = manager.index_url(index);
        }
        let manager = manager.installed_only(go.is_err());
        match manager.use_with_node(&selector, &mut std::io::stderr()) {
            Ok(assets) => Ok(Binaries { dir: assets.path }),
            Err(error) => match go {
                Err(missing) => Err(Missing::new(
                    missing.what,
                    format!(
                        "{} (the node binaries are built from the Go module proxy: {error})",
                        missing.remedy
                    ),
                )
                .into()),
                Ok(_) => Err(error).context("obtaining the node binaries"),
            },
        }
    }

    /// The directory (the value for `KUBEBUILDER_ASSETS`).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The path of the binary `name` (e.g. `kubelet`).
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}
