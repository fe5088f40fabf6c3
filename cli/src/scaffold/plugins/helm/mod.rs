//! `helm.kubesmith.dev/v1-alpha`: a Helm chart of the project in `dist/chart`, made from the
//! rendered manifests by `kubesmith alpha helm-chart` (see [`crate::helm`]). The plugin puts
//! that command into `make build-installer`, so the chart follows `dist/install.yaml` each
//! time it is written; `edit --plugins helm` runs `make build-installer` once to write it. A
//! GitHub workflow (`.github/workflows/test-chart.yml`) lints the chart and installs it into a
//! kind cluster.

use super::plugin::{Plugin, Scope};
use crate::scaffold::engine::plan::{Mode, Plan};
use crate::scaffold::error::ScaffoldError;
use crate::scaffold::model::vars::ProjectVars;

/// The Helm plugin.
#[derive(Debug, Clone, Copy)]
pub struct Helm;

impl Plugin for Helm {
    fn name(&self) -> &'static str {
        "helm"
    }

    fn key(&self) -> &'static str {
        "helm.kubesmith.dev/v1-alpha"
    }

    fn summary(&self) -> &'static str {
        "a Helm chart in dist/chart, written by make build-installer"
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
        // Its files, and the chart's line in the Makefile's build-installer
        // (templates/helm/insertions.yaml).
        plan.step("helm", project, Mode::Create)
    }

    fn make_targets(&self) -> &'static [&'static str] {
        &["build-installer"]
    }
}
