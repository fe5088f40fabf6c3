//! `book/src/reference/envtest.md`: every environment variable envtest reads, every builder
//! option and method, the defaults (generated here from the constants), and the
//! `kubesmith envtest` commands that provide the binaries.

use std::fmt::Write as _;

use clap::CommandFactory;
use kubesmith::envtest::{
    ADMIN_GROUP, ADMIN_USER, ASSETS_DIR_VAR, Binary, CLUSTER_NAME, DEFAULT_ASSETS_DIR,
    DEFAULT_CRD_INSTALL_TIMEOUT, DEFAULT_START_TIMEOUT, DEFAULT_STOP_TIMEOUT,
    DEFAULT_WEBHOOK_REACHABLE_TIMEOUT, SERVICE_CLUSTER_IP_RANGE,
};

use super::{assert_on_page, check_generated, duration, page, public_consts, public_fns, root};

const PAGE: &str = "envtest.md";

/// The source files of `kubesmith::envtest`.
fn envtest_sources() -> Vec<String> {
    let dir = root().join("sdk/src/envtest");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .expect("sdk/src/envtest")
        .map(|entry| {
            entry
                .expect("an entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|name| name.ends_with(".rs"))
        .map(|name| format!("sdk/src/envtest/{name}"))
        .collect();
    files.sort();
    files
}

/// The string literals that look like environment variable names (`UPPER_CASE`) in the code
/// (not the comments) of `kubesmith::envtest`.
fn variables_read() -> Vec<String> {
    let mut names = Vec::new();
    for file in envtest_sources() {
        for line in super::source(&file).lines() {
            if line.trim_start().starts_with("//") {
                continue;
            }
            for literal in line.split('"').skip(1).step_by(2) {
                let upper = literal
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
                if literal.len() > 3 && upper && literal.contains('_') {
                    names.push(literal.to_string());
                }
            }
        }
    }
    names.sort();
    names.dedup();
    names
}

#[test]
fn every_environment_variable_envtest_reads_is_on_the_page_and_no_other() {
    let read = variables_read();
    for expected in [
        ASSETS_DIR_VAR,
        Binary::Etcd.env_var(),
        "USE_EXISTING_CLUSTER",
    ] {
        assert!(
            read.iter().any(|name| name == expected),
            "{expected} was not found in the code"
        );
    }
    assert_on_page(PAGE, "environment variables", read.clone());
    // The page names no envtest variable the code does not read.
    let page = page(PAGE);
    let stale: Vec<&str> = page
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|word| {
            ["KUBEBUILDER_", "TEST_ASSET_", "USE_EXISTING"]
                .iter()
                .any(|prefix| word.starts_with(prefix))
        })
        // `TEST_ASSET_*` is a family, not a name; `USE_EXISTING_CLUSTER_VAR` a constant.
        .filter(|word| !word.ends_with('_') && !word.ends_with("_VAR"))
        .filter(|word| !read.iter().any(|name| name == word))
        .collect();
    assert!(
        stale.is_empty(),
        "book/src/reference/{PAGE} names variables envtest does not read: {stale:?}"
    );
}

#[test]
fn every_envtest_option_and_method_is_on_the_page() {
    let mut names = Vec::new();
    for file in envtest_sources() {
        names.extend(
            public_fns(&file)
                .iter()
                .map(|f| f.path())
                .collect::<Vec<_>>(),
        );
        names.extend(public_consts(&file));
    }
    // The commands that provide the binaries.
    let cli = kubesmith_cli::command::Cli::command();
    let envtest = cli
        .get_subcommands()
        .find(|command| command.get_name() == "envtest")
        .expect("kubesmith envtest");
    names.extend(
        envtest
            .get_subcommands()
            .filter(|command| command.get_name() != "help")
            .map(|command| format!("kubesmith envtest {}", command.get_name())),
    );
    assert_on_page(PAGE, "envtest options", names);
}

#[test]
fn the_defaults_on_the_page_are_the_code_s() {
    let mut table = String::from("| setting | default |\n|---|---|\n");
    let rows = [
        (
            "`DEFAULT_START_TIMEOUT` (`start_timeout`)",
            duration(DEFAULT_START_TIMEOUT),
        ),
        (
            "`DEFAULT_STOP_TIMEOUT` (`stop_timeout`)",
            duration(DEFAULT_STOP_TIMEOUT),
        ),
        (
            "`DEFAULT_CRD_INSTALL_TIMEOUT` (`crd_install_timeout`)",
            duration(DEFAULT_CRD_INSTALL_TIMEOUT),
        ),
        (
            "`DEFAULT_WEBHOOK_REACHABLE_TIMEOUT` (`wait_until_reachable`)",
            duration(DEFAULT_WEBHOOK_REACHABLE_TIMEOUT),
        ),
        ("`DEFAULT_ASSETS_DIR`", format!("`{DEFAULT_ASSETS_DIR}`")),
        (
            "`ADMIN_USER` in `ADMIN_GROUP`",
            format!("`{ADMIN_USER}` in `{ADMIN_GROUP}`"),
        ),
        (
            "`CLUSTER_NAME` (kubeconfig cluster, user context)",
            format!("`{CLUSTER_NAME}`"),
        ),
        (
            "`SERVICE_CLUSTER_IP_RANGE`",
            format!("`{SERVICE_CLUSTER_IP_RANGE}`"),
        ),
    ];
    for (setting, value) in rows {
        let _ = writeln!(table, "| {setting} | {value} |");
    }
    let mut binaries = String::from("| binary | variable | then |\n|---|---|---|\n");
    for binary in [Binary::KubeApiServer, Binary::Etcd, Binary::Kubectl] {
        let name = binary.file_name();
        let _ = writeln!(
            binaries,
            "| `{name}` | `{}` | `${ASSETS_DIR_VAR}/{name}`, `<binary_assets_directory>/{name}`, `{DEFAULT_ASSETS_DIR}/{name}` |",
            binary.env_var()
        );
    }
    check_generated(PAGE, &[("defaults", table), ("binaries", binaries)]);
}
