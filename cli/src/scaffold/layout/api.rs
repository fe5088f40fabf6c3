//! `kubesmith create api`: a Kind's types, its controller and the controller's test, its
//! sample and roles, wired into the operator's declaration, the kustomizations and the
//! end-to-end suite; then `make manifests`.

use std::collections::BTreeMap;
use std::path::Path;

use super::e2e;
use crate::scaffold::engine::changes::Applied;
use crate::scaffold::engine::plan::{self, Mode, Plan};
use crate::scaffold::engine::templates::Templates;
use crate::scaffold::error::ScaffoldError;
use crate::scaffold::model::core_kinds::{self, CoreKind};
use crate::scaffold::model::names;
use crate::scaffold::model::project::{ApiInfo, PROJECT_FILE, Project, Resource};
use crate::scaffold::model::vars::{Dependency, ProjectVars, ResourceVars};
use crate::scaffold::plugins;

/// What `create api` scaffolds.
#[derive(Debug, Clone)]
pub struct ApiOptions {
    /// The group (short: `batch`).
    pub group: String,
    /// The version (`v1`).
    pub version: String,
    /// The Kind (`CronJob`).
    pub kind: String,
    /// The resource name (default: the English plural of the lower-case Kind).
    pub plural: Option<String>,
    /// Whether objects live in namespaces.
    pub namespaced: bool,
    /// Scaffold the types.
    pub resource: bool,
    /// Scaffold the controller.
    pub controller: bool,
    /// For a Kind of another project (`--external-api-path`): the Rust module of its type
    /// (`widgets::v1`) and the domain of its group (`--external-api-domain`).
    pub external: Option<ExternalApi>,
    /// A further controller of a Kind the project does not own, by this name
    /// (`--controller-name`): its own module, reconciler and test.
    pub controller_name: Option<String>,
    /// The plugins of Kinds that scaffold this one (`--plugins`), by key, with their options.
    pub plugins: BTreeMap<String, serde_json::Value>,
    /// Overwrite files this command wrote before.
    pub force: bool,
}

/// Where the types of another project's Kind are (`--external-api-path`,
/// `--external-api-domain`): kubebuilder's external APIs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalApi {
    /// The Rust module that holds the type (`widgets::v1`, from a crate the project depends on).
    pub path: String,
    /// The domain its group is qualified with (`example.com`).
    pub domain: String,
    /// The crate that holds it, `<crate>@<version>` (`--external-api-module`): added to
    /// `Cargo.toml`; `None` when the project depends on it already.
    pub module: Option<String>,
}

/// Scaffolds the API of `options` into the project in `dir`: every file or none.
pub fn create_api(
    dir: &Path,
    options: &ApiOptions,
    templates: &Templates,
) -> Result<Applied, ScaffoldError> {
    let mut project = Project::read(dir)?;
    let resource = check(&project, options)?;
    let whole_kind = options.resource && options.controller;
    if !options.plugins.is_empty() && !whole_kind {
        return Err(ScaffoldError::Usage(
            "a plugin of Kinds (--plugins) scaffolds a Kind's types and its controller together: drop --resource=false and --controller=false".into(),
        ));
    }
    for key in options.plugins.keys() {
        plugins::find(key)?.check_api(&resource)?;
    }
    let storage = !project.resources.iter().any(|other| {
        other.group == resource.group
            && other.kind == resource.kind
            && other.version != resource.version
            && other.api.is_some()
    });
    let header = plan::header(dir)?;
    let mut vars = ResourceVars::new(
        ProjectVars::new(&project, &header, &Dependency::Registry),
        &resource,
    );
    if let Some(name) = &options.controller_name {
        vars = vars.named_controller(name);
    }
    vars.storage = storage;

    let mut plan = Plan::new(dir, options.force, templates);
    if options.resource {
        scaffold_types(&mut plan, &vars)?;
    }
    if options.controller {
        scaffold_controller(&mut plan, &vars)?;
    }
    if let Some((name, version)) = resource
        .module
        .as_deref()
        .and_then(|module| module.split_once('@'))
    {
        plan.changes.insert(
            "Cargo.toml",
            "dependencies",
            &format!("{name} = \"{version}\""),
        )?;
    }
    for (key, plugin_options) in &options.plugins {
        plugins::find(key)?.create_api(&mut plan, &vars, plugin_options)?;
        plugins::record_resource(&mut project, key, &resource, plugin_options);
    }
    match project.resource_mut(&resource.group, &resource.version, &resource.kind) {
        Some(existing) => {
            existing.api = existing.api.take().or(resource.api);
            existing.controller |= resource.controller;
            existing.controller_names.extend(resource.controller_names);
            existing.controller_names.sort();
            existing.controller_names.dedup();
        }
        None => project.resources.push(resource),
    }
    plan.changes.replace(PROJECT_FILE, project.render()?);
    plan.apply()
}

