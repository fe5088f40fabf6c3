//! The `make manifests` step after `create api`: the project's manifests generator, built and
//! run, so that `config/` matches the new types at once.

use std::io::Write;
use std::path::Path;
use std::process::Command;

use super::error::ScaffoldError;

/// Runs `make manifests` in `dir` (`$MAKE` overrides `make`), its output going to this
/// process's stdout and stderr.
pub fn manifests(dir: &Path, progress: &mut dyn Write) -> Result<(), ScaffoldError> {
    let make = std::env::var("MAKE").unwrap_or_else(|_| "make".into());
    let command = format!("{make} manifests");
    let _ = writeln!(
        progress,
        "running {command} (the first build of a project takes minutes)"
    );
    let status = Command::new(&make)
        .arg("manifests")
        .current_dir(dir)
        .status()
        .map_err(|error| ScaffoldError::Make {
            command: command.clone(),
            status: format!("could not start {make}: {error}"),
        })?;
    if status.success() {
        Ok(())
    } else {
        Err(ScaffoldError::Make {
            command,
            status: status.to_string(),
        })
    }
}
