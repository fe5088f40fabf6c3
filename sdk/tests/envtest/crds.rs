use std::path::Path;

use kube::Api;
use kube::api::{ApiResource, DynamicObject, GroupVersionKind, PostParams};
use kubesmith::envtest::{CrdInstallOptions, Environment, Error};

use crate::shared;

/// A CRD for `widgets.<group>` with two served versions, as a YAML document.
fn widget_crd_yaml(group: &str) -> String {
    format!(
        r#"apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.{group}
spec:
  group: {group}
  scope: Namespaced
  names: {{ kind: Widget, listKind: WidgetList, plural: widgets, singular: widget }}
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              properties:
                size: {{ type: integer, minimum: 1 }}
    - name: v1beta1
      served: true
      storage: false
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              x-kubernetes-preserve-unknown-fields: true
"#
    )
}

fn write(dir: &Path, name: &str, contents: &str) {
    std::fs::write(dir.join(name), contents).expect("write test file");
}

#[tokio::test]
async fn crds_from_a_directory_are_served_and_usable() {
    let env = shared().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let group = "dir.envtest.kubesmith.dev";
    // A multi-document file where the second document is not a CRD, and a file that is ignored.
    let config_map = "---\napiVersion: v1\nkind: ConfigMap\nmetadata: { name: ignored }\n";
    write(
        dir.path(),
        "widgets.yaml",
        &format!("{}{config_map}", widget_crd_yaml(group)),
    );
    write(dir.path(), "README.md", "not a manifest");

    let installed = env
        .install_crds(&CrdInstallOptions::default().path(dir.path()))
        .await
        .expect("install");
    assert_eq!(installed.len(), 1);

    let gvk = GroupVersionKind::gvk(group, "v1", "Widget");
    let resource = ApiResource::from_gvk_with_plural(&gvk, "widgets");
    let namespace = env.create_namespace("crd").await.expect("namespace");
    let widgets: Api<DynamicObject> =
        Api::namespaced_with(env.client().expect("client"), &namespace, &resource);
    let widget: DynamicObject = serde_json::from_value(serde_json::json!({
        "apiVersion": format!("{group}/v1"),
        "kind": "Widget",
        "metadata": { "name": "w" },
        "spec": { "size": 3 },
    }))
    .expect("widget");
    widgets
        .create(&PostParams::default(), &widget)
        .await
        .expect("create widget");

    // The schema is enforced: size must be at least 1.
    let mut invalid = widget.clone();
    invalid.metadata.name = Some("too-small".into());
    invalid.data["spec"]["size"] = serde_json::json!(0);
    let err = widgets
        .create(&PostParams::default(), &invalid)
        .await
        .expect_err("schema rejects size 0");
    assert!(err.to_string().contains("spec.size"), "{err}");

    // The second served version is listed by discovery too.
    let beta = env
        .client()
        .expect("client")
        .list_api_group_resources(&format!("{group}/v1beta1"))
        .await
        .expect("discovery");
    assert!(beta.resources.iter().any(|r| r.name == "widgets"));
}

#[tokio::test]
async fn json_files_and_in_memory_crds_are_installed() {
    let env = shared().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let json_group = "json.envtest.kubesmith.dev";
    let as_json: serde_json::Value =
        serde_saphyr::from_str(&widget_crd_yaml(json_group)).expect("yaml parses");
    write(dir.path(), "widgets.json", &as_json.to_string());
    let memory_group = "memory.envtest.kubesmith.dev";
    let in_memory = serde_saphyr::from_str(&widget_crd_yaml(memory_group)).expect("crd parses");

    let options = CrdInstallOptions::default().path(dir.path()).crd(in_memory);
    env.install_crds(&options).await.expect("install");

    let client = env.client().expect("client");
    for group in [json_group, memory_group] {
        let served = client
            .list_api_group_resources(&format!("{group}/v1"))
            .await
            .expect("discovery");
        assert!(
            served.resources.iter().any(|r| r.name == "widgets"),
            "{group} not served"
        );
    }
}

#[tokio::test]
async fn a_missing_crd_directory_is_skipped_unless_it_must_exist() {
    let env = shared().await;
    let missing = std::env::temp_dir().join("kubesmith-envtest-no-such-crd-dir");

    let lenient = CrdInstallOptions::default().path(&missing);
    let installed = env
        .install_crds(&lenient)
        .await
        .expect("missing path is skipped");
    assert!(installed.is_empty());

    let strict = lenient.error_if_path_missing(true);
    let err = env
        .install_crds(&strict)
        .await
        .expect_err("missing path is an error");
    assert!(
        matches!(&err, Error::CrdPathMissing(path) if *path == missing),
        "{err}"
    );

    // The builder checks paths before starting any process.
    let err = Environment::builder()
        .crd_directory(&missing)
        .error_if_crd_path_missing(true)
        .start()
        .await
        .expect_err("start fails on a missing CRD directory");
    assert!(matches!(err, Error::CrdPathMissing(_)), "{err}");
}
