//! Plugins: what a project adds to the base layout, chosen with `--plugins` (`init`, `edit`)
//! and recorded in PROJECT's `plugins:` section under the plugin's key, with its settings
//! (kubebuilder's shape):
//!
//! ```yaml
//! plugins:
//!   grafana.kubesmith.dev/v1-alpha: {}
//! ```
//!
//! A plugin is a [`Plugin`] value in [`REGISTRY`] and a folder of its own (its code here, its
//! templates under `templates/<name>/`). Every command that scaffolds a project runs the
//! plugins its PROJECT lists into the same change set, so `delete`, `edit` and `alpha
//! generate`, which re-scaffold a project from its record, reproduce what they wrote; a
//! plugin the record lists and this CLI does not know stops them with an error instead of
//! being left out.
//!
//! ```
//! use kubesmith_cli::scaffold::plugins;
//!
//! let grafana = plugins::find("grafana")?;
//! assert_eq!(grafana.key(), "grafana.kubesmith.dev/v1-alpha");
//! assert!(plugins::find("no-such-plugin").is_err());
//! # Ok::<(), kubesmith_cli::scaffold::error::ScaffoldError>(())
//! ```

pub mod grafana;
mod plugin;

pub use plugin::Plugin;

use std::collections::BTreeMap;

use super::error::ScaffoldError;
use super::plan::Plan;
use super::project::Project;
use super::vars::ProjectVars;

/// Every plugin this CLI knows.
pub const REGISTRY: &[&dyn Plugin] = &[&grafana::Grafana];

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

/// The plugins `names` name, as PROJECT records them (each with no settings).
pub fn selected(names: &[String]) -> Result<BTreeMap<String, serde_json::Value>, ScaffoldError> {
    names
        .iter()
        .map(|name| {
            let plugin = find(name)?;
            Ok((plugin.key().to_string(), serde_json::json!({})))
        })
        .collect()
}

/// Runs every plugin `project` uses into `plan`, in the order of their keys.
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

/// The plugins this CLI knows, for messages: `grafana (grafana.kubesmith.dev/v1-alpha: ...)`.
fn known() -> String {
    REGISTRY
        .iter()
        .map(|plugin| format!("{} ({}: {})", plugin.name(), plugin.key(), plugin.summary()))
        .collect::<Vec<_>>()
        .join("; ")
}
