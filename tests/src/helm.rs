//! Helm, for rendering charts in tests (cert-manager's, and a project's own): built from the Go
//! module proxy once per machine (see [`crate::go_tool`]), since release downloads are not
//! reachable from CI.
//!
//! ```no_run
//! # fn main() -> anyhow::Result<()> {
//! let helm = kubesmith_e2e::helm::helm()?;
//! let output = std::process::Command::new(helm).arg("version").output()?;
//! assert!(output.status.success());
//! # Ok(())
//! # }
//! ```

use std::path::PathBuf;

use crate::go_tool;

/// The Go package of the `helm` command.
pub const PACKAGE: &str = "helm.sh/helm/v4/cmd/helm";

/// The Helm release built (the newest v4 the module proxy serves and `go mod tidy` accepts).
pub const VERSION: &str = "v4.3.2";

/// The `helm` binary, built with the Go toolchain on first use (minutes) and cached per
/// machine. Fails when there is no Go toolchain ([`go_tool::go`]).
pub fn helm() -> anyhow::Result<PathBuf> {
    let go = go_tool::go()?;
    go_tool::install(&go, PACKAGE, VERSION)
}
