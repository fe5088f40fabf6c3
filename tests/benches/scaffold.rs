//! What starting an operator costs: scaffolding it, its cold build (dependencies downloaded,
//! nothing compiled), its rebuild after a one-line change to the reconciler, the size of its
//! release binary and how many packages it depends on — for a kubesmith project and, when
//! `KUBEBUILDER` names a kubebuilder v4 CLI, for a kubebuilder project of the same Kind built
//! with its own `make build`, in the same run.
//!
//! ```text
//! KUBEBUILDER=/path/to/kubebuilder cargo bench -p kubesmith-e2e --bench scaffold
//! ```
//!
//! Both projects are `init --domain example.com` + `create api --group webapp --version v1
//! --kind Guestbook`. kubesmith's cold build is `cargo build` into an empty target directory
//! (the registry cache warm, as Go's module cache is); kubebuilder's is `make build` (which
//! runs controller-gen, go fmt and go vet, then go build) with an empty `GOCACHE` and its
//! tools already in `bin/`. Run it on an otherwise idle machine.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail, ensure};
use kubesmith_e2e::scaffolded::{cargo, workspace_root};

/// One project's numbers.
#[derive(Debug, Default)]
struct Costs {
    scaffold: Duration,
    cold_build: Duration,
    incremental_build: Duration,
    release_size: u64,
    release_size_stripped: u64,
    dependencies: usize,
}

fn main() -> anyhow::Result<()> {
    let kubesmith = kubesmith_costs()?;
    let kubebuilder = std::env::var_os("KUBEBUILDER")
        .map(|cli| kubebuilder_costs(Path::new(&cli)))
        .transpose()?;
    print(&kubesmith, kubebuilder.as_ref());
    Ok(())
}

/// The `create api` both CLIs run.
const CREATE_API: &[&str] = &[
    "create",
    "api",
    "--group",
    "webapp",
    "--version",
    "v1",
    "--kind",
    "Guestbook",
];

fn kubesmith_costs() -> anyhow::Result<Costs> {
    let cli = Path::new(env!("CARGO_BIN_EXE_kubesmith-under-test"));
    let root = workspace_root();
    let root_arg = root.to_string_lossy();
    let dir = tempfile::tempdir()?;
    let init = [
        "init",
        "--domain",
        "example.com",
        "--project-name",
        "guestbook",
        "--kubesmith-path",
        &root_arg,
    ];
    let create_api = [CREATE_API, &["--make=false"]].concat();
    let scaffold = scaffold(cli, dir.path(), &[&init, &create_api])?;
    std::fs::copy(root.join("Cargo.lock"), dir.path().join("Cargo.lock"))?;

    let target = tempfile::tempdir()?;
    let build = |args: &[&str]| {
        timed(
            Command::new(cargo())
                .args(args)
                .current_dir(dir.path())
                .env("CARGO_TARGET_DIR", target.path())
                .env_remove("RUSTFLAGS"),
        )
    };
    eprintln!("kubesmith: cold cargo build ...");
    let cold_build = build(&["build", "--quiet"])?;
    edit_one_line(
        &dir.path().join("src/controller/guestbook.rs"),
        "the spec is reconciled",
        "the spec is reconciled.",
    )?;
    let incremental_build = build(&["build", "--quiet"])?;
    eprintln!("kubesmith: release build ...");
    build(&["build", "--quiet", "--release", "--bin", "manager"])?;
    let release = target.path().join("release/manager");
    let tree = Command::new(cargo())
        .args([
            "tree",
            "--edges",
            "normal",
            "--prefix",
            "none",
            "--no-dedupe",
            "--offline",
        ])
        .current_dir(dir.path())
        .output()?;
    let dependencies = String::from_utf8(tree.stdout)?
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| *name != "guestbook")
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    Ok(Costs {
        scaffold,
        cold_build,
        incremental_build,
        release_size: std::fs::metadata(&release)?.len(),
        release_size_stripped: stripped_size(&release)?,
        dependencies,
    })
}

