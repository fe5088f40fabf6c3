//! The `kubesmith` binary: parse, run, report.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use kubesmith_cli::command::Cli;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = cli.run(&mut std::io::stdout().lock(), &mut std::io::stderr());
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            let _ = writeln!(std::io::stderr(), "error: {error}");
            ExitCode::FAILURE
        }
    }
}
