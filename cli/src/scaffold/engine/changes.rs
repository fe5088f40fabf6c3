//! A scaffold as a set of file changes computed in memory, checked, then written all at once:
//! every file or none, and undone again when a later step fails.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::scaffold::error::ScaffoldError;

/// A marker line code is inserted at: `// +kubesmith:scaffold:<name>` or
/// `# +kubesmith:scaffold:<name>`.
pub fn marker(name: &str) -> String {
    format!("+kubesmith:scaffold:{name}")
}

/// The files a command writes, with their new contents.
#[derive(Debug)]
pub struct ChangeSet {
    root: PathBuf,
    force: bool,
    files: BTreeMap<PathBuf, String>,
    /// The files written whole (not edited at a marker).
    created: BTreeSet<PathBuf>,
    /// The files to delete.
    removed: BTreeSet<PathBuf>,
    /// What the scaffold generated for files written with the user's edits merged in.
    generated: BTreeMap<PathBuf, String>,
}

impl ChangeSet {
    /// Changes under `root`; with `force`, files that exist may be overwritten.
    pub fn new(root: &Path, force: bool) -> Self {
        ChangeSet {
            root: root.to_path_buf(),
            force,
            files: BTreeMap::new(),
            created: BTreeSet::new(),
            removed: BTreeSet::new(),
            generated: BTreeMap::new(),
        }
    }

    /// The project directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Creates `path` (relative) with `content`; refused when it exists with other contents
    /// and `force` is off.
    pub fn create(
        &mut self,
        path: impl Into<PathBuf>,
        content: String,
    ) -> Result<(), ScaffoldError> {
        let path = path.into();
        let full = self.root.join(&path);
        if !self.force
            && full.exists()
            && std::fs::read_to_string(&full).ok().as_deref() != Some(content.as_str())
        {
            return Err(ScaffoldError::FileExists(path));
        }
        self.created.insert(path.clone());
        self.files.insert(path, content);
        Ok(())
    }

    /// Deletes `path` (relative) when the change is applied.
    pub fn remove(&mut self, path: impl Into<PathBuf>) {
        let path = path.into();
        self.files.remove(&path);
        self.created.remove(&path);
        self.removed.insert(path);
    }

    /// Records that the scaffold generated `text` for `path`, which is written with the
    /// user's edits merged in (so its checksum is of what was generated).
    pub fn generated_as(&mut self, path: impl Into<PathBuf>, text: String) {
        self.generated.insert(path.into(), text);
    }

    /// The generated text of `path`: as recorded by [`Self::generated_as`], else as planned.
    pub fn generated(&self, path: &Path) -> Option<&String> {
        self.generated.get(path).or_else(|| self.files.get(path))
    }

    /// The files written whole, relative paths.
    pub fn created(&self) -> &BTreeSet<PathBuf> {
        &self.created
    }

    /// The files written with the user's edits merged in ([`Self::generated_as`]).
    pub fn merged(&self) -> impl Iterator<Item = &PathBuf> {
        self.generated.keys()
    }

    /// The files to delete, relative paths.
    pub fn removed(&self) -> &BTreeSet<PathBuf> {
        &self.removed
    }

    /// Creates `path` unless it exists (planned or on disk): for files several commands share.
    pub fn create_once(
        &mut self,
        path: impl Into<PathBuf>,
        content: String,
    ) -> Result<(), ScaffoldError> {
        let path = path.into();
        if self.files.contains_key(&path) || self.root.join(&path).exists() {
            return Ok(());
        }
        self.create(path, content)
    }

    /// The current text of `path`: as planned, else on disk.
    pub fn current(&self, path: &Path) -> Result<Option<String>, ScaffoldError> {
        if let Some(planned) = self.files.get(path) {
            return Ok(Some(planned.clone()));
        }
        let full = self.root.join(path);
        match std::fs::read_to_string(&full) {
            Ok(text) => Ok(Some(text)),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(ScaffoldError::Io {
                action: "reading",
                path: full,
                source,
            }),
        }
    }

    /// Inserts `block` (lines without indentation) before the marker line `name` of `path`,
    /// indented like the marker; nothing happens when the block is there already.
    pub fn insert(
        &mut self,
        path: impl Into<PathBuf>,
        name: &str,
        block: &str,
    ) -> Result<(), ScaffoldError> {
        let path = path.into();
        let text = self
            .current(&path)?
            .ok_or_else(|| ScaffoldError::MissingMarker {
                path: path.clone(),
                marker: marker(name),
            })?;
        let updated =
            insert_at_marker(&text, name, block).ok_or_else(|| ScaffoldError::MissingMarker {
                path: path.clone(),
                marker: marker(name),
            })?;
        self.files.insert(path, updated);
        Ok(())
    }

