//! `make manifests` needs no cluster: the manifests binary collects the controller's RBAC from
//! its declaration and writes the CRD in a process with no kubeconfig, no `HOME` and — where
//! the kernel lets us make a network namespace — no network at all.

use std::path::Path;
use std::process::Command;

use k8s_openapi::api::rbac::v1::ClusterRole;
use kubesmith::controller::{rules_for, rules_owns};
use kubesmith::rbac::{MANAGER_ROLE, roles};

/// The manifests binary run in `dir` with an empty environment, inside a new user and network
/// namespace when `unshare` can make one; returns whether the network was cut.
fn run_offline(dir: &Path) -> bool {
    let binary = env!("CARGO_BIN_EXE_manifests");
    let isolated = Command::new("unshare")
        .args(["--user", "--map-root-user", "--net", "true"])
        .status()
        .is_ok_and(|status| status.success());
    let mut command = if isolated {
        let mut command = Command::new("unshare");
        command.args(["--user", "--map-root-user", "--net", binary]);
        command
    } else {
        Command::new(binary)
    };
    let output = command
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .output()
        .expect("run the manifests binary");
    assert!(
        output.status.success(),
        "manifests failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    isolated
}

#[test]
fn the_manifests_binary_writes_rbac_from_the_declaration_without_a_cluster() {
    let dir = tempfile::tempdir().expect("temp dir");
    let isolated = run_offline(dir.path());
    if !isolated {
        eprintln!("note: no network namespace here; ran without KUBECONFIG and HOME only");
    }
    let role_yaml =
        std::fs::read_to_string(dir.path().join("config/rbac/role.yaml")).expect("role.yaml");
    let written: ClusterRole = serde_saphyr::from_str(&role_yaml).expect("one ClusterRole");
    let mut declared = rules_for::<greeting_operator::api::Greeting>();
    declared.extend(rules_owns::<k8s_openapi::api::core::v1::ConfigMap>());
    let expected = roles(declared, MANAGER_ROLE)
        .cluster_role
        .expect("a cluster role");
    assert_eq!(written.rules, expected.rules);
    assert!(
        dir.path()
            .join("config/crd/bases/demo.kubesmith.dev_greetings.yaml")
            .exists()
    );
}
