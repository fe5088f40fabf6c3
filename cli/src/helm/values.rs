//! The chart's own files besides its templates: `values.yaml` with the install's settings as
//! defaults, `Chart.yaml` and `.helmignore`; and the check that a `values.yaml` kept from an
//! earlier run still has every value the templates read.

use std::collections::BTreeSet;

use serde_json::Value;

use super::error::HelmError;
use super::objects::Section;

/// The manager's settings in the install, which become the defaults of `manager` in the
/// values.
#[derive(Debug, Clone, PartialEq)]
pub struct Manager {
    /// The image without tag or digest.
    pub repository: String,
    /// The image's tag (`latest` when it has none).
    pub tag: String,
    /// The image's digest (`sha256:...`), empty when it has none.
    pub digest: String,
    /// The container's `imagePullPolicy`, empty when it has none.
    pub pull_policy: String,
    /// The Deployment's replicas.
    pub replicas: u64,
    /// The container's resources.
    pub resources: Value,
}

impl Manager {
    /// The settings of the manager's Deployment `deployment` (the container named `manager`,
    /// else the first).
    pub fn of(deployment: &Value) -> Manager {
        let containers = deployment["spec"]["template"]["spec"]["containers"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let container = containers
            .iter()
            .find(|container| container["name"] == "manager")
            .or(containers.first())
            .cloned()
            .unwrap_or_default();
        let (repository, tag, digest) = split_image(container["image"].as_str().unwrap_or(""));
        Manager {
            repository,
            tag,
            digest,
            pull_policy: container["imagePullPolicy"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            replicas: deployment["spec"]["replicas"].as_u64().unwrap_or(1),
            resources: match &container["resources"] {
                Value::Null => Value::Object(Default::default()),
                resources => resources.clone(),
            },
        }
    }
}

/// An image reference as repository, tag and digest: `registry:5000/name:tag@sha256:...`.
fn split_image(image: &str) -> (String, String, String) {
    let (name, digest) = image.split_once('@').unwrap_or((image, ""));
    let slash = name.rfind('/').map_or(0, |at| at + 1);
    match name[slash..].rfind(':') {
        Some(colon) => (
            name[..slash + colon].to_string(),
            name[slash + colon + 1..].to_string(),
            digest.to_string(),
        ),
        None if digest.is_empty() => (name.to_string(), "latest".into(), String::new()),
        None => (name.to_string(), String::new(), digest.to_string()),
    }
}

/// `values.yaml` for an install with `sections`, the manager's settings as defaults.
pub fn values_yaml(manager: &Manager, sections: &BTreeSet<Section>) -> Result<String, HelmError> {
    let mut text = String::from(
        "# The chart's settings. Written once from dist/install.yaml by `kubesmith alpha helm-chart`\n\
         # (again only with --force): yours to edit, while the templates are rewritten each run.\n",
    );
    text.push_str(&manager_block(manager)?);
    for section in sections {
        text.push_str(&section_block(*section));
    }
    Ok(text)
}

/// The `manager:` block of the values.
fn manager_block(manager: &Manager) -> Result<String, HelmError> {
    let resources =
        serde_saphyr::to_string(&manager.resources).map_err(|error| HelmError::Yaml {
            what: "the manager's resources".into(),
            message: error.to_string(),
        })?;
    let resources: String = if manager
        .resources
        .as_object()
        .is_some_and(|map| map.is_empty())
    {
        " {}\n".into()
    } else {
        std::iter::once("\n".to_string())
            .chain(resources.lines().map(|line| format!("    {line}\n")))
            .collect()
    };
    Ok(format!(
        "\n# The manager's Deployment.\nmanager:\n  image:\n    # The image is <repository>:<tag>, or <repository>@<digest> when digest is set.\n    repository: {repository}\n    tag: {tag}\n    digest: {digest}\n    # Empty: the kubelet's default (Always for the tag latest, else IfNotPresent).\n    pullPolicy: {pull_policy}\n  replicas: {replicas}\n  resources:{resources}",
        repository = quoted(&manager.repository),
        tag = quoted(&manager.tag),
        digest = quoted(&manager.digest),
        pull_policy = quoted(&manager.pull_policy),
        replicas = manager.replicas,
    ))
}

/// A string as a YAML double-quoted scalar.
fn quoted(text: &str) -> String {
    serde_json::Value::String(text.to_string()).to_string()
}

/// The block of values of a part that can be switched off.
fn section_block(section: Section) -> String {
    let Some(key) = section.key() else {
        return String::new();
    };
    let about = match section {
        Section::Crd => {
            "The CRDs. keep: Helm leaves them (and every object of them) when the release is\n# uninstalled."
        }
        Section::RbacHelpers => {
            "The admin, editor and viewer ClusterRoles of each Kind, for the cluster's users."
        }
        Section::Metrics => {
            "The metrics Service and the roles that let a token with metrics-reader scrape it."
        }
        Section::Webhook => "The webhook Service and configurations.",
        Section::CertManager => {
            "cert-manager's Issuer and Certificate for the webhooks, and its CA injection; off:\n# provide the Secret webhook-server-cert and the CA bundles yourself."
        }
        Section::Prometheus => "The Prometheus Operator's ServiceMonitor of the metrics.",
        Section::NetworkPolicy => "The network policies of the metrics and webhook ports.",
        Section::Rbac | Section::Manager => "",
    };
    let keep = if section == Section::Crd {
        "  keep: true\n"
    } else {
        ""
    };
    format!("\n# {about}\n{key}:\n  enable: true\n{keep}")
}

/// The values `templates` read (`.Values.<path>`), as dotted paths, in order.
pub fn references<'t>(templates: impl IntoIterator<Item = &'t String>) -> BTreeSet<String> {
    let mut paths = BTreeSet::new();
    for text in templates {
        for (at, _) in text.match_indices(".Values.") {
            let path: String = text[at + ".Values.".len()..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '.' || *c == '_')
                .collect();
            paths.insert(path.trim_end_matches('.').to_string());
        }
    }
    paths
}

/// The paths of `wanted` that `values` (a kept `values.yaml`) lacks.
pub fn missing(values: &Value, wanted: &BTreeSet<String>) -> Vec<String> {
    wanted
        .iter()
        .filter(|path| {
            path.split('.')
                .try_fold(values, |value, key| value.get(key))
                .is_none()
        })
        .cloned()
        .collect()
}

/// `Chart.yaml` of the chart `name`, its appVersion the manager's image tag.
pub fn chart_yaml(name: &str, manager: &Manager) -> String {
    let app_version = if manager.tag.is_empty() {
        &manager.digest
    } else {
        &manager.tag
    };
    format!(
        "apiVersion: v2\nname: {name}\ndescription: The {name} operator, as a Helm chart made by kubesmith from dist/install.yaml.\ntype: application\n# The chart's version: raise it with every release of the chart.\nversion: 0.1.0\n# The version of the operator it installs.\nappVersion: {app_version}\n",
        app_version = quoted(app_version),
    )
}

/// `.helmignore`: what `helm package` leaves out.
pub const HELMIGNORE: &str = "# What `helm package` leaves out of the chart.\n.DS_Store\n.git/\n.gitignore\n*.swp\n*.bak\n*.tmp\n*.orig\n*~\n.idea/\n.vscode/\n";

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn images_split_into_repository_tag_and_digest() {
        let split = |image: &str| {
            let (repository, tag, digest) = split_image(image);
            format!("{repository}|{tag}|{digest}")
        };
        assert_eq!(split("controller:dev"), "controller|dev|");
        assert_eq!(
            split("localhost:5000/team/op:1.2"),
            "localhost:5000/team/op|1.2|"
        );
        assert_eq!(split("localhost:5000/op"), "localhost:5000/op|latest|");
        assert_eq!(split("op@sha256:ab"), "op||sha256:ab");
        assert_eq!(split("op:1@sha256:ab"), "op|1|sha256:ab");
    }