    /// Inserts the single line `line` at marker `name` of `path` in sorted position among the
    /// lines directly above the marker (version order, as rustfmt sorts `mod` and `use`
    /// items); nothing happens when the line is there already.
    pub fn insert_sorted(
        &mut self,
        path: impl Into<PathBuf>,
        name: &str,
        line: &str,
    ) -> Result<(), ScaffoldError> {
        let path = path.into();
        let missing = || ScaffoldError::MissingMarker {
            path: path.clone(),
            marker: marker(name),
        };
        let text = self.current(&path)?.ok_or_else(missing)?;
        let updated = insert_sorted_at_marker(&text, name, line).ok_or_else(missing)?;
        self.files.insert(path, updated);
        Ok(())
    }

    /// Whether `path` (planned or on disk) has the marker line `name`.
    pub fn has_marker(&self, path: &Path, name: &str) -> Result<bool, ScaffoldError> {
        let text = self.current(path)?.unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        Ok(find_marker(&lines, &marker(name)).is_some())
    }

    /// Whether `path` exists, planned or on disk.
    pub fn exists(&self, path: &Path) -> bool {
        self.files.contains_key(path) || self.root.join(path).exists()
    }

    /// Replaces the contents of an existing or planned file.
    pub fn replace(&mut self, path: impl Into<PathBuf>, content: String) {
        let path = path.into();
        self.removed.remove(&path);
        self.files.insert(path, content);
    }

    /// The planned files, relative paths and contents.
    pub fn files(&self) -> &BTreeMap<PathBuf, String> {
        &self.files
    }

    /// Writes every planned file that differs from the disk. On the first failure everything
    /// written is undone. Returns what can undo the whole change later.
    pub fn apply(self) -> Result<Applied, ScaffoldError> {
        let mut applied = Applied {
            root: self.root.clone(),
            undo: Vec::new(),
            created_dirs: Vec::new(),
            removed_dirs: Vec::new(),
        };
        for (path, content) in &self.files {
            let full = self.root.join(path);
            let previous = std::fs::read(&full).ok();
            if previous.as_deref() == Some(content.as_bytes()) {
                continue;
            }
            if let Err(error) = write_file(&full, content.as_bytes(), &mut applied.created_dirs) {
                applied.undo();
                return Err(error);
            }
            applied.undo.push((path.clone(), previous));
        }
        for path in &self.removed {
            let full = self.root.join(path);
            let Ok(previous) = std::fs::read(&full) else {
                continue;
            };
            if let Err(source) = std::fs::remove_file(&full) {
                applied.undo();
                return Err(ScaffoldError::Io {
                    action: "deleting",
                    path: full,
                    source,
                });
            }
            applied.undo.push((path.clone(), Some(previous)));
            remove_empty_parents(&self.root, &full, &mut applied.removed_dirs);
        }
        Ok(applied)
    }
}

/// What a change wrote, and how to take it back.
#[derive(Debug)]
pub struct Applied {
    root: PathBuf,
    /// Each written file with its previous contents (`None`: it did not exist).
    undo: Vec<(PathBuf, Option<Vec<u8>>)>,
    /// The directories created, parents first.
    created_dirs: Vec<PathBuf>,
    /// The directories removed because a deletion left them empty, children first.
    removed_dirs: Vec<PathBuf>,
}

impl Applied {
    /// The project directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The files written or deleted (relative), in order.
    pub fn written(&self) -> Vec<PathBuf> {
        self.undo.iter().map(|(path, _)| path.clone()).collect()
    }

    /// Restores every file written to what it was, and removes the files and directories
    /// created.
    pub fn undo(&mut self) {
        for dir in self.removed_dirs.drain(..).rev() {
            let _ = std::fs::create_dir(dir);
        }
        for (path, previous) in self.undo.drain(..).rev() {
            let full = self.root.join(&path);
            let _ = match previous {
                Some(contents) => std::fs::write(&full, contents),
                None => std::fs::remove_file(&full),
            };
        }
        for dir in self.created_dirs.drain(..).rev() {
            let _ = std::fs::remove_dir(dir);
        }
    }
}

/// Removes the directories above `full` (inside `root`) that are empty, recording them in
/// `removed`, children first.
fn remove_empty_parents(root: &Path, full: &Path, removed: &mut Vec<PathBuf>) {
    for dir in full.ancestors().skip(1) {
        if dir == root || !dir.starts_with(root) || std::fs::remove_dir(dir).is_err() {
            break;
        }
        removed.push(dir.to_path_buf());
    }
}