/// Checks the options against the names' rules and the project; returns the resource to add.
fn check(project: &Project, options: &ApiOptions) -> Result<Resource, ScaffoldError> {
    if let Some(external) = &options.external {
        return check_external(project, options, external);
    }
    if !options.resource
        && let Some(core) = core_kinds::find(&options.group, &options.version, &options.kind)
        && project
            .resource(core.group, core.version, core.kind)
            .is_none_or(|own| own.api.is_none())
    {
        return check_core(project, options, core);
    }
    if options.controller_name.is_some() {
        return Err(ScaffoldError::Usage(format!(
            "--controller-name adds a further controller to a Kind of Kubernetes itself or of another project; {} {}/{} is neither (its one controller reports its status)",
            options.kind, options.group, options.version
        )));
    }
    names::check_group(&options.group, &project.domain)?;
    names::check_version(&options.version)?;
    names::check_kind(&options.kind)?;
    let plural = options
        .plural
        .clone()
        .unwrap_or_else(|| names::plural(&options.kind.to_ascii_lowercase()));
    names::check_plural(&plural)?;
    if !options.resource && !options.controller {
        return Err(ScaffoldError::Usage(
            "nothing to scaffold: --resource=false and --controller=false; drop one of them".into(),
        ));
    }
    if !project.multigroup
        && let Some(other) = project.resources.iter().find(|r| r.group != options.group)
    {
        return Err(ScaffoldError::Usage(format!(
            "this project has the single API group {:?}, so {:?} cannot be added; use --group {} or scaffold a multigroup project (kubesmith init --multigroup)",
            other.group, options.group, other.group
        )));
    }
    if project.namespaced && !options.namespaced {
        return Err(ScaffoldError::Usage(format!(
            "{} would be cluster-scoped, but this project's manager is confined to its namespace (init --namespaced) and cannot watch it; drop --namespaced=false",
            options.kind
        )));
    }
    let existing = project.resource(&options.group, &options.version, &options.kind);
    let has_api = existing.is_some_and(|r| r.api.is_some());
    if options.resource && has_api && !options.force {
        return Err(ScaffoldError::DuplicateApi {
            group: options.group.clone(),
            version: options.version.clone(),
            kind: options.kind.clone(),
        });
    }
    if !options.resource && !has_api {
        return Err(ScaffoldError::Usage(format!(
            "--resource=false scaffolds a controller for an API of this project or a Kind of Kubernetes itself (apps/v1 Deployment, core/v1 Pod, ...), and {} {}/{} is neither; create the API first",
            options.kind, options.group, options.version
        )));
    }
    for other in &project.resources {
        let same_kind = other.group == options.group && other.kind == options.kind;
        if same_kind && other.plural != plural {
            return Err(ScaffoldError::Usage(format!(
                "{} is {:?} in {}; every version of a Kind has the same plural: pass --plural {}",
                other.kind, other.plural, other.version, other.plural
            )));
        }
        if !same_kind && other.group == options.group && other.plural == plural {
            return Err(ScaffoldError::Usage(format!(
                "the plural {plural:?} names {} already; pass another --plural",
                other.kind
            )));
        }
        let other_namespaced = other.api.as_ref().map(|api| api.namespaced);
        if same_kind
            && other.version != options.version
            && other_namespaced.is_some_and(|n| n != options.namespaced)
        {
            return Err(ScaffoldError::Usage(format!(
                "{} {} is {}; every version of a Kind has the same scope: pass --namespaced={}",
                other.kind,
                other.version,
                if options.namespaced {
                    "cluster-scoped"
                } else {
                    "namespaced"
                },
                !options.namespaced
            )));
        }
        if options.controller
            && same_kind
            && other.controller
            && (other.version != options.version || !options.force)
        {
            return Err(ScaffoldError::DuplicateController {
                group: other.group.clone(),
                version: other.version.clone(),
                kind: other.kind.clone(),
            });
        }
    }
    let api = if options.resource {
        Some(ApiInfo {
            crd_version: "v1".into(),
            namespaced: options.namespaced,
        })
    } else {
        existing.and_then(|r| r.api.clone())
    };
    Ok(Resource {
        api,
        controller: options.controller,
        controller_names: Vec::new(),
        domain: project.domain.clone(),
        external: false,
        cluster_scoped: false,
        group: options.group.clone(),
        kind: options.kind.clone(),
        module: None,
        path: format!(
            "api::{}{}::{}",
            if project.multigroup {
                format!("{}::", options.group)
            } else {
                String::new()
            },
            options.version,
            options.kind.to_ascii_lowercase()
        ),
        plural,
        version: options.version.clone(),
        webhooks: None,
    })
}

