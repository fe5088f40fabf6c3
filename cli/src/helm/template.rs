//! One object of the rendered manifests as a Helm template: the install's namespace becomes
//! the release's, the manager's image, pull policy, replicas and resources come from the
//! values, CRDs may be kept on uninstall, cert-manager's CA injection follows
//! `certManager.enable`, and a part that can be switched off is wrapped in its `enable`.
//!
//! The object is changed in memory with placeholders where a value goes, written as YAML,
//! and each placeholder's line is then replaced by its template lines.

use serde_json::Value;

use super::error::HelmError;
use super::objects::Section;

const NAMESPACE: &str = "__KUBESMITH_RELEASE_NAMESPACE__";
const IMAGE: &str = "__KUBESMITH_MANAGER_IMAGE__";
const PULL_POLICY: &str = "__KUBESMITH_MANAGER_PULL_POLICY__";
const REPLICAS: &str = "__KUBESMITH_MANAGER_REPLICAS__";
const RESOURCES: &str = "__KUBESMITH_MANAGER_RESOURCES__";
const KEEP: &str = "__KUBESMITH_CRD_KEEP__";

/// The annotation by which cert-manager injects its CA into webhook configurations and CRDs.
const INJECT_CA: &str = "cert-manager.io/inject-ca-from:";

/// `object` (of `section`, installed into `namespace`) as a template; `manager` when it is the
/// manager's Deployment, whose values the chart's `manager` settings take over.
pub fn render(
    mut object: Value,
    section: Section,
    namespace: &str,
    manager: bool,
) -> Result<String, HelmError> {
    replace_namespace(&mut object, namespace);
    if manager {
        mark_manager(&mut object);
    }
    if section == Section::Crd {
        object["metadata"]["annotations"]["helm.sh/resource-policy"] = KEEP.into();
    }
    let yaml = serde_saphyr::to_string(&object).map_err(|error| HelmError::Yaml {
        what: "a template".into(),
        message: error.to_string(),
    })?;
    // `{{` in the object's own text (a description, say) is not an action of the template.
    let yaml = yaml.replace("{{", "{{ \"{{\" }}");
    let mut out = Vec::new();
    if let Some(key) = section.key() {
        out.push(format!("{{{{- if .Values.{key}.enable }}}}"));
    }
    for line in yaml.lines() {
        expand(line, section, &mut out)?;
    }
    if section.key().is_some() {
        out.push("{{- end }}".into());
    }
    let text = out
        .join("\n")
        .replace(NAMESPACE, "{{ .Release.Namespace }}");
    Ok(text + "\n")
}

/// Every occurrence of `namespace` as a whole name in the strings of `value` (a namespace
/// field, `<service>.<namespace>.svc`, `<namespace>/<certificate>`) becomes the placeholder
/// of the release's namespace.
fn replace_namespace(value: &mut Value, namespace: &str) {
    match value {
        Value::String(text) => *text = replace_name(text, namespace),
        Value::Array(items) => items
            .iter_mut()
            .for_each(|item| replace_namespace(item, namespace)),
        Value::Object(map) => map
            .values_mut()
            .for_each(|item| replace_namespace(item, namespace)),
        _ => {}
    }
}

/// `text` with each occurrence of `name` not inside a longer name (letters, digits, `-`)
/// replaced by the namespace placeholder.
fn replace_name(text: &str, name: &str) -> String {
    let is_name_char = |c: char| c.is_ascii_alphanumeric() || c == '-';
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(name) {
        let before = rest[..at].chars().last().or_else(|| out.chars().last());
        let after = rest[at + name.len()..].chars().next();
        out.push_str(&rest[..at]);
        if before.is_some_and(is_name_char) || after.is_some_and(is_name_char) {
            out.push_str(name);
        } else {
            out.push_str(NAMESPACE);
        }
        rest = &rest[at + name.len()..];
    }
    out.push_str(rest);
    out
}

/// Placeholders for the manager's replicas and its container's image, pull policy and
/// resources (the container named `manager`, else the first).
fn mark_manager(deployment: &mut Value) {
    deployment["spec"]["replicas"] = REPLICAS.into();
    let Some(containers) = deployment["spec"]["template"]["spec"]["containers"].as_array_mut()
    else {
        return;
    };
    let at = containers
        .iter()
        .position(|container| container["name"] == "manager")
        .unwrap_or(0);
    if let Some(Value::Object(container)) = containers.get_mut(at) {
        container.insert("image".into(), IMAGE.into());
        container.insert("imagePullPolicy".into(), PULL_POLICY.into());
        container.insert("resources".into(), RESOURCES.into());
    }
}

