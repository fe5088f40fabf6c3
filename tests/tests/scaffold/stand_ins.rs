//! What envtest lacks for a deployed project, stood in for by the tests: cert-manager's CRDs
//! (schemaless, so that `make deploy` can create a `Certificate` and an `Issuer`), and the
//! namespace controller's last step (clearing a terminating namespace's finalizer).

use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, PostParams};
use kubesmith::envtest::Environment;

/// Schemaless stand-ins for cert-manager's `Certificate` and `Issuer` CRDs.
fn cert_manager_crds() -> Vec<CustomResourceDefinition> {
    [("Certificate", "certificates"), ("Issuer", "issuers")]
        .into_iter()
        .map(|(kind, plural)| {
            serde_json::from_value(serde_json::json!({
                "apiVersion": "apiextensions.k8s.io/v1",
                "kind": "CustomResourceDefinition",
                "metadata": {"name": format!("{plural}.cert-manager.io")},
                "spec": {
                    "group": "cert-manager.io",
                    "scope": "Namespaced",
                    "names": {"kind": kind, "plural": plural, "listKind": format!("{kind}List"), "singular": kind.to_lowercase()},
                    "versions": [{
                        "name": "v1", "served": true, "storage": true,
                        "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}},
                    }],
                },
            }))
            .expect("a CRD")
        })
        .collect()
}

/// An envtest control plane with the stand-ins of cert-manager's CRDs installed.
pub async fn control_plane() -> Environment {
    let mut builder = Environment::builder();
    for crd in cert_manager_crds() {
        builder = builder.crd(crd);
    }
    builder.start().await.expect("no test control plane")
}

/// Does what the namespace controller does last: clears the `kubernetes` finalizer of
/// `namespace` (failures are left to the caller's next round).
pub async fn finalize(namespaces: &Api<Namespace>, mut namespace: Namespace) {
    let name = namespace.metadata.name.clone().unwrap_or_default();
    if let Some(spec) = namespace.spec.as_mut() {
        spec.finalizers = Some(Vec::new());
    }
    if let Err(error) = namespaces
        .replace_subresource("finalize", &name, &PostParams::default(), &namespace)
        .await
    {
        tracing::debug!(%error, "finalizing the namespace (retried)");
    }
}
