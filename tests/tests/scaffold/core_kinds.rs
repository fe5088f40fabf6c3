//! A project with controllers and webhooks for Kinds of Kubernetes itself (`create api
//! --resource=false` for `apps/v1 Deployment`, twice: the second `--controller-name
//! deployment_backup`, `create webhook` for `apps/v1 Deployment` and
//! `core/v1 Pod`) beside a Kind of its own and a Kind of the deploy-image plugin (`Memcached`,
//! with the grafana plugin's dashboards too): it builds without a warning, passes `make lint`,
//! and its own tests pass against envtest — the Deployment controller reconciles a Deployment,
//! the API server calls the Pod defaulting webhook on a Pod create and the Deployment
//! validating webhook on a Deployment create, and the Memcached controller's Deployment is
//! created, scaled and reported in conditions. `alpha generate` reproduces it from PROJECT, and
//! the helm plugin's chart installs what `make build-installer` does (module `helm`). And a
//! controller for another project's Kind (`--external-api-path`), whose types come from a crate
//! the project depends on: its test installs the Kind's CRD from that crate, and it reconciles.

use super::{build, golden, lint_and_test, scaffold, tree};

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
        // A second controller of Deployments, by name.
        "test deployment_backup_is_reconciled ... ok",
        // The deploy-image plugin's Kind: its Deployment, scaled, and its conditions.
        "test memcached_runs_its_image_follows_its_size_and_reports_the_rollout ... ok",
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
    for dir in ["src", "grafana"] {
        let regenerated = tree(&project.file(&format!("target/regenerated/{dir}")));
        assert_eq!(regenerated, tree(&project.file(dir)), "{dir}");
    }

    super::helm::check_chart(
        "a_project_for_core_kinds_builds_lints_and_passes_its_tests",
        &project,
        "project-core-system",
    );
}

/// The crate of another project's Kind: `Widget` in `shop.example.com/v1`, a kube
/// `CustomResource`.
const WIDGETS_LIB: &str = r#"//! Another project's API: `Widget` in `shop.example.com/v1`.
pub mod v1 {
    use kube::CustomResource;
    use schemars::JsonSchema;
    use serde::{Deserialize, Serialize};

    /// What a Widget asks for.
    #[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, JsonSchema)]
    #[kube(group = "shop.example.com", version = "v1", kind = "Widget", namespaced)]
    pub struct WidgetSpec {
        /// How many.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub size: Option<i32>,
    }
}
"#;

#[test]
fn a_controller_for_another_projects_kind_builds_and_reconciles() {
    let project = scaffold("project-external", &["--domain", "testproject.org"], &[]);
    // The other project's crate, a path dependency of this one (as a user adds it), on the
    // same kube, k8s-openapi, schemars and serde as the project.
    let manifest = project.file("Cargo.toml");
    let text = std::fs::read_to_string(&manifest).expect("Cargo.toml");
    let shared: String = text
        .lines()
        .filter(|line| {
            [
                "kube = ",
                "k8s-openapi = ",
                "schemars = ",
                "serde = ",
                "serde_json = ",
            ]
            .iter()
            .any(|dependency| line.starts_with(dependency))
        })
        .map(|line| format!("{line}\n"))
        .collect();
    std::fs::create_dir_all(project.file("widgets/src")).expect("the widgets crate");
    std::fs::write(
        project.file("widgets/Cargo.toml"),
        format!(
            "[package]\nname = \"widgets\"\nversion = \"0.1.0\"\nedition = \"2024\"\npublish = false\n\n[dependencies]\n{shared}"
        ),
    )
    .expect("widgets/Cargo.toml");
    std::fs::write(project.file("widgets/src/lib.rs"), WIDGETS_LIB).expect("widgets/src/lib.rs");
    std::fs::write(
        &manifest,
        text.replacen(
            "[dependencies]\n",
            "[dependencies]\nwidgets = { path = \"widgets\" }\n",
            1,
        ),
    )
    .expect("the dependency");

    project
        .kubesmith(&[
            "create",
            "api",
            "--group",
            "shop",
            "--version",
            "v1",
            "--kind",
            "Widget",
            "--resource=false",
            "--external-api-path",
            "widgets::v1",
            "--external-api-domain",
            "example.com",
            "--make=false",
        ])
        .unwrap_or_else(|error| panic!("{error:#}"));
    let role_rules =
        std::fs::read_to_string(project.file("src/controller/widget.rs")).expect("the controller");
    assert!(
        role_rules.contains("use widgets::v1::Widget;"),
        "{role_rules}"
    );

    project
        .kubesmith(&[
            "create",
            "webhook",
            "--group",
            "shop",
            "--version",
            "v1",
            "--kind",
            "Widget",
            "--defaulting",
            "--make=false",
        ])
        .unwrap_or_else(|error| panic!("{error:#}"));

    // The scaffolded test installs the Kind's CRD from its crate and creates a Widget.
    let test = std::fs::read_to_string(project.file("tests/widget_controller.rs"))
        .expect("the controller test");
    assert!(test.contains(".crd(Widget::crd())"), "{test}");
    assert!(!test.contains("#[ignore"), "{test}");

    build(&project);
    let role = std::fs::read_to_string(project.file("config/rbac/role.yaml")).expect("role.yaml");
    assert!(
        role.contains("- shop.example.com\n") && role.contains("- widgets\n"),
        "{role}"
    );
    let stdout = lint_and_test(&project);
    assert!(
        stdout.contains("test widget_is_reconciled ... ok"),
        "the Widget controller test did not pass:\n{stdout}"
    );

    project
        .kubesmith(&["alpha", "generate", "--output", "target/regenerated"])
        .expect("alpha generate");
    assert_eq!(
        tree(&project.file("target/regenerated/src")),
        tree(&project.file("src"))
    );
}
