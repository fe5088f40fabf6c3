//! The files of a project on disk, for the commands that look at all of them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::scaffold::error::ScaffoldError;

/// Directories left alone at the top of a project: build output and version control.
const UNTRACKED: &[&str] = &["target", ".git"];

/// Every file and directory under `root` (but `target/` and `.git/` at the top), parents first.
pub fn walk(root: &Path) -> Result<Vec<(PathBuf, bool)>, ScaffoldError> {
    let mut out = Vec::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|source| ScaffoldError::Io {
            action: "reading",
            path: dir.clone(),
            source,
        })?;
        let mut children: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|path| dir != root || !UNTRACKED.iter().any(|skip| path.ends_with(skip)))
            .collect();
        children.sort();
        for child in children {
            let is_dir = child.is_dir();
            if is_dir {
                pending.push(child.clone());
            }
            out.push((child, is_dir));
        }
    }
    out.sort();
    Ok(out)
}

/// The text of every file under `root` (but `target/` and `.git/` at the top), by relative path.
pub fn read_files(root: &Path) -> Result<BTreeMap<PathBuf, String>, ScaffoldError> {
    let mut files = BTreeMap::new();
    for (path, is_dir) in walk(root)? {
        if is_dir {
            continue;
        }
        let text = std::fs::read_to_string(&path).map_err(|source| ScaffoldError::Io {
            action: "reading",
            path: path.clone(),
            source,
        })?;
        let relative = path.strip_prefix(root).unwrap_or(&path).to_path_buf();
        files.insert(relative, text);
    }
    Ok(files)
}
