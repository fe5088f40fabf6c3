//! Local stand-ins for the public base images that scaffolded Dockerfiles and in-cluster checks
//! name. No registry is reachable from our machines, so the tests make images with the
//! upstream names and documented contents, once per machine, in podman's local storage:
//!
//! - [`rust::NAME`] (`docker.io/library/rust:1-bookworm`), the build stage: Debian bookworm
//!   with build-essential, ca-certificates, pkg-config and git, and the host's stable Rust
//!   toolchain where the official image has it;
//! - [`distroless::NAME`] (`gcr.io/distroless/static:nonroot`), the runtime stage, for
//!   linux/amd64 and linux/arm64: users, CA bundle, time zones, uid 65532, nothing else;
//! - [`curl::NAME`] (`docker.io/curlimages/curl`), for requests from inside a cluster.
//!
//! Each is built only when podman lacks it, under a [`MachineLock`], from a Debian root file
//! system made by debootstrap and cached in [`cache_dir`] (module `bookworm`). Remove an image
//! (`podman rmi`) to have it built again, e.g. after a toolchain update.

pub mod curl;
pub mod distroless;
pub mod rust;

mod bookworm;

use std::path::PathBuf;

use anyhow::Context as _;

use crate::host_packages::{self, HostFile};
use crate::machine::{MachineLock, cache_dir};
use crate::podman::Podman;
use crate::prerequisite::{Missing, is_root};

/// The Debian packages building the images needs besides podman's ([`Podman::find`] installs
/// those).
pub const HOST_FILES: &[HostFile] = &[HostFile {
    file: "debootstrap",
    package: "debootstrap",
}];

/// What building the images needs: root (debootstrap, file ownership in the images), then
/// podman, runc and debootstrap, installed when missing ([`host_packages::ensure`]). `Err` is
/// a [`Missing`] when they cannot be had here, or the failed install.
pub fn prerequisites() -> anyhow::Result<()> {
    if !is_root() {
        return Err(Missing::new(
            "root",
            "run the image tests as root (debootstrap and podman's storage need it)",
        )
        .into());
    }
    host_packages::ensure(HOST_FILES)?;
    Podman::find()?;
    Ok(())
}

/// Makes the image `name` with `build` (given a scratch directory) unless podman has it;
/// concurrent callers wait for one build.
fn ensure(
    name: &str,
    build: impl FnOnce(&std::path::Path) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let podman = Podman::find()?;
    if podman.image_exists(name)? {
        return Ok(());
    }
    let lock: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let _lock = MachineLock::acquire(&format!("image-{lock}"))?;
    if podman.image_exists(name)? {
        return Ok(());
    }
    let dir = images_dir()?;
    let scratch = tempfile::tempdir_in(&dir).context("creating a build directory")?;
    build(scratch.path()).with_context(|| format!("making the local image {name}"))
}

/// `<cache>/images`: the cached root file system and the images' build directories.
fn images_dir() -> anyhow::Result<PathBuf> {
    let dir = cache_dir().join("images");
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    Ok(dir)
}
