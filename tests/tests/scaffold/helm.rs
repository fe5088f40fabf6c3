//! The helm plugin on a scaffolded project: `make build-installer` writes the chart
//! `dist/chart` beside `dist/install.yaml`; `helm lint` passes; `helm template` with the
//! default values gives the install's objects, object for object (but the Namespace, which
//! Helm makes, and the annotation that keeps CRDs on uninstall); an API server accepts them in
//! a dry run; and values switch the optional parts off and set the manager's image and
//! replicas.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use kubesmith_e2e::prerequisite::require_ok;
use kubesmith_e2e::scaffolded::{Scaffold, check_success};
use serde_json::Value;

use super::stand_ins::control_plane;
use super::{kubectl, kubesmith_binary};

/// The image the chart's install is built with.
const IMAGE: &str = "registry.example.com/core:v1";

/// Checks the chart of `project` (a project using the helm plugin, built), named `test` for a
/// missing prerequisite (helm is built from the Go module proxy).
pub fn check_chart(test: &str, project: &Scaffold, namespace: &str) {
    let Some(helm) = require_ok(test, kubesmith_e2e::helm::helm()) else {
        return;
    };
    let build = project
        .make(
            &["build-installer", &format!("IMG={IMAGE}")],
            &[("KUBECTL", &kubectl()), ("KUBESMITH", kubesmith_binary())],
        )
        .expect("make build-installer");
    check_success("make build-installer", &build).unwrap_or_else(|e| panic!("{e:#}"));
    let chart = project.file("dist/chart");
    let lint = Command::new(&helm)
        .arg("lint")
        .arg(&chart)
        .output()
        .expect("helm lint");
    check_success("helm lint dist/chart", &lint).unwrap_or_else(|e| panic!("{e:#}"));

    let install = std::fs::read_to_string(project.file("dist/install.yaml")).expect("install");
    let defaults = template(&helm, &chart, namespace, &[]);
    let mut expected = objects(&install);
    expected.retain(|(kind, _), _| kind != "Namespace");
    let mut rendered = objects(&defaults);
    for object in rendered.values_mut() {
        if object["kind"] == "CustomResourceDefinition" {
            let annotations = object["metadata"]["annotations"]
                .as_object_mut()
                .expect("the CRD's annotations");
            assert_eq!(
                annotations.remove("helm.sh/resource-policy"),
                Some("keep".into())
            );
            if annotations.is_empty() {
                object["metadata"]
                    .as_object_mut()
                    .expect("metadata")
                    .remove("annotations");
            }
        }
    }
    assert_eq!(
        rendered.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>()
    );
    for (key, object) in &expected {
        assert_eq!(&rendered[key], object, "{key:?}");
    }

    // The defaults' objects pass an API server's admission in a dry run.
    let rendered_file = project.file("dist/chart-defaults.yaml");
    std::fs::write(&rendered_file, &defaults).expect("the rendered chart");
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    runtime.block_on(async {
        let env = control_plane().await;
        let mut create = env.kubectl().expect("kubectl");
        create.args(["create", "namespace", namespace]);
        check_success(
            "kubectl create namespace",
            &create.output().expect("kubectl"),
        )
        .unwrap_or_else(|e| panic!("{e:#}"));
        let mut apply = env.kubectl().expect("kubectl");
        apply
            .args(["apply", "--server-side", "--dry-run=server", "-f"])
            .arg(&rendered_file);
        check_success(
            "kubectl apply --dry-run=server of the chart",
            &apply.output().expect("kubectl"),
        )
        .unwrap_or_else(|e| panic!("{e:#}"));
        env.stop().await;
    });

    // Values switch the optional parts off and set the manager.
    let switched = objects(&template(
        &helm,
        &chart,
        namespace,
        &[
            "webhook.enable=false,certManager.enable=false,crd.enable=false,rbacHelpers.enable=false,manager.image.tag=v2,manager.replicas=2",
        ],
    ));
    let kinds: Vec<&str> = switched.keys().map(|(kind, _)| kind.as_str()).collect();
    for gone in [
        "CustomResourceDefinition",
        "MutatingWebhookConfiguration",
        "ValidatingWebhookConfiguration",
        "Certificate",
        "Issuer",
    ] {
        assert!(!kinds.contains(&gone), "{gone} in {kinds:?}");
    }
    assert!(
        !switched
            .keys()
            .any(|(_, name)| name.ends_with("-viewer-role")),
        "{switched:?}"
    );
    let deployment = switched
        .values()
        .find(|object| object["kind"] == "Deployment")
        .expect("the manager's Deployment");
    assert_eq!(deployment["spec"]["replicas"], 2);
    let image = deployment["spec"]["template"]["spec"]["containers"][0]["image"]
        .as_str()
        .expect("an image");
    assert_eq!(image, "registry.example.com/core:v2");
}

/// `helm template` of `chart` into `namespace` with `--set` of each of `values`.
fn template(helm: &Path, chart: &Path, namespace: &str, values: &[&str]) -> String {
    let mut command = Command::new(helm);
    command
        .args(["template", "release"])
        .arg(chart)
        .args(["--namespace", namespace]);
    for value in values {
        command.args(["--set", value]);
    }
    let output = command.output().expect("helm template");
    check_success("helm template", &output).unwrap_or_else(|e| panic!("{e:#}"));
    String::from_utf8(output.stdout).expect("UTF-8")
}

/// The objects of a multi-document YAML stream by kind and name.
fn objects(yaml: &str) -> BTreeMap<(String, String), Value> {
    let documents: Vec<Value> = serde_saphyr::from_multiple(yaml).expect("YAML");
    documents
        .into_iter()
        .filter(Value::is_object)
        .map(|object| {
            let key = (
                object["kind"].as_str().unwrap_or_default().to_string(),
                object["metadata"]["name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            );
            (key, object)
        })
        .collect()
}
