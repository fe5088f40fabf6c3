//! The book's hand-written reference pages stay true to the code: `book/src/reference/rbac.md`,
//! `metrics.md`, `webhooks.md` and `envtest.md`. Each page is checked against what the code
//! has (its public functions, fields, constants, environment variables, registered metrics),
//! and the examples on a page are regenerated here — the Rust compiled in this test binary, the
//! YAML and tables beside it rendered from it. A page that drifted fails the test; the
//! generated parts are rewritten with
//!
//! ```sh
//! KUBESMITH_UPDATE_GOLDEN=1 cargo test -p kubesmith-e2e --test reference
//! ```
//!
//! A generated part of a page sits between `<!-- generated: NAME -->` and
//! `<!-- end generated: NAME -->`; the prose around it is the page's own.

mod envtest;
mod metrics;
mod rbac;
mod webhooks;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The kind the examples declare controllers and webhooks for.
mod api {
    use kube::CustomResource;
    use schemars::JsonSchema;
    use serde::{Deserialize, Serialize};

    /// Runs a Job on a schedule.
    #[kubesmith::markers]
    #[derive(CustomResource, Serialize, Deserialize, JsonSchema, Clone, Debug)]
    #[kube(
        group = "batch.example.com",
        version = "v1",
        kind = "CronJob",
        namespaced
    )]
    pub struct CronJobSpec {
        pub schedule: String,
    }
}

/// A duration as the pages write it: `90 days`, `2 min`, `20 s`, `500 ms`.
fn duration(value: Duration) -> String {
    let seconds = value.as_secs();
    match seconds {
        0 => format!("{} ms", value.as_millis()),
        s if s % 86_400 == 0 => format!("{} days", s / 86_400),
        s if s % 60 == 0 && s >= 120 => format!("{} min", s / 60),
        s => format!("{s} s"),
    }
}

/// The workspace root.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The text of `book/src/reference/<name>`.
fn page(name: &str) -> String {
    let path = root().join("book/src/reference").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The text of a source file of the workspace, up to its `#[cfg(test)]` module.
fn source(relative: &str) -> String {
    let path = root().join(relative);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    match text.find("#[cfg(test)]\nmod tests") {
        Some(at) => text[..at].to_string(),
        None => text,
    }
}

/// The identifiers (and `--flags`, `/paths`) written as code on a markdown page: in code spans
/// and fenced blocks. Prose words do not count, so `path` is found only where the page shows
/// it as code.
fn code_words(markdown: &str) -> BTreeSet<String> {
    let mut code = String::new();
    let mut in_block = false;
    // Inside a code span; spans may wrap, but not across a blank line.
    let mut in_span = false;
    for line in markdown.lines() {
        if line.trim_start().starts_with("```") {
            in_block = !in_block;
            continue;
        }
        if in_block {
            code.push_str(line);
            code.push('\n');
            continue;
        }
        in_span &= !line.trim().is_empty();
        for (index, piece) in line.split('`').enumerate() {
            if index > 0 {
                in_span = !in_span;
            }
            if in_span {
                code.push_str(piece);
                code.push('\n');
            }
        }
    }
    code.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|word| !word.is_empty())
        .map(str::to_string)
        .collect()
}

/// Fails unless every name is written as code on the reference page `page_name`.
fn assert_on_page(page_name: &str, what: &str, names: impl IntoIterator<Item = String>) {
    let words = code_words(&page(page_name));
    let mut missing: Vec<String> = names
        .into_iter()
        .filter(|name| {
            !name
                .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .filter(|part| !part.is_empty())
                .all(|part| words.contains(part))
        })
        .collect();
    missing.sort();
    missing.dedup();
    assert!(
        missing.is_empty(),
        "{what} missing from book/src/reference/{page_name} (write each as code): {missing:?}"
    );
}

/// A public function of a source file: its name, and the type of the `impl` block it is in.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct PublicFn {
    owner: Option<String>,
    name: String,
}

impl PublicFn {
    /// `Owner::name`, or the bare name of a free function.
    fn path(&self) -> String {
        match &self.owner {
            Some(owner) => format!("{owner}::{}", self.name),
            None => self.name.clone(),
        }
    }
}

/// The `pub fn`s (also `async` and `const`) of a source file outside its tests; `pub(crate)`
/// ones are not public.
fn public_fns(relative: &str) -> Vec<PublicFn> {
    let mut found = Vec::new();
    let mut owner = None;
    for line in source(relative).lines() {
        if let Some(header) = line.strip_prefix("impl") {
            owner = Some(impl_type(header));
        } else if line.starts_with('}') {
            owner = None;
        }
        let item = line.trim_start();
        let rest = ["pub fn ", "pub async fn ", "pub const fn "]
            .iter()
            .find_map(|prefix| item.strip_prefix(prefix));
        if let Some(rest) = rest {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            found.push(PublicFn {
                owner: owner.clone(),
                name,
            });
        }
    }
    found
}

/// The type an `impl` header is for: `<K: Kind> Webhook<K> {` → `Webhook`,
/// `From<&A> for B {` → `B`.
fn impl_type(header: &str) -> String {
    let mut rest = header.trim_start();
    if rest.starts_with('<') {
        let mut depth = 0;
        let end = rest
            .char_indices()
            .find(|(_, c)| {
                match c {
                    '<' => depth += 1,
                    '>' => depth -= 1,
                    _ => {}
                }
                depth == 0
            })
            .map_or(rest.len(), |(at, _)| at + 1);
        rest = rest[end..].trim_start();
    }
    if let Some((_, target)) = rest.split_once(" for ") {
        rest = target.trim_start();
    }
    rest.chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect()
}

