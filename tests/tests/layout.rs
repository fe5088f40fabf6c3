//! The source tree keeps its shape: no module of a workspace crate imports, directly or through
//! others, a module that imports it back (the file-level `use` graph has no cycle). A module
//! directory's `mod.rs` is a map — declarations and re-exports — so a child never needs to
//! reach back into its parent's own items.
//!
//! The graph is read from the source text: every `crate::`, `super::` and child-module path
//! outside comments and `#[cfg(test)] mod tests`, with re-exports followed to the module that
//! defines the item.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A module, as the path of names from the crate root (`[]` is the root).
type Module = Vec<String>;

struct Crate {
    /// Every module's source, comments and unit tests removed.
    sources: BTreeMap<Module, String>,
    /// Whether a module is a directory module (`mod.rs`, `lib.rs`, `main.rs`).
    directories: BTreeSet<Module>,
    /// `pub use` re-exports: (module, name) → the absolute path it stands for.
    reexports: BTreeMap<(Module, String), Vec<String>>,
}

impl Crate {
    fn read(root: &Path) -> Crate {
        let mut sources = BTreeMap::new();
        let mut directories = BTreeSet::new();
        for file in rust_files(root) {
            let relative = file.strip_prefix(root).expect("below the root");
            let mut module: Module = relative
                .with_extension("")
                .iter()
                .map(|part| part.to_string_lossy().into_owned())
                .collect();
            if matches!(
                module.last().map(String::as_str),
                Some("mod" | "lib" | "main")
            ) {
                module.pop();
                directories.insert(module.clone());
            }
            let text = std::fs::read_to_string(&file).expect("read a source file");
            sources.insert(module, strip(&text));
        }
        let mut krate = Crate {
            sources,
            directories,
            reexports: BTreeMap::new(),
        };
        krate.reexports = krate.find_reexports();
        krate
    }

    fn find_reexports(&self) -> BTreeMap<(Module, String), Vec<String>> {
        let mut found = BTreeMap::new();
        for (module, source) in &self.sources {
            for statement in statements(source, "pub use ")
                .into_iter()
                .chain(statements(source, "pub(crate) use "))
            {
                for (path, name) in expand(&statement) {
                    if let Some(absolute) = self.absolute(module, &path) {
                        found.insert((module.clone(), name), absolute);
                    }
                }
            }
        }
        found
    }

    /// `path` (as written in `module`) from the crate root, if it starts at a module of this
    /// crate.
    fn absolute(&self, module: &Module, path: &[String]) -> Option<Vec<String>> {
        let (head, rest) = path.split_first()?;
        match head.as_str() {
            "crate" => Some(rest.to_vec()),
            "super" => {
                let mut base = module.clone();
                base.pop();
                let mut rest = rest;
                while rest.first().is_some_and(|part| part == "super") {
                    base.pop();
                    rest = &rest[1..];
                }
                base.extend(rest.iter().cloned());
                Some(base)
            }
            "self" => {
                let mut base = module.clone();
                base.extend(rest.iter().cloned());
                Some(base)
            }
            _ if self.directories.contains(module) => {
                let mut child = module.clone();
                child.push(head.clone());
                self.sources.contains_key(&child).then(|| {
                    child.extend(rest.iter().cloned());
                    child
                })
            }
            _ => None,
        }
    }

    /// The module file that defines what `path` names, following re-exports.
    fn resolve(&self, path: &[String], depth: usize) -> Option<Module> {
        for length in (0..=path.len()).rev() {
            let module = path[..length].to_vec();
            if !self.sources.contains_key(&module) {
                continue;
            }
            if let Some(item) = path.get(length)
                && depth < 16
                && let Some(target) = self.reexports.get(&(module.clone(), item.clone()))
            {
                let mut followed = target.clone();
                followed.extend(path[length + 1..].iter().cloned());
                return self.resolve(&followed, depth + 1);
            }
            return Some(module);
        }
        None
    }

