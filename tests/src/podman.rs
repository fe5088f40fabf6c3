//! The container engine of the tests: podman with the flags this kind of machine needs
//! (`../shared/DESIGN.md`, "A container engine here"): runc instead of crun (which refuses a
//! hybrid cgroup layout), rlimits no higher than the sandbox allows (it lacks CAP_SYS_RESOURCE),
//! and builds that never pull (no registry is reachable; base images are made locally, see
//! [`crate::images`]) and use the host's network (cargo inside a build reaches crates.io the way
//! the host does).
//!
//! ```no_run
//! use kubesmith_e2e::podman::Podman;
//!
//! # fn main() -> anyhow::Result<()> {
//! let podman = Podman::find()?;
//! podman.build(std::path::Path::new("image-context"), "example.com/tool:v1")?;
//! let output = podman.run().args(["example.com/tool:v1", "--help"]).output()?;
//! assert!(output.status.success());
//! # Ok(())
//! # }
//! ```

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Context as _;

use crate::go_tool::run;
use crate::host_packages::{self, HostFile};
use crate::prerequisite::{Missing, find_program};
use crate::scaffolded::check_success;

/// `PODMAN`: the podman program to use (default: `podman` on `PATH`).
pub const PODMAN_ENV: &str = "PODMAN";

/// `OCI_RUNTIME`: the OCI runtime podman is told to use (default: `/usr/sbin/runc`, else
/// `runc` on `PATH`).
pub const OCI_RUNTIME_ENV: &str = "OCI_RUNTIME";

/// The rlimits every container gets: podman's defaults are higher than the sandbox can grant.
pub const ULIMITS: [&str; 4] = [
    "--ulimit",
    "nofile=1024:1024",
    "--ulimit",
    "nproc=4096:4096",
];

/// The Debian packages of podman and the OCI runtime it is told to use.
pub const HOST_FILES: &[HostFile] = &[
    HostFile {
        file: "podman",
        package: "podman",
    },
    HostFile {
        file: "/usr/sbin/runc",
        package: "runc",
    },
];

/// podman and the OCI runtime it runs containers with.
#[derive(Debug, Clone)]
pub struct Podman {
    program: PathBuf,
    runtime: PathBuf,
}

impl Podman {
    /// podman (`$PODMAN` or on `PATH`) and runc (`$OCI_RUNTIME`, `/usr/sbin/runc` or on
    /// `PATH`), both answering `--version`. Unless `$PODMAN` names one, Debian's packages are
    /// installed when missing (see [`host_packages::ensure`]), whichever test needs them first.
    pub fn find() -> Result<Podman, Missing> {
        let remedy = "install it with `apt-get install podman runc`";
        if std::env::var_os(PODMAN_ENV).is_none()
            && let Err(error) = host_packages::ensure(HOST_FILES)
        {
            return Err(Missing::new(
                "podman",
                format!("{remedy} (installing it failed: {error:#})"),
            ));
        }
        let program = std::env::var_os(PODMAN_ENV)
            .map(PathBuf::from)
            .or_else(|| find_program("podman"))
            .filter(|program| answers_version(program))
            .ok_or_else(|| Missing::new("podman", remedy))?;
        let runtime = std::env::var_os(OCI_RUNTIME_ENV)
            .map(PathBuf::from)
            .or_else(|| {
                let sbin = PathBuf::from("/usr/sbin/runc");
                sbin.is_file().then_some(sbin)
            })
            .or_else(|| find_program("runc"))
            .filter(|runtime| answers_version(runtime))
            .ok_or_else(|| Missing::new("runc", remedy))?;
        Ok(Podman { program, runtime })
    }

    /// A bare `podman` command.
    pub fn command(&self) -> Command {
        Command::new(&self.program)
    }

    /// The flags of `podman run` here: the runtime and the rlimits.
    pub fn run_flags(&self) -> Vec<String> {
        let mut flags = vec!["--runtime".to_string(), self.runtime.display().to_string()];
        flags.extend(ULIMITS.iter().map(|flag| (*flag).to_string()));
        flags
    }

