//! A multigroup project whose manager is confined to its namespace: two groups, three Kinds, a
//! validating webhook. It builds without a warning, passes `make lint`, and its own tests
//! pass against envtest.

use super::{build, golden, lint_and_test};

#[test]
fn multigroup_project_builds_lints_and_passes_its_tests() {
    let project = golden("project-multigroup");
    build(&project);
    let role = std::fs::read_to_string(project.file("config/rbac/role.yaml")).expect("role.yaml");
    assert!(
        role.contains("kind: Role\n") && role.contains("namespace: system"),
        "{role}"
    );
    let stdout = lint_and_test(&project);
    for test in [
        "test captain_is_reconciled_to_ready ... ok",
        "test frigate_is_reconciled_to_ready ... ok",
        "test destroyer_is_reconciled_to_ready ... ok",
        "test the_api_server_calls_the_webhooks ... ok",
    ] {
        assert!(stdout.contains(test), "{test} missing from:\n{stdout}");
    }
}
