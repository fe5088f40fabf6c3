//! `kubesmith create webhook`: defaulting, validating and conversion webhooks of a Kind's
//! version — the module and its test, the conversion `From` implementations beside the
//! spokes, the webhook kustomizations and those of the certificate (cert-manager's, or the
//! manager's own with `init --webhook-certs self-managed`) — wired into the operator's
//! declaration and the end-to-end suite.

use std::path::Path;

use serde::Serialize;

use super::api::module_docs;
use super::e2e;
use crate::scaffold::engine::changes::Applied;
use crate::scaffold::engine::plan::{self, Mode, Plan};
use crate::scaffold::engine::templates::Templates;
use crate::scaffold::error::ScaffoldError;
use crate::scaffold::model::core_kinds;
use crate::scaffold::model::names;
use crate::scaffold::model::project::{PROJECT_FILE, Project, Resource, WebhookInfo};
use crate::scaffold::model::vars::{Dependency, ProjectVars, ResourceVars};

/// What `create webhook` scaffolds.
#[derive(Debug, Clone)]
pub struct WebhookOptions {
    /// The group (short: `batch`).
    pub group: String,
    /// The version (`v1`).
    pub version: String,
    /// The Kind (`CronJob`).
    pub kind: String,
    /// A defaulting (mutating) webhook.
    pub defaulting: bool,
    /// A validating webhook.
    pub validation: bool,
    /// A conversion webhook with this version as the hub.
    pub conversion: bool,
    /// The versions converted to and from the hub.
    pub spokes: Vec<String>,
    /// Scaffold the webhook's files again (to add a webhook type to a Kind that has one).
    pub force: bool,
}

/// The data of the webhook templates.
#[derive(Debug, Serialize)]
struct WebhookVars {
    #[serde(flatten)]
    resource: ResourceVars,
    defaulting: bool,
    validation: bool,
    conversion: bool,
    /// Defaulting or validation.
    admission: bool,
    /// The spoke versions, sorted.
    spokes: Vec<String>,
    /// The items the module imports from `kubesmith::webhook`, sorted.
    webhook_imports: String,
}

/// The data of the conversion template of one spoke.
#[derive(Debug, Serialize)]
struct ConversionVars<'a> {
    #[serde(flatten)]
    resource: &'a ResourceVars,
    spoke: &'a str,
    hub: &'a str,
}

/// Scaffolds the webhooks of `options` into the project in `dir`: every file or none.
pub fn create_webhook(
    dir: &Path,
    options: &WebhookOptions,
    templates: &Templates,
) -> Result<Applied, ScaffoldError> {
    let mut project = Project::read(dir)?;
    let (resource, webhooks) = match other_kind(&project, options) {
        Some(resource) => check_other_kind(options, resource)?,
        None => {
            let webhooks = check(&project, options)?;
            let resource = project
                .resource(&options.group, &options.version, &options.kind)
                .cloned()
                .ok_or_else(|| missing_api(options))?;
            (resource, webhooks)
        }
    };
    let header = plan::header(dir)?;
    let vars = WebhookVars::new(
        ResourceVars::new(
            ProjectVars::new(&project, &header, &Dependency::Registry),
            &resource,
        ),
        &webhooks,
    );

    let mut plan = Plan::new(dir, options.force, templates);
    plan.step("webhook-first", &vars, Mode::Once)?;
    if vars.resource.project.self_managed_certificates {
        plan.step("webhook-self-managed", &vars, Mode::Once)?;
    } else {
        plan.step("webhook-cert-manager", &vars, Mode::Once)?;
    }
    plan.step(
        if vars.resource.owned {
            "webhook"
        } else {
            "webhook-other-kind"
        },
        &vars,
        Mode::Create,
    )?;
    let group = vars.resource.qualified_group.clone();
    let version_dir = format!(
        "src/webhook/{}{}",
        vars.resource.group_dir, vars.resource.version
    );
    plan.declare_module(&version_dir, &vars.resource.kind_lower, &header, &|dir| {
        module_docs(dir, &group)
    })?;
    for spoke in &vars.spokes {
        let data = ConversionVars {
            resource: &vars.resource,
            spoke,
            hub: &vars.resource.version,
        };
        plan.step("conversion", &data, Mode::Create)?;
        let spoke_dir = format!("src/api/{}{spoke}", vars.resource.group_dir);
        plan.declare_module(
            &spoke_dir,
            &format!("{}_conversion", vars.resource.kind_lower),
            &header,
            &|dir| module_docs(dir, &group),
        )?;
    }
    // The kustomizations and the operator's declaration (and, with self-managed
    // certificates, what they go into): templates/webhook-wiring/insertions.yaml.
    plan.step("webhook-wiring", &vars, Mode::Create)?;
    // The end-to-end suite creates objects of the project's own Kinds only.
    if vars.resource.owned {
        let mut versions = Vec::new();
        if vars.admission {
            versions.push(vars.resource.version.clone());
        }
        versions.extend(vars.spokes.iter().cloned());
        e2e::add_webhook_objects(&mut plan, &vars.resource, &versions)?;
    }

    match project.resource_mut(&resource.group, &resource.version, &resource.kind) {
        Some(existing) => existing.webhooks = Some(webhooks),
        None => project.resources.push(Resource {
            webhooks: Some(webhooks),
            ..resource
        }),
    }
    plan.changes.replace(PROJECT_FILE, project.render()?);
    plan.apply()
}

