//! A project that depends on kubesmith from crates.io, built before kubesmith is published
//! there: its crates.io dependencies come from a directory of vendored sources that holds
//! kubesmith's crates as `cargo package` makes them for crates.io, and every other dependency
//! as `cargo vendor` fetches it; the project's `.cargo/config.toml` replaces crates.io with
//! that directory, as a project behind a registry mirror or with vendored sources does. What
//! builds the project (cargo, or `cargo` inside `make docker-build`) sees a registry dependency
//! with checksums in `Cargo.lock`, resolved through the project's cargo configuration.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Context as _;

use crate::go_tool::run;
use crate::scaffolded::{cargo, target_dir, workspace_root};

/// kubesmith's crates a project needs from crates.io, in dependency order.
const KUBESMITH_CRATES: [&str; 2] = ["kubesmith-macros", "kubesmith"];

/// The directory of vendored sources in the project.
const VENDOR: &str = "vendor";

/// The project's cargo configuration.
const CARGO_CONFIG: &str = "# crates.io is replaced by the vendored sources in vendor/ (kubesmith's crates as\n\
# packaged for crates.io and every other dependency): builds need no registry.\n\
[source.crates-io]\n\
replace-with = \"vendored-sources\"\n\
\n\
[source.vendored-sources]\n\
directory = \"vendor\"\n";

/// Vendors the crates.io dependencies of the project in `project` (kubesmith's from this
/// checkout) into its `vendor/`, writes its `.cargo/config.toml` and resolves its
/// `Cargo.lock` from the vendored sources.
pub fn vendor(project: &Path) -> anyhow::Result<()> {
    let packaged = tempfile::tempdir().context("creating a directory for kubesmith's crates")?;
    let crates = package_kubesmith(packaged.path())?;

    // Every other dependency, resolved with kubesmith's crates patched in from the packages.
    let vendor = project.join(VENDOR);
    if vendor.exists() {
        std::fs::remove_dir_all(&vendor)?;
    }
    let mut command = Command::new(cargo());
    command
        .current_dir(project)
        .args(["vendor", "--versioned-dirs", "--quiet"]);
    for (name, dir) in &crates {
        command.arg("--config").arg(format!(
            "patch.crates-io.{name}.path={:?}",
            dir.display().to_string()
        ));
    }
    run(command.arg(VENDOR)).context("vendoring the dependencies")?;

    // kubesmith's crates beside them, with the checksum of the package as crates.io has it.
    for (_, dir) in &crates {
        let name = dir.file_name().context("a package directory")?;
        let target = vendor.join(name);
        run(Command::new("cp").arg("-a").arg(dir).arg(&target))?;
        let mut package = dir.clone().into_os_string();
        package.push(".crate");
        let checksum = sha256(Path::new(&package))?;
        std::fs::write(
            target.join(".cargo-checksum.json"),
            format!("{{\"files\":{{}},\"package\":\"{checksum}\"}}"),
        )?;
    }

    let config = project.join(".cargo/config.toml");
    std::fs::create_dir_all(project.join(".cargo"))?;
    std::fs::write(&config, CARGO_CONFIG)?;
    let lock = project.join("Cargo.lock");
    if lock.exists() {
        std::fs::remove_file(&lock)?;
    }
    run(Command::new(cargo()).current_dir(project).args([
        "generate-lockfile",
        "--offline",
        "--quiet",
    ]))
    .context("resolving Cargo.lock from the vendored sources")
}

/// `cargo package`s kubesmith's crates from this checkout and unpacks them into `into`:
/// each crate's name and its unpacked directory (`<name>-<version>`, beside the `.crate`).
fn package_kubesmith(into: &Path) -> anyhow::Result<Vec<(String, PathBuf)>> {
    let target = target_dir().join("kubesmith-package");
    let mut command = Command::new(cargo());
    command
        .current_dir(workspace_root())
        .args(["package", "--no-verify", "--allow-dirty", "--quiet"])
        .arg("--target-dir")
        .arg(&target);
    for name in KUBESMITH_CRATES {
        command.args(["--package", name]);
    }
    run(&mut command).context("packaging kubesmith's crates")?;
    let version = kubesmith_cli::scaffold::model::vars::KUBESMITH_VERSION;
    let mut crates = Vec::new();
    for name in KUBESMITH_CRATES {
        let file = format!("{name}-{version}.crate");
        let package = into.join(&file);
        std::fs::copy(target.join("package").join(&file), &package)
            .with_context(|| format!("copying {file}"))?;
        run(Command::new("tar")
            .arg("-xzf")
            .arg(&package)
            .arg("-C")
            .arg(into))?;
        crates.push((name.to_string(), into.join(format!("{name}-{version}"))));
    }
    Ok(crates)
}

/// The SHA-256 of the file at `path`, in hex.
fn sha256(path: &Path) -> anyhow::Result<String> {
    let output = Command::new("sha256sum")
        .arg(path)
        .output()
        .context("running sha256sum")?;
    anyhow::ensure!(
        output.status.success(),
        "sha256sum {} failed",
        path.display()
    );
    String::from_utf8_lossy(&output.stdout)
        .split_whitespace()
        .next()
        .map(str::to_string)
        .context("sha256sum printed no checksum")
}