/// Checks a controller for another project's Kind, whose types are at `external.path`;
/// returns the resource to add.
fn check_external(
    project: &Project,
    options: &ApiOptions,
    external: &ExternalApi,
) -> Result<Resource, ScaffoldError> {
    if options.resource {
        return Err(ScaffoldError::Usage(
            "--external-api-path names another project's types: pass --resource=false (this project does not define them)".into(),
        ));
    }
    if !options.controller {
        return Err(ScaffoldError::Usage(
            "nothing to scaffold: --resource=false and --controller=false; drop one of them".into(),
        ));
    }
    names::check_group(&options.group, &external.domain)?;
    names::check_version(&options.version)?;
    names::check_kind(&options.kind)?;
    names::check_rust_path(&external.path)?;
    if let Some(module) = &external.module {
        names::check_external_module(module, &external.path)?;
    }
    let plural = options
        .plural
        .clone()
        .unwrap_or_else(|| names::plural(&options.kind.to_ascii_lowercase()));
    names::check_plural(&plural)?;
    if project.namespaced && !options.namespaced {
        return Err(ScaffoldError::Usage(format!(
            "{} would be cluster-scoped, but this project's manager is confined to its namespace (init --namespaced) and cannot watch it; drop --namespaced=false",
            options.kind
        )));
    }
    let existing = project.resource(&options.group, &options.version, &options.kind);
    if existing.is_some_and(|existing| !existing.external || existing.domain != external.domain) {
        return Err(ScaffoldError::Usage(format!(
            "{} {}/{} is in PROJECT already, and not as another project's Kind of {}",
            options.kind, options.group, options.version, external.domain
        )));
    }
    check_no_controller_yet(existing, options)?;
    Ok(Resource {
        api: None,
        controller: options.controller_name.is_none(),
        controller_names: options.controller_name.iter().cloned().collect(),
        domain: external.domain.clone(),
        external: true,
        cluster_scoped: !options.namespaced,
        group: options.group.clone(),
        kind: options.kind.clone(),
        module: external.module.clone(),
        path: external.path.clone(),
        plural,
        version: options.version.clone(),
        webhooks: None,
    })
}

