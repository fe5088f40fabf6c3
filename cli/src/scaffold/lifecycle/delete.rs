//! `kubesmith delete api` and `kubesmith delete webhook`: take back what `create api` or
//! `create webhook` added — its files, its lines at the scaffold markers, its PROJECT entry —
//! refusing to delete a generated file edited since (unless `--force`); all or nothing.

use std::path::{Path, PathBuf};

use super::transition;
use crate::scaffold::engine::changes::{Applied, ChangeSet};
use crate::scaffold::engine::templates::Templates;
use crate::scaffold::error::ScaffoldError;
use crate::scaffold::model::project::{Project, Resource};
use crate::scaffold::plugins;

/// Which version of which Kind.
#[derive(Debug, Clone)]
pub struct Target {
    /// The group (short: `batch`).
    pub group: String,
    /// The version (`v1`).
    pub version: String,
    /// The Kind (`CronJob`).
    pub kind: String,
}

impl Target {
    fn describe(&self) -> String {
        format!("{} {}/{}", self.kind, self.group, self.version)
    }

    fn find<'p>(&self, project: &'p Project) -> Option<&'p Resource> {
        project.resource(&self.group, &self.version, &self.kind)
    }
}

/// Deletes the API (types and controller) of `target` from the project in `dir`.
pub fn delete_api(
    dir: &Path,
    target: &Target,
    force: bool,
    templates: &Templates,
) -> Result<Applied, ScaffoldError> {
    let from = Project::read(dir)?;
    let resource = target
        .find(&from)
        .filter(|r| r.api.is_some() || r.controller)
        .ok_or_else(|| {
            ScaffoldError::Usage(format!(
                "{} has no API in this project; `kubesmith create api` adds one",
                target.describe()
            ))
        })?;
    if resource.webhooks.is_some() {
        return Err(ScaffoldError::Usage(format!(
            "{} has webhooks, which need its API; delete them first: kubesmith delete webhook --group {} --version {} --kind {}",
            target.describe(),
            target.group,
            target.version,
            target.kind
        )));
    }
    if let Some(hub) = from.resources.iter().find(|other| {
        other.group == target.group
            && other.kind == target.kind
            && other
                .webhooks
                .as_ref()
                .is_some_and(|w| w.spoke.contains(&target.version))
    }) {
        return Err(ScaffoldError::Usage(format!(
            "{} is converted through the conversion webhook of {}; delete that webhook first: kubesmith delete webhook --group {} --version {} --kind {}",
            target.describe(),
            hub.version,
            hub.group,
            hub.version,
            hub.kind
        )));
    }
    let mut to = from.clone();
    to.resources.retain(|r| {
        !(r.group == target.group && r.version == target.version && r.kind == target.kind)
    });
    plugins::forget_resource(&mut to, resource);
    let mut changes = transition::plan(dir, &from, &to, force, templates)?;
    remove_generated_crd(&mut changes, &to, resource);
    transition::apply(changes)
}

/// Deletes the webhooks of `target` from the project in `dir`.
pub fn delete_webhook(
    dir: &Path,
    target: &Target,
    force: bool,
    templates: &Templates,
) -> Result<Applied, ScaffoldError> {
    let from = Project::read(dir)?;
    if target
        .find(&from)
        .and_then(|r| r.webhooks.as_ref())
        .is_none()
    {
        return Err(ScaffoldError::Usage(format!(
            "{} has no webhook in this project; `kubesmith create webhook` adds one",
            target.describe()
        )));
    }
    let mut to = from.clone();
    if let Some(resource) = to.resource_mut(&target.group, &target.version, &target.kind) {
        resource.webhooks = None;
    }
    let changes = transition::plan(dir, &from, &to, force, templates)?;
    transition::apply(changes)
}

/// The CRD `make manifests` wrote for the Kind goes when its last version with types does.
fn remove_generated_crd(changes: &mut ChangeSet, to: &Project, deleted: &Resource) {
    let remains = to
        .resources
        .iter()
        .any(|r| r.group == deleted.group && r.kind == deleted.kind && r.api.is_some());
    if deleted.api.is_some() && !remains {
        let file = PathBuf::from(format!(
            "config/crd/bases/{}.{}_{}.yaml",
            deleted.group, deleted.domain, deleted.plural
        ));
        if changes.root().join(&file).exists() {
            changes.remove(file);
        }
    }
}
