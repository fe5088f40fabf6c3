//! Moving a project from one `PROJECT` record to another — an API or webhook deleted, a
//! project-wide option changed — on top of the user's edits.
//!
//! Both records are scaffolded afresh ([`generate`](super::generate)); what differs between
//! the two scaffolds is what the change means for the files. A file only the old scaffold has
//! is deleted (refused when it was edited since it was generated, unless `--force`); a file
//! only the new one has is created; a file both have in different versions gets the difference
//! merged into the user's copy (`git merge-file`), refused on a conflict.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::generate::{Files, Inherited, scaffold_files};
use super::merge::merge_file;
use super::moves::Moves;
use crate::scaffold::engine::changes::{Applied, ChangeSet};
use crate::scaffold::engine::checksums::{CHECKSUMS_FILE, Checksums};
use crate::scaffold::engine::plan::BOILERPLATE;
use crate::scaffold::engine::templates::Templates;
use crate::scaffold::engine::tree;
use crate::scaffold::error::ScaffoldError;
use crate::scaffold::model::project::{PROJECT_FILE, Project};

/// Files the comparison leaves alone: the record itself and what the project inherits.
const OWN_FILES: &[&str] = &[PROJECT_FILE, CHECKSUMS_FILE, BOILERPLATE];

/// Plans the move of the project in `dir` from `from` to `to` (not yet written).
pub fn plan(
    dir: &Path,
    from: &Project,
    to: &Project,
    force: bool,
    templates: &Templates,
) -> Result<ChangeSet, ScaffoldError> {
    plan_with_moves(dir, from, to, &Moves::default(), force, templates)
}

/// [`plan`], with files moving as `moves` says: a moved file keeps the user's edits (merged
/// with the scaffold's change), and the module paths of moved files are rewritten in every
/// Rust file of the project.
pub fn plan_with_moves(
    dir: &Path,
    from: &Project,
    to: &Project,
    moves: &Moves,
    force: bool,
    templates: &Templates,
) -> Result<ChangeSet, ScaffoldError> {
    let inherited = Inherited::read(dir);
    let old = scaffold_files(from, &inherited, templates)?;
    let new = scaffold_files(to, &inherited, templates)?;
    let checksums = Checksums::read(dir);
    let mut changes = ChangeSet::new(dir, force);
    let mut edited = Vec::new();
    let mut conflicts = Vec::new();
    let only_old: Vec<&PathBuf> = old.keys().filter(|p| !new.contains_key(*p)).collect();
    let mut moved: BTreeMap<PathBuf, PathBuf> = BTreeMap::new();
    for path in new.keys().filter(|p| !old.contains_key(*p)) {
        if let Some(source) = moves.source_of(path, only_old.iter().copied()) {
            moved.insert(path.clone(), source);
        }
    }
    let paths: BTreeSet<&PathBuf> = old.keys().chain(new.keys()).collect();
    for path in paths {
        if OWN_FILES.iter().any(|own| path == Path::new(own)) {
            continue;
        }
        if let Some(source) = moved.get(path) {
            let (Some(base), Some(target)) = (old.get(source), new.get(path)) else {
                continue;
            };
            match changes.current(source)? {
                Some(current) => match merge(&moves.rewrite(&current), base, target)? {
                    Some(merged) => {
                        changes.create(path.clone(), merged)?;
                        changes.generated_as(path.clone(), target.clone());
                    }
                    None if force => changes.create(path.clone(), target.clone())?,
                    None => conflicts.push(source.clone()),
                },
                None => changes.create(path.clone(), target.clone())?,
            }
            changes.remove(source.clone());
            continue;
        }
        if moved.values().any(|source| source == path) {
            continue;
        }
        let disk = changes.current(path)?.map(|text| moves.rewrite(&text));
        match (old.get(path), new.get(path), disk) {
            (Some(generated), None, Some(current)) => {
                let unchanged = current == *generated || checksums.matches(path, &current);
                if unchanged || force {
                    changes.remove(path.clone());
                } else {
                    edited.push(path.clone());
                }
            }
            (None, Some(generated), _) => changes.create(path.clone(), generated.clone())?,
            (Some(base), Some(target), Some(current)) if base != target => {
                match merge(&current, base, target)? {
                    Some(merged) => changes.replace(path.clone(), merged),
                    None if force => changes.replace(path.clone(), target.clone()),
                    None => conflicts.push(path.clone()),
                }
                // A checksum that was the old scaffold's text becomes the new one's, as if
                // the project had been scaffolded this way (the user's edits still show).
                if checksums.matches(path, base) {
                    changes.generated_as(path.clone(), target.clone());
                }
            }
            _ => {}
        }
    }
    if !edited.is_empty() {
        return Err(ScaffoldError::Edited(edited));
    }
    if !conflicts.is_empty() {
        return Err(ScaffoldError::Conflict(conflicts));
    }
    if !moves.is_empty() {
        rewrite_user_code(dir, &old, &new, moves, &mut changes)?;
    }
    changes.replace(PROJECT_FILE, to.render()?);
    Ok(changes)
}

/// Records the checksums and writes `changes`, all files or none.
pub fn apply(mut changes: ChangeSet) -> Result<Applied, ScaffoldError> {
    Checksums::seal(&mut changes)?;
    changes.apply()
}

/// Rewrites the module paths of moved files in the project's own Rust files (those neither
/// scaffold has), under `src/`, `tests/` and `test/`.
fn rewrite_user_code(
    dir: &Path,
    old: &Files,
    new: &Files,
    moves: &Moves,
    changes: &mut ChangeSet,
) -> Result<(), ScaffoldError> {
    for (full, is_dir) in tree::walk(dir)? {
        let path = full.strip_prefix(dir).unwrap_or(&full).to_path_buf();
        let in_code = ["src", "tests", "test"]
            .iter()
            .any(|area| path.starts_with(area));
        if is_dir
            || !in_code
            || path.extension().is_none_or(|ext| ext != "rs")
            || old.contains_key(&path)
            || new.contains_key(&path)
        {
            continue;
        }
        if let Some(text) = changes.current(&path)? {
            let rewritten = moves.rewrite(&text);
            if rewritten != text {
                changes.replace(path, rewritten);
            }
        }
    }
    Ok(())
}

/// `current` with the change from `base` to `target` merged in; `None` on a conflict (or
/// without git, unless the file is unchanged).
fn merge(current: &str, base: &str, target: &str) -> Result<Option<String>, ScaffoldError> {
    // Without git, or when it fails, the change cannot be merged: a conflict.
    Ok(
        merge_file(current, base, target, ["current", "base", "target"])
            .ok()
            .and_then(|(merged, clean)| clean.then_some(merged)),
    )
}

#[cfg(test)]
mod tests {
    use super::merge;

    #[test]
    fn a_scaffold_change_merges_into_an_edited_file() {
        let base = "a\n// +kubesmith:scaffold:operator\nb\n";
        let target = "a\n.crd::<X>()\n// +kubesmith:scaffold:operator\nb\n";
        let current = "a\n// +kubesmith:scaffold:operator\nb\nmine();\n";
        assert_eq!(
            merge(current, base, target).expect("merge").as_deref(),
            Some("a\n.crd::<X>()\n// +kubesmith:scaffold:operator\nb\nmine();\n")
        );
        // Removing a line the user changed is a conflict.
        let current = "a\n.crd::<Y>()\n// +kubesmith:scaffold:operator\nb\n";
        assert_eq!(merge(current, target, base).expect("merge"), None);
    }
}
