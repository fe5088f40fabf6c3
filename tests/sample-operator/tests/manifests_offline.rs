//! `make manifests` needs no cluster: the manifests binary collects the controller's RBAC from
//! its declaration and writes the CRD (both versions, converted by the webhook) and the webhook
//! configurations (the paths the server serves) in a process with no kubeconfig, no `HOME` and — where
//! the kernel lets us make a network namespace — no network at all.

use std::path::Path;
use std::process::Command;

use k8s_openapi::api::rbac::v1::ClusterRole;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
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
    declared.extend(rules_owns::<
        greeting_operator::api::Greeting,
        k8s_openapi::api::core::v1::ConfigMap,
    >());
    let expected = roles(declared, MANAGER_ROLE)
        .cluster_role
        .expect("a cluster role");
    assert_eq!(written.rules, expected.rules);
    let crd: CustomResourceDefinition = serde_saphyr::from_str(
        &std::fs::read_to_string(
            dir.path()
                .join("config/crd/bases/demo.kubesmith.dev_greetings.yaml"),
        )
        .expect("the CRD"),
    )
    .expect("one CRD");
    let versions: Vec<(&str, bool)> = crd
        .spec
        .versions
        .iter()
        .map(|v| (v.name.as_str(), v.storage))
        .collect();
    assert_eq!(versions, [("v1", true), ("v2", false)]);
    let conversion = crd.spec.conversion.expect("converted by the webhook");
    assert_eq!(conversion.strategy, "Webhook");
    let service = conversion
        .webhook
        .and_then(|w| w.client_config)
        .and_then(|c| c.service)
        .expect("the webhook service");
    assert_eq!(
        (
            service.name.as_str(),
            service.namespace.as_str(),
            service.path.as_deref()
        ),
        ("webhook-service", "system", Some("/convert"))
    );

    let webhooks = std::fs::read_to_string(dir.path().join("config/webhook/manifests.yaml"))
        .expect("webhook manifests");
    let documents: Vec<serde_json::Value> = serde_saphyr::from_multiple(&webhooks).expect("yaml");
    let path_of = |kind: &str| {
        documents
            .iter()
            .find(|doc| doc["kind"] == kind)
            .map(|doc| doc["webhooks"][0]["clientConfig"]["service"]["path"].clone())
    };
    assert_eq!(
        path_of("MutatingWebhookConfiguration"),
        Some(serde_json::json!("/mutate-demo-kubesmith-dev-v1-greeting")),
        "the path the server serves: {webhooks}"
    );
    assert_eq!(
        path_of("ValidatingWebhookConfiguration"),
        Some(serde_json::json!(
            "/validate-demo-kubesmith-dev-v1-greeting"
        ))
    );
}
