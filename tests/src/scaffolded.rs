//! Operator projects scaffolded by the `kubesmith` CLI, built and run by the end-to-end tests
//! and the quick start: scaffold into a temporary directory, build with one shared target
//! directory (dependencies compile once for every scaffold), run `make` targets, and run the
//! manager as a process of its own.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Mutex, PoisonError};

use anyhow::{Context as _, bail};
use clap::Parser as _;
use kubesmith_cli::command::Cli;
use kubesmith_cli::scaffold::engine::tree::read_files;
use tempfile::TempDir;

/// The root of this repository (the scaffolds' `--kubesmith-path`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from(".."))
}

/// The target directory every scaffold builds into: `scaffolds/` in this machine's cache
/// ([`cache_dir`](crate::machine::cache_dir)), shared by every checkout, so a fresh clone
/// compiles only kubesmith's own crates for its scaffolds, not their dependencies again (and
/// not the workspace's target, which `cargo test` keeps locked while tests run).
pub fn target_dir() -> PathBuf {
    crate::machine::cache_dir().join("scaffolds")
}

/// The `CARGO_ARGS` make variable for image builds of tests that check what the image does
/// rather than how small it is: the project's release profile without LTO and with 16 codegen
/// units, which rebuilds a one-line change about 3× faster (the manager is ~20 % larger). The
/// image test that checks the image's size builds with the project's own profile.
pub const QUICK_IMAGE_CARGO_ARGS: &str =
    "CARGO_ARGS=--config=profile.release.lto=false --config=profile.release.codegen-units=16";

/// A scaffolded project: in a temporary directory (removed on drop) or in a kept one.
#[derive(Debug)]
pub struct Scaffold {
    path: PathBuf,
    _temporary: Option<TempDir>,
}

impl Scaffold {
    /// Runs `kubesmith init <args> --kubesmith-path <this repository>` in a new temporary
    /// directory, and copies this workspace's `Cargo.lock` so that dependencies resolve to
    /// the versions built here already.
    pub fn init(args: &[&str]) -> anyhow::Result<Scaffold> {
        let dir = tempfile::Builder::new()
            .prefix("kubesmith-scaffold-")
            .tempdir()
            .context("creating the project directory")?;
        let scaffold = Scaffold {
            path: dir.path().to_path_buf(),
            _temporary: Some(dir),
        };
        scaffold.initialize(args)?;
        Ok(scaffold)
    }

    /// [`init`](Self::init) in `dir`, emptied first and kept afterwards (to look into after a
    /// failed test).
    pub fn init_at(dir: &Path, args: &[&str]) -> anyhow::Result<Scaffold> {
        let scaffold = Scaffold::emptied(dir)?;
        scaffold.initialize(args)?;
        Ok(scaffold)
    }

    /// `kubesmith init <args>` (no `--kubesmith-path`: kubesmith comes from crates.io) in
    /// `dir`, emptied first and kept afterwards. Until kubesmith is published, such a project
    /// builds from vendored sources ([`crate::vendored`]).
    pub fn init_published_at(dir: &Path, args: &[&str]) -> anyhow::Result<Scaffold> {
        let scaffold = Scaffold::emptied(dir)?;
        let mut init = vec!["init"];
        init.extend_from_slice(args);
        scaffold.kubesmith(&init)?;
        Ok(scaffold)
    }

    /// A project in `dir`, emptied first and kept afterwards.
    fn emptied(dir: &Path) -> anyhow::Result<Scaffold> {
        if dir.exists() {
            std::fs::remove_dir_all(dir).with_context(|| format!("emptying {}", dir.display()))?;
        }
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        Ok(Scaffold {
            path: dir.to_path_buf(),
            _temporary: None,
        })
    }

    /// Scaffolds the golden project `name` with the commands of `tests/golden/<name>.json`
    /// (the ones the golden test of the CLI runs, so the projects compared file by file there
    /// are the ones built and tested), in the kept directory of `dir` ([`kept_dir`]).
    pub fn golden(name: &str, dir: &str) -> anyhow::Result<Scaffold> {
        let path = workspace_root()
            .join("tests/golden")
            .join(format!("{name}.json"));
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        let commands: Vec<Vec<String>> = serde_json::from_str(&text)
            .with_context(|| format!("{} is not a JSON list of commands", path.display()))?;
        let Some((init, rest)) = commands.split_first() else {
            bail!("{} lists no command", path.display());
        };
        if init.first().map(String::as_str) != Some("init") {
            bail!("{} does not start with init", path.display());
        }
        let init: Vec<&str> = init[1..].iter().map(String::as_str).collect();
        let rest: Vec<Vec<&str>> = rest
            .iter()
            .map(|command| command.iter().map(String::as_str).collect())
            .collect();
        let rest: Vec<&[&str]> = rest.iter().map(Vec::as_slice).collect();
        Scaffold::kept(dir, &init, &rest)
    }

