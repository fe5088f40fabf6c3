//! Three-way merges of one file: the user's text, the scaffold it grew from, and a new
//! scaffold — with `git merge-file`, as git merges branches.

use std::process::Command;

use crate::scaffold::error::ScaffoldError;

/// `current` with the change from `base` to `target` merged in, and whether it merged without
/// conflict; otherwise the text holds git's conflict markers, the sides named by `labels`
/// (current, base, target). The trivial cases need no git.
pub fn merge_file(
    current: &str,
    base: &str,
    target: &str,
    labels: [&str; 3],
) -> Result<(String, bool), ScaffoldError> {
    if current == base {
        return Ok((target.to_string(), true));
    }
    if current == target {
        return Ok((current.to_string(), true));
    }
    let dir = tempfile::tempdir().map_err(|source| ScaffoldError::Io {
        action: "creating",
        path: std::env::temp_dir(),
        source,
    })?;
    let mut paths = Vec::new();
    for (name, text) in [("current", current), ("base", base), ("target", target)] {
        let path = dir.path().join(name);
        std::fs::write(&path, text).map_err(|source| ScaffoldError::Io {
            action: "writing",
            path: path.clone(),
            source,
        })?;
        paths.push(path);
    }
    let mut command = Command::new("git");
    command.args(["merge-file", "-p"]);
    for label in labels {
        command.args(["-L", label]);
    }
    let output = command
        .args(&paths)
        .output()
        .map_err(|source| ScaffoldError::Io {
            action: "running git merge-file in",
            path: dir.path().to_path_buf(),
            source,
        })?;
    // git merge-file exits with the number of conflicts, or a negative status on an error.
    match output.status.code() {
        Some(conflicts) if conflicts >= 0 => Ok((
            String::from_utf8_lossy(&output.stdout).into_owned(),
            conflicts == 0,
        )),
        _ => Err(ScaffoldError::Usage(format!(
            "git merge-file failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ))),
    }
}
