//! The `kubesmith` command line: one subcommand per area.

use std::io::Write;

use clap::{Parser, Subcommand};

use crate::Error;
use crate::envtest::EnvtestCommand;

/// kubesmith: Kubebuilder-style operators in Rust.
#[derive(Debug, Parser)]
#[command(name = "kubesmith", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The top-level subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Manage the control-plane binaries (etcd, kube-apiserver, kubectl) that envtest runs.
    #[command(subcommand)]
    Envtest(EnvtestCommand),
}

impl Cli {
    /// Runs the command, writing results to `out` and progress and warnings to `progress`.
    pub fn run(&self, out: &mut dyn Write, progress: &mut dyn Write) -> Result<(), Error> {
        match &self.command {
            Command::Envtest(command) => command.run(out, progress),
        }
    }
}
