//! Installing CustomResourceDefinitions into a test control plane and waiting until they are served.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::Api;
use kube::api::{Patch, PatchParams};

use super::error::{Error, Result};

/// Field manager of the server-side applies that install CRDs.
const FIELD_MANAGER: &str = "kubesmith-envtest";
/// How long installed CRDs may take to appear in discovery, as in controller-runtime.
pub const DEFAULT_CRD_INSTALL_TIMEOUT: Duration = Duration::from_secs(10);

/// Which CRDs to install and how strictly.
///
/// ```
/// use kubesmith::envtest::CrdInstallOptions;
/// let options = CrdInstallOptions::default()
///     .path("config/crd/bases")
///     .error_if_path_missing(true);
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct CrdInstallOptions {
    paths: Vec<PathBuf>,
    crds: Vec<CustomResourceDefinition>,
    error_if_path_missing: bool,
    timeout: Duration,
}

impl Default for CrdInstallOptions {
    fn default() -> Self {
        CrdInstallOptions {
            paths: Vec::new(),
            crds: Vec::new(),
            error_if_path_missing: false,
            timeout: DEFAULT_CRD_INSTALL_TIMEOUT,
        }
    }
}

impl CrdInstallOptions {
    /// Adds a directory (its `.yaml`, `.yml` and `.json` files, one level deep, each possibly
    /// holding several documents) or a single file.
    pub fn path(mut self, path: impl Into<PathBuf>) -> Self {
        self.paths.push(path.into());
        self
    }

    /// Adds an in-memory CRD, for example `MyKind::crd()` from `#[derive(CustomResource)]`.
    pub fn crd(mut self, crd: CustomResourceDefinition) -> Self {
        self.crds.push(crd);
        self
    }

    /// Whether a path that does not exist is an error (default `false`: it is skipped).
    pub fn error_if_path_missing(mut self, error: bool) -> Self {
        self.error_if_path_missing = error;
        self
    }

    /// How long to wait for discovery to list every served version (default 10 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    pub(crate) fn timeout_value(&self) -> Duration {
        self.timeout
    }

    /// Every CRD these options name: files first, in path order and then file-name order, then in-memory ones.
    pub fn load(&self) -> Result<Vec<CustomResourceDefinition>> {
        let mut crds = Vec::new();
        for path in &self.paths {
            if !path.exists() {
                if self.error_if_path_missing {
                    return Err(Error::CrdPathMissing(path.clone()));
                }
                tracing::debug!(path = %path.display(), "CRD path does not exist; skipping");
                continue;
            }
            for file in manifest_files(path)? {
                crds.extend(read_crds(&file)?);
            }
        }
        crds.extend(self.crds.iter().cloned());
        Ok(crds)
    }
}

/// The manifest files a path stands for: the file itself, or the `.yaml`, `.yml` and `.json`
/// files of a directory (one level).
pub(crate) fn manifest_files(path: &Path) -> Result<Vec<PathBuf>> {
    if path.is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files = Vec::new();
    for entry in std::fs::read_dir(path).map_err(Error::io("reading directory", path))? {
        let file = entry.map_err(Error::io("reading directory", path))?.path();
        let is_manifest = file
            .extension()
            .and_then(|ext| ext.to_str())
            .is_some_and(|ext| matches!(ext, "yaml" | "yml" | "json"));
        if is_manifest && file.is_file() {
            files.push(file);
        }
    }
    files.sort();
    Ok(files)
}

/// The CRDs in one file; documents of other kinds are ignored.
fn read_crds(file: &Path) -> Result<Vec<CustomResourceDefinition>> {
    documents_of_kind(file, "CustomResourceDefinition")
}

/// The documents of `kind` in one (multi-document) manifest file; others are ignored.
pub(crate) fn documents_of_kind<T: serde::de::DeserializeOwned>(
    file: &Path,
    kind: &str,
) -> Result<Vec<T>> {
    let text = std::fs::read_to_string(file).map_err(Error::io("reading", file))?;
    let parse_error = |message: String| Error::ManifestParse {
        path: file.to_path_buf(),
        message,
    };
    let documents: Vec<serde_json::Value> =
        serde_saphyr::from_multiple(&text).map_err(|e| parse_error(e.to_string()))?;
    documents
        .into_iter()
        .filter(|doc| doc.get("kind").and_then(|k| k.as_str()) == Some(kind))
        .map(|doc| serde_json::from_value(doc).map_err(|e| parse_error(e.to_string())))
        .collect()
}

/// Applies `crds` and waits until discovery lists every served version of each.
pub(crate) async fn install(
    client: &kube::Client,
    crds: &[CustomResourceDefinition],
    timeout: Duration,
) -> Result<()> {
    let api = Api::<CustomResourceDefinition>::all(client.clone());
    let params = PatchParams::apply(FIELD_MANAGER).force();
    for crd in crds {
        let name = crd.metadata.name.clone().unwrap_or_default();
        let mut applied = crd.clone();
        applied.metadata.resource_version = None;
        applied.metadata.managed_fields = None;
        api.patch(&name, &params, &Patch::Apply(&applied))
            .await
            .map_err(Error::kube(format!("installing CRD {name}")))?;
    }
    wait_until_served(client, crds, timeout).await
}

/// `group/version/plural` for every served version.
fn served_resources(crds: &[CustomResourceDefinition]) -> BTreeSet<(String, String)> {
    crds.iter()
        .flat_map(|crd| {
            let spec = &crd.spec;
            spec.versions
                .iter()
                .filter(|version| version.served)
                .map(|version| {
                    (
                        format!("{}/{}", spec.group, version.name),
                        spec.names.plural.clone(),
                    )
                })
        })
        .collect()
}

async fn wait_until_served(
    client: &kube::Client,
    crds: &[CustomResourceDefinition],
    timeout: Duration,
) -> Result<()> {
    let mut missing = served_resources(crds);
    let deadline = Instant::now() + timeout;
    loop {
        let mut still_missing = BTreeSet::new();
        for (group_version, plural) in missing {
            let listed = client
                .list_api_group_resources(&group_version)
                .await
                .map(|list| list.resources.iter().any(|r| r.name == plural))
                .unwrap_or(false);
            if !listed {
                still_missing.insert((group_version, plural));
            }
        }
        if still_missing.is_empty() {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(Error::CrdTimeout {
                timeout,
                missing: still_missing
                    .into_iter()
                    .map(|(group_version, plural)| format!("{group_version}/{plural}"))
                    .collect(),
            });
        }
        missing = still_missing;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