/// Writes `full` through a temporary file, creating its directory; the directories created
/// are added to `created_dirs`, parents first.
fn write_file(
    full: &Path,
    contents: &[u8],
    created_dirs: &mut Vec<PathBuf>,
) -> Result<(), ScaffoldError> {
    let io = |action, source| ScaffoldError::Io {
        action,
        path: full.to_path_buf(),
        source,
    };
    let missing: Vec<PathBuf> = full
        .ancestors()
        .skip(1)
        .take_while(|dir| !dir.exists())
        .map(Path::to_path_buf)
        .collect();
    for dir in missing.into_iter().rev() {
        std::fs::create_dir(&dir).map_err(|source| io("creating the directory of", source))?;
        created_dirs.push(dir);
    }
    let temporary = full.with_file_name(format!(
        ".{}.kubesmith-tmp",
        full.file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default()
    ));
    std::fs::write(&temporary, contents).map_err(|source| io("writing", source))?;
    std::fs::rename(&temporary, full).map_err(|source| {
        let _ = std::fs::remove_file(&temporary);
        io("writing", source)
    })
}

/// `text` with `block` inserted before the line holding marker `name`, each line indented as
/// the marker; `None` when the marker is missing. A block already present is not added again.
pub fn insert_at_marker(text: &str, name: &str, block: &str) -> Option<String> {
    let marker = marker(name);
    let lines: Vec<&str> = text.lines().collect();
    let at = find_marker(&lines, &marker)?;
    let indent: String = lines[at]
        .chars()
        .take_while(|c| c.is_whitespace())
        .collect();
    if contains_block(text, block) {
        return Some(text.to_string());
    }
    let mut out: Vec<String> = lines[..at].iter().map(|l| l.to_string()).collect();
    for line in block.lines() {
        if line.is_empty() {
            out.push(String::new());
        } else {
            out.push(format!("{indent}{line}"));
        }
    }
    out.extend(lines[at..].iter().map(|l| l.to_string()));
    let mut joined = out.join("\n");
    if text.ends_with('\n') {
        joined.push('\n');
    }
    Some(joined)
}

/// Whether `text` holds `block` already, as whole lines, however a formatter has laid it
/// out since it was inserted: whitespace is ignored, and so is a trailing comma before a
/// closing bracket (rustfmt adds one when it breaks a call's arguments over lines).
fn contains_block(text: &str, block: &str) -> bool {
    let flat = |line: &str| -> String {
        let compact: String = line.chars().filter(|c| !c.is_whitespace()).collect();
        compact
            .replace(",)", ")")
            .replace(",]", "]")
            .replace(",}", "}")
    };
    let wanted = flat(block);
    if wanted.is_empty() {
        return false;
    }
    let lines: Vec<String> = text.lines().map(flat).collect();
    (0..lines.len()).any(|start| {
        let mut joined = String::new();
        for line in &lines[start..] {
            joined.push_str(line);
            let joined = flat(&joined);
            if joined == wanted {
                return true;
            }
            let open = joined.strip_suffix(',').unwrap_or(&joined);
            if !wanted.starts_with(open) {
                return false;
            }
        }
        false
    })
}

/// `text` with `line` inserted among the lines directly above marker `name` (up to the first
/// blank line), at its place in version order; `None` when the marker is missing.
pub fn insert_sorted_at_marker(text: &str, name: &str, line: &str) -> Option<String> {
    let marker = marker(name);
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let at = find_marker(&lines, &marker)?;
    let indent: String = lines[at]
        .chars()
        .take_while(|c| c.is_whitespace())
        .collect();
    let start = lines[..at]
        .iter()
        .rposition(|l| l.trim().is_empty())
        .map_or(0, |blank| blank + 1);
    let wanted = format!("{indent}{}", line.trim());
    if lines[start..at].contains(&wanted) {
        return Some(text.to_string());
    }
    let position = lines[start..at]
        .iter()
        .position(|existing| {
            version_order(existing.trim(), line.trim()) == std::cmp::Ordering::Greater
        })
        .map_or(at, |offset| start + offset);
    lines.insert(position, wanted);
    let mut joined = lines.join("\n");
    if text.ends_with('\n') {
        joined.push('\n');
    }
    Some(joined)
}

fn find_marker(lines: &[impl AsRef<str>], marker: &str) -> Option<usize> {
    lines.iter().position(|line| {
        line.as_ref()
            .trim_start()
            .trim_start_matches(['/', '#'])
            .trim()
            == marker
    })
}