    /// Scaffolds `name` in its kept directory ([`kept_dir`]) with `init <init>` and then each
    /// of `commands`.
    pub fn kept(name: &str, init: &[&str], commands: &[&[&str]]) -> anyhow::Result<Scaffold> {
        let project = Scaffold::init_at(&kept_dir(name), init)?;
        for command in commands {
            project.kubesmith(command)?;
        }
        Ok(project)
    }

    /// A copy of the project at `source` (a project kept in this repository, such as the
    /// book's tutorial) in `dir`, emptied first and kept afterwards, without its build output
    /// (`target/`, `.git/`, `Cargo.lock`):
    /// its path dependencies point at this checkout, and this workspace's `Cargo.lock` is
    /// copied, as for [`init`](Self::init).
    pub fn copy_of(source: &Path, dir: &Path) -> anyhow::Result<Scaffold> {
        if dir.exists() {
            std::fs::remove_dir_all(dir).with_context(|| format!("emptying {}", dir.display()))?;
        }
        for (path, text) in read_files(source)? {
            let text = match path.to_str() {
                Some("Cargo.lock") => continue,
                Some("Cargo.toml") => text
                    .split_inclusive('\n')
                    .map(|line| absolute_path_dependency(line, source))
                    .collect(),
                _ => text,
            };
            let target = dir.join(&path);
            std::fs::create_dir_all(target.parent().unwrap_or(dir))
                .and_then(|()| std::fs::write(&target, text))
                .with_context(|| format!("writing {}", target.display()))?;
        }
        std::fs::copy(workspace_root().join("Cargo.lock"), dir.join("Cargo.lock"))
            .context("copying Cargo.lock")?;
        Ok(Scaffold {
            path: dir.to_path_buf(),
            _temporary: None,
        })
    }

    fn initialize(&self, args: &[&str]) -> anyhow::Result<()> {
        let scaffold = self;
        let root = workspace_root();
        let mut init = vec!["init"];
        init.extend_from_slice(args);
        let path = root.to_string_lossy().into_owned();
        init.extend(["--kubesmith-path", &path]);
        scaffold.kubesmith(&init)?;
        std::fs::copy(root.join("Cargo.lock"), scaffold.path().join("Cargo.lock"))
            .context("copying Cargo.lock")?;
        Ok(())
    }

    /// The project directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A path in the project.
    pub fn file(&self, relative: &str) -> PathBuf {
        self.path().join(relative)
    }

    /// Runs a `kubesmith` command (in this process) in the project; returns what it printed.
    pub fn kubesmith(&self, args: &[&str]) -> anyhow::Result<String> {
        let cli = Cli::try_parse_from(std::iter::once("kubesmith").chain(args.iter().copied()))
            .with_context(|| format!("kubesmith {}", args.join(" ")))?;
        let mut out = Vec::new();
        let mut progress = Vec::new();
        cli.run_in(self.path(), &mut out, &mut progress)
            .with_context(|| format!("kubesmith {}", args.join(" ")))?;
        Ok(String::from_utf8_lossy(&out).into_owned())
    }

    /// A command run in the project with the shared target directory.
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut command = Command::new(program);
        command
            .current_dir(self.path())
            .env("CARGO_TARGET_DIR", target_dir())
            .env_remove("RUSTFLAGS")
            .env_remove("CARGO_ENCODED_RUSTFLAGS");
        command
    }

    /// Runs `cargo <args>` in the project; fails unless it succeeds without a warning.
    pub fn cargo(&self, args: &[&str]) -> anyhow::Result<Output> {
        let _serial = CARGO.lock().unwrap_or_else(PoisonError::into_inner);
        self.cargo_unlocked(args)
    }

    fn cargo_unlocked(&self, args: &[&str]) -> anyhow::Result<Output> {
        let output = self
            .command(cargo())
            .args(args)
            .output()
            .context("running cargo")?;
        check_quiet(&format!("cargo {}", args.join(" ")), &output)?;
        Ok(output)
    }

    /// Runs `make <args>` in the project; returns the output whether it succeeded or not.
    pub fn make(&self, args: &[&str], env: &[(&str, &Path)]) -> anyhow::Result<Output> {
        let mut command = self.command("make");
        command.args(args).env("CARGO", cargo());
        for (name, value) in env {
            command.env(name, value);
        }
        command
            .output()
            .with_context(|| format!("running make {}", args.join(" ")))
    }

    /// Builds the manager (dev profile) and returns a copy of it in the project's `bin/`.
    ///
    /// Every scaffold's binary is called `manager`, and the shared target directory keeps one
    /// `debug/manager`: the last project built. The copy, taken before another [`Self::cargo`]
    /// of this process can build, stays this project's while other projects build.
    pub fn build_manager(&self) -> anyhow::Result<PathBuf> {
        let _serial = CARGO.lock().unwrap_or_else(PoisonError::into_inner);
        // The target directory is shared with other checkouts' test runs: their
        // `build_manager` waits until this copy is taken.
        let _machine = crate::machine::MachineLock::acquire("scaffolds-manager")?;
        self.cargo_unlocked(&["build", "--bin", "manager"])?;
        let copy = self.file("bin/manager");
        std::fs::create_dir_all(self.file("bin"))?;
        std::fs::copy(target_dir().join("debug/manager"), &copy)
            .context("copying the manager binary")?;
        Ok(copy)
    }
}

