//! `.kubesmith/scaffold.sha256`: the SHA-256 of every file a command wrote whole, as
//! `sha256sum` prints them (`sha256sum -c .kubesmith/scaffold.sha256` lists what was edited
//! since). `delete` removes a generated file only when it is unchanged (or with `--force`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::changes::ChangeSet;
use crate::scaffold::error::ScaffoldError;
use crate::scaffold::model::project::PROJECT_FILE;

/// Where the checksums are kept, relative to the project.
pub const CHECKSUMS_FILE: &str = ".kubesmith/scaffold.sha256";

/// The recorded checksums, by relative path.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Checksums {
    sums: BTreeMap<PathBuf, String>,
}

impl Checksums {
    /// The checksums recorded in the project at `root` (none when the file is missing).
    pub fn read(root: &Path) -> Checksums {
        let text = std::fs::read_to_string(root.join(CHECKSUMS_FILE)).unwrap_or_default();
        Checksums::parse(&text)
    }

    fn parse(text: &str) -> Checksums {
        let sums = text
            .lines()
            .filter_map(|line| line.split_once("  "))
            .map(|(sum, path)| (PathBuf::from(path), sum.to_string()))
            .collect();
        Checksums { sums }
    }

    /// The file's text: one `<sha256>  <path>` line per file, sorted by path.
    pub fn render(&self) -> String {
        self.sums
            .iter()
            .map(|(path, sum)| format!("{sum}  {}\n", path.display()))
            .collect()
    }

    /// Whether `content` is what was recorded for `path`.
    pub fn matches(&self, path: &Path, content: &str) -> bool {
        self.sums.get(path) == Some(&sha256(content))
    }

    /// Records every file `changes` writes whole or with the user's edits merged in (but
    /// PROJECT, which every command rewrites) and forgets those it deletes, then plans the
    /// checksum file itself.
    pub fn seal(changes: &mut ChangeSet) -> Result<(), ScaffoldError> {
        let mut checksums = Checksums::read(changes.root());
        let record = changes
            .created()
            .iter()
            .chain(changes.merged())
            .filter(|path| path.as_path() != Path::new(PROJECT_FILE))
            .cloned()
            .collect::<Vec<_>>();
        for path in record {
            if let Some(content) = changes.generated(&path) {
                checksums.sums.insert(path, sha256(content));
            }
        }
        for path in changes.removed() {
            checksums.sums.remove(path);
        }
        changes.replace(CHECKSUMS_FILE, checksums.render());
        Ok(())
    }
}

fn sha256(content: &str) -> String {
    Sha256::digest(content.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksums_round_trip_in_sha256sum_format() {
        let mut checksums = Checksums::default();
        checksums
            .sums
            .insert(PathBuf::from("src/main.rs"), sha256("fn main() {}\n"));
        let text = checksums.render();
        assert!(text.ends_with("  src/main.rs\n"));
        assert_eq!(text.len(), 64 + 2 + "src/main.rs".len() + 1);
        let parsed = Checksums::parse(&text);
        assert!(parsed.matches(Path::new("src/main.rs"), "fn main() {}\n"));
        assert!(!parsed.matches(Path::new("src/main.rs"), "fn main() { edited() }\n"));
    }
}