    /// Which modules each module imports.
    fn graph(&self) -> BTreeMap<Module, BTreeSet<Module>> {
        let mut graph: BTreeMap<Module, BTreeSet<Module>> = BTreeMap::new();
        for (module, source) in &self.sources {
            let edges = graph.entry(module.clone()).or_default();
            for path in paths(source) {
                if let Some(target) = self
                    .absolute(module, &path)
                    .and_then(|absolute| self.resolve(&absolute, 0))
                    && target != *module
                {
                    edges.insert(target);
                }
            }
        }
        graph
    }
}

/// Files ending in `.rs` below `root`.
fn rust_files(root: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).expect("read a source directory") {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                files.push(path);
            }
        }
    }
    files
}

/// `text` without line comments, doc comments and the unit-test module.
fn strip(text: &str) -> String {
    let code = match text.find("#[cfg(test)]\nmod tests") {
        Some(tests) => &text[..tests],
        None => text,
    };
    code.lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The statements of `source` that start with `keyword` (at the start of a line, after
/// indentation), up to their `;`.
fn statements(source: &str, keyword: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut offset = 0;
    for line in source.split_inclusive('\n') {
        let trimmed = line.trim_start();
        if trimmed.starts_with(keyword) {
            let start = offset + (line.len() - trimmed.len()) + keyword.len();
            let after = &source[start..];
            let end = after.find(';').unwrap_or(after.len());
            found.push(
                after[..end]
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
                    .replace(":: ", "::")
                    .replace(" ::", "::"),
            );
        }
        offset += line.len();
    }
    found
}

/// A `use` tree (`a::b::{C, d::E as F}`) as (path of the item, the name it is known by).
fn expand(tree: &str) -> Vec<(Vec<String>, String)> {
    if let Some(open) = tree.find('{') {
        let prefix: Vec<String> = split_path(tree[..open].trim_end_matches("::"));
        let close = tree
            .rfind('}')
            .filter(|close| *close > open)
            .unwrap_or(tree.len());
        let inner = &tree[open + 1..close];
        let mut expanded = Vec::new();
        for part in split_top_level(inner) {
            for (path, name) in expand(&part) {
                let mut full = prefix.clone();
                full.extend(path);
                expanded.push((full, name));
            }
        }
        return expanded;
    }
    let (path, alias) = match tree.split_once(" as ") {
        Some((path, alias)) => (path, Some(alias)),
        None => (tree, None),
    };
    let path = split_path(path.trim());
    let name = alias
        .map(str::to_string)
        .or_else(|| path.last().cloned())
        .unwrap_or_default();
    if name == "self" || name.is_empty() {
        return Vec::new();
    }
    vec![(path, name)]
}

fn split_path(path: &str) -> Vec<String> {
    path.split("::")
        .filter(|part| !part.is_empty())
        .map(str::to_string)
        .collect()
}

/// Splits `a, b::{c, d}, e` at the commas outside braces.
fn split_top_level(text: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let (mut depth, mut current) = (0, String::new());
    for c in text.chars() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(std::mem::take(&mut current).trim().to_string());
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    parts.push(current.trim().to_string());
    parts.into_iter().filter(|part| !part.is_empty()).collect()
}

/// Every module path `source` names: `use` trees, and `crate::`/`super::`/`child::` paths in
/// code.
fn paths(source: &str) -> Vec<Vec<String>> {
    let mut found: Vec<Vec<String>> = statements(source, "use ")
        .iter()
        .flat_map(|tree| expand(tree))
        .map(|(path, _)| path)
        .collect();
    let bytes = source.as_bytes();
    let is_ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut i = 0;
    while i < bytes.len() {
        let starts_word = i == 0 || !(is_ident(bytes[i - 1]) || bytes[i - 1] == b':');
        if starts_word && is_ident(bytes[i]) {
            let start = i;
            while i < bytes.len() && (is_ident(bytes[i]) || bytes[i..].starts_with(b"::")) {
                i += if bytes[i] == b':' { 2 } else { 1 };
            }
            // `super::{a, b}` leaves `super::`: the `use` tree above covers it.
            let word = &source[start..i];
            if word.contains("::") && !word.ends_with("::") {
                found.push(split_path(word));
            }
        } else {
            i += 1;
        }
    }
    found
}

/// The modules that take part in a cycle, one group per cycle (Tarjan's strongly connected
/// components of more than one module).
fn cycles(graph: &BTreeMap<Module, BTreeSet<Module>>) -> Vec<Vec<Module>> {
    struct Search<'g> {
        graph: &'g BTreeMap<Module, BTreeSet<Module>>,
        index: BTreeMap<Module, usize>,
        low: BTreeMap<Module, usize>,
        stack: Vec<Module>,
        found: Vec<Vec<Module>>,
    }
    impl Search<'_> {
        fn visit(&mut self, module: &Module) {
            let next = self.index.len();
            self.index.insert(module.clone(), next);
            self.low.insert(module.clone(), next);
            self.stack.push(module.clone());
            for target in self.graph.get(module).into_iter().flatten() {
                if !self.index.contains_key(target) {
                    self.visit(target);
                    let low = self.low[module].min(self.low[target]);
                    self.low.insert(module.clone(), low);
                } else if self.stack.contains(target) {
                    let low = self.low[module].min(self.index[target]);
                    self.low.insert(module.clone(), low);
                }
            }
            if self.low[module] == self.index[module] {
                let mut component = Vec::new();
                while let Some(member) = self.stack.pop() {
                    let done = member == *module;
                    component.push(member);
                    if done {
                        break;
                    }
                }
                if component.len() > 1 {
                    self.found.push(component);
                }
            }
        }
    }
    let mut search = Search {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        found: Vec::new(),
    };
    for module in graph.keys() {
        if !search.index.contains_key(module) {
            search.visit(module);
        }
    }
    search.found
}

