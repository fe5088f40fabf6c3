//! The `kubesmith` command line: one subcommand per area.

use std::io::Write;

use clap::{CommandFactory, Parser, Subcommand};
use clap_complete::Shell;

use crate::Error;
use crate::envtest::EnvtestCommand;
use crate::scaffold::command::{CreateCommand, InitArgs};

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
        let dir = std::path::Path::new(".");
        match &self.command {
            Command::Init(args) => args.run(dir, out),
            Command::Create(command) => command.run(dir, out, progress),
            Command::Envtest(command) => command.run(out, progress),
            Command::Version => {
                writeln!(
                    out,
                    "kubesmith {version}\nruntime: kubesmith {version}\nproject layout: {layout}\nKubernetes (envtest default): {kubernetes}",
                    version = crate::scaffold::vars::KUBESMITH_VERSION,
                    layout = crate::scaffold::project::LAYOUT,
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
