//! Go commands the tests run (controller-gen, helm, actionlint, ...), built from the Go module
//! proxy with `go install <package>@<version>` once per machine into
//! `<cache>/go-tools/<package path>@<version>/` and reused afterwards. The Go toolchain is
//! `$GO` when set, else `go` on `PATH` or `/usr/local/go/bin/go`.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, bail};

use crate::machine::cached_dir;
use crate::prerequisite::Missing;

/// A working Go toolchain: `$GO` when set (`GO=none` pretends there is none), else `go` on
/// `PATH` or `/usr/local/go/bin/go`.
pub fn go() -> Result<PathBuf, Missing> {
    let candidates = match std::env::var_os("GO") {
        Some(go) => vec![PathBuf::from(go)],
        None => vec![PathBuf::from("go"), PathBuf::from("/usr/local/go/bin/go")],
    };
    candidates
        .into_iter()
        .find(|go| {
            Command::new(go)
                .arg("version")
                .output()
                .is_ok_and(|output| output.status.success())
        })
        .ok_or_else(|| {
            Missing::new(
                "a Go toolchain",
                "install Go (https://go.dev/dl) with access to a Go module proxy, or set GO",
            )
        })
}

/// The binary of `package` (e.g. `helm.sh/helm/v3/cmd/helm`) at module version `version`,
/// installed with `go` first when it is not cached. Concurrent callers wait for one build.
pub fn install(go: &Path, package: &str, version: &str) -> anyhow::Result<PathBuf> {
    let name = package
        .rsplit('/')
        .next()
        .filter(|name| !name.is_empty())
        .with_context(|| format!("{package} names no command"))?;
    let id = format!("{}@{version}", package.replace('/', "_"));
    let dir = cached_dir(&format!("go-tools/{id}"), |staging| {
        run(Command::new(go)
            .args(["install", "-trimpath", &format!("{package}@{version}")])
            .env("GOBIN", staging)
            .env("CGO_ENABLED", "0")
            .env("GOFLAGS", "-buildvcs=false")
            .env("GOWORK", "off"))
    })?;
    Ok(dir.join(name))
}

/// `PATH` with `go`'s directory in front (for tools that run `go` themselves).
pub fn path_with(go: &Path) -> anyhow::Result<OsString> {
    let mut dirs: Vec<PathBuf> = go.parent().map(Path::to_path_buf).into_iter().collect();
    dirs.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    Ok(std::env::join_paths(dirs)?)
}

/// Runs `command`; an error carries its status and output.
pub fn run(command: &mut Command) -> anyhow::Result<()> {
    let output = command
        .output()
        .with_context(|| format!("starting {command:?}"))?;
    if !output.status.success() {
        bail!(
            "{command:?} failed ({}):\n{}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(())
}
