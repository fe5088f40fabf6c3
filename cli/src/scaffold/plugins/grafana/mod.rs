//! `grafana.kubesmith.dev/v1-alpha`: Grafana dashboards for the metrics every kubesmith
//! manager serves — reconciles, the work queue, webhooks and leader election
//! (`grafana/controller-runtime-metrics.json`), and the process's CPU, memory and file
//! descriptors (`grafana/controller-resources-metrics.json`) — with a README on importing
//! them. Its panels are data ([`dashboards`]); its README is the template step `grafana`.

pub mod dashboards;

use super::plugin::{Plugin, Scope};
use crate::scaffold::engine::plan::{Mode, Plan};
use crate::scaffold::error::ScaffoldError;
use crate::scaffold::model::vars::ProjectVars;

/// The Grafana plugin.
#[derive(Debug, Clone, Copy)]
pub struct Grafana;

impl Plugin for Grafana {
    fn name(&self) -> &'static str {
        "grafana"
    }

    fn key(&self) -> &'static str {
        "grafana.kubesmith.dev/v1-alpha"
    }

    fn summary(&self) -> &'static str {
        "Grafana dashboards of the manager's metrics"
    }

    fn scope(&self) -> Scope {
        Scope::Project
    }

    fn scaffold(
        &self,
        plan: &mut Plan<'_>,
        project: &ProjectVars,
        _settings: &serde_json::Value,
    ) -> Result<(), ScaffoldError> {
        for dashboard in dashboards::DASHBOARDS {
            let text = dashboards::render(dashboard, &project.project_name);
            plan.changes.create(dashboard.file, text)?;
        }
        plan.step("grafana", project, Mode::Create)
    }
}
