//! The golden scaffolds in `tests/golden/`: three projects rendered by the `kubesmith` binary,
//! compared file by file, so every template change shows up as a diff of generated output.
//!
//! Regenerate them after changing a template, then review the diff:
//!
//! ```sh
//! KUBESMITH_UPDATE_GOLDEN=1 cargo test -p kubesmith-cli --test golden
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// 2026-06-01T00:00:00Z: the year of the license headers.
const SOURCE_DATE_EPOCH: &str = "1780272000";

/// The commands that scaffold the golden project `name`, from `tests/golden/<name>.json`
/// (the scaffold end-to-end tests build and test the same projects).
///
/// - `project`: a single-group project — a namespaced and a cluster-scoped Kind (with its own
///   plural), a second version converted through a webhook, defaulting and validating webhooks;
/// - `project-multigroup`: a multigroup project whose manager is confined to its namespace,
///   without a license header;
/// - `project-self-managed`: webhooks whose certificate the manager issues itself
///   (`--webhook-certs self-managed`), no cert-manager;
/// - `project-core`: a controller and a validating webhook for Kubernetes' `apps/v1
///   Deployment` and a defaulting webhook for `core/v1 Pod`, beside a Kind of its own.
fn commands(name: &str) -> Vec<Vec<String>> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/golden")
        .join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path).expect("the golden project's commands");
    serde_json::from_str(&text).expect("a JSON list of commands")
}

/// Runs `commands` with the `kubesmith` binary in a new directory; returns the files written.
fn scaffold(commands: &[Vec<String>]) -> BTreeMap<PathBuf, String> {
    let dir = tempfile::tempdir().expect("a temporary directory");
    for args in commands {
        let output = Command::new(env!("CARGO_BIN_EXE_kubesmith"))
            .args(args)
            .current_dir(dir.path())
            .env("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH)
            .env_remove("KUBESMITH_PATH")
            .output()
            .expect("kubesmith runs");
        assert!(
            output.status.success(),
            "kubesmith {args:?} failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    read_tree(dir.path())
}

/// Every file under `root`, relative path to contents.
fn read_tree(root: &Path) -> BTreeMap<PathBuf, String> {
    let mut files = BTreeMap::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).expect("a readable directory") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let text = std::fs::read_to_string(&path).expect("a text file");
                files.insert(
                    path.strip_prefix(root).expect("under root").to_path_buf(),
                    text,
                );
            }
        }
    }
    files
}

/// Compares a scaffold with its golden copy, or rewrites the copy under KUBESMITH_UPDATE_GOLDEN.
fn check(name: &str) {
    let golden = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/golden")
        .join(name);
    let commands = commands(name);
    let scaffolded = scaffold(&commands);
    assert_eq!(scaffolded, scaffold(&commands), "{name}: two runs differ");
    if std::env::var_os("KUBESMITH_UPDATE_GOLDEN").is_some() {
        if golden.exists() {
            std::fs::remove_dir_all(&golden).expect("removing the old golden copy");
        }
        for (path, text) in &scaffolded {
            let full = golden.join(path);
            std::fs::create_dir_all(full.parent().expect("a parent")).expect("a directory");
            std::fs::write(full, text).expect("writing a golden file");
        }
        return;
    }
    let expected = read_tree(&golden);
    let mut drift: Vec<String> = Vec::new();
    for path in expected.keys().chain(scaffolded.keys()) {
        if expected.get(path) != scaffolded.get(path)
            && !drift.contains(&path.display().to_string())
        {
            drift.push(path.display().to_string());
        }
    }
    assert!(
        drift.is_empty(),
        "the scaffold differs from tests/golden/{name} in {drift:?}; if the change is intended, run \
         KUBESMITH_UPDATE_GOLDEN=1 cargo test -p kubesmith-cli --test golden and review the diff"
    );
}

#[test]
fn single_group_project() {
    check("project");
}

#[test]
fn multigroup_project() {
    check("project-multigroup");
}

#[test]
fn self_managed_certificates_project() {
    check("project-self-managed");
}

#[test]
fn core_kinds_project() {
    check("project-core");
}

/// The dependency `name` of a `[dependencies]` table: its version and features.
fn dependency(table: &toml::Table, name: &str) -> (String, Vec<String>) {
    let entry = &table[name];
    let version = match entry {
        toml::Value::String(version) => version.clone(),
        _ => entry["version"].as_str().expect("a version").to_string(),
    };
    let features = entry
        .get("features")
        .and_then(toml::Value::as_array)
        .map(|features| {
            features
                .iter()
                .filter_map(|feature| feature.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    (version, features)
}

/// A project's types are the ones kubesmith's functions take only when both use one `kube`,
/// one `k8s-openapi` with one Kubernetes API version, one `schemars`: the scaffold's
/// `Cargo.toml` must name the workspace's versions, and its `ENVTEST_K8S_VERSION` the release
/// of that API version.
#[test]
fn the_scaffold_depends_on_the_versions_kubesmith_is_built_with() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let read = |path: &str| std::fs::read_to_string(root.join(path)).expect(path);
    let workspace: toml::Table = read("Cargo.toml")
        .parse()
        .expect("the workspace Cargo.toml");
    let workspace = workspace["workspace"]["dependencies"]
        .as_table()
        .expect("[workspace.dependencies]");
    let scaffold: toml::Table = read("tests/golden/project/Cargo.toml")
        .parse()
        .expect("the scaffold's Cargo.toml");
    let scaffold = scaffold["dependencies"].as_table().expect("[dependencies]");
    for name in ["kube", "k8s-openapi", "schemars"] {
        let (ours, our_features) = dependency(workspace, name);
        let (theirs, their_features) = dependency(scaffold, name);
        assert_eq!(
            theirs, ours,
            "the scaffold's {name} version differs from the workspace's"
        );
        if name == "k8s-openapi" {
            let api = |features: &[String]| {
                features
                    .iter()
                    .find(|feature| feature.starts_with('v'))
                    .cloned()
            };
            assert_eq!(
                api(&their_features),
                api(&our_features),
                "the scaffold's Kubernetes API version differs from the workspace's"
            );
            let makefile = read("tests/golden/project/Makefile");
            let envtest = makefile
                .lines()
                .find_map(|line| line.strip_prefix("ENVTEST_K8S_VERSION ?= "))
                .expect("ENVTEST_K8S_VERSION in the Makefile");
            let mut release = envtest.split('.');
            let feature = format!(
                "v{}_{}",
                release.next().unwrap_or_default(),
                release.next().unwrap_or_default()
            );
            assert_eq!(
                api(&our_features),
                Some(feature),
                "ENVTEST_K8S_VERSION {envtest} is not the workspace's Kubernetes API version"
            );
        }
    }
}
