//! The book holds together: every page is in `SUMMARY.md` and every `SUMMARY.md` entry is a page;
//! every relative link reaches a page (or file) that exists, and its `#anchor` a heading of that
//! page; every `{{#include}}` reaches a file, and its anchor an `ANCHOR:`/`ANCHOR_END:` pair;
//! every page with Rust blocks is compiled as a doctest (`tests/src/lib.rs`). Offline: external
//! links are not fetched.
//!
//! Heading anchors are computed as mdBook computes them: the heading's text, lower-cased,
//! whitespace turned into `-`, everything but letters, digits, `-` and `_` dropped; a repeated
//! anchor gets `-1`, `-2`, … Fenced code blocks and code spans hold no links.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Path, PathBuf};

/// The book's `src` directory.
fn book_src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../book/src")
}

/// A book as the checker sees it: its pages by path below `src` (`/`-separated), and a way to
/// read any other file by a path relative to `src` (which may leave it with `..`).
struct Book<'a> {
    pages: BTreeMap<String, String>,
    read: &'a dyn Fn(&str) -> Option<String>,
}

/// The markdown files below `dir`, by path relative to `root`.
fn markdown_files(root: &Path, dir: &Path, pages: &mut BTreeMap<String, String>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("read {}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            markdown_files(root, &path, pages);
        } else if path.extension().is_some_and(|ext| ext == "md") {
            let relative = path.strip_prefix(root).expect("below the root");
            let name = relative
                .iter()
                .map(|part| part.to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
            pages.insert(name, text);
        }
    }
}

/// One line of a page, and whether it is inside a fenced code block (fence lines included).
struct Line<'t> {
    number: usize,
    text: &'t str,
    in_code: bool,
    /// On the line that opens a code block: its info string (`rust,no_run`, `sh`, ``).
    opens: Option<&'t str>,
}

/// The page's lines, with fenced code blocks (``` and ~~~, any length, up to 3 spaces of
/// indent) marked.
fn lines(text: &str) -> Vec<Line<'_>> {
    let mut fence: Option<(char, usize)> = None;
    let mut out = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let trimmed = line.trim_start_matches(' ');
        let indent = line.len() - trimmed.len();
        let marker = trimmed.chars().next().filter(|c| *c == '`' || *c == '~');
        let run = marker.map_or(0, |c| trimmed.chars().take_while(|x| *x == c).count());
        let is_fence = indent <= 3 && run >= 3;
        match (fence, marker) {
            (None, Some(c)) if is_fence => {
                fence = Some((c, run));
                out.push(Line {
                    number: index + 1,
                    text: line,
                    in_code: true,
                    opens: Some(trimmed[run..].trim()),
                });
                continue;
            }
            // A closing fence carries nothing after its backticks.
            (Some((c, len)), Some(m))
                if is_fence && m == c && run >= len && trimmed[run..].trim().is_empty() =>
            {
                fence = None;
                out.push(Line {
                    number: index + 1,
                    text: line,
                    in_code: true,
                    opens: None,
                });
                continue;
            }
            _ => {}
        }
        out.push(Line {
            number: index + 1,
            text: line,
            in_code: fence.is_some(),
            opens: None,
        });
    }
    out
}