fn name(module: &Module) -> String {
    if module.is_empty() {
        "crate root".to_string()
    } else {
        module.join("::")
    }
}

#[test]
fn no_crate_has_an_import_cycle() {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace root");
    let mut found = Vec::new();
    for krate in ["sdk", "macros", "cli", "tests", "tests/sample-operator"] {
        let graph = Crate::read(&workspace.join(krate).join("src")).graph();
        for cycle in cycles(&graph) {
            let members: Vec<String> = cycle.iter().map(name).collect();
            found.push(format!("{krate}: {}", members.join(" <-> ")));
        }
    }
    assert!(found.is_empty(), "import cycles:\n{}", found.join("\n"));
}

#[test]
fn the_cycle_finder_sees_a_parent_child_cycle_and_follows_reexports() {
    let dir = tempfile::tempdir().expect("temp dir");
    let write = |path: &str, text: &str| {
        let file = dir.path().join(path);
        std::fs::create_dir_all(file.parent().expect("parent")).expect("dirs");
        std::fs::write(file, text).expect("write");
    };
    write("lib.rs", "pub mod cache;\npub use cache::Kind;\n");
    write(
        "cache/mod.rs",
        "mod informer;\npub trait Kind {}\npub use informer::Informer;\n",
    );
    write(
        "cache/informer.rs",
        "use crate::Kind;\n/// docs: crate::Nothing\npub struct Informer<K: Kind>(K);\n",
    );
    let graph = Crate::read(dir.path()).graph();
    let found = cycles(&graph);
    assert_eq!(found.len(), 1, "{graph:?}");
    let mut members: Vec<String> = found[0].iter().map(name).collect();
    members.sort();
    assert_eq!(members, ["cache", "cache::informer"]);

    write("cache/kind.rs", "pub trait Kind {}\n");
    write(
        "cache/mod.rs",
        "mod informer;\nmod kind;\npub use kind::Kind;\npub use informer::Informer;\n",
    );
    assert!(cycles(&Crate::read(dir.path()).graph()).is_empty());
}
