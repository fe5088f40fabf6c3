//! What an operator links: kubesmith without its `manifests` feature brings no CEL parser,
//! regex engine or YAML writer of its own, so the sample operator — a minimal operator on
//! default features — has none that come from kubesmith.

use std::process::Command;

/// The packages that depend directly on `package` in the normal dependency tree of `root`
/// built with `features` (empty: `package` is not in that tree at all).
fn direct_dependents(root: &str, package: &str, features: &[&str]) -> Vec<String> {
    let manifest = concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml");
    let mut command = Command::new(env!("CARGO"));
    command.args([
        "tree",
        "--offline",
        "--manifest-path",
        manifest,
        "-p",
        root,
        "-e",
        "normal",
        "--invert",
        package,
        "--depth",
        "1",
        "--prefix",
        "none",
    ]);
    if !features.is_empty() {
        command.args(["--features", &features.join(",")]);
    }
    let output = command.output().expect("run cargo tree");
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        assert!(
            stderr.contains("did not match any packages"),
            "cargo tree failed: {stderr}"
        );
        return Vec::new();
    }
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .skip(1)
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_string)
        .collect()
}

const GENERATOR_CRATES: [&str; 3] = ["cel", "regex", "serde-saphyr"];

#[test]
fn a_minimal_operator_gets_no_generator_dependency_from_kubesmith() {
    for package in GENERATOR_CRATES {
        let dependents = direct_dependents("kubesmith-sample-operator", package, &[]);
        assert!(
            !dependents.iter().any(|d| d == "kubesmith"),
            "kubesmith pulls {package} into a minimal operator: {dependents:?}"
        );
    }
    assert!(
        direct_dependents("kubesmith-sample-operator", "cel", &[]).is_empty(),
        "no CEL parser at all in a minimal operator"
    );
}

#[test]
fn the_manifests_feature_brings_the_generator_dependencies() {
    for package in GENERATOR_CRATES {
        let dependents = direct_dependents("kubesmith-sample-operator", package, &["manifests"]);
        assert!(
            dependents.iter().any(|d| d == "kubesmith"),
            "the manifests feature should bring {package}: {dependents:?}"
        );
    }
}
