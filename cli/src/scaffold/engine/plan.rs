//! What the commands share: rendering a step's templates into a [`ChangeSet`], declaring Rust
//! modules along a path, and formatting Rust files the way `cargo fmt` would.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, PoisonError};

use serde::Serialize;

use super::changes::{Applied, ChangeSet};
use super::checksums::Checksums;
use super::insertions;
use super::templates::Templates;
use crate::scaffold::error::ScaffoldError;

/// Where the license header of Rust files is kept (written by `init`, read by every command).
pub const BOILERPLATE: &str = "hack/boilerplate.rs.txt";

/// How a step's files treat a file that exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Refused unless `--force` (or unchanged).
    Create,
    /// Left alone: the file is shared, an earlier command wrote it.
    Once,
}

/// A command's changes being planned.
#[derive(Debug)]
pub struct Plan<'t> {
    /// The files to write.
    pub changes: ChangeSet,
    templates: &'t Templates,
}

impl<'t> Plan<'t> {
    /// A plan for the project in `root`.
    pub fn new(root: &Path, force: bool, templates: &'t Templates) -> Self {
        Plan {
            changes: ChangeSet::new(root, force),
            templates,
        }
    }

    /// Renders every template of `step` with `data` into the plan, then makes the step's
    /// insertions that apply to `data`.
    pub fn step(
        &mut self,
        step: &str,
        data: &impl Serialize,
        mode: Mode,
    ) -> Result<(), ScaffoldError> {
        for name in self.templates.step(step) {
            let path = self.templates.output_path(name, data)?;
            let text = self.templates.render(name, data)?;
            match mode {
                Mode::Create => self.changes.create(path, text)?,
                Mode::Once => self.changes.create_once(path, text)?,
            }
        }
        let templates = self.templates;
        let insertions = templates.insertions(step);
        if insertions.is_empty() {
            return Ok(());
        }
        let name = format!("{step}/{}", insertions::FILE);
        let value = serde_json::to_value(data).map_err(|error| ScaffoldError::Template {
            template: name.clone(),
            reason: error.to_string(),
        })?;
        for insertion in insertions {
            if !insertion.applies(&value)? {
                continue;
            }
            let file = templates.render_text(&name, &insertion.file, &value)?;
            let text = templates.render_text(&name, &insertion.text, &value)?;
            if insertion.sorted {
                self.changes.insert_sorted(file, &insertion.marker, &text)?;
            } else {
                self.changes.insert(file, &insertion.marker, &text)?;
            }
        }
        Ok(())
    }

    /// Renders the fragment `templates/fragments/<name>` with `data`.
    fn fragment(&self, name: &str, data: &impl Serialize) -> Result<String, ScaffoldError> {
        self.templates
            .render(&format!("fragments/{name}.hbs"), data)
    }

    /// Declares `pub mod <path's last segment>;` in its parent module, and each missing
    /// parent module in its own parent, up to a module that exists. `docs` gives the doc
    /// comment of a module created on the way (its directory, relative to the project).
    pub fn declare_module(
        &mut self,
        module_dir: &str,
        child: &str,
        header: &str,
        docs: &dyn Fn(&str) -> String,
    ) -> Result<(), ScaffoldError> {
        let file = PathBuf::from(format!("{module_dir}/mod.rs"));
        if !self.changes.exists(&file) {
            // The area modules (src/api, src/controller, src/webhook) come from init and
            // create webhook; only modules below them are created here.
            let missing = || ScaffoldError::MissingMarker {
                path: file.clone(),
                marker: super::changes::marker("modules"),
            };
            let (parent, name) = module_dir.rsplit_once('/').ok_or_else(missing)?;
            if parent == "src" {
                return Err(missing());
            }
            self.declare_module(parent, name, header, docs)?;
            let data = serde_json::json!({"header": header, "docs": docs(module_dir)});
            let text = self.fragment("module.rs", &data)?;
            self.changes.create(file.clone(), text)?;
        }
        self.changes
            .insert_sorted(file, "modules", &format!("pub mod {child};"))
    }

