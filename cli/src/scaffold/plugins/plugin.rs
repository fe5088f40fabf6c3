//! The [`Plugin`] trait: what a plugin is to the commands that run it.

use clap::{ArgMatches, Command};
use serde_json::{Value, json};

use crate::scaffold::engine::plan::Plan;
use crate::scaffold::error::ScaffoldError;
use crate::scaffold::model::project::Resource;
use crate::scaffold::model::vars::{ProjectVars, ResourceVars};

/// Where a plugin takes part: in the project as a whole (`init --plugins`, `edit --plugins`)
/// or in the Kinds it is named for (`create api --plugins`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Added to a project once; [`Plugin::scaffold`] writes its files.
    Project,
    /// Named by `create api` for one Kind; [`Plugin::create_api`] writes that Kind's part, and
    /// PROJECT records the Kind with its options under the plugin's `resources`.
    Api,
}

/// One plugin: its names and what it scaffolds.
pub trait Plugin: Sync {
    /// The short name `--plugins` takes (`grafana`).
    fn name(&self) -> &'static str;

    /// The key PROJECT records it under: `<name>.kubesmith.dev/<version>`.
    fn key(&self) -> &'static str;

    /// One line for `--help` and error messages.
    fn summary(&self) -> &'static str;

    /// Where it takes part.
    fn scope(&self) -> Scope;

    /// Adds the plugin's files to `plan`, for a project that uses it: run by the command that
    /// adds the plugin and by every re-scaffold of the project. `settings` is what PROJECT
    /// records for the plugin. Nothing, unless the plugin has files of the project's own.
    fn scaffold(
        &self,
        _plan: &mut Plan<'_>,
        _project: &ProjectVars,
        _settings: &Value,
    ) -> Result<(), ScaffoldError> {
        Ok(())
    }

    /// Refuses a Kind the plugin cannot scaffold (before anything is planned). Every Kind,
    /// unless the plugin has a part in `create api`.
    fn check_api(&self, _resource: &Resource) -> Result<(), ScaffoldError> {
        Err(ScaffoldError::Usage(format!(
            "the {} plugin is added to a project (init or edit --plugins {}), not to one Kind",
            self.name(),
            self.name()
        )))
    }

    /// The make targets to run once after the plugin is added to a project (besides `make
    /// manifests`), e.g. the one that writes its generated files.
    fn make_targets(&self) -> &'static [&'static str] {
        &[]
    }

    /// Adds the plugin's flags to `create api`'s `command` (kubebuilder's plugins bind their
    /// own flags the same way); they are refused when the plugin is not named. None, unless
    /// the plugin has flags of its own.
    fn api_args(&self, command: Command) -> Command {
        command
    }

    /// The options PROJECT records for a Kind `create api --plugins` names the plugin for,
    /// from the command's `matches` (its flags, validated). None (`{}`), unless the plugin
    /// has flags.
    fn api_options(&self, _matches: &ArgMatches) -> Result<Value, ScaffoldError> {
        Ok(json!({}))
    }

    /// Adds the plugin's part of one Kind to `plan`, after the base layout's (replacing files
    /// of it where the plugin has its own), with the options PROJECT records for the Kind.
    fn create_api(
        &self,
        _plan: &mut Plan<'_>,
        _resource: &ResourceVars,
        _options: &Value,
    ) -> Result<(), ScaffoldError> {
        Ok(())
    }
}
