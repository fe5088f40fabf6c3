//! The cert-manager release in the Go module cache: `go mod download -json` of the root module
//! gives its directory (the repository tree at the release, with `deploy/charts/cert-manager`)
//! and its go.mod, whose `go` and `godebug` lines the build module carries over.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Context as _;
use kubesmith_cli::envtest::go_mod::GoMod;
use serde::Deserialize;

use super::VERSION;
use crate::scaffolded::check_success;

/// The module holding cert-manager's libraries and chart.
pub const MODULE: &str = "github.com/cert-manager/cert-manager";

/// The release, downloaded into the Go module cache.
#[derive(Debug, Clone)]
pub struct Source {
    /// The module's directory (read-only, in the module cache).
    pub dir: PathBuf,
    /// The module's go.mod.
    pub go_mod: GoMod,
}

impl Source {
    /// The chart's directory, `deploy/charts/cert-manager`.
    pub fn chart_dir(&self) -> PathBuf {
        self.dir.join("deploy/charts/cert-manager")
    }
}

/// Downloads `MODULE@VERSION` with `go` (a no-op when cached) and reads its go.mod.
pub fn download(go: &Path) -> anyhow::Result<Source> {
    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Downloaded {
        dir: PathBuf,
        go_mod: PathBuf,
        error: Option<String>,
    }
    // Outside any module, so that no surrounding go.mod or go.work is consulted.
    let scratch = tempfile::tempdir().context("a scratch directory")?;
    let module = format!("{MODULE}@{VERSION}");
    let output = Command::new(go)
        .args(["mod", "download", "-json", &module])
        .current_dir(scratch.path())
        .env("GOWORK", "off")
        .env("GOFLAGS", "-mod=mod")
        .output()
        .with_context(|| format!("running {} mod download", go.display()))?;
    let downloaded: Downloaded = serde_json::from_slice(&output.stdout).with_context(|| {
        format!(
            "go mod download -json {module} printed no JSON object:\n{}",
            String::from_utf8_lossy(&output.stderr)
        )
    })?;
    if let Some(error) = downloaded.error {
        anyhow::bail!("downloading {module} from the Go module proxy: {error}");
    }
    check_success(&format!("go mod download {module}"), &output)?;
    let text = std::fs::read_to_string(&downloaded.go_mod)
        .with_context(|| format!("reading {}", downloaded.go_mod.display()))?;
    Ok(Source {
        dir: downloaded.dir,
        go_mod: GoMod::parse(&text),
    })
}
