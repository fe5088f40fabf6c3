//! A project's scaffold re-created from its `PROJECT` record by this CLI: `init`, then
//! `create api` for every API and controller, then `create webhook` for every webhook, in a
//! fresh directory. `kubesmith alpha generate` writes it for review; `delete` and `edit`
//! compare two of them to know what a change means for the files.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::scaffold::engine::plan::BOILERPLATE;
use crate::scaffold::engine::templates::Templates;
use crate::scaffold::error::ScaffoldError;
use crate::scaffold::layout::api::{ApiOptions, ExternalApi, create_api};
use crate::scaffold::layout::init::{InitOptions, init};
use crate::scaffold::layout::webhook::{WebhookOptions, create_webhook};
use crate::scaffold::model::project::{PROJECT_FILE, Project};
use crate::scaffold::model::vars::Dependency;
use crate::scaffold::plugins;

/// Every file of a scaffold, by path relative to the project.
pub type Files = BTreeMap<PathBuf, String>;

/// What a project keeps that PROJECT does not record: its license header and where the
/// kubesmith crate comes from.
#[derive(Debug, Clone)]
pub struct Inherited {
    /// The text of `hack/boilerplate.rs.txt`, if the project has one.
    pub boilerplate: Option<String>,
    /// The kubesmith dependency of `Cargo.toml`.
    pub dependency: Dependency,
}

impl Inherited {
    /// Reads them from the project in `dir`.
    pub fn read(dir: &Path) -> Inherited {
        let boilerplate = std::fs::read_to_string(dir.join(BOILERPLATE)).ok();
        let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap_or_default();
        Inherited {
            boilerplate,
            dependency: dependency_of(&manifest),
        }
    }
}

/// The kubesmith dependency a `Cargo.toml` declares: a path dependency when its
/// `kubesmith = { path = "<checkout>/sdk", ... }` line has one, else the registry.
fn dependency_of(manifest: &str) -> Dependency {
    manifest
        .lines()
        .find(|line| line.trim_start().starts_with("kubesmith ="))
        .and_then(|line| line.split("path = \"").nth(1))
        .and_then(|rest| rest.split('"').next())
        .map(|path| Dependency::Path(path.trim_end_matches("/sdk").to_string()))
        .unwrap_or(Dependency::Registry)
}

/// Scaffolds `project` into the empty directory `into`, as the commands that recorded it
/// would have (without `make manifests`).
pub fn replay(
    project: &Project,
    inherited: &Inherited,
    into: &Path,
    templates: &Templates,
) -> Result<(), ScaffoldError> {
    let options = InitOptions {
        domain: project.domain.clone(),
        project_name: Some(project.project_name.clone()),
        owner: (!project.owner.is_empty()).then(|| project.owner.clone()),
        license: project.license.clone(),
        namespaced: project.namespaced,
        multigroup: project.multigroup,
        webhook_certificates: project.webhook_certificates,
        dependency: inherited.dependency.clone(),
        year: None,
        boilerplate: inherited.boilerplate.clone(),
        plugins: project.plugins.clone(),
        force: false,
    };
    init(into, &options, templates)?;
    for resource in &project.resources {
        if resource.api.is_none() && !resource.controller && resource.controller_names.is_empty() {
            continue;
        }
        // The scope of a controller-only version is its Kind's.
        let namespaced = !resource.cluster_scoped
            && resource
                .api
                .as_ref()
                .or_else(|| {
                    project
                        .resources
                        .iter()
                        .filter(|other| {
                            other.group == resource.group && other.kind == resource.kind
                        })
                        .find_map(|other| other.api.as_ref())
                })
                .is_none_or(|api| api.namespaced);
        let options = ApiOptions {
            group: resource.group.clone(),
            version: resource.version.clone(),
            kind: resource.kind.clone(),
            plural: Some(resource.plural.clone()),
            namespaced,
            resource: resource.api.is_some(),
            controller: resource.controller,
            external: resource.external.then(|| ExternalApi {
                path: resource.path.clone(),
                domain: resource.domain.clone(),
                module: resource.module.clone(),
            }),
            controller_name: None,
            plugins: plugins::resource_options(project, resource),
            force: false,
        };
        if options.resource || options.controller {
            create_api(into, &options, templates)?;
        }
        // Then its further controllers, by name.
        for name in &resource.controller_names {
            let named = ApiOptions {
                resource: false,
                controller: true,
                controller_name: Some(name.clone()),
                plugins: BTreeMap::new(),
                ..options.clone()
            };
            create_api(into, &named, templates)?;
        }
    }
    for resource in &project.resources {
        let Some(webhooks) = &resource.webhooks else {
            continue;
        };
        let options = WebhookOptions {
            group: resource.group.clone(),
            version: resource.version.clone(),
            kind: resource.kind.clone(),
            defaulting: webhooks.defaulting,
            validation: webhooks.validation,
            conversion: webhooks.conversion,
            spokes: webhooks.spoke.clone(),
            force: false,
        };
        create_webhook(into, &options, templates)?;
    }
    // The record itself as the project has it (the CLI version that wrote it last included).
    std::fs::write(into.join(PROJECT_FILE), project.render()?).map_err(|source| ScaffoldError::Io {
        action: "writing",
        path: into.join(PROJECT_FILE),
        source,
    })
}

