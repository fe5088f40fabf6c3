//! The book's CLI reference (`book/src/reference/cli.md`) and manager flag reference
//! (`book/src/reference/manager.md`) are generated from the command definitions, so every
//! command and flag the code has is in them, with its help text and default. A test fails
//! when a page drifts; regenerate them with
//!
//! ```sh
//! KUBESMITH_UPDATE_GOLDEN=1 cargo test -p kubesmith-cli --test book_reference
//! ```

use std::fmt::Write as _;
use std::path::Path;

use clap::{ArgAction, CommandFactory};
use kubesmith_cli::command::Cli;

#[test]
fn the_cli_reference_is_generated_from_the_commands() {
    check_page("cli.md", &reference());
}

#[test]
fn the_manager_flag_reference_is_generated_from_manager_flags() {
    let command = <kubesmith::manager::ManagerFlags as clap::Args>::augment_args(
        clap::Command::new("manager"),
    );
    let mut page = String::from(
        "# Manager flags\n\n<!-- Generated from `kubesmith::manager::ManagerFlags` by cli/tests/book_reference.rs; do not edit. -->\n\nThe flags every manager built with `ManagerFlags` takes (the scaffolded `src/main.rs` does), with controller-runtime's names and defaults.\n",
    );
    sections(&mut page, &command, "manager");
    check_page("manager.md", &page);
}

#[test]
fn every_file_and_project_field_of_the_golden_project_is_in_the_layout_reference() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let page = std::fs::read_to_string(root.join("book/src/reference/project.md"))
        .expect("the layout reference");
    let golden = root.join("tests/golden/project");
    let mut missing = Vec::new();
    let mut files = Vec::new();
    list_files(&golden, Path::new(""), &mut files);
    for file in files {
        if !page.contains(&format!("`{}`", file.display())) {
            missing.push(file.display().to_string());
        }
    }
    for project in ["project", "project-multigroup", "project-self-managed"] {
        let text = std::fs::read_to_string(root.join("tests/golden").join(project).join("PROJECT"))
            .expect("a golden PROJECT");
        for line in text
            .lines()
            .filter(|line| !line.trim_start().starts_with('#'))
        {
            let key = line
                .trim_start()
                .trim_start_matches("- ")
                .split(':')
                .next()
                .unwrap_or_default();
            if !key.is_empty()
                && !key.contains(' ')
                && line.contains(':')
                && !page.contains(&format!("`{key}`"))
            {
                missing.push(format!("PROJECT field {key}"));
            }
        }
    }
    missing.sort();
    missing.dedup();
    assert!(
        missing.is_empty(),
        "not in book/src/reference/project.md: {missing:?}"
    );
}

/// The files below `dir/relative`, relative to `dir`.
fn list_files(dir: &Path, relative: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir.join(relative)).expect("a directory") {
        let entry = entry.expect("an entry");
        let path = relative.join(entry.file_name());
        if entry.file_type().expect("a file type").is_dir() {
            list_files(dir, &path, out);
        } else {
            out.push(path);
        }
    }
}

/// Compares `page` with `book/src/reference/<name>`, writing it first when asked to.
fn check_page(name: &str, page: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../book/src/reference")
        .join(name);
    if std::env::var_os("KUBESMITH_UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("the directory");
        std::fs::write(&path, page).expect("the page");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == page,
        "{} is out of date; regenerate it with KUBESMITH_UPDATE_GOLDEN=1 cargo test -p kubesmith-cli --test book_reference",
        path.display()
    );
}

#[test]
fn every_flag_of_every_command_is_in_the_reference() {
    let page = reference();
    let mut missing = Vec::new();
    visit(&Cli::command(), "kubesmith", &mut |path, command| {
        if !page.contains(&format!("## `{path}`")) {
            missing.push(path.to_string());
        }
        for arg in command.get_arguments().filter(|arg| !arg.is_hide_set()) {
            if let Some(long) = arg.get_long()
                && !page.contains(&format!("`--{long}"))
            {
                missing.push(format!("{path} --{long}"));
            }
        }
    });
    assert!(missing.is_empty(), "not in the reference: {missing:?}");
}

/// Calls `f` with every command below `command` (itself included) and its full name.
fn visit(command: &clap::Command, path: &str, f: &mut dyn FnMut(&str, &clap::Command)) {
    f(path, command);
    for sub in command.get_subcommands().filter(|sub| !sub.is_hide_set()) {
        if sub.get_name() == "help" {
            continue;
        }
        visit(sub, &format!("{path} {}", sub.get_name()), f);
    }
}

/// The page: one section per command, its usage, arguments and examples.
fn reference() -> String {
    let mut page = String::from(
        "# CLI reference\n\n<!-- Generated from the command definitions by cli/tests/book_reference.rs; do not edit. -->\n\nEvery command of `kubesmith`, with its arguments, defaults and examples, as `--help` prints them.\n",
    );
    sections(&mut page, &Cli::command(), "kubesmith");
    page
}

/// Appends one section per command below `root` (itself included) to `page`.
fn sections(page: &mut String, root: &clap::Command, root_name: &str) {
    let mut root = root.clone();
    root.build();
    visit(&root, root_name, &mut |path, command| {
        let _ = write!(page, "\n## `{path}`\n\n");
        if let Some(about) = command.get_long_about().or(command.get_about()) {
            let _ = writeln!(page, "{about}\n");
        }
        let usage = command.clone().render_usage().to_string();
        let _ = writeln!(
            page,
            "```text\n{}\n```",
            usage.trim_start_matches("Usage: ")
        );
        let args: Vec<&clap::Arg> = command
            .get_arguments()
            .filter(|arg| !arg.is_hide_set())
            .filter(|arg| {
                !matches!(
                    arg.get_action(),
                    ArgAction::Help
                        | ArgAction::HelpShort
                        | ArgAction::HelpLong
                        | ArgAction::Version
                )
            })
            .collect();
        if !args.is_empty() {
            page.push_str("\n| argument | meaning | default |\n|---|---|---|\n");
            for arg in args {
                let _ = writeln!(
                    page,
                    "| {} | {} | {} |",
                    name(arg),
                    arg.get_help()
                        .map(|help| help.to_string().replace('|', "\\|"))
                        .unwrap_or_default(),
                    default(arg)
                );
            }
        }
        if let Some(examples) = command.get_after_help() {
            let _ = write!(page, "\n```text\n{}\n```\n", examples.to_string().trim());
        }
    });
}

/// `--name <VALUE>`, `--flag` or `<VALUE>` for a positional argument.
fn name(arg: &clap::Arg) -> String {
    let value = arg
        .get_value_names()
        .and_then(|names| names.first())
        .map(|name| name.to_string())
        .unwrap_or_else(|| arg.get_id().as_str().to_uppercase());
    let takes_value = arg.get_num_args().is_some_and(|range| range.takes_values());
    match arg.get_long() {
        Some(long) if takes_value => format!("`--{long} <{value}>`"),
        Some(long) => format!("`--{long}`"),
        None => format!("`<{value}>`"),
    }
}

/// The default value(s), or the environment variable read, for the table.
fn default(arg: &clap::Arg) -> String {
    let defaults: Vec<String> = arg
        .get_default_values()
        .iter()
        .map(|value| value.to_string_lossy().into_owned())
        .filter(|value| !value.is_empty())
        .collect();
    let mut text = if defaults.is_empty() {
        String::new()
    } else {
        format!("`{}`", defaults.join(","))
    };
    if let Some(env) = arg.get_env() {
        if !text.is_empty() {
            text.push_str(", ");
        }
        let _ = write!(text, "env `{}`", env.to_string_lossy());
    }
    text
}
