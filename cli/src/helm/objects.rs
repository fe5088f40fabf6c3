//! Which part of a chart each object of the rendered manifests belongs to, and the value that
//! switches that part on or off.

use serde_json::Value;

/// A part of the chart: a folder of `templates/` and, unless it is always installed, the
/// `<key>.enable` value that switches it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Section {
    /// The CustomResourceDefinitions (`crd.enable`; `crd.keep` keeps them on uninstall).
    Crd,
    /// The manager's ServiceAccount, roles and bindings: always.
    Rbac,
    /// The admin, editor and viewer roles of each Kind, for the cluster's users
    /// (`rbacHelpers.enable`).
    RbacHelpers,
    /// The manager's Deployment and anything not claimed by another part: always.
    Manager,
    /// The metrics Service and the roles that guard the metrics endpoint (`metrics.enable`).
    Metrics,
    /// The webhook Service and configurations (`webhook.enable`).
    Webhook,
    /// cert-manager's Issuer and Certificate, and its CA injection (`certManager.enable`).
    CertManager,
    /// The Prometheus ServiceMonitor (`prometheus.enable`).
    Prometheus,
    /// The network policies (`networkPolicy.enable`).
    NetworkPolicy,
}

impl Section {
    /// The folder of `templates/` its objects go to.
    pub fn dir(self) -> &'static str {
        match self {
            Section::Crd => "crd",
            Section::Rbac => "rbac",
            Section::RbacHelpers => "rbac-helpers",
            Section::Manager => "manager",
            Section::Metrics => "metrics",
            Section::Webhook => "webhook",
            Section::CertManager => "certmanager",
            Section::Prometheus => "prometheus",
            Section::NetworkPolicy => "network-policy",
        }
    }

    /// The key of `values.yaml` whose `enable` switches it; `None` for the parts every install
    /// needs.
    pub fn key(self) -> Option<&'static str> {
        match self {
            Section::Crd => Some("crd"),
            Section::Rbac | Section::Manager => None,
            Section::RbacHelpers => Some("rbacHelpers"),
            Section::Metrics => Some("metrics"),
            Section::Webhook => Some("webhook"),
            Section::CertManager => Some("certManager"),
            Section::Prometheus => Some("prometheus"),
            Section::NetworkPolicy => Some("networkPolicy"),
        }
    }
}

/// The part `object` belongs to; `None` for the Namespace, which Helm makes
/// (`helm install --namespace <ns> --create-namespace`) rather than the chart.
pub fn classify(object: &Value) -> Option<Section> {
    let kind = object["kind"].as_str().unwrap_or_default();
    let api_version = object["apiVersion"].as_str().unwrap_or_default();
    let name = object["metadata"]["name"].as_str().unwrap_or_default();
    let section = match kind {
        "Namespace" => return None,
        "CustomResourceDefinition" => Section::Crd,
        "MutatingWebhookConfiguration" | "ValidatingWebhookConfiguration" => Section::Webhook,
        "ServiceMonitor" => Section::Prometheus,
        "NetworkPolicy" => Section::NetworkPolicy,
        _ if api_version.starts_with("cert-manager.io/") => Section::CertManager,
        "Service" if name.ends_with("webhook-service") => Section::Webhook,
        "Service" if name.ends_with("metrics-service") => Section::Metrics,
        "ClusterRole" | "Role" | "ClusterRoleBinding" | "RoleBinding" => {
            if ["-admin-role", "-editor-role", "-viewer-role"]
                .iter()
                .any(|suffix| name.ends_with(suffix))
            {
                Section::RbacHelpers
            } else if name.contains("metrics-auth") || name.ends_with("metrics-reader") {
                Section::Metrics
            } else {
                Section::Rbac
            }
        }
        "ServiceAccount" => Section::Rbac,
        _ => Section::Manager,
    };
    Some(section)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn object(api_version: &str, kind: &str, name: &str) -> Value {
        json!({"apiVersion": api_version, "kind": kind, "metadata": {"name": name}})
    }

    #[test]
    fn each_object_of_a_scaffolded_install_has_its_part() {
        let cases = [
            (object("v1", "Namespace", "p-system"), None),
            (
                object("apiextensions.k8s.io/v1", "CustomResourceDefinition", "a.b"),
                Some(Section::Crd),
            ),
            (
                object(
                    "rbac.authorization.k8s.io/v1",
                    "ClusterRole",
                    "p-captain-viewer-role",
                ),
                Some(Section::RbacHelpers),
            ),
            (
                object(
                    "rbac.authorization.k8s.io/v1",
                    "ClusterRole",
                    "p-metrics-reader",
                ),
                Some(Section::Metrics),
            ),
            (
                object(
                    "rbac.authorization.k8s.io/v1",
                    "ClusterRoleBinding",
                    "p-metrics-auth-rolebinding",
                ),
                Some(Section::Metrics),
            ),
            (
                object(
                    "rbac.authorization.k8s.io/v1",
                    "ClusterRole",
                    "p-manager-role",
                ),
                Some(Section::Rbac),
            ),
            (
                object("v1", "Service", "p-webhook-service"),
                Some(Section::Webhook),
            ),
            (
                object("v1", "Service", "p-controller-manager-metrics-service"),
                Some(Section::Metrics),
            ),
            (
                object("cert-manager.io/v1", "Issuer", "p-issuer"),
                Some(Section::CertManager),
            ),
            (
                object("apps/v1", "Deployment", "p-controller-manager"),
                Some(Section::Manager),
            ),
            (
                object("v1", "ConfigMap", "p-settings"),
                Some(Section::Manager),
            ),
        ];
        for (object, section) in cases {
            assert_eq!(classify(&object), section, "{object}");
        }
    }
}
