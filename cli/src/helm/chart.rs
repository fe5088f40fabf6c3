//! The chart of rendered manifests, in memory: each object as a template of its part, the
//! values, `Chart.yaml` and `.helmignore`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::error::HelmError;
use super::objects::{self, Section};
use super::{template, values};

/// A chart made from rendered manifests.
#[derive(Debug, Clone)]
pub struct Chart {
    /// The chart's name: the project's (`app.kubernetes.io/name` of the manager).
    pub name: String,
    /// The templates and `.helmignore`, by path in the chart: rewritten on every run.
    pub templates: BTreeMap<PathBuf, String>,
    /// `values.yaml`, written when the chart has none.
    pub values: String,
    /// `Chart.yaml`, written when the chart has none.
    pub chart_yaml: String,
    /// The values the templates read, as dotted paths.
    pub references: BTreeSet<String>,
}

/// The chart of `rendered` (the multi-document YAML of the install, read from `path`).
pub fn chart(rendered: &str, path: &Path) -> Result<Chart, HelmError> {
    let objects: Vec<Value> =
        serde_saphyr::from_multiple(rendered).map_err(|error| HelmError::Yaml {
            what: path.display().to_string(),
            message: error.to_string(),
        })?;
    let objects: Vec<Value> = objects.into_iter().filter(Value::is_object).collect();
    let deployments: Vec<&Value> = objects
        .iter()
        .filter(|object| object["kind"] == "Deployment")
        .collect();
    let deployment = *deployments
        .iter()
        .find(|object| object["metadata"]["labels"]["control-plane"] == "controller-manager")
        .or(deployments.first())
        .ok_or_else(|| HelmError::NoManager {
            path: path.to_path_buf(),
        })?;
    let namespace = objects
        .iter()
        .find(|object| object["kind"] == "Namespace")
        .map_or(&deployment["metadata"]["namespace"], |object| {
            &object["metadata"]["name"]
        })
        .as_str()
        .unwrap_or_default()
        .to_string();
    let deployment_name = deployment["metadata"]["name"].as_str().unwrap_or("manager");
    let name = deployment["metadata"]["labels"]["app.kubernetes.io/name"]
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| {
            deployment_name
                .trim_end_matches("-controller-manager")
                .to_string()
        });

    let mut templates = BTreeMap::new();
    let mut sections = BTreeSet::new();
    for object in &objects {
        let Some(section) = objects::classify(object) else {
            continue;
        };
        sections.insert(section);
        let manager = std::ptr::eq(object, deployment);
        let path = template_path(object, section, &name, &templates);
        let text = template::render(object.clone(), section, &namespace, manager)?;
        templates.insert(path, text);
    }
    let references = values::references(templates.values());
    let referenced: BTreeSet<Section> = [
        Section::Crd,
        Section::RbacHelpers,
        Section::Metrics,
        Section::Webhook,
        Section::CertManager,
        Section::Prometheus,
        Section::NetworkPolicy,
    ]
    .into_iter()
    .filter(|section| {
        section.key().is_some_and(|key| {
            references
                .iter()
                .any(|path| path.starts_with(&format!("{key}.")))
        })
    })
    .collect();
    let manager = values::Manager::of(deployment);
    templates.insert(PathBuf::from(".helmignore"), values::HELMIGNORE.to_string());
    Ok(Chart {
        values: values::values_yaml(&manager, &referenced)?,
        chart_yaml: values::chart_yaml(&name, &manager),
        name,
        templates,
        references,
    })
}

/// `templates/<part>/<name>.yaml` for `object` (its name without the project's prefix), with
/// its kind added when another object of the part has that name.
fn template_path(
    object: &Value,
    section: Section,
    project: &str,
    taken: &BTreeMap<PathBuf, String>,
) -> PathBuf {
    let name = object["metadata"]["name"].as_str().unwrap_or("object");
    let name = name.strip_prefix(&format!("{project}-")).unwrap_or(name);
    let dir = Path::new("templates").join(section.dir());
    let path = dir.join(format!("{name}.yaml"));
    if taken.contains_key(&path) {
        let kind = object["kind"].as_str().unwrap_or("object").to_lowercase();
        dir.join(format!("{name}-{kind}.yaml"))
    } else {
        path
    }
}