fn kubebuilder_costs(cli: &Path) -> anyhow::Result<Costs> {
    let dir = tempfile::tempdir()?;
    let init = [
        "init",
        "--domain",
        "example.com",
        "--repo",
        "example.com/guestbook",
        "--project-name",
        "guestbook",
        "--skip-go-version-check",
    ];
    let create_api = [CREATE_API, &["--resource", "--controller", "--make=false"]].concat();
    let scaffold = scaffold(cli, dir.path(), &[&init, &create_api])?;
    // Tools are downloads, like crates: built before the clock starts, with the usual cache.
    run(Command::new("make")
        .arg("controller-gen")
        .current_dir(dir.path()))?;
    let cache = tempfile::tempdir()?;
    let build = || {
        timed(
            Command::new("make")
                .arg("build")
                .current_dir(dir.path())
                .env("GOCACHE", cache.path()),
        )
    };
    eprintln!("kubebuilder: cold make build ...");
    let cold_build = build()?;
    edit_one_line(
        &dir.path()
            .join("internal/controller/guestbook_controller.go"),
        "// TODO(user): your logic here",
        "// TODO(user): your logic here.",
    )?;
    let incremental_build = build()?;
    let binary = dir.path().join("bin/manager");
    let modules = String::from_utf8(
        Command::new("go")
            .args([
                "list",
                "-deps",
                "-f",
                "{{if .Module}}{{.Module.Path}}{{end}}",
                "./cmd",
            ])
            .current_dir(dir.path())
            .env("GOCACHE", cache.path())
            .output()?
            .stdout,
    )?;
    let dependencies = modules
        .lines()
        .filter(|module| !module.is_empty() && *module != "example.com/guestbook")
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    Ok(Costs {
        scaffold,
        cold_build,
        incremental_build,
        release_size: std::fs::metadata(&binary)?.len(),
        release_size_stripped: stripped_size(&binary)?,
        dependencies,
    })
}

/// Replaces `from` by `to` once in `path`.
fn edit_one_line(path: &Path, from: &str, to: &str) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(path).with_context(|| path.display().to_string())?;
    ensure!(text.contains(from), "{} lacks {from:?}", path.display());
    std::fs::write(path, text.replacen(from, to, 1))?;
    Ok(())
}

/// The size of a stripped copy of `binary`.
fn stripped_size(binary: &Path) -> anyhow::Result<u64> {
    let copy: PathBuf = std::env::temp_dir().join(format!("stripped-{}", std::process::id()));
    run(Command::new("strip").arg("-o").arg(&copy).arg(binary))?;
    let size = std::fs::metadata(&copy)?.len();
    std::fs::remove_file(&copy)?;
    Ok(size)
}

/// Runs each of `commands` with `cli` in `dir`; returns how long they took together.
fn scaffold(cli: &Path, dir: &Path, commands: &[&[&str]]) -> anyhow::Result<Duration> {
    let started = Instant::now();
    for args in commands {
        run(Command::new(cli).args(*args).current_dir(dir))?;
    }
    Ok(started.elapsed())
}

/// Runs `command`; returns how long it took.
fn timed(command: &mut Command) -> anyhow::Result<Duration> {
    let started = Instant::now();
    run(command)?;
    Ok(started.elapsed())
}

fn run(command: &mut Command) -> anyhow::Result<()> {
    let output = command.output().with_context(|| format!("{command:?}"))?;
    if !output.status.success() {
        bail!(
            "{command:?} failed: {}\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(())
}

/// A line of the table: its name, the number of a project, the unit.
type Row = (&'static str, fn(&Costs) -> f64, &'static str);

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn print(kubesmith: &Costs, kubebuilder: Option<&Costs>) {
    let rows: [Row; 6] = [
        (
            "scaffold (init + create api)",
            |c| c.scaffold.as_secs_f64(),
            "s",
        ),
        ("cold build", |c| c.cold_build.as_secs_f64(), "s"),
        (
            "rebuild after a one-line change",
            |c| c.incremental_build.as_secs_f64(),
            "s",
        ),
        ("release binary", |c| mib(c.release_size), "MiB"),
        (
            "release binary, stripped",
            |c| mib(c.release_size_stripped),
            "MiB",
        ),
        (
            "dependencies (packages / modules)",
            |c| c.dependencies as f64,
            "",
        ),
    ];
    println!(
        "{:<36} {:>12} {:>12} {:>8}",
        "", "kubesmith", "kubebuilder", "ratio"
    );
    for (name, value, unit) in rows {
        let ours = value(kubesmith);
        match kubebuilder {
            Some(peer) => {
                let theirs = value(peer);
                println!(
                    "{name:<36} {:>9.2} {unit:<3}{:>9.2} {unit:<3}{:>7.3}×",
                    ours,
                    theirs,
                    ours / theirs
                );
            }
            None => println!("{name:<36} {ours:>9.2} {unit:<3}"),
        }
    }
}
