//! A multigroup project whose manager is confined to its namespace: two groups, three Kinds, a
//! validating webhook. It builds without a warning, passes `make lint`, and its own tests
//! pass against envtest.

use kubesmith_e2e::scaffolded::check_success;

use super::{build, golden, kubesmith_binary};

#[test]
fn multigroup_project_builds_lints_and_passes_its_tests() {
    let project = golden("project-multigroup");
    build(&project);
    let role = std::fs::read_to_string(project.file("config/rbac/role.yaml")).expect("role.yaml");
    assert!(
        role.contains("kind: Role\n") && role.contains("namespace: system"),
        "{role}"
    );
    check_success(
        "make lint",
        &project.make(&["lint"], &[]).expect("make lint"),
    )
    .unwrap_or_else(|e| panic!("{e:#}"));
    let test = project
        .make(&["test"], &[("KUBESMITH", kubesmith_binary())])
        .expect("make test");
    check_success("make test", &test).unwrap_or_else(|e| panic!("{e:#}"));
    let stdout = String::from_utf8_lossy(&test.stdout);
    for test in [
        "test captain_is_reconciled_to_ready ... ok",
        "test frigate_is_reconciled_to_ready ... ok",
        "test destroyer_is_reconciled_to_ready ... ok",
        "test the_api_server_calls_the_webhooks ... ok",
    ] {
        assert!(stdout.contains(test), "{test} missing from:\n{stdout}");
    }
}