/// `text` without its code spans (`` `x` ``), each replaced by spaces of the same length.
fn without_code_spans(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('`') {
        out.push_str(&rest[..start]);
        let ticks = rest[start..].chars().take_while(|c| *c == '`').count();
        let after = &rest[start + ticks..];
        let closing = "`".repeat(ticks);
        match after.find(&closing) {
            Some(end) => {
                out.push_str(&" ".repeat(ticks * 2 + end));
                rest = &after[end + ticks..];
            }
            None => {
                out.push_str(&rest[start..start + ticks]);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The anchor mdBook gives a heading's text.
fn anchor_of(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| {
            if c.is_alphanumeric() || c == '_' || c == '-' {
                Some(c)
            } else if c.is_whitespace() {
                Some('-')
            } else {
                None
            }
        })
        .collect()
}

/// A heading's text as rendered: links reduced to their text, code-span backticks dropped.
fn heading_text(raw: &str) -> String {
    let mut text = String::new();
    let mut rest = raw;
    while let Some(open) = rest.find('[') {
        let Some((label, after)) = link_at(&rest[open..]) else {
            text.push_str(&rest[..=open]);
            rest = &rest[open + 1..];
            continue;
        };
        text.push_str(&rest[..open]);
        text.push_str(label);
        rest = after;
    }
    text.push_str(rest);
    text.replace('`', "")
}

/// The anchors of a page's headings (ATX headings outside code blocks), in order, with
/// repeats numbered; `{#id}` after a heading sets its anchor.
fn anchors(text: &str) -> BTreeSet<String> {
    let mut used = HashSet::new();
    let mut out = BTreeSet::new();
    for line in lines(text).into_iter().filter(|line| !line.in_code) {
        let trimmed = line.text.trim_start();
        let level = trimmed.chars().take_while(|c| *c == '#').count();
        if !(1..=6).contains(&level) || line.text.len() - trimmed.len() > 3 {
            continue;
        }
        let body = &trimmed[level..];
        if !(body.is_empty() || body.starts_with([' ', '\t'])) {
            continue;
        }
        let body = body.trim().trim_end_matches('#').trim_end();
        let id = match body.rfind("{#") {
            Some(start) if body.ends_with('}') => body[start + 2..body.len() - 1]
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .to_string(),
            _ => anchor_of(&heading_text(body)),
        };
        let mut unique = id.clone();
        let mut counter = 1;
        while !used.insert(unique.clone()) {
            unique = format!("{id}-{counter}");
            counter += 1;
        }
        out.insert(unique);
    }
    out
}

/// At `[label](destination)` (or `[label][ref]`, `[label]`): the label and the text after it;
/// `None` when no link starts here.
fn link_at(text: &str) -> Option<(&str, &str)> {
    let mut depth = 0usize;
    let mut end = None;
    for (index, c) in text.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => {
                depth -= 1;
                if depth == 0 {
                    end = Some(index);
                    break;
                }
            }
            _ => {}
        }
    }
    let end = end?;
    let label = &text[1..end];
    let after = &text[end + 1..];
    if !after.starts_with('(') {
        return None;
    }
    let close = after.find(')')?;
    Some((label, &after[close + 1..]))
}

/// The destinations of the inline links and images of a line (code spans removed), and of a
/// reference definition (`[x]: destination`).
fn destinations(line: &str) -> Vec<String> {
    let line = without_code_spans(line);
    let mut out = Vec::new();
    let trimmed = line.trim_start();
    if trimmed.starts_with('[')
        && let Some(colon) = trimmed.find("]:")
    {
        if let Some(dest) = trimmed[colon + 2..].split_whitespace().next() {
            out.push(dest.trim_matches(['<', '>']).to_string());
        }
        return out;
    }
    let mut rest = line.as_str();
    while let Some(open) = rest.find("](") {
        let after = &rest[open + 2..];
        // Balanced parentheses inside the destination, as CommonMark allows.
        let mut depth = 1usize;
        let mut close = None;
        for (index, c) in after.char_indices() {
            match c {
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        close = Some(index);
                        break;
                    }
                }
                _ => {}
            }
        }
        let Some(close) = close else { break };
        let inner = after[..close].trim();
        let dest = if let Some(stripped) = inner.strip_prefix('<') {
            stripped.split('>').next().unwrap_or_default()
        } else {
            inner.split_whitespace().next().unwrap_or_default()
        };
        out.push(dest.to_string());
        rest = &after[close + 1..];
    }
    out
}

/// `path` joined to the directory of `page` (both relative to `src`), `.` and `..` resolved;
/// leading `..` are kept.
fn resolve(page: &str, path: &str) -> String {
    let mut parts: Vec<&str> = page.split('/').collect();
    parts.pop();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." if parts.last().is_some_and(|last| *last != "..") => {
                parts.pop();
            }
            _ => parts.push(part),
        }
    }
    parts.join("/")
}