/// Compares two strings, runs of digits by their value (`v2` < `v10`), as rustfmt sorts.
fn version_order(a: &str, b: &str) -> std::cmp::Ordering {
    fn chunks(s: &str) -> Vec<(bool, &str)> {
        let mut out = Vec::new();
        let mut rest = s;
        while let Some(first) = rest.chars().next() {
            let digit = first.is_ascii_digit();
            let end = rest
                .find(|c: char| c.is_ascii_digit() != digit)
                .unwrap_or(rest.len());
            out.push((digit, &rest[..end]));
            rest = &rest[end..];
        }
        out
    }
    let key = |s| {
        chunks(s)
            .into_iter()
            .map(|(digit, chunk)| {
                if digit {
                    (chunk.trim_start_matches('0').len(), chunk.to_string())
                } else {
                    (0, chunk.to_string())
                }
            })
            .collect::<Vec<_>>()
    };
    // Compare chunk by chunk: digits by length then text (numeric value), text as text.
    let (ka, kb) = (key(a), key(b));
    for (x, y) in ka.iter().zip(&kb) {
        let ordering = x.0.cmp(&y.0).then_with(|| x.1.cmp(&y.1));
        if ordering != std::cmp::Ordering::Equal {
            return ordering;
        }
    }
    ka.len().cmp(&kb.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insertions_follow_the_marker_indentation_and_are_idempotent() {
        let text = "resources:\n- a.yaml\n# +kubesmith:scaffold:list\nother: 1\n";
        let once = insert_at_marker(text, "list", "- b.yaml").expect("marker");
        assert_eq!(
            once,
            "resources:\n- a.yaml\n- b.yaml\n# +kubesmith:scaffold:list\nother: 1\n"
        );
        assert_eq!(
            insert_at_marker(&once, "list", "- b.yaml").as_deref(),
            Some(once.as_str())
        );
        let rust = "fn main() {\n    // +kubesmith:scaffold:operator\n}\n";
        let inserted = insert_at_marker(rust, "operator", "a();\nb();").expect("marker");
        assert_eq!(
            inserted,
            "fn main() {\n    a();\n    b();\n    // +kubesmith:scaffold:operator\n}\n"
        );
        assert!(insert_at_marker(rust, "missing", "x").is_none());
    }

    #[test]
    fn a_block_is_found_again_after_rustfmt_broke_it_over_lines() {
        let line =
            ".controller(controller::captain::controller(), controller::captain::Reconciler)";
        let formatted = "    Operator::new()\n        .controller(\n            controller::captain::controller(),\n            controller::captain::Reconciler,\n        )\n    // +kubesmith:scaffold:operator\n";
        assert_eq!(
            insert_at_marker(formatted, "operator", line).as_deref(),
            Some(formatted)
        );
        let other = line.replace("captain", "admiral");
        let inserted = insert_at_marker(formatted, "operator", &other).expect("marker");
        assert!(inserted.contains(&format!("    {other}\n    // +kubesmith")));
    }

    #[test]
    fn sorted_insertions_keep_rustfmt_order() {
        let text = "use a;\n\npub mod v1;\npub mod v3;\n// +kubesmith:scaffold:modules\n";
        let once = insert_sorted_at_marker(text, "modules", "pub mod v2;").expect("marker");
        assert_eq!(
            once,
            "use a;\n\npub mod v1;\npub mod v2;\npub mod v3;\n// +kubesmith:scaffold:modules\n"
        );
        let tenth = insert_sorted_at_marker(&once, "modules", "pub mod v10;").expect("marker");
        assert!(tenth.contains("pub mod v3;\npub mod v10;\n"), "{tenth}");
        assert_eq!(
            insert_sorted_at_marker(&tenth, "modules", "pub mod v2;").as_deref(),
            Some(tenth.as_str())
        );
        let alpha = insert_sorted_at_marker(text, "modules", "pub mod v1alpha1;").expect("marker");
        assert!(
            alpha.starts_with("use a;\n\npub mod v1;\npub mod v1alpha1;"),
            "{alpha}"
        );
        let first =
            insert_sorted_at_marker("fn f() {}\n\n// +kubesmith:scaffold:m\n", "m", "use b;")
                .expect("marker");
        assert_eq!(first, "fn f() {}\n\nuse b;\n// +kubesmith:scaffold:m\n");
    }

    #[test]
    fn a_failed_change_leaves_nothing_and_undo_restores() {
        let dir = tempfile::tempdir().expect("dir");
        std::fs::write(dir.path().join("kept.txt"), "before").expect("write");
        let mut changes = ChangeSet::new(dir.path(), true);
        changes
            .create("new/dir/file.txt", "new".into())
            .expect("plan");
        changes.create("kept.txt", "after".into()).expect("plan");
        let mut applied = changes.apply().expect("apply");
        assert_eq!(
            std::fs::read_to_string(dir.path().join("kept.txt")).expect("read"),
            "after"
        );
        applied.undo();
        assert_eq!(
            std::fs::read_to_string(dir.path().join("kept.txt")).expect("read"),
            "before"
        );
        assert!(
            !dir.path().join("new").exists(),
            "created directories are removed"
        );

        let mut refused = ChangeSet::new(dir.path(), false);
        assert!(matches!(
            refused.create("kept.txt", "other".into()),
            Err(ScaffoldError::FileExists(_))
        ));
    }
}
