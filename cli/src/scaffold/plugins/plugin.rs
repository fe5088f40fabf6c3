//! The [`Plugin`] trait: what a plugin is to the commands that run it.

use crate::scaffold::error::ScaffoldError;
use crate::scaffold::plan::Plan;
use crate::scaffold::vars::ProjectVars;

/// One plugin: its names and what it scaffolds.
pub trait Plugin: Sync {
    /// The short name `--plugins` takes (`grafana`).
    fn name(&self) -> &'static str;

    /// The key PROJECT records it under: `<name>.kubesmith.dev/<version>`.
    fn key(&self) -> &'static str;

    /// One line for `--help` and error messages.
    fn summary(&self) -> &'static str;

    /// Adds the plugin's files to `plan`, for a project that uses it: run by the command that
    /// adds the plugin and by every re-scaffold of the project. `settings` is what PROJECT
    /// records for the plugin.
    fn scaffold(
        &self,
        plan: &mut Plan<'_>,
        project: &ProjectVars,
        settings: &serde_json::Value,
    ) -> Result<(), ScaffoldError>;
}