/// Checks a controller for `core`, a Kind of Kubernetes itself; returns the resource to add.
fn check_core(
    project: &Project,
    options: &ApiOptions,
    core: &CoreKind,
) -> Result<Resource, ScaffoldError> {
    if !options.controller {
        return Err(ScaffoldError::Usage(
            "nothing to scaffold: --resource=false and --controller=false; drop one of them".into(),
        ));
    }
    if project.namespaced && !core.namespaced {
        return Err(ScaffoldError::Usage(format!(
            "{} is cluster-scoped, but this project's manager is confined to its namespace (init --namespaced) and cannot watch it",
            core.kind
        )));
    }
    if let Some(plural) = options
        .plural
        .as_ref()
        .filter(|plural| *plural != core.plural)
    {
        return Err(ScaffoldError::Usage(format!(
            "{} is {:?} in Kubernetes, not {plural:?}; drop --plural",
            core.kind, core.plural
        )));
    }
    check_no_controller_yet(
        project.resource(core.group, core.version, core.kind),
        options,
    )?;
    Ok(Resource {
        controller: options.controller_name.is_none(),
        controller_names: options.controller_name.iter().cloned().collect(),
        ..Resource::of_core_kind(core)
    })
}

/// Refuses a controller `existing` has already (the Kind's own, or one of that
/// `--controller-name`), unless `--force`.
fn check_no_controller_yet(
    existing: Option<&Resource>,
    options: &ApiOptions,
) -> Result<(), ScaffoldError> {
    if let Some(name) = &options.controller_name {
        names::check_controller_name(name)?;
    }
    let Some(existing) = existing else {
        return Ok(());
    };
    let present = match &options.controller_name {
        Some(name) => existing.controller_names.contains(name),
        None => existing.controller,
    };
    if present && !options.force {
        return Err(ScaffoldError::DuplicateController {
            group: existing.group.clone(),
            version: existing.version.clone(),
            kind: options.controller_name.as_ref().map_or_else(
                || existing.kind.clone(),
                |name| format!("{} ({name})", existing.kind),
            ),
        });
    }
    Ok(())
}

/// The types, the sample, the roles and their wiring (`templates/api/insertions.yaml`, made
/// after the kustomizations of api-first and the roles of api-kind exist).
fn scaffold_types(plan: &mut Plan<'_>, vars: &ResourceVars) -> Result<(), ScaffoldError> {
    plan.step("api-first", vars, Mode::Once)?;
    plan.step("api-kind", vars, Mode::Once)?;
    plan.step("api", vars, Mode::Create)?;
    let group = vars.qualified_group.clone();
    let version_dir = format!("src/api/{}{}", vars.group_dir, vars.version);
    plan.declare_module(
        &version_dir,
        &vars.kind_lower,
        &vars.project.header,
        &|dir| module_docs(dir, &group),
    )
}

/// The controller, its test, its sample in the end-to-end suite and their wiring. A controller
/// of a Kind of Kubernetes itself has no sample: the project does not own the Kind.
fn scaffold_controller(plan: &mut Plan<'_>, vars: &ResourceVars) -> Result<(), ScaffoldError> {
    if vars.owned {
        plan.step("controller", vars, Mode::Create)?;
        e2e::add_sample(plan, vars)?;
    } else {
        plan.step("controller-other-kind", vars, Mode::Create)?;
    }
    let group = vars.qualified_group.clone();
    let module_dir = format!("src/controller/{}", vars.group_dir)
        .trim_end_matches('/')
        .to_string();
    plan.declare_module(
        &module_dir,
        &vars.controller_module,
        &vars.project.header,
        &|dir| module_docs(dir, &group),
    )
}

/// The doc comment of a module directory created on the way to a Kind's module
/// (`src/api/batch`, `src/api/v1`, `src/webhook/batch/v1`, ...).
pub fn module_docs(dir: &str, qualified_group: &str) -> String {
    let area = dir
        .trim_start_matches("src/")
        .split('/')
        .next()
        .unwrap_or_default();
    let last = dir.rsplit('/').next().unwrap_or_default();
    let version = names::check_version(last).is_ok();
    match (area, version) {
        ("api", true) => format!(
            "`{qualified_group}/{last}`: the custom resources of this version, one module per Kind."
        ),
        ("api", false) => format!("The `{qualified_group}` API group, one module per version."),
        ("webhook", true) => {
            format!("The webhooks of `{qualified_group}/{last}`, one module per Kind.")
        }
        ("webhook", false) => {
            format!("The webhooks of the `{qualified_group}` group, one module per version.")
        }
        _ => format!("The controllers of the `{qualified_group}` group, one module per Kind."),
    }
}