    /// Formats every planned Rust file with `rustfmt` (when it is installed), records the
    /// checksums of the files written whole, and writes the plan, all files or none.
    pub fn apply(mut self) -> Result<Applied, ScaffoldError> {
        let rust: Vec<(PathBuf, String)> = self
            .changes
            .files()
            .iter()
            .filter(|(path, _)| path.extension().is_some_and(|e| e == "rs"))
            .map(|(path, text)| (path.clone(), text.clone()))
            .collect();
        let texts: Vec<&str> = rust.iter().map(|(_, text)| text.as_str()).collect();
        for ((path, _), formatted) in rust.iter().zip(format_all(&texts)) {
            if let Some(formatted) = formatted {
                self.changes.replace(path.clone(), formatted);
            }
        }
        Checksums::seal(&mut self.changes)?;
        self.changes.apply()
    }
}

/// The license header of Rust files: the boilerplate as `//` comments and a blank line, or
/// nothing without a boilerplate file.
pub fn header(root: &Path) -> Result<String, ScaffoldError> {
    let path = root.join(BOILERPLATE);
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok(comment(&text)),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(String::new()),
        Err(source) => Err(ScaffoldError::Io {
            action: "reading",
            path,
            source,
        }),
    }
}

/// `text` as `//` comment lines followed by a blank line (empty for blank text).
pub fn comment(text: &str) -> String {
    if text.trim().is_empty() {
        return String::new();
    }
    let mut out = String::new();
    for line in text.trim_end().lines() {
        if line.is_empty() {
            out.push_str("//\n");
        } else {
            out.push_str("// ");
            out.push_str(line);
            out.push('\n');
        }
    }
    out.push('\n');
    out
}

/// Each of `texts` formatted by [`rustfmt`], one rustfmt process per text but several at once
/// (rustfmt formats one input from stdin, and files only with the modules they declare), each
/// distinct text once per process: `delete` and `edit` re-scaffold a project twice, and most of
/// the two scaffolds' files are the same.
fn format_all(texts: &[&str]) -> Vec<Option<String>> {
    static FORMATTED: Mutex<BTreeMap<String, Option<String>>> = Mutex::new(BTreeMap::new());
    let known = |text: &str| {
        FORMATTED
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(text)
            .cloned()
    };
    let missing: Vec<&str> = texts
        .iter()
        .copied()
        .filter(|text| known(text).is_none())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let workers = std::thread::available_parallelism().map_or(1, usize::from);
    let chunk = missing.len().div_ceil(workers).max(1);
    std::thread::scope(|scope| {
        for texts in missing.chunks(chunk) {
            scope.spawn(move || {
                for text in texts {
                    let formatted = rustfmt(text);
                    FORMATTED
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .insert((*text).to_string(), formatted);
                }
            });
        }
    });
    texts.iter().map(|text| known(text).flatten()).collect()
}

/// `text` formatted by `rustfmt` (`$RUSTFMT`, else from `PATH`) in edition 2024; `None` when
/// rustfmt is missing or fails (the text is then written as rendered).
fn rustfmt(text: &str) -> Option<String> {
    let program = std::env::var_os("RUSTFMT").unwrap_or_else(|| "rustfmt".into());
    let mut child = Command::new(program)
        .args(["--edition", "2024", "--emit", "stdout", "--quiet"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let mut stdin = child.stdin.take()?;
    let input = text.to_string();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child.wait_with_output().ok()?;
    writer.join().ok()?.ok()?;
    if !output.status.success() {
        return None;
    }
    String::from_utf8(output.stdout).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_line_comments() {
        assert_eq!(comment(""), "");
        assert_eq!(
            comment("Copyright 2026.\n\nLicensed.\n"),
            "// Copyright 2026.\n//\n// Licensed.\n\n"
        );
    }
}
