//! Files that move when a project's layout changes (a single-group project becoming
//! multigroup), and the Rust module paths that change with them.

use std::path::{Path, PathBuf};

use crate::scaffold::model::project::Project;

/// Files that move to another path, and the module paths that change with them.
#[derive(Debug, Clone, Default)]
pub struct Moves {
    /// `(old, new)` module path rewrites: `api::v1` → `api::crew::v1` and the like.
    rewrites: Vec<(String, String)>,
    /// The groups whose files gain a directory or a file-name prefix.
    groups: Vec<String>,
}

impl Moves {
    /// The moves of a single-group project becoming multigroup.
    pub fn to_multigroup(project: &Project) -> Moves {
        let mut moves = Moves::default();
        for resource in &project.resources {
            let group = &resource.group;
            let version = &resource.version;
            let kind = resource.kind.to_ascii_lowercase();
            for (old, new) in [
                (
                    format!("api::{version}"),
                    format!("api::{group}::{version}"),
                ),
                (
                    format!("webhook::{version}"),
                    format!("webhook::{group}::{version}"),
                ),
                (
                    format!("controller::{kind}"),
                    format!("controller::{group}::{kind}"),
                ),
            ] {
                if !moves.rewrites.contains(&(old.clone(), new.clone())) {
                    moves.rewrites.push((old, new));
                }
            }
            if !moves.groups.contains(group) {
                moves.groups.push(group.clone());
            }
        }
        moves
    }

    /// Whether nothing moves.
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// The old path of the file that moved to `new`, among `old_paths`: `new` without one
    /// group directory or group file-name prefix.
    pub fn source_of<'a>(
        &self,
        new: &Path,
        mut old_paths: impl Iterator<Item = &'a PathBuf>,
    ) -> Option<PathBuf> {
        let text = new.to_string_lossy();
        let candidates: Vec<String> = self
            .groups
            .iter()
            .flat_map(|group| {
                let directory = text.replacen(&format!("/{group}/"), "/", 1);
                let file_name = match text.rsplit_once('/') {
                    Some((parent, name)) => name
                        .strip_prefix(&format!("{group}_"))
                        .map(|rest| format!("{parent}/{rest}")),
                    None => None,
                };
                [Some(directory), file_name]
            })
            .flatten()
            .filter(|candidate| *candidate != text)
            .collect();
        old_paths
            .find(|old| candidates.iter().any(|c| Path::new(c) == old.as_path()))
            .cloned()
    }

    /// `text` with the module paths of the moved files rewritten; a path only matches whole
    /// (`controller::captain` does not match `controller::captains`).
    pub fn rewrite(&self, text: &str) -> String {
        let mut out = text.to_string();
        for (old, new) in &self.rewrites {
            out = replace_whole(&out, old, new);
        }
        out
    }
}

/// `text` with `from` replaced by `to` where it is not part of a longer identifier path.
fn replace_whole(text: &str, from: &str, to: &str) -> String {
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(from) {
        let before = rest[..at].chars().last().or_else(|| out.chars().last());
        let after = rest[at + from.len()..].chars().next();
        out.push_str(&rest[..at]);
        let starts_whole = !before.is_some_and(is_ident);
        let ends_whole = !after.is_some_and(is_ident);
        out.push_str(if starts_whole && ends_whole { to } else { from });
        rest = &rest[at + from.len()..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_paths_are_rewritten_whole() {
        let text = "use crate::api::v1::captain::Captain;\nuse crate::api::v1;\nuse crate::api::v1beta1;\ncontroller::captain::controller()\ncontroller::captains::x();\nmy_api::v1::y();\n";
        let moves = Moves {
            rewrites: vec![
                ("api::v1".into(), "api::crew::v1".into()),
                (
                    "controller::captain".into(),
                    "controller::crew::captain".into(),
                ),
            ],
            groups: vec!["crew".into()],
        };
        assert_eq!(
            moves.rewrite(text),
            "use crate::api::crew::v1::captain::Captain;\nuse crate::api::crew::v1;\nuse crate::api::v1beta1;\ncontroller::crew::captain::controller()\ncontroller::captains::x();\nmy_api::v1::y();\n"
        );
    }

    #[test]
    fn moved_files_are_found_by_their_group() {
        let moves = Moves {
            rewrites: vec![],
            groups: vec!["crew".into()],
        };
        let old = [
            PathBuf::from("src/api/v1/captain.rs"),
            PathBuf::from("tests/captain_controller.rs"),
        ];
        assert_eq!(
            moves.source_of(Path::new("src/api/crew/v1/captain.rs"), old.iter()),
            Some(PathBuf::from("src/api/v1/captain.rs"))
        );
        assert_eq!(
            moves.source_of(Path::new("tests/crew_captain_controller.rs"), old.iter()),
            Some(PathBuf::from("tests/captain_controller.rs"))
        );
        assert_eq!(
            moves.source_of(Path::new("src/api/crew/mod.rs"), old.iter()),
            None
        );
    }
}
