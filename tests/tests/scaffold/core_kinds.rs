//! A project with a controller and webhooks for Kinds of Kubernetes itself (`create api
//! --resource=false` for `apps/v1 Deployment`, `create webhook` for `apps/v1 Deployment` and
//! `core/v1 Pod`) beside a Kind of its own: it builds without a warning, passes `make lint`, and
//! its own tests pass against envtest — the Deployment controller reconciles a Deployment, the
//! API server calls the Pod defaulting webhook on a Pod create and the Deployment validating
//! webhook on a Deployment create. `alpha generate` reproduces it from PROJECT.

use super::{build, golden, lint_and_test, tree};

#[test]
fn a_project_for_core_kinds_builds_lints_and_passes_its_tests() {
    let project = golden("project-core");
    build(&project);
    let role = std::fs::read_to_string(project.file("config/rbac/role.yaml")).expect("role.yaml");
    assert!(role.contains("  - deployments\n"), "{role}");
    let webhooks = std::fs::read_to_string(project.file("config/webhook/manifests.yaml"))
        .expect("the webhook configurations");
    assert!(webhooks.contains("path: /mutate--v1-pod"), "{webhooks}");
    assert!(
        webhooks.contains("path: /validate-apps-v1-deployment"),
        "{webhooks}"
    );
    // No CRD and no user roles for Kinds the project does not own.
    assert!(
        !project
            .file("config/rbac/deployment_editor_role.yaml")
            .exists()
    );
    let stdout = lint_and_test(&project);
    for test in [
        "test captain_is_reconciled_to_ready ... ok",
        "test deployment_is_reconciled ... ok",
        // One in each webhook test binary: Deployment's and Pod's.
        "test the_api_server_calls_the_webhooks ... ok",
    ] {
        assert!(stdout.contains(test), "{test} missing from:\n{stdout}");
    }
    assert_eq!(
        stdout
            .matches("test the_api_server_calls_the_webhooks ... ok")
            .count(),
        2,
        "{stdout}"
    );

    project
        .kubesmith(&["alpha", "generate", "--output", "target/regenerated"])
        .expect("alpha generate");
    let regenerated = tree(&project.file("target/regenerated/src"));
    assert_eq!(regenerated, tree(&project.file("src")));
}
