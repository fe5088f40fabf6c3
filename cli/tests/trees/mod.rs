//! What the scaffolding tests share: the `kubesmith` binary run in a directory, isolated from
//! the caller's environment and trees of files compared by hash.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use sha2::{Digest, Sha256};

/// 2026-06-01T00:00:00Z: the year of the license headers.
pub const SOURCE_DATE_EPOCH: &str = "1780272000";

/// Runs `kubesmith` with `args` (white-space separated) in `dir`, isolated from the caller's
/// `KUBESMITH_PATH` and `MAKE`, with `env` added.
pub fn kubesmith(dir: &Path, args: &str, env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kubesmith"))
        .args(args.split_whitespace())
        .current_dir(dir)
        .env("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH)
        .env_remove("KUBESMITH_PATH")
        .env_remove("MAKE")
        .envs(env.iter().copied())
        .output()
        .expect("kubesmith runs")
}

/// Runs `kubesmith` and asserts it succeeded.
pub fn kubesmith_ok(dir: &Path, args: &str) -> Output {
    kubesmith_ok_with(dir, args, &[])
}

/// Runs `kubesmith` with `env` added and asserts it succeeded.
pub fn kubesmith_ok_with(dir: &Path, args: &str, env: &[(&str, &str)]) -> Output {
    let output = kubesmith(dir, args, env);
    assert!(
        output.status.success(),
        "kubesmith {args} failed in {}:\n{}",
        dir.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// What is at a path of a tree.
#[derive(Debug, PartialEq, Eq)]
pub enum Entry {
    Dir,
    /// A file, by the SHA-256 of its bytes.
    File(String),
}

/// Every directory and file under `root` (relative paths), files by their hash.
pub fn snapshot(root: &Path) -> BTreeMap<PathBuf, Entry> {
    fn walk(root: &Path, dir: &Path, tree: &mut BTreeMap<PathBuf, Entry>) {
        for entry in std::fs::read_dir(dir).expect("a readable directory") {
            let path = entry.expect("a directory entry").path();
            let relative = path.strip_prefix(root).expect("under root").to_path_buf();
            if path.is_dir() {
                tree.insert(relative, Entry::Dir);
                walk(root, &path, tree);
            } else {
                let bytes = std::fs::read(&path).expect("a readable file");
                tree.insert(relative, Entry::File(hex::encode(Sha256::digest(bytes))));
            }
        }
    }
    let mut tree = BTreeMap::new();
    walk(root, root, &mut tree);
    tree
}

/// How `after` differs from `before`, one line per path.
pub fn tree_changes(
    before: &BTreeMap<PathBuf, Entry>,
    after: &BTreeMap<PathBuf, Entry>,
) -> Vec<String> {
    let mut changes = Vec::new();
    for (path, entry) in before {
        match after.get(path) {
            None => changes.push(format!("removed {}", path.display())),
            Some(now) if now != entry => changes.push(format!("changed {}", path.display())),
            Some(_) => {}
        }
    }
    for path in after.keys().filter(|path| !before.contains_key(*path)) {
        changes.push(format!("added {}", path.display()));
    }
    changes
}