    /// The flags of `podman build` here: those of [`run_flags`](Self::run_flags), the host's
    /// network, and never pulling.
    pub fn build_flags(&self) -> Vec<String> {
        let mut flags = self.run_flags();
        flags.extend(["--network=host".to_string(), "--pull=never".to_string()]);
        flags
    }

    /// `podman run --rm` with this machine's runtime and rlimits; add options, the image and
    /// its arguments.
    pub fn run(&self) -> Command {
        let mut command = self.command();
        command.args(["run", "--rm"]).args(self.run_flags());
        command
    }

    /// Builds the image `tag` from the directory `context` (its `Containerfile` or
    /// `Dockerfile`).
    pub fn build(&self, context: &Path, tag: &str) -> anyhow::Result<()> {
        run(self
            .command()
            .arg("build")
            .args(self.build_flags())
            .args(["--tag", tag])
            .arg(context))
        .with_context(|| format!("building the image {tag} from {}", context.display()))
    }

    /// Builds `containerfile` in the context directory `context` as `tag`, with `extra`
    /// flags (`--platform`, `--build-context`, ...).
    pub fn build_file(
        &self,
        context: &Path,
        containerfile: &Path,
        tag: &str,
        extra: &[&str],
    ) -> anyhow::Result<()> {
        run(self
            .command()
            .arg("build")
            .args(self.build_flags())
            .args(extra)
            .arg("--file")
            .arg(containerfile)
            .args(["--tag", tag])
            .arg(context))
        .with_context(|| format!("building the image {tag}"))
    }

    /// Runs `podman <args>` to completion and returns its standard output.
    pub fn output(&self, args: &[&str]) -> anyhow::Result<String> {
        let output = self
            .command()
            .args(args)
            .output()
            .with_context(|| format!("running podman {}", args.join(" ")))?;
        check_success(&format!("podman {}", args.join(" ")), &output)?;
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    }

    /// Whether the local storage holds the image (or manifest list) `image`.
    pub fn image_exists(&self, image: &str) -> anyhow::Result<bool> {
        let status = self
            .command()
            .args(["image", "exists", image])
            .status()
            .with_context(|| format!("asking podman whether {image} exists"))?;
        Ok(status.success())
    }

    /// The label `label` of the local image `image`; `None` when the image or the label is
    /// missing.
    pub fn image_label(&self, image: &str, label: &str) -> anyhow::Result<Option<String>> {
        if !self.image_exists(image)? {
            return Ok(None);
        }
        let format = format!("{{{{ index .Labels \"{label}\" }}}}");
        let value = self.inspect(image, &format)?;
        Ok((!value.is_empty() && value != "<no value>").then_some(value))
    }

    /// The size in bytes of the local image `image`.
    pub fn image_size(&self, image: &str) -> anyhow::Result<u64> {
        let size = self.inspect(image, "{{.Size}}")?;
        size.parse()
            .with_context(|| format!("the size of {image} is {size:?}, not a number"))
    }

    /// `podman image inspect --format <format> <image>`, trimmed.
    fn inspect(&self, image: &str, format: &str) -> anyhow::Result<String> {
        Ok(self
            .output(&["image", "inspect", "--format", format, image])?
            .trim()
            .to_owned())
    }

    /// Writes `images` into one docker-archive at `archive` (what `ctr images import` loads).
    pub fn save(&self, images: &[String], archive: &Path) -> anyhow::Result<()> {
        run(self
            .command()
            .args([
                "save",
                "--format",
                "docker-archive",
                "--multi-image-archive",
            ])
            .arg("--output")
            .arg(archive)
            .args(images))
        .with_context(|| format!("saving {images:?} to {}", archive.display()))
    }
}

fn answers_version(program: &Path) -> bool {
    Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|output| output.status.success())
}
