//! Plugins: what a project adds to the base layout, chosen with `--plugins` (`init`, `edit`)
//! and recorded in PROJECT's `plugins:` section under the plugin's key, with its settings
//! (kubebuilder's shape):
//!
//! ```yaml
//! plugins:
//!   grafana.kubesmith.dev/v1-alpha: {}
//!   deploy-image.kubesmith.dev/v1-alpha:
//!     resources:
//!     - group: cache
//!       version: v1alpha1
//!       kind: Memcached
//!       options: {image: "memcached:1.6", containerPort: 11211}
//! ```
//!
//! A plugin is a [`Plugin`] value in [`REGISTRY`] and a folder of its own (its code and its
//! flags here, its templates under `templates/<name>/`). A plugin of the whole project
//! ([`Scope::Project`]) writes its files when it is added and whenever the project is
//! re-scaffolded; a plugin of Kinds ([`Scope::Api`]) writes its part of each Kind `create api
//! --plugins` names, after the base layout's, and PROJECT records the Kind and its options
//! under the plugin's `resources`. Every command runs them into the command's one change set,
//! so `delete`, `edit` and `alpha generate`, which re-scaffold a project from its record,
//! reproduce what they wrote; a plugin the record lists and this CLI does not know stops them
//! with an error instead of being left out.
//!
//! ```
//! use kubesmith_cli::scaffold::plugins;
//!
//! let grafana = plugins::find("grafana")?;
//! assert_eq!(grafana.key(), "grafana.kubesmith.dev/v1-alpha");
//! assert!(plugins::find("no-such-plugin").is_err());
//! # Ok::<(), kubesmith_cli::scaffold::error::ScaffoldError>(())
//! ```

pub mod deploy_image;
pub mod grafana;
pub mod helm;
mod plugin;

pub use plugin::{Plugin, Scope};

use std::collections::BTreeMap;

use clap::Args;
use serde_json::{Value, json};

use super::engine::plan::Plan;
use super::error::ScaffoldError;
use super::model::project::{Project, Resource};
use super::model::vars::ProjectVars;

/// Every plugin this CLI knows.
pub const REGISTRY: &[&dyn Plugin] = &[&deploy_image::DeployImage, &grafana::Grafana, &helm::Helm];

/// The plugin `name`, by its short name or its key.
pub fn find(name: &str) -> Result<&'static dyn Plugin, ScaffoldError> {
    REGISTRY
        .iter()
        .copied()
        .find(|plugin| plugin.name() == name || plugin.key() == name)
        .ok_or_else(|| ScaffoldError::UnknownPlugin {
            name: name.to_string(),
            known: known(),
        })
}

/// The project plugins `names` name (`init --plugins`, `edit --plugins`), as PROJECT records
/// them (each with no settings).
pub fn selected(names: &[String]) -> Result<BTreeMap<String, Value>, ScaffoldError> {
    names
        .iter()
        .map(|name| {
            let plugin = in_scope(name, Scope::Project)?;
            Ok((plugin.key().to_string(), json!({})))
        })
        .collect()
}

/// `create api`'s plugin flags: `--plugins` and the flags of each plugin of Kinds.
#[derive(Debug, Clone, Default, Args)]
pub struct ApiPluginArgs {
    /// Plugins that scaffold this Kind, comma-separated: deploy-image (a controller that runs
    /// an image as a Deployment: --image, --image-container-port, ...).
    #[arg(long, value_delimiter = ',')]
    pub plugins: Vec<String>,
    /// The flags of the deploy-image plugin.
    #[command(flatten)]
    pub deploy_image: deploy_image::DeployImageArgs,
}

impl ApiPluginArgs {
    /// The options of each plugin named, by key; a plugin's flags without the plugin are
    /// refused.
    pub fn options(&self) -> Result<BTreeMap<String, Value>, ScaffoldError> {
        let mut options = BTreeMap::new();
        for name in &self.plugins {
            let plugin = in_scope(name, Scope::Api)?;
            let given = if plugin.key() == deploy_image::DeployImage.key() {
                self.deploy_image.options()?
            } else {
                json!({})
            };
            options.insert(plugin.key().to_string(), given);
        }
        if !options.contains_key(deploy_image::DeployImage.key()) && self.deploy_image.any_given() {
            return Err(ScaffoldError::Usage(
                "--image and the other --image-* and --run-as-user flags belong to the deploy-image plugin: add --plugins deploy-image".into(),
            ));
        }
        Ok(options)
    }
}

