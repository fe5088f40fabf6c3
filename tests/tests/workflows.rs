//! The GitHub workflows `kubesmith init` and the helm plugin write (`.github/workflows/` of the
//! golden projects, which the CLI's golden test keeps equal to what the templates render) pass
//! actionlint, with shellcheck checking their `run:` scripts: any finding fails. actionlint is
//! built from the Go module proxy once per machine; shellcheck is Debian's, installed when
//! missing.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use kubesmith_e2e::go_tool;
use kubesmith_e2e::host_packages::{self, HostFile};
use kubesmith_e2e::prerequisite::{find_program, require};
use kubesmith_e2e::scaffolded::workspace_root;

/// The actionlint command's package and module version.
const ACTIONLINT: (&str, &str) = ("github.com/rhysd/actionlint/cmd/actionlint", "v1.7.12");

/// actionlint and shellcheck, or `None` (after saying what is missing) outside CI.
fn linters(test: &str) -> Option<(PathBuf, PathBuf)> {
    let go = require(test, go_tool::go())?;
    host_packages::require_installed(
        test,
        &[HostFile {
            file: "shellcheck",
            package: "shellcheck",
        }],
    )?;
    let shellcheck = find_program("shellcheck")?;
    let actionlint = go_tool::install(&go, ACTIONLINT.0, ACTIONLINT.1)
        .unwrap_or_else(|error| panic!("installing actionlint: {error:#}"));
    Some((actionlint, shellcheck))
}

/// Runs actionlint on `files` with `shellcheck` checking the scripts.
fn actionlint(actionlint: &Path, shellcheck: &Path, files: &[PathBuf]) -> Output {
    Command::new(actionlint)
        .arg("-no-color")
        .arg("-shellcheck")
        .arg(shellcheck)
        // No Python in the workflows: pyflakes has nothing to check.
        .arg("-pyflakes=")
        .args(files)
        .output()
        .expect("actionlint runs")
}

#[test]
fn the_scaffolded_workflows_pass_actionlint_and_shellcheck() {
    let Some((linter, shellcheck)) =
        linters("the_scaffolded_workflows_pass_actionlint_and_shellcheck")
    else {
        return;
    };
    let mut files = Vec::new();
    for project in ["project", "project-core", "project-multigroup"] {
        let dir = workspace_root()
            .join("tests/golden")
            .join(project)
            .join(".github/workflows");
        for entry in std::fs::read_dir(&dir).expect("the golden workflows") {
            files.push(entry.expect("a directory entry").path());
        }
    }
    files.sort();
    let names: Vec<_> = files
        .iter()
        .filter_map(|file| file.file_name())
        .map(|name| name.to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        [
            "lint.yml",
            "test-e2e.yml",
            "test.yml",
            // project-core has the helm plugin's workflow.
            "lint.yml",
            "test-chart.yml",
            "test-e2e.yml",
            "test.yml",
            "lint.yml",
            "test-e2e.yml",
            "test.yml"
        ],
        "the workflows of the golden projects"
    );
    let output = actionlint(&linter, &shellcheck, &files);
    assert!(
        output.status.success(),
        "actionlint found problems:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn actionlint_reports_what_shellcheck_finds_in_a_run_script() {
    let Some((linter, shellcheck)) =
        linters("actionlint_reports_what_shellcheck_finds_in_a_run_script")
    else {
        return;
    };
    let dir = tempfile::tempdir().expect("a directory");
    let workflow = dir.path().join("unquoted.yml");
    std::fs::write(
        &workflow,
        "on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - run: ls $HOME/*\n",
    )
    .expect("a workflow");
    let output = actionlint(&linter, &shellcheck, &[workflow]);
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(
        !output.status.success() && report.contains("SC2086"),
        "shellcheck's finding (SC2086, an unquoted variable) was not reported:\n{report}{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
