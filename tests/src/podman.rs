//! The container engine of the image tests: podman, with the adjustments a sandboxed machine
//! like ours needs. runc rather than the default crun (which refuses a hybrid cgroup layout),
//! rlimits no higher than the sandbox allows (it cannot raise them), builds on the host's
//! network (cargo inside a build reaches crates.io the way the host does) and never pulling
//! (no registry is reachable: base images are made locally, see [`crate::images`]).

use std::path::Path;
use std::process::Command;

use anyhow::Context as _;

use crate::go_tool::run;
use crate::prerequisite::{Missing, find_program};

/// The podman command.
pub const PODMAN: &str = "podman";

/// The OCI runtime the tests give podman.
const RUNTIME: &str = "runc";

/// rlimits a container may have here: the sandbox lacks CAP_SYS_RESOURCE, so podman cannot
/// raise them to its defaults.
const ULIMITS: [&str; 2] = ["nofile=1024:1024", "nproc=4096:4096"];

/// Podman and runc on `PATH`, or what is missing.
pub fn available() -> Result<(), Missing> {
    let remedy = "install podman and runc (Debian: apt-get install podman runc)";
    for program in [PODMAN, RUNTIME] {
        if find_program(program).is_none() {
            return Err(Missing::new(program, remedy));
        }
    }
    Ok(())
}

/// The flags of `podman build` here: runc, the rlimits, the host network, never pull.
pub fn build_flags() -> anyhow::Result<Vec<String>> {
    let mut flags = runtime_flags()?;
    flags.extend(["--network=host".into(), "--pull=never".into()]);
    Ok(flags)
}

/// The flags of `podman run` here: runc and the rlimits.
pub fn run_flags() -> anyhow::Result<Vec<String>> {
    runtime_flags()
}

fn runtime_flags() -> anyhow::Result<Vec<String>> {
    let runc = find_program(RUNTIME).context("runc is not on PATH")?;
    let mut flags = vec!["--runtime".to_string(), runc.display().to_string()];
    for ulimit in ULIMITS {
        flags.extend(["--ulimit".to_string(), ulimit.to_string()]);
    }
    Ok(flags)
}

/// A podman command.
pub fn command() -> Command {
    Command::new(PODMAN)
}

/// Whether the local storage holds the image (or manifest list) `name`.
pub fn image_exists(name: &str) -> anyhow::Result<bool> {
    let status = command()
        .args(["image", "exists", name])
        .status()
        .context("running podman image exists")?;
    Ok(status.success())
}

/// Builds `containerfile` in the context directory `context` as `tag` with this machine's
/// flags and `extra` ones (`--platform`, `--build-context`, ...).
pub fn build(
    context: &Path,
    containerfile: &Path,
    tag: &str,
    extra: &[&str],
) -> anyhow::Result<()> {
    run(command()
        .arg("build")
        .args(build_flags()?)
        .args(extra)
        .arg("--file")
        .arg(containerfile)
        .args(["--tag", tag])
        .arg(context))
    .with_context(|| format!("building the image {tag}"))
}

/// Runs `podman <args>` to completion and returns its standard output.
pub fn output(args: &[&str]) -> anyhow::Result<String> {
    let output = command()
        .args(args)
        .output()
        .with_context(|| format!("running podman {}", args.join(" ")))?;
    anyhow::ensure!(
        output.status.success(),
        "podman {} failed ({}):\n{}",
        args.join(" "),
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}
