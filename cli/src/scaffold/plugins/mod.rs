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
//! flags here, its templates and their insertions under `templates/<name>/`): adding one is
//! its folder, its templates and two lines here (`pub mod` and its entry in the registry);
//! its `create api` flags join the command through [`Plugin::api_args`]. A plugin of the whole project
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

use clap::parser::ValueSource;
use clap::{Arg, ArgAction, ArgMatches, Args, Command, FromArgMatches};
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

/// `create api`'s plugin flags: `--plugins` and the flags each plugin of Kinds adds to the
/// command ([`Plugin::api_args`]), which it reads back from the command's matches.
#[derive(Debug, Clone, Default)]
pub struct ApiPluginArgs {
    /// The plugins named, as given.
    pub plugins: Vec<String>,
    /// The command's matches, holding the plugins' flags.
    matches: Box<ArgMatches>,
}

/// The id and long name of `--plugins`.
const PLUGINS: &str = "plugins";

impl ApiPluginArgs {
    /// The options of each plugin named, by key; a plugin's flags without the plugin are
    /// refused.
    pub fn options(&self) -> Result<BTreeMap<String, Value>, ScaffoldError> {
        let mut options = BTreeMap::new();
        for name in &self.plugins {
            let plugin = in_scope(name, Scope::Api)?;
            options.insert(plugin.key().to_string(), plugin.api_options(&self.matches)?);
        }
        for plugin in REGISTRY {
            let given = self.flags_given(*plugin);
            if !given.is_empty() && !options.contains_key(plugin.key()) {
                let verb = if given.len() == 1 {
                    "belongs"
                } else {
                    "belong"
                };
                return Err(ScaffoldError::Usage(format!(
                    "{} {verb} to the {} plugin: add --plugins {}",
                    given.join(" and "),
                    plugin.name(),
                    plugin.name()
                )));
            }
        }
        Ok(options)
    }

    /// The flags of `plugin` given on the command line (`--image`, ...).
    fn flags_given(&self, plugin: &dyn Plugin) -> Vec<String> {
        plugin
            .api_args(Command::new(plugin.name()))
            .get_arguments()
            .filter(|arg| {
                self.matches.value_source(arg.get_id().as_str()) == Some(ValueSource::CommandLine)
            })
            .map(|arg| format!("--{}", arg.get_long().unwrap_or(arg.get_id().as_str())))
            .collect()
    }
}

impl FromArgMatches for ApiPluginArgs {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        let mut args = ApiPluginArgs::default();
        args.update_from_arg_matches(matches)?;
        Ok(args)
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        self.plugins = matches
            .get_many::<String>(PLUGINS)
            .map(|names| names.cloned().collect())
            .unwrap_or_default();
        *self.matches = matches.clone();
        Ok(())
    }
}

impl Args for ApiPluginArgs {
    fn augment_args(command: Command) -> Command {
        let kinds: Vec<String> = REGISTRY
            .iter()
            .filter(|plugin| plugin.scope() == Scope::Api)
            .map(|plugin| format!("{} ({})", plugin.name(), plugin.summary()))
            .collect();
        let plugins = Arg::new(PLUGINS)
            .long(PLUGINS)
            .value_name("PLUGINS")
            .value_delimiter(',')
            .action(ArgAction::Append)
            .help(format!(
                "Plugins that scaffold this Kind, comma-separated: {}",
                kinds.join(", ")
            ));
        REGISTRY
            .iter()
            .fold(command.arg(plugins), |command, plugin| {
                plugin.api_args(command)
            })
    }

    fn augment_args_for_update(command: Command) -> Command {
        Self::augment_args(command)
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::{Path, PathBuf};

    /// Every Rust file below `root`.
    fn rust_files(root: &Path) -> Vec<PathBuf> {
        let mut pending = vec![root.to_path_buf()];
        let mut files = Vec::new();
        while let Some(dir) = pending.pop() {
            for entry in std::fs::read_dir(&dir).expect("a source directory") {
                let path = entry.expect("an entry").path();
                match path.extension() {
                    _ if path.is_dir() => pending.push(path),
                    Some(extension) if extension == "rs" => files.push(path),
                    _ => {}
                }
            }
        }
        files
    }

    /// The text of a file without its unit tests (they follow `#[cfg(test)]`).
    fn code(path: &Path) -> String {
        let text = std::fs::read_to_string(path).expect("a source file");
        match text.find("#[cfg(test)]") {
            Some(tests) => text[..tests].to_string(),
            None => text,
        }
    }

    #[test]
    fn a_plugin_is_named_only_in_its_own_folders_and_the_registry() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let plugins_dir = root.join("src/scaffold/plugins");
        let files = rust_files(&root.join("src"));
        for plugin in REGISTRY {
            let module = plugin.name().replace('-', "_");
            let own = plugins_dir.join(&module);
            assert!(
                own.join("mod.rs").is_file(),
                "{} has no folder",
                plugin.name()
            );
            assert!(
                root.join("../templates").join(plugin.name()).is_dir(),
                "{} has no templates/{}/",
                plugin.name(),
                plugin.name()
            );
            for file in files.iter().filter(|file| !file.starts_with(&own)) {
                let text = code(file);
                let mentions = if *file == plugins_dir.join("mod.rs") {
                    text.matches(&format!("{module}::")).count()
                        + text.matches(&format!("mod {module};")).count()
                } else {
                    text.matches(&format!("plugins::{module}")).count()
                };
                let allowed = if *file == plugins_dir.join("mod.rs") {
                    2
                } else {
                    0
                };
                assert_eq!(
                    mentions,
                    allowed,
                    "{} names the {} plugin: a plugin's code stays in its folder",
                    file.display(),
                    plugin.name()
                );
            }
        }
    }
}