fn missing_api(options: &WebhookOptions) -> ScaffoldError {
    ScaffoldError::MissingApi {
        group: options.group.clone(),
        version: options.version.clone(),
        kind: options.kind.clone(),
    }
}

/// The resource of a Kind the project does not own that the options name: a Kind of
/// Kubernetes itself (unless the project has an API of that name), or another project's Kind
/// added with `create api --external-api-path`.
fn other_kind(project: &Project, options: &WebhookOptions) -> Option<Resource> {
    if let Some(external) = project
        .resource(&options.group, &options.version, &options.kind)
        .filter(|resource| resource.external)
    {
        return Some(external.clone());
    }
    let core = core_kinds::find(&options.group, &options.version, &options.kind)?;
    match project.resource(core.group, core.version, core.kind) {
        Some(own) if own.api.is_some() => None,
        Some(existing) => Some(existing.clone()),
        None => Some(Resource::of_core_kind(core)),
    }
}

/// Checks webhooks for `resource`, a Kind the project does not own: admission only (its
/// versions are converted by whoever serves them). Returns it and its webhooks after this
/// command.
fn check_other_kind(
    options: &WebhookOptions,
    resource: Resource,
) -> Result<(Resource, WebhookInfo), ScaffoldError> {
    if options.conversion || !options.spokes.is_empty() {
        return Err(ScaffoldError::Usage(format!(
            "{} is not this project's Kind: whoever serves it converts its versions; --conversion is for this project's Kinds",
            resource.kind
        )));
    }
    if !(options.defaulting || options.validation) {
        return Err(ScaffoldError::Usage(
            "nothing to scaffold: pass --defaulting and/or --programmatic-validation".into(),
        ));
    }
    let webhooks = merge(&resource, options)?;
    Ok((resource, webhooks))
}

