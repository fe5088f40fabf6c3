//! The CRDs compared: the project's, and the baseline's from a directory or a git ref.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::error::ApiDiffError;
use super::git::{Repository, join};

/// The extensions of the files CRDs are read from.
const EXTENSIONS: &[&str] = &["yaml", "yml", "json"];

/// CustomResourceDefinitions by `metadata.name`; documents of other kinds are ignored.
#[derive(Debug, Clone, Default)]
pub struct CrdSet {
    /// The CRDs, with the file each came from.
    crds: BTreeMap<String, (Value, String)>,
}

impl CrdSet {
    /// The CRDs of a (multi-document) YAML text; `source` names it in errors.
    ///
    /// ```
    /// use kubesmith_cli::api_diff::CrdSet;
    ///
    /// let yaml = "kind: ConfigMap\nmetadata: {name: ignored}\n---\n\
    ///             kind: CustomResourceDefinition\nmetadata: {name: cronjobs.batch.example.com}\n";
    /// let crds = CrdSet::from_yaml(yaml, "crds.yaml")?;
    /// assert_eq!(crds.names().collect::<Vec<_>>(), ["cronjobs.batch.example.com"]);
    /// # Ok::<(), kubesmith_cli::api_diff::ApiDiffError>(())
    /// ```
    pub fn from_yaml(text: &str, source: &str) -> Result<Self, ApiDiffError> {
        let mut set = CrdSet::default();
        set.add_yaml(text, source)?;
        Ok(set)
    }

    /// The CRDs of the `.yaml`, `.yml` and `.json` files directly in `dir`.
    pub fn from_dir(dir: &Path) -> Result<Self, ApiDiffError> {
        let read_error = |path: &Path| {
            let path = path.to_path_buf();
            move |source| ApiDiffError::Read { path, source }
        };
        let mut files = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(read_error(dir))? {
            let path = entry.map_err(read_error(dir))?.path();
            if path.is_file() && has_crd_extension(&path.to_string_lossy()) {
                files.push(path);
            }
        }
        files.sort();
        let mut set = CrdSet::default();
        for file in files {
            let text = std::fs::read_to_string(&file).map_err(read_error(&file))?;
            set.add_yaml(&text, &file.display().to_string())?;
        }
        Ok(set)
    }

    /// Adds the CRDs of a YAML text.
    fn add_yaml(&mut self, text: &str, source: &str) -> Result<(), ApiDiffError> {
        let parse_error = |reason: String| ApiDiffError::Parse {
            source_name: source.into(),
            reason,
        };
        let documents: Vec<Value> =
            serde_saphyr::from_multiple(text).map_err(|error| parse_error(error.to_string()))?;
        for document in documents {
            if document.get("kind").and_then(Value::as_str) != Some("CustomResourceDefinition") {
                continue;
            }
            let Some(name) = document.pointer("/metadata/name").and_then(Value::as_str) else {
                return Err(parse_error(
                    "a CustomResourceDefinition without metadata.name".into(),
                ));
            };
            let name = name.to_owned();
            if let Some((_, first)) = self.crds.get(&name) {
                return Err(ApiDiffError::DuplicateCrd {
                    name,
                    first: first.clone(),
                    second: source.into(),
                });
            }
            self.crds.insert(name, (document, source.into()));
        }
        Ok(())
    }

    /// The names of the CRDs, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.crds.keys().map(String::as_str)
    }

    /// The CRD named `name`.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.crds.get(name).map(|(crd, _)| crd)
    }

    /// Every CRD by name, sorted.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.crds
            .iter()
            .map(|(name, (crd, _))| (name.as_str(), crd))
    }
}

fn has_crd_extension(name: &str) -> bool {
    EXTENSIONS
        .iter()
        .any(|extension| name.ends_with(&format!(".{extension}")))
}

/// Where the baseline CRDs come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Baseline {
    /// A directory of CRD files.
    Dir(PathBuf),
    /// A commit of the project's git repository (BASE as given, e.g. `origin/main`).
    GitRef(String),
}

impl Baseline {
    /// What BASE means for the project in `dir`: an existing directory (relative to `dir`),
    /// else a git ref. BASE written as a path (`./old`, `/tmp/crds`, `old/`) must exist.
    pub fn resolve(base: &str, dir: &Path) -> Result<Self, ApiDiffError> {
        let path = dir.join(base);
        if path.is_dir() {
            return Ok(Baseline::Dir(path));
        }
        if path.exists() {
            return Err(ApiDiffError::BaselineIsAFile(base.into()));
        }
        let looks_like_a_path = base.starts_with(['.', '/', '~'])
            || base.ends_with('/')
            || base.contains('\\')
            || Path::new(base).is_absolute();
        if looks_like_a_path || base.is_empty() {
            return Err(ApiDiffError::MissingBaselineDir(base.into()));
        }
        Ok(Baseline::GitRef(base.into()))
    }

    /// The baseline CRDs. `crds` is the project's CRD directory: at a git ref, the CRDs are
    /// read from the same directory of that commit (none if it has no such directory).
    pub fn load(&self, dir: &Path, crds: &Path) -> Result<CrdSet, ApiDiffError> {
        match self {
            Baseline::Dir(path) => CrdSet::from_dir(path),
            Baseline::GitRef(base) => {
                let repository = Repository::open(dir, base)?;
                let commit = repository.commit(base)?;
                let tree = repository.path_in_repository(crds)?;
                let mut set = CrdSet::default();
                for file in repository.files(&commit, &tree)? {
                    if has_crd_extension(&file) {
                        let path = join(&tree, &file);
                        let text = repository.show(&commit, &path)?;
                        set.add_yaml(&text, &format!("{base}:{path}"))?;
                    }
                }
                Ok(set)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_is_a_directory_a_path_or_a_ref() {
        let temp = tempfile::tempdir().expect("a temporary directory");
        std::fs::create_dir(temp.path().join("old")).expect("a directory");
        std::fs::write(temp.path().join("file.yaml"), "").expect("a file");
        assert_eq!(
            Baseline::resolve("old", temp.path()).ok(),
            Some(Baseline::Dir(temp.path().join("old")))
        );
        assert_eq!(
            Baseline::resolve("origin/main", temp.path()).ok(),
            Some(Baseline::GitRef("origin/main".into()))
        );
        assert!(matches!(
            Baseline::resolve("./missing", temp.path()),
            Err(ApiDiffError::MissingBaselineDir(_))
        ));
        assert!(matches!(
            Baseline::resolve("file.yaml", temp.path()),
            Err(ApiDiffError::BaselineIsAFile(_))
        ));
    }

    #[test]
    fn a_crd_defined_twice_is_refused() {
        let crd = "kind: CustomResourceDefinition\nmetadata: {name: a.b}\n";
        let twice = format!("{crd}---\n{crd}");
        assert!(matches!(
            CrdSet::from_yaml(&twice, "x.yaml"),
            Err(ApiDiffError::DuplicateCrd { .. })
        ));
    }
}