    #[test]
    fn kept_values_are_checked_for_what_the_templates_read() {
        let sections: BTreeSet<Section> = [Section::Crd, Section::Webhook].into();
        let manager = Manager::of(&json!({"spec": {"replicas": 2, "template": {"spec": {
            "containers": [{"name": "manager", "image": "op:1"}]}}}}));
        assert_eq!(manager.replicas, 2);
        let text = values_yaml(&manager, &sections).expect("values");
        let values: Value = serde_saphyr::from_str(&text).expect("YAML");
        let templates = [
            "{{- if .Values.webhook.enable }}\n{{ .Values.manager.replicas }}".to_string(),
            "{{- if .Values.crd.keep }}".to_string(),
        ];
        let wanted = references(&templates);
        assert_eq!(
            wanted.iter().collect::<Vec<_>>(),
            ["crd.keep", "manager.replicas", "webhook.enable"]
        );
        assert_eq!(missing(&values, &wanted), Vec::<String>::new(), "{text}");
        assert_eq!(values["manager"]["image"]["tag"], "1");
        assert_eq!(values["manager"]["resources"], json!({}));

        let older: Value =
            serde_saphyr::from_str(&text.replace("webhook:", "hooks:")).expect("YAML");
        assert_eq!(missing(&older, &wanted), ["webhook.enable"]);
    }
}