/// Where `alpha generate` writes by default, relative to the project: inside `target/`,
/// which cargo owns and git ignores.
pub const DEFAULT_OUTPUT: &str = "target/kubesmith-generate";

/// `kubesmith alpha generate`: the scaffold of the project in `dir` re-created by this CLI in
/// `output` (relative to `dir`); an output directory that is not empty needs `force` and is
/// replaced. Returns the output directory.
pub fn alpha_generate(
    dir: &Path,
    output: &Path,
    force: bool,
    templates: &Templates,
) -> Result<PathBuf, ScaffoldError> {
    let project = Project::read(dir)?;
    plugins::check_known(&project)?;
    let output = dir.join(output);
    let io = |action, source| ScaffoldError::Io {
        action,
        path: output.clone(),
        source,
    };
    let occupied = std::fs::read_dir(&output).is_ok_and(|mut entries| entries.next().is_some());
    if occupied && !force {
        return Err(ScaffoldError::Usage(format!(
            "{} is not empty; pass --force to replace it, or --output another directory",
            output.display()
        )));
    }
    if occupied {
        std::fs::remove_dir_all(&output).map_err(|source| io("removing", source))?;
    }
    // The outermost directory this command creates, removed again on failure.
    let created = output
        .ancestors()
        .take_while(|ancestor| !ancestor.exists())
        .last()
        .map(Path::to_path_buf);
    std::fs::create_dir_all(&output).map_err(|source| io("creating", source))?;
    let inherited = Inherited::read(dir);
    if let Err(error) = replay(&project, &inherited, &output, templates) {
        let _ = std::fs::remove_dir_all(created.as_deref().unwrap_or(&output));
        return Err(error);
    }
    Ok(output)
}

/// The files of `project` re-created in a temporary directory, read into memory.
pub fn scaffold_files(
    project: &Project,
    inherited: &Inherited,
    templates: &Templates,
) -> Result<Files, ScaffoldError> {
    let dir = tempfile::tempdir().map_err(|source| ScaffoldError::Io {
        action: "creating",
        path: std::env::temp_dir(),
        source,
    })?;
    replay(project, inherited, dir.path(), templates)?;
    crate::scaffold::engine::tree::read_files(dir.path())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dependency_follows_the_manifest() {
        let path = "[dependencies]\nkubesmith = { path = \"/src/kubesmith/sdk\", features = [] }\n";
        assert_eq!(
            dependency_of(path),
            Dependency::Path("/src/kubesmith".into())
        );
        let registry = "[dependencies]\nkubesmith = { version = \"0.1.0\" }\n";
        assert_eq!(dependency_of(registry), Dependency::Registry);
    }
}
