//! `docker.io/library/rust:1-bookworm`, the build stage of scaffolded Dockerfiles, made
//! locally: the bookworm root file system plus build-essential, ca-certificates, pkg-config
//! and git, and the host's stable Rust toolchain (without its HTML documentation) installed
//! as the official image installs its own: rustup and its proxies in `/usr/local/cargo/bin`,
//! the toolchain `<version>-<host>` as rustup's default in `/usr/local/rustup`, and
//! `RUSTUP_HOME`, `CARGO_HOME`, `PATH` and `RUST_VERSION` set. The host's extra CA
//! certificates are trusted, so cargo and rustup inside a build get through a TLS-intercepting
//! proxy the way the host does (that is the machine's setup, not the product's).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, bail};

use super::bookworm;
use crate::podman::Podman;
use crate::prerequisite::find_program;

/// The image's name.
pub const NAME: &str = "docker.io/library/rust:1-bookworm";

/// The Debian packages of the image (the official one has these among more).
const PACKAGES: &str = "build-essential ca-certificates pkg-config git";

/// The toolchain directories copied into the image (`share/doc` is left out).
const TOOLCHAIN_DIRS: [&str; 4] = ["bin", "etc", "lib", "libexec"];

/// The commands rustup installs as proxies of itself beside it.
const PROXIES: &str = "cargo cargo-clippy cargo-fmt clippy-driver rust-gdb rust-gdbgui rust-lldb rustc rustdoc rustfmt";

/// Makes the image unless podman has it.
pub fn ensure() -> anyhow::Result<()> {
    super::ensure(NAME, build)
}

fn build(context: &Path) -> anyhow::Result<()> {
    let toolchain = Toolchain::of_host()?;
    bookworm::into_context(context)?;
    std::fs::copy(&toolchain.rustup, context.join("rustup")).context("copying rustup")?;
    let name = toolchain.name();
    std::fs::write(
        context.join("settings.toml"),
        format!(
            "version = \"12\"\ndefault_toolchain = \"{name}\"\nprofile = \"minimal\"\n\n[overrides]\n"
        ),
    )?;
    let home = format!("/usr/local/rustup/toolchains/{name}");
    let mut containerfile = format!(
        "{from}RUN apt-get update \\\n && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends {PACKAGES} \\\n && update-ca-certificates \\\n && rm -rf /var/lib/apt/lists/*\n\
         ENV RUSTUP_HOME=/usr/local/rustup CARGO_HOME=/usr/local/cargo \
         PATH=/usr/local/cargo/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
         RUST_VERSION={version}\n\
         COPY settings.toml /usr/local/rustup/settings.toml\n\
         COPY rustup /usr/local/cargo/bin/rustup\n",
        from = bookworm::FROM_ROOTFS,
        version = toolchain.version,
    );
    for dir in TOOLCHAIN_DIRS {
        containerfile.push_str(&format!("COPY --from=toolchain {dir}/ {home}/{dir}/\n"));
    }
    containerfile.push_str(&format!(
        "RUN for proxy in {PROXIES}; do ln -s rustup /usr/local/cargo/bin/$proxy; done \\\n \
         && chmod -R a+w /usr/local/rustup /usr/local/cargo \\\n \
         && rustup --version && cargo --version && rustc --version\n"
    ));
    let file = context.join("Containerfile");
    std::fs::write(&file, containerfile)?;
    let toolchain_context = format!("toolchain={}", toolchain.dir.display());
    Podman::find()?.build_file(
        context,
        &file,
        NAME,
        &["--build-context", &toolchain_context],
    )
}

/// The host's stable toolchain and rustup.
struct Toolchain {
    /// `<RUSTUP_HOME>/toolchains/stable-<host>`.
    dir: PathBuf,
    /// `1.95.0`.
    version: String,
    /// `x86_64-unknown-linux-gnu`.
    host: String,
    /// The rustup binary.
    rustup: PathBuf,
}

impl Toolchain {
    fn of_host() -> anyhow::Result<Toolchain> {
        let home = std::env::var_os("HOME")
            .map(PathBuf::from)
            .unwrap_or_default();
        let rustup_home = std::env::var_os("RUSTUP_HOME")
            .map(PathBuf::from)
            .unwrap_or_else(|| home.join(".rustup"));
        let cargo_home = std::env::var_os("CARGO_HOME")
            .map(PathBuf::from)
            .unwrap_or_else(|| home.join(".cargo"));
        let rustup = Some(cargo_home.join("bin/rustup"))
            .filter(|path| path.is_file())
            .or_else(|| find_program("rustup"))
            .context("rustup is neither in $CARGO_HOME/bin nor on PATH")?;
        let toolchains = rustup_home.join("toolchains");
        let dir = std::fs::read_dir(&toolchains)
            .with_context(|| format!("reading {}", toolchains.display()))?
            .flatten()
            .map(|entry| entry.path())
            .find(|path| {
                path.file_name()
                    .and_then(|name| name.to_str())
                    .is_some_and(|name| name.starts_with("stable-"))
            })
            .with_context(|| format!("no stable toolchain in {}", toolchains.display()))?;
        let host = dir
            .file_name()
            .and_then(|name| name.to_str())
            .and_then(|name| name.strip_prefix("stable-"))
            .unwrap_or_default()
            .to_string();
        let output = Command::new(dir.join("bin/rustc"))
            .arg("--version")
            .output()
            .context("running the stable rustc")?;
        let stdout = String::from_utf8_lossy(&output.stdout);
        // `rustc 1.95.0 (59807616e 2026-04-14)`
        let Some(version) = stdout.split_whitespace().nth(1) else {
            bail!("unexpected `rustc --version` output: {stdout}");
        };
        Ok(Toolchain {
            dir,
            version: version.to_string(),
            host,
            rustup,
        })
    }

    /// The toolchain's name in the image, as the official image names it: `<version>-<host>`.
    fn name(&self) -> String {
        format!("{}-{}", self.version, self.host)
    }
}
