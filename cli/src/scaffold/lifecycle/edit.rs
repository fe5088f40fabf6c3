//! `kubesmith edit`: project-wide options changed after `init` — `--namespaced` (the manager
//! confined to its namespace, or not), `--webhook-certs` (cert-manager's or the manager's own
//! webhook certificates), `--multigroup` (one module per API group) and `--plugins` (plugins
//! added to the project). Turning multigroup on moves the existing Kinds' files into their
//! group's directories and rewrites the module paths in every Rust file of the project.

use std::path::Path;

use super::moves::Moves;
use super::transition;
use crate::scaffold::engine::changes::Applied;
use crate::scaffold::engine::templates::Templates;
use crate::scaffold::error::ScaffoldError;
use crate::scaffold::model::project::{Project, WebhookCertificates};
use crate::scaffold::plugins;

/// The options to change; `None` leaves one as it is.
#[derive(Debug, Clone, Default)]
pub struct EditOptions {
    /// Confine the manager to its namespace (`true`) or let it watch the cluster.
    pub namespaced: Option<bool>,
    /// One module per API group.
    pub multigroup: Option<bool>,
    /// Where the webhook serving certificate comes from.
    pub webhook_certificates: Option<WebhookCertificates>,
    /// Plugins to add, by name or key.
    pub plugins: Vec<String>,
    /// Delete or overwrite generated files edited since.
    pub force: bool,
}

/// Changes the project-wide options of the project in `dir`.
pub fn edit(
    dir: &Path,
    options: &EditOptions,
    templates: &Templates,
) -> Result<Applied, ScaffoldError> {
    let from = Project::read(dir)?;
    let mut to = from.clone();
    if let Some(namespaced) = options.namespaced {
        if let Some(cluster) = from
            .resources
            .iter()
            .find(|r| namespaced && r.api.as_ref().is_some_and(|api| !api.namespaced))
        {
            return Err(ScaffoldError::Usage(format!(
                "{} {}/{} is cluster-scoped, and a manager confined to its namespace cannot watch it; delete that API first or keep --namespaced=false",
                cluster.kind, cluster.group, cluster.version
            )));
        }
        to.namespaced = namespaced;
    }
    if let Some(multigroup) = options.multigroup {
        if from.multigroup && !multigroup {
            return Err(ScaffoldError::Usage(
                "a multigroup project stays multigroup: its groups' modules cannot be merged into one; --multigroup=false is only the default of new projects".into(),
            ));
        }
        to.multigroup = multigroup;
        if multigroup && !from.multigroup {
            for resource in to.resources.iter_mut().filter(|r| r.core_kind().is_none()) {
                resource.path =
                    resource
                        .path
                        .replacen("api::", &format!("api::{}::", resource.group), 1);
            }
        }
    }
    if let Some(certificates) = options.webhook_certificates {
        to.webhook_certificates = certificates;
    }
    for (key, settings) in plugins::selected(&options.plugins)? {
        to.plugins.entry(key).or_insert(settings);
    }
    to.check_options()?;
    if to == from {
        return Err(ScaffoldError::Usage(
            "nothing to change: the project has these options and plugins already; pass --namespaced, --multigroup or --webhook-certs with the other value, or --plugins with a plugin it does not use".into(),
        ));
    }
    let moves = if to.multigroup && !from.multigroup {
        Moves::to_multigroup(&from)
    } else {
        Moves::default()
    };
    let changes = transition::plan_with_moves(dir, &from, &to, &moves, options.force, templates)?;
    transition::apply(changes)
}
