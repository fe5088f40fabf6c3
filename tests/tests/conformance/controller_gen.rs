//! controller-gen's CRDs of the Go corpus (`tests/conformance/go`): the committed golden
//! (`tests/conformance/controller-gen`), and regenerating it where a Go toolchain exists.
//!
//! controller-gen is built once per machine from the Go module proxy ([`go_tool`]) and reused.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Context;
use kubesmith_e2e::go_tool;
use serde_json::Value;

/// The package of controller-gen.
const PACKAGE: &str = "sigs.k8s.io/controller-tools/cmd/controller-gen";

/// The controller-tools release the golden comes from.
pub const VERSION: &str = "v0.22.0";

/// Set to `1` to rewrite the golden from controller-gen's output.
pub const UPDATE_ENV: &str = "KUBESMITH_UPDATE_GOLDEN";

/// CRD files by file name (`conformance.kubesmith.dev_widgets.yaml`), as text.
pub type Files = BTreeMap<String, String>;

/// `tests/conformance/<name>` in this repository.
fn corpus_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("conformance")
        .join(name)
}

/// The directory of the committed golden.
pub fn golden_dir() -> PathBuf {
    corpus_dir("controller-gen")
}

/// The committed golden files.
pub fn golden_files() -> anyhow::Result<Files> {
    read_crd_files(&golden_dir())
}

/// The golden CRDs as JSON, by Kind.
pub fn golden_crds() -> anyhow::Result<BTreeMap<String, Value>> {
    let mut crds = BTreeMap::new();
    for (file, text) in golden_files()? {
        let crd: Value =
            serde_saphyr::from_str(&text).with_context(|| format!("parsing {file} as YAML"))?;
        let kind = crd["spec"]["names"]["kind"]
            .as_str()
            .with_context(|| format!("{file} has no spec.names.kind"))?
            .to_string();
        crds.insert(kind, crd);
    }
    Ok(crds)
}

/// Runs controller-gen (built with `go` if not cached) on the Go corpus and returns the CRD
/// files it writes.
pub fn generate(go: &Path) -> anyhow::Result<Files> {
    let controller_gen = go_tool::install(go, PACKAGE, VERSION)?;
    let output = tempfile::tempdir()?;
    let mut crd_dir = OsString::from("output:crd:dir=");
    crd_dir.push(output.path());
    go_tool::run(
        Command::new(&controller_gen)
            .args(["crd".into(), "paths=./...".into(), crd_dir])
            .current_dir(corpus_dir("go"))
            // controller-gen loads packages with `go list`.
            .env("PATH", go_tool::path_with(go)?),
    )?;
    read_crd_files(output.path())
}

/// Replaces the golden with `files`.
pub fn write_golden(files: &Files) -> anyhow::Result<()> {
    let dir = golden_dir();
    for stale in read_crd_files(&dir)?.keys() {
        std::fs::remove_file(dir.join(stale))?;
    }
    for (name, text) in files {
        std::fs::write(dir.join(name), text)?;
    }
    Ok(())
}

/// The `.yaml` files of `dir`, by file name.
fn read_crd_files(dir: &Path) -> anyhow::Result<Files> {
    let mut files = Files::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        if path
            .extension()
            .is_some_and(|extension| extension == "yaml")
        {
            let name = path
                .file_name()
                .and_then(|name| name.to_str())
                .with_context(|| format!("{} is not a UTF-8 file name", path.display()))?
                .to_string();
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("reading {}", path.display()))?;
            files.insert(name, text);
        }
    }
    Ok(files)
}