/// `%XX` escapes decoded.
fn percent_decoded(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let hex = bytes
            .get(index + 1..index + 3)
            .and_then(|pair| std::str::from_utf8(pair).ok())
            .and_then(|pair| u8::from_str_radix(pair, 16).ok());
        match (bytes[index], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                index += 3;
            }
            (byte, _) => {
                out.push(byte);
                index += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The `{{#include …}}` (and `{{#rustdoc_include …}}`) directives of a line: (path, argument
/// after the first `:`). An escaped `\{{#include}}` is text.
fn includes(line: &str) -> Vec<(String, Option<String>)> {
    let mut out = Vec::new();
    let mut rest = line;
    while let Some(start) = rest.find("{{#") {
        let escaped = rest[..start].ends_with('\\');
        let after = &rest[start + 3..];
        let Some(end) = after.find("}}") else { break };
        let directive = after[..end].trim();
        rest = &after[end + 2..];
        if escaped {
            continue;
        }
        let Some(argument) = directive
            .strip_prefix("include ")
            .or_else(|| directive.strip_prefix("rustdoc_include "))
        else {
            continue;
        };
        let argument = argument.trim();
        match argument.split_once(':') {
            Some((path, selector)) => out.push((path.to_string(), Some(selector.to_string()))),
            None => out.push((argument.to_string(), None)),
        }
    }
    out
}

/// Whether `text` has an `ANCHOR: name` line and an `ANCHOR_END: name` line.
fn has_anchor_pair(text: &str, name: &str) -> bool {
    let marked = |marker: &str| {
        text.lines().any(|line| {
            line.split(marker).skip(1).any(|after| {
                let word: String = after
                    .trim_start()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '-')
                    .collect();
                word == name
            })
        })
    };
    marked("ANCHOR:") && marked("ANCHOR_END:")
}

/// Every problem of the book, one line each (`page:line: what`).
fn check(book: &Book<'_>) -> Vec<String> {
    let mut problems = Vec::new();
    let anchors_of: BTreeMap<&str, BTreeSet<String>> = book
        .pages
        .iter()
        .map(|(name, text)| (name.as_str(), anchors(text)))
        .collect();

    // SUMMARY.md and the pages.
    match book.pages.get("SUMMARY.md") {
        None => problems.push("SUMMARY.md: missing".to_string()),
        Some(summary) => {
            let mut listed = BTreeSet::new();
            for line in lines(summary).into_iter().filter(|line| !line.in_code) {
                for dest in destinations(line.text) {
                    // `[Draft]()` is a draft chapter: listed, with no page yet.
                    if dest.is_empty() || dest.contains("://") {
                        continue;
                    }
                    let path = resolve(
                        "SUMMARY.md",
                        &percent_decoded(dest.split('#').next().unwrap_or_default()),
                    );
                    if !book.pages.contains_key(&path) {
                        problems.push(format!(
                            "SUMMARY.md:{}: lists {path}, which does not exist",
                            line.number
                        ));
                    }
                    listed.insert(path);
                }
            }
            for page in book.pages.keys() {
                if page != "SUMMARY.md" && !listed.contains(page) {
                    problems.push(format!("{page}: not listed in SUMMARY.md"));
                }
            }
        }
    }

    for (page, text) in &book.pages {
        for line in lines(text) {
            // Includes are expanded inside code blocks too.
            for (path, selector) in includes(line.text) {
                let target = resolve(page, &path);
                let Some(included) = book
                    .pages
                    .get(&target)
                    .cloned()
                    .or_else(|| (book.read)(&target))
                else {
                    problems.push(format!(
                        "{page}:{}: {{{{#include {path}}}}}: {target} does not exist",
                        line.number
                    ));
                    continue;
                };
                let Some(selector) = selector else { continue };
                // Line ranges (`:10`, `:2:10`, `::10`) only need the file.
                if selector.chars().all(|c| c.is_ascii_digit() || c == ':') {
                    continue;
                }
                if !has_anchor_pair(&included, &selector) {
                    problems.push(format!(
                        "{page}:{}: {{{{#include {path}:{selector}}}}}: {target} has no `ANCHOR: {selector}` / `ANCHOR_END: {selector}` pair",
                        line.number
                    ));
                }
            }
            // SUMMARY.md's entries were checked above.
            if line.in_code || page == "SUMMARY.md" {
                continue;
            }
            for dest in destinations(line.text) {
                if dest.contains("://") || dest.starts_with("mailto:") || dest.is_empty() {
                    continue;
                }
                let (path, anchor) = match dest.split_once('#') {
                    Some((path, anchor)) => (path, Some(anchor)),
                    None => (dest.as_str(), None),
                };
                let target = if path.is_empty() {
                    page.clone()
                } else {
                    resolve(page, &percent_decoded(path))
                };
                if target.ends_with(".md") {
                    let Some(known) = anchors_of.get(target.as_str()) else {
                        problems.push(format!(
                            "{page}:{}: link to {dest}: {target} is not a page of the book",
                            line.number
                        ));
                        continue;
                    };
                    if let Some(anchor) = anchor
                        && !known.contains(&percent_decoded(anchor))
                    {
                        problems.push(format!(
                            "{page}:{}: link to {dest}: {target} has no heading with anchor #{anchor}",
                            line.number
                        ));
                    }
                } else if (book.read)(&target).is_none() {
                    problems.push(format!(
                        "{page}:{}: link to {dest}: {target} does not exist",
                        line.number
                    ));
                }
            }
        }
    }
    problems
}

fn disk_book(read: &dyn Fn(&str) -> Option<String>) -> Book<'_> {
    let root = book_src();
    let mut pages = BTreeMap::new();
    markdown_files(&root, &root, &mut pages);
    Book { pages, read }
}

fn read_below_src(path: &str) -> Option<String> {
    let full = book_src().join(path);
    if full.is_dir() {
        return Some(String::new());
    }
    std::fs::read_to_string(full).ok()
}

#[test]
fn every_page_is_listed_and_every_link_and_include_resolves() {
    let book = disk_book(&read_below_src);
    assert!(book.pages.len() > 1, "the book has pages");
    let problems = check(&book);
    assert!(
        problems.is_empty(),
        "the book has problems:\n{}",
        problems.join("\n")
    );
}

/// The Rust blocks of a page: for each, whether it only includes code (every line an
/// `{{#include}}` of a file), and the included paths.
fn rust_blocks(text: &str) -> Vec<(bool, Vec<String>)> {
    let mut blocks: Vec<(bool, Vec<String>)> = Vec::new();
    let mut inside = false;
    for line in lines(text) {
        if let Some(info) = line.opens {
            // rustdoc compiles the blocks marked `rust…` and those without a language.
            inside = info.is_empty() || info.starts_with("rust");
            if inside {
                blocks.push((true, Vec::new()));
            }
            continue;
        }
        if !line.in_code {
            inside = false;
        }
        let Some((only_includes, paths)) = blocks.last_mut().filter(|_| inside && line.in_code)
        else {
            continue;
        };
        let found = includes(line.text);
        let fence =
            line.text.trim_start().starts_with("```") || line.text.trim_start().starts_with("~~~");
        if found.is_empty() && !line.text.trim().is_empty() && !fence {
            *only_includes = false;
        }
        paths.extend(found.into_iter().map(|(path, _)| path));
    }
    blocks
}

/// The project of the tutorial, which CI builds and tests (`tests/tests/scaffold/tutorial.rs`):
/// blocks that only include code must include it from there.
const TUTORIAL_PROJECT: &str = "cronjob/";

#[test]
fn every_rust_block_is_compiled_as_a_doctest_or_included_from_the_tutorial_project() {
    let book = disk_book(&read_below_src);
    let lib = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lib.rs"))
        .expect("read tests/src/lib.rs");
    for (page, text) in &book.pages {
        let blocks = rust_blocks(text);
        let include = format!("include_str!(\"../../book/src/{page}\")");
        let inline = blocks.iter().any(|(only_includes, _)| !only_includes);
        let included = blocks.iter().any(|(only_includes, _)| *only_includes);
        assert!(
            !(inline && included),
            "{page} mixes Rust blocks written in the page with blocks included from files: rustdoc cannot compile the included ones; put them on separate pages"
        );
        if inline {
            assert!(
                lib.contains(&include),
                "{page} has Rust blocks: add `#[doc = {include}] mod …` to the doctest module of tests/src/lib.rs"
            );
        }
        for (_, paths) in blocks.iter().filter(|(only_includes, _)| *only_includes) {
            for path in paths {
                let resolved = book_src()
                    .join(Path::new(page).parent().unwrap_or(Path::new("")))
                    .join(path);
                let project = book_src().join("..").join(TUTORIAL_PROJECT);
                let inside = resolved
                    .canonicalize()
                    .ok()
                    .zip(project.canonicalize().ok())
                    .is_some_and(|(file, project)| file.starts_with(project));
                assert!(
                    inside,
                    "{page}: the Rust block including {path} is compiled nowhere: include code of book/{TUTORIAL_PROJECT} (built in CI) or write the block in the page"
                );
            }
        }
    }
}

/// The checker itself: each kind of breakage is reported, and what is fine is not.
#[test]
fn the_checker_reports_broken_links_anchors_includes_and_summary_entries() {
    let files: BTreeMap<&str, &str> = [
        (
            "../listings/ok.rs",
            "// ANCHOR: main\nfn main() {}\n// ANCHOR_END: main\n",
        ),
        ("../listings/half.rs", "// ANCHOR: main\nfn main() {}\n"),
        ("img/diagram.svg", "<svg/>"),
    ]
    .into();
    let read = |path: &str| files.get(path).map(|text| text.to_string());
    let page = |text: &str| text.to_string();
    let pages: BTreeMap<String, String> = [
        (
            "SUMMARY.md".to_string(),
            page("# Summary\n\n- [A](a.md)\n- [Ghost](ghost.md)\n- [Draft]()\n  - [Nested](part/b.md)\n"),
        ),
        (
            "a.md".to_string(),
            page(concat!(
                "# A page\n\n## Same\n\n## Same\n\n## The `make manifests` target!\n\n",
                "[ok](part/b.md#deep-heading) [ok](#same-1) [ok](#the-make-manifests-target)\n",
                "[ok](https://example.invalid/nowhere.md) ![ok](img/diagram.svg)\n",
                "[broken](missing.md) [broken](part/b.md#nowhere) [broken](#same-2)\n",
                "`[not a link](code-span.md)`\n",
                "```rust\n// [not a link](code-block.md)\n{{#include ../listings/ok.rs:main}}\n```\n",
                "{{#include ../listings/ok.rs}} {{#include ../listings/ok.rs:1:2}}\n",
                "{{#include ../listings/half.rs:main}} {{#include ../listings/gone.rs}}\n",
                "\\{{#include escaped.rs}}\n",
            )),
        ),
        ("part/b.md".to_string(), page("# B\n\n### Deep heading\n\n[up](../a.md#a-page)\n")),
        ("orphan.md".to_string(), page("# Orphan\n")),
    ]
    .into();
    let problems = check(&Book { pages, read: &read });
    let expected = [
        "SUMMARY.md:4: lists ghost.md, which does not exist",
        "orphan.md: not listed in SUMMARY.md",
        "a.md:11: link to missing.md: missing.md is not a page of the book",
        "a.md:11: link to part/b.md#nowhere: part/b.md has no heading with anchor #nowhere",
        "a.md:11: link to #same-2: a.md has no heading with anchor #same-2",
        "a.md:18: {{#include ../listings/half.rs:main}}: ../listings/half.rs has no `ANCHOR: main` / `ANCHOR_END: main` pair",
        "a.md:18: {{#include ../listings/gone.rs}}: ../listings/gone.rs does not exist",
    ];
    let problems: BTreeSet<&str> = problems.iter().map(String::as_str).collect();
    assert_eq!(problems, BTreeSet::from(expected));
}

#[test]
fn anchors_follow_mdbook() {
    let text = "# Hello, World!\n## Hello, World!\n## `CachedApi<K>` and [links](x.md)\n## Über_alles -x-\n## Custom {#mine}\n```\n# not a heading\n```\n";
    let expected = [
        "hello-world",
        "hello-world-1",
        "cachedapik-and-links",
        "über_alles--x-",
        "mine",
    ];
    assert_eq!(
        anchors(text),
        expected.iter().map(|s| s.to_string()).collect()
    );
}

/// The guard's reading of Rust blocks: written code, code only included, and other languages.
#[test]
fn rust_blocks_tell_included_code_from_written_code() {
    let page = concat!(
        "```rust\n{{#include ../cronjob/src/lib.rs:api}}\n\n{{#include ../cronjob/src/main.rs}}\n```\n",
        "```rust,no_run\nfn main() {}\n```\n",
        "```\n{{#include ../cronjob/src/lib.rs}}\nlet x = 1;\n```\n",
        "```yaml\n{{#include ../cronjob/config/rbac/role.yaml}}\n```\n",
    );
    assert_eq!(
        rust_blocks(page),
        [
            (
                true,
                vec![
                    "../cronjob/src/lib.rs".to_string(),
                    "../cronjob/src/main.rs".to_string()
                ]
            ),
            (false, vec![]),
            (false, vec!["../cronjob/src/lib.rs".to_string()]),
        ]
    );
}