/// Checks the options against the project; returns the Kind's webhooks after this command.
fn check(project: &Project, options: &WebhookOptions) -> Result<WebhookInfo, ScaffoldError> {
    names::check_group(&options.group, &project.domain)?;
    names::check_version(&options.version)?;
    names::check_kind(&options.kind)?;
    if !(options.defaulting || options.validation || options.conversion) {
        return Err(ScaffoldError::Usage(
            "nothing to scaffold: pass --defaulting, --programmatic-validation and/or --conversion"
                .into(),
        ));
    }
    if options.conversion && options.spokes.is_empty() {
        return Err(ScaffoldError::Usage(
            "--conversion needs the versions that convert through this one: pass --spoke <version>[,<version>...]".into(),
        ));
    }
    if !options.conversion && !options.spokes.is_empty() {
        return Err(ScaffoldError::Usage(
            "--spoke goes with --conversion".into(),
        ));
    }
    let resource = project
        .resource(&options.group, &options.version, &options.kind)
        .filter(|resource| resource.api.is_some())
        .ok_or_else(|| missing_api(options))?;
    let versions: Vec<&str> = project
        .resources
        .iter()
        .filter(|r| r.group == options.group && r.kind == options.kind && r.api.is_some())
        .map(|r| r.version.as_str())
        .collect();
    for spoke in &options.spokes {
        names::check_version(spoke).map_err(|_| ScaffoldError::InvalidName {
            what: "--spoke version".into(),
            value: spoke.clone(),
            expected: "a Kubernetes API version such as v2 or v1beta1".into(),
        })?;
        if spoke == &options.version {
            return Err(ScaffoldError::Usage(format!(
                "--spoke {spoke} is the hub itself; the spokes are the other versions of {}",
                options.kind
            )));
        }
        if !versions.contains(&spoke.as_str()) {
            let others: Vec<&str> = versions
                .iter()
                .filter(|v| **v != options.version)
                .copied()
                .collect();
            return Err(ScaffoldError::InvalidSpoke {
                spoke: spoke.clone(),
                kind: options.kind.clone(),
                known: if others.is_empty() {
                    "no other version".into()
                } else {
                    others.join(", ")
                },
            });
        }
    }
    if options.conversion
        && let Some(hub) = project.resources.iter().find(|r| {
            r.group == options.group
                && r.kind == options.kind
                && r.version != options.version
                && r.webhooks.as_ref().is_some_and(|w| w.conversion)
        })
    {
        return Err(ScaffoldError::Usage(format!(
            "{} {} is the conversion hub of {} already; a Kind has one hub: run create webhook --conversion for {} with the new spokes",
            hub.kind, hub.version, hub.kind, hub.version
        )));
    }
    merge(resource, options)
}

/// The webhooks `resource` has after this command: those it had and those `options` add; a
/// webhook it has already is an error unless `--force`.
fn merge(resource: &Resource, options: &WebhookOptions) -> Result<WebhookInfo, ScaffoldError> {
    let existing = resource.webhooks.clone().unwrap_or_else(|| WebhookInfo {
        webhook_version: "v1".into(),
        ..WebhookInfo::default()
    });
    let duplicate = [
        (options.defaulting && existing.defaulting, "defaulting"),
        (options.validation && existing.validation, "validation"),
        (options.conversion && existing.conversion, "conversion"),
    ]
    .into_iter()
    .find(|(duplicate, _)| *duplicate);
    if let Some((_, which)) = duplicate
        && !options.force
    {
        return Err(ScaffoldError::DuplicateWebhook {
            group: resource.group.clone(),
            version: resource.version.clone(),
            kind: resource.kind.clone(),
            which,
        });
    }
    let mut spokes = existing.spoke.clone();
    spokes.extend(options.spokes.iter().cloned());
    spokes.sort();
    spokes.dedup();
    Ok(WebhookInfo {
        defaulting: existing.defaulting || options.defaulting,
        validation: existing.validation || options.validation,
        conversion: existing.conversion || options.conversion,
        spoke: spokes,
        webhook_version: existing.webhook_version,
    })
}

impl WebhookVars {
    fn new(resource: ResourceVars, webhooks: &WebhookInfo) -> Self {
        let admission = webhooks.defaulting || webhooks.validation;
        let mut imports = Vec::new();
        if admission {
            imports.extend(["AdmissionContext", "Webhook", "WebhookError"]);
        }
        if webhooks.defaulting {
            imports.push("Defaulter");
        }
        if webhooks.validation {
            imports.extend(["FieldError", "Validator", "Warnings"]);
        }
        if webhooks.conversion {
            imports.push("Conversion");
        }
        imports.sort_unstable();
        WebhookVars {
            resource,
            defaulting: webhooks.defaulting,
            validation: webhooks.validation,
            conversion: webhooks.conversion,
            admission,
            spokes: webhooks.spoke.clone(),
            webhook_imports: imports.join(", "),
        }
    }
}