/// The fields of `struct name` in a source file: whether each is `pub`, its name and its type.
fn fields(relative: &str, name: &str) -> Vec<(bool, String, String)> {
    let text = source(relative);
    let start = text
        .find(&format!("struct {name} {{"))
        .unwrap_or_else(|| panic!("no struct {name} in {relative}"));
    text[start..]
        .lines()
        .skip(1)
        .take_while(|line| !line.starts_with('}'))
        .map(str::trim)
        .filter(|line| !line.starts_with("//") && !line.starts_with('#'))
        .filter_map(|line| {
            let public = line.starts_with("pub ");
            let (field, ty) = line.trim_start_matches("pub ").split_once(':')?;
            Some((
                public,
                field.to_string(),
                ty.trim().trim_end_matches(',').to_string(),
            ))
        })
        .collect()
}

/// The names of the `pub` fields of `struct name` in a source file.
fn public_fields(relative: &str, name: &str) -> Vec<String> {
    fields(relative, name)
        .into_iter()
        .filter_map(|(public, field, _)| public.then_some(field))
        .collect()
}

/// The names of the `pub const`s of a source file.
fn public_consts(relative: &str) -> Vec<String> {
    source(relative)
        .lines()
        .filter_map(|line| line.strip_prefix("pub const "))
        .filter_map(|rest| rest.split_once(':').map(|(name, _)| name.to_string()))
        .collect()
}

/// Checks (or, with `KUBESMITH_UPDATE_GOLDEN`, rewrites) the generated parts of a reference
/// page: each `(name, text)` must stand between its markers, and the page may have no others.
fn check_generated(page_name: &str, parts: &[(&str, String)]) {
    let path = root().join("book/src/reference").join(page_name);
    let committed = page(page_name);
    let mut expected = committed.clone();
    let mut problems = Vec::new();
    for (name, text) in parts {
        let open = format!("<!-- generated: {name} -->\n");
        let close = format!("<!-- end generated: {name} -->");
        let span = expected.find(&open).and_then(|start| {
            let from = start + open.len();
            expected[from..].find(&close).map(|end| (from, from + end))
        });
        match span {
            Some((from, to)) => expected.replace_range(from..to, text),
            None => problems.push(format!("no `{open}` … `{close}` on the page")),
        }
    }
    let known: BTreeSet<&str> = parts.iter().map(|(name, _)| *name).collect();
    for marked in committed.split("<!-- generated: ").skip(1) {
        let name = marked.split(" -->").next().unwrap_or_default();
        if !known.contains(name) {
            problems.push(format!("`{name}` is generated by nothing"));
        }
    }
    assert!(problems.is_empty(), "{}: {problems:?}", path.display());
    if std::env::var_os("KUBESMITH_UPDATE_GOLDEN").is_some() {
        // Through a renamed file, so that tests reading the page meanwhile see all of it.
        let temporary = path.with_extension("md.new");
        std::fs::write(&temporary, &expected)
            .and_then(|()| std::fs::rename(&temporary, &path))
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        return;
    }
    assert!(
        committed == expected,
        "the generated parts of {} are out of date; regenerate them with \
         KUBESMITH_UPDATE_GOLDEN=1 cargo test -p kubesmith-e2e --test reference",
        path.display()
    );
}

/// The lines of `source` between `// ANCHOR: name` and `// ANCHOR_END: name`, moved left by
/// the indentation of the first (an example starts with an item at its outer level).
fn excerpt(source: &str, name: &str) -> String {
    let begin = format!("// ANCHOR: {name}");
    let end = format!("// ANCHOR_END: {name}");
    let mut lines = source
        .lines()
        .skip_while(|line| line.trim() != begin)
        .skip(1)
        .take_while(|line| line.trim() != end)
        .peekable();
    let first = lines
        .peek()
        .unwrap_or_else(|| panic!("no example `{name}`"));
    let margin = &first[..first.len() - first.trim_start().len()];
    lines
        .map(|line| format!("{}\n", line.strip_prefix(margin).unwrap_or(line)))
        .collect()
}

/// A fenced block.
fn fenced(language: &str, text: &str) -> String {
    format!("```{language}\n{}\n```\n", text.trim_end())
}

#[test]
fn the_checks_find_what_they_look_for() {
    assert_eq!(impl_type("<K: Kind + Serialize> Webhook<K> {"), "Webhook");
    assert_eq!(
        impl_type("<K: Kind + Serialize> From<&Webhook<K>> for AdmissionWebhooks {"),
        "AdmissionWebhooks"
    );
    assert_eq!(impl_type(" Rule {"), "Rule");
    let words = code_words("a `b::c` d `i\nj` k\n```rust\nlet e = f();\n```\ng h\n");
    assert_eq!(
        words.into_iter().collect::<Vec<_>>(),
        ["b", "c", "e", "f", "i", "j", "let"]
    );
    let fns = public_fns("sdk/src/rbac.rs");
    assert!(fns.contains(&PublicFn {
        owner: Some("Rule".into()),
        name: "for_kind".into()
    }));
    assert!(fns.contains(&PublicFn {
        owner: None,
        name: "roles".into()
    }));
}