/// `$TMPDIR/kubesmith-e2e-<checkout>/<name>`: where the tests keep the project `name`, one
/// directory per checkout (outside the workspace), left in place for a look after a failure.
pub fn kept_dir(name: &str) -> PathBuf {
    use std::hash::{Hash as _, Hasher as _};
    let mut checkout = std::collections::hash_map::DefaultHasher::new();
    workspace_root().hash(&mut checkout);
    std::env::temp_dir()
        .join(format!("kubesmith-e2e-{:016x}", checkout.finish()))
        .join(name)
}

/// Held by every cargo run of [`Scaffold::cargo`]: builds in the shared target directory wait
/// for each other anyway (cargo locks it), and [`Scaffold::build_manager`] copies what it built
/// before the next build can replace it.
static CARGO: Mutex<()> = Mutex::new(());

/// `line` of a Cargo.toml in `project`, with a relative `path = "..."` that names a crate
/// (a directory with a Cargo.toml) made absolute; other lines as they are.
fn absolute_path_dependency(line: &str, project: &Path) -> String {
    let Some((before, rest)) = line.split_once("path = \"") else {
        return line.to_string();
    };
    let Some((relative, after)) = rest.split_once('"') else {
        return line.to_string();
    };
    let target = project.join(relative);
    if Path::new(relative).is_absolute() || !target.join("Cargo.toml").is_file() {
        return line.to_string();
    }
    let absolute = target.canonicalize().unwrap_or(target);
    format!("{before}path = \"{}\"{after}", absolute.display())
}

/// Fails unless `output` is a success whose stderr has no compiler warning.
pub fn check_quiet(what: &str, output: &Output) -> anyhow::Result<()> {
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        bail!("{what} failed ({}):\n{stderr}", output.status);
    }
    if let Some(line) = stderr
        .lines()
        .find(|line| line.trim_start().starts_with("warning"))
    {
        bail!("{what} warned: {line}\n{stderr}");
    }
    Ok(())
}

/// Fails unless `output` is a success; its stdout and stderr go into the error.
pub fn check_success(what: &str, output: &Output) -> anyhow::Result<()> {
    if !output.status.success() {
        bail!(
            "{what} failed ({}):\n{}\n{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(())
}

/// The cargo running these tests (`$CARGO`), else `cargo`.
pub fn cargo() -> PathBuf {
    std::env::var_os("CARGO")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("cargo"))
}

/// A process in its own process group, killed with everything it started when dropped.
#[derive(Debug)]
pub struct Background {
    child: Child,
    log: PathBuf,
}

impl Background {
    /// Starts `command` with stdout and stderr going to the file `log`.
    pub fn start(mut command: Command, log: PathBuf) -> anyhow::Result<Background> {
        use std::os::unix::process::CommandExt as _;
        let file = std::fs::File::create(&log).context("creating the log file")?;
        let child = command
            .stdin(Stdio::null())
            .stdout(file.try_clone().context("log file")?)
            .stderr(file)
            .process_group(0)
            .spawn()
            .context("starting a background process")?;
        Ok(Background { child, log })
    }

    /// What the process printed so far.
    pub fn output(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Whether it exited (with its status).
    pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// Stops the process group: SIGTERM, then SIGKILL after `grace`.
    pub fn stop(&mut self, grace: std::time::Duration) {
        let Ok(group) = i32::try_from(self.child.id()) else {
            return;
        };
        // SAFETY: signals a process group this value started; no memory is touched.
        unsafe { libc::kill(-group, libc::SIGTERM) };
        let deadline = std::time::Instant::now() + grace;
        while std::time::Instant::now() < deadline {
            if self.exited().is_some() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        // SAFETY: as above.
        unsafe { libc::kill(-group, libc::SIGKILL) };
        let _ = self.child.wait();
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        if self.exited().is_none() {
            self.stop(std::time::Duration::from_secs(5));
        }
    }
}

/// Writes `text` to `path`, creating its directory.
pub fn write(path: &Path, text: &str) -> anyhow::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut file = std::fs::File::create(path)?;
    file.write_all(text.as_bytes())?;
    Ok(())
}