/// Adds `line` to `out`, a placeholder's line replaced by its template lines.
fn expand(line: &str, section: Section, out: &mut Vec<String>) -> Result<(), HelmError> {
    let indent = " ".repeat(line.len() - line.trim_start().len());
    let key_prefix = |placeholder: &str| {
        line.strip_suffix(placeholder)
            .map(|prefix| prefix.to_string())
    };
    let conditional = |condition: &str, body: String| -> Result<Vec<String>, HelmError> {
        if line.trim_start().starts_with('-') {
            return Err(HelmError::Layout(line.to_string()));
        }
        Ok(vec![
            format!("{indent}{{{{- {condition} }}}}"),
            body,
            format!("{indent}{{{{- end }}}}"),
        ])
    };
    if let Some(prefix) = key_prefix(REPLICAS) {
        out.push(format!("{prefix}{{{{ .Values.manager.replicas }}}}"));
    } else if let Some(prefix) = key_prefix(IMAGE) {
        out.push(format!(
            "{prefix}\"{{{{ .Values.manager.image.repository }}}}{{{{ with .Values.manager.image.digest }}}}@{{{{ . }}}}{{{{ else }}}}:{{{{ .Values.manager.image.tag }}}}{{{{ end }}}}\""
        ));
    } else if let Some(prefix) = key_prefix(RESOURCES) {
        let width = indent.len() + 2;
        out.push(prefix.trim_end().to_string());
        out.push(format!(
            "{}{{{{- toYaml .Values.manager.resources | nindent {width} }}}}",
            " ".repeat(width)
        ));
    } else if key_prefix(PULL_POLICY).is_some() {
        out.extend(conditional(
            "with .Values.manager.image.pullPolicy",
            format!("{indent}imagePullPolicy: {{{{ . }}}}"),
        )?);
    } else if key_prefix(KEEP).is_some() {
        out.extend(conditional(
            "if .Values.crd.keep",
            format!("{indent}helm.sh/resource-policy: keep"),
        )?);
    } else if section != Section::CertManager && line.trim_start().starts_with(INJECT_CA) {
        out.extend(conditional(
            "if .Values.certManager.enable",
            line.to_string(),
        )?);
    } else {
        out.push(line.to_string());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_namespace_is_replaced_only_as_a_whole_name() {
        let ns = "p-system";
        assert_eq!(replace_name("p-system", ns), NAMESPACE);
        assert_eq!(
            replace_name("svc.p-system.svc", ns),
            format!("svc.{NAMESPACE}.svc")
        );
        assert_eq!(
            replace_name("p-system/p-serving-cert", ns),
            format!("{NAMESPACE}/p-serving-cert")
        );
        assert_eq!(replace_name("p-system-x", ns), "p-system-x");
        assert_eq!(replace_name("xp-system", ns), "xp-system");
    }

    #[test]
    fn a_crd_is_switched_by_its_values_and_kept_on_uninstall() {
        let crd = json!({
            "apiVersion": "apiextensions.k8s.io/v1",
            "kind": "CustomResourceDefinition",
            "metadata": {
                "name": "as.b",
                "annotations": {"cert-manager.io/inject-ca-from": "p-system/p-serving-cert"}
            },
            "spec": {"group": "b", "description": "see {{ x }}"}
        });
        let text = render(crd, Section::Crd, "p-system", false).expect("a template");
        assert!(text.starts_with("{{- if .Values.crd.enable }}\n"), "{text}");
        assert!(text.ends_with("{{- end }}\n"), "{text}");
        assert!(
            text.contains(
                "    {{- if .Values.certManager.enable }}\n    cert-manager.io/inject-ca-from: {{ .Release.Namespace }}/p-serving-cert\n    {{- end }}"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "    {{- if .Values.crd.keep }}\n    helm.sh/resource-policy: keep\n    {{- end }}"
            ),
            "{text}"
        );
        assert!(text.contains(r#"see {{ "{{" }} x }}"#), "{text}");
    }

    #[test]
    fn the_manager_takes_its_image_replicas_and_resources_from_the_values() {
        let deployment = json!({
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "p-controller-manager", "namespace": "p-system"},
            "spec": {
                "replicas": 1,
                "template": {"spec": {"containers": [
                    {"name": "sidecar", "image": "sidecar:1"},
                    {"args": ["--leader-elect"], "name": "manager", "image": "controller:dev",
                     "resources": {"limits": {"cpu": "500m"}}}
                ]}}
            }
        });
        let text = render(deployment, Section::Manager, "p-system", true).expect("a template");
        assert!(
            text.contains("namespace: {{ .Release.Namespace }}"),
            "{text}"
        );
        assert!(
            text.contains("replicas: {{ .Values.manager.replicas }}"),
            "{text}"
        );
        assert!(text.contains("image: sidecar:1"), "{text}");
        assert!(
            text.contains("image: \"{{ .Values.manager.image.repository }}"),
            "{text}"
        );
        assert!(
            text.contains(
                "resources:\n          {{- toYaml .Values.manager.resources | nindent 10 }}"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "{{- with .Values.manager.image.pullPolicy }}\n        imagePullPolicy: {{ . }}"
            ),
            "{text}"
        );
        assert!(!text.contains("__KUBESMITH"), "{text}");
    }
}