/// Runs every project plugin `project` uses into `plan`, in the order of their keys.
pub fn scaffold_all(
    plan: &mut Plan<'_>,
    project: &Project,
    vars: &ProjectVars,
) -> Result<(), ScaffoldError> {
    for (key, settings) in &project.plugins {
        find(key)?.scaffold(plan, vars, settings)?;
    }
    Ok(())
}

/// Refuses a project whose PROJECT lists a plugin this CLI does not know: re-scaffolding it
/// would leave that plugin's files out.
pub fn check_known(project: &Project) -> Result<(), ScaffoldError> {
    project
        .plugins
        .keys()
        .try_for_each(|key| find(key).map(|_| ()))
}

/// The options PROJECT records for `resource` under each plugin of Kinds, by key.
pub fn resource_options(project: &Project, resource: &Resource) -> BTreeMap<String, Value> {
    project
        .plugins
        .iter()
        .filter_map(|(key, settings)| {
            let entry = settings["resources"]
                .as_array()?
                .iter()
                .find(|entry| is_entry_of(entry, resource))?;
            Some((key.clone(), entry["options"].clone()))
        })
        .collect()
}

/// Records `resource` with `options` under the plugin `key` (replacing an earlier entry).
pub fn record_resource(project: &mut Project, key: &str, resource: &Resource, options: &Value) {
    let settings = project
        .plugins
        .entry(key.to_string())
        .or_insert_with(|| json!({}));
    if !settings.is_object() {
        *settings = json!({});
    }
    if !settings["resources"].is_array() {
        settings["resources"] = json!([]);
    }
    if let Some(entries) = settings["resources"].as_array_mut() {
        entries.retain(|entry| !is_entry_of(entry, resource));
        entries.push(json!({
            "domain": resource.domain,
            "group": resource.group,
            "kind": resource.kind,
            "options": options,
            "version": resource.version,
        }));
    }
}

/// Forgets `resource` in every plugin's `resources` (`delete api`); a plugin of Kinds left
/// without any leaves PROJECT, as if it had never been named.
pub fn forget_resource(project: &mut Project, resource: &Resource) {
    project.plugins.retain(|_, settings| {
        let Some(entries) = settings["resources"].as_array_mut() else {
            return true;
        };
        entries.retain(|entry| !is_entry_of(entry, resource));
        !entries.is_empty()
    });
}

/// Whether a `resources` entry of a plugin's settings is `resource`'s.
fn is_entry_of(entry: &Value, resource: &Resource) -> bool {
    entry["group"] == resource.group.as_str()
        && entry["version"] == resource.version.as_str()
        && entry["kind"] == resource.kind.as_str()
}

/// The plugin `name`, refused when it does not take part where it is named.
fn in_scope(name: &str, scope: Scope) -> Result<&'static dyn Plugin, ScaffoldError> {
    let plugin = find(name)?;
    if plugin.scope() == scope {
        return Ok(plugin);
    }
    Err(ScaffoldError::Usage(match scope {
        Scope::Project => format!(
            "the {} plugin scaffolds one Kind: name it in `kubesmith create api --plugins {}`",
            plugin.name(),
            plugin.name()
        ),
        Scope::Api => format!(
            "the {} plugin is added to a project: `kubesmith edit --plugins {}`",
            plugin.name(),
            plugin.name()
        ),
    }))
}

/// The plugins this CLI knows, for messages: `grafana (grafana.kubesmith.dev/v1-alpha: ...)`.
fn known() -> String {
    REGISTRY
        .iter()
        .map(|plugin| format!("{} ({}: {})", plugin.name(), plugin.key(), plugin.summary()))
        .collect::<Vec<_>>()
        .join("; ")
}
