//! The `kubesmith` command line: one subcommand per area.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};
use clap_complete::Shell;

use crate::Error;
use crate::api_diff::ApiCommand;
use crate::envtest::EnvtestCommand;
use crate::scaffold::command::{AlphaCommand, CreateCommand, DeleteCommand, EditArgs, InitArgs};

/// kubesmith: Kubebuilder-style operators in Rust.
#[derive(Debug, Parser)]
#[command(name = "kubesmith", version, about)]
#[command(
    after_help = "Start a project in an empty directory:\n  kubesmith init --domain example.com\n  kubesmith create api --group batch --version v1 --kind CronJob\n  make test run"
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The top-level subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scaffold a new operator project in the current directory.
    Init(InitArgs),
    /// Add an API or webhooks to the project in the current directory.
    #[command(subcommand)]
    Create(CreateCommand),
    /// Remove an API or webhooks from the project in the current directory.
    #[command(subcommand)]
    Delete(DeleteCommand),
    /// Change project-wide options (multigroup layout, namespaced manager).
    Edit(EditArgs),
    /// Commands whose behaviour may still change: `alpha generate`, `alpha helm-chart`, `alpha update`.
    #[command(subcommand)]
    Alpha(AlphaCommand),
    /// Check the project's APIs: `api diff` reports breaking changes of the CRDs.
    #[command(subcommand)]
    Api(ApiCommand),
    /// Manage the control-plane binaries (etcd, kube-apiserver, kubectl) that envtest runs.
    #[command(subcommand)]
    Envtest(EnvtestCommand),
    /// Print the versions of the CLI, of the runtime it scaffolds and of the project layout.
    Version,
    /// Print a shell completion script (e.g. `kubesmith completion bash > /etc/bash_completion.d/kubesmith`).
    Completion {
        /// The shell.
        shell: Shell,
    },
}

impl Cli {
    /// Runs the command in the current directory, writing results to `out` and progress and
    /// warnings to `progress`.
    pub fn run(&self, out: &mut dyn Write, progress: &mut dyn Write) -> Result<(), Error> {
        self.run_in(Path::new("."), out, progress)
    }

    /// Runs the command as if started in `dir` (scaffolding commands work on the project there).
    pub fn run_in(
        &self,
        dir: &Path,
        out: &mut dyn Write,
        progress: &mut dyn Write,
    ) -> Result<(), Error> {
        match &self.command {
            Command::Init(args) => args.run(dir, out),
            Command::Create(command) => command.run(dir, out, progress),
            Command::Delete(command) => command.run(dir, out, progress),
            Command::Edit(args) => args.run(dir, out, progress),
            Command::Alpha(command) => command.run(dir, out),
            Command::Api(command) => command.run(dir, out, progress),
            Command::Envtest(command) => command.run(out, progress),
            Command::Version => {
                writeln!(
                    out,
                    "kubesmith {version}\nruntime: kubesmith {version}\nproject layout: {layout}\nKubernetes (envtest default): {kubernetes}",
                    version = crate::scaffold::model::vars::KUBESMITH_VERSION,
                    layout = crate::scaffold::model::project::LAYOUT,
                    kubernetes = crate::envtest::DEFAULT_KUBERNETES_VERSION,
                )?;
                Ok(())
            }
            Command::Completion { shell } => {
                clap_complete::generate(*shell, &mut Cli::command(), "kubesmith", out);
                Ok(())
            }
        }
    }
}

/// The `kubesmith` binary: parses the process arguments, runs them in the current directory,
/// prints an error as `error: ...` and exits with 1 on failure (usage errors included).
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // --help and --version print to stdout and succeed; usage errors exit with 1, as
        // every other refusal does.
        Err(error) => {
            let _ = error.print();
            return if error.use_stderr() {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let result = cli.run(&mut std::io::stdout().lock(), &mut std::io::stderr());
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            let _ = writeln!(std::io::stderr(), "error: {error}");
            ExitCode::FAILURE
        }
    }
}
