//! cert-manager's Helm chart (from the release's module) rendered with `helm template` into
//! one YAML stream that `kubectl apply --server-side` takes: the Namespace first, then the
//! chart's objects with the CRDs, the local image tags ([`Component::image`]) pulled
//! `IfNotPresent`, and no startupapicheck hook Job.
//!
//! The chart in the repository carries the placeholder version `v0.0.0` that cert-manager's
//! release tool replaces; the copy rendered here gets [`VERSION`] the same way, so image tags
//! and version labels name the release.

use std::path::Path;
use std::process::Command;

use anyhow::Context as _;

use super::component::{Component, NAMESPACE, VERSION};
use super::source::{self, Source};
use crate::go_tool;
use crate::helm::helm;
use crate::scaffolded::check_success;

/// The Helm release name (the objects' name prefix).
pub const RELEASE: &str = "cert-manager";

/// The Kubernetes version the chart is rendered for (the clusters' of the tests).
pub const KUBE_VERSION: &str = "v1.37.2";

/// The chart's placeholder version, replaced by the release's.
const PLACEHOLDER_VERSION: &str = "v0.0.0";

/// The values set on the chart.
const VALUES: [&str; 5] = [
    "crds.enabled=true",
    "startupapicheck.enabled=false",
    "image.pullPolicy=IfNotPresent",
    "webhook.image.pullPolicy=IfNotPresent",
    "cainjector.image.pullPolicy=IfNotPresent",
];

/// The rendered manifests (building helm first when this machine has none).
pub fn manifests() -> anyhow::Result<String> {
    let helm = helm()?;
    let go = go_tool::go()?;
    let source = source::download(&go)?;
    let chart = tempfile::tempdir().context("a directory for the chart")?;
    copy_chart(&source, chart.path())?;
    let mut command = Command::new(&helm);
    command.args(["template", RELEASE]).arg(chart.path()).args([
        "--namespace",
        NAMESPACE,
        "--kube-version",
        KUBE_VERSION,
    ]);
    for value in VALUES {
        command.args(["--set", value]);
    }
    let output = command
        .output()
        .with_context(|| format!("running {}", helm.display()))?;
    check_success("helm template of cert-manager's chart", &output)?;
    let rendered = String::from_utf8(output.stdout).context("helm printed no UTF-8")?;
    for component in Component::ALL {
        anyhow::ensure!(
            rendered.contains(&format!("image: \"{}\"", component.image())),
            "the rendered chart does not run {}",
            component.image()
        );
    }
    Ok(format!("{}{rendered}", namespace_document()))
}

/// The Namespace the chart's objects live in (`helm install --create-namespace` would make it).
fn namespace_document() -> String {
    format!("---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: {NAMESPACE}\n")
}

/// Copies the release's chart into `to`, its version set to [`VERSION`].
fn copy_chart(source: &Source, to: &Path) -> anyhow::Result<()> {
    let from = source.chart_dir();
    let files = kubesmith_cli::scaffold::engine::tree::read_files(&from)
        .with_context(|| format!("reading the chart in {}", from.display()))?;
    anyhow::ensure!(
        files.contains_key(Path::new("Chart.yaml")),
        "{} holds no Chart.yaml",
        from.display()
    );
    for (path, text) in files {
        let text = if path == Path::new("Chart.yaml") {
            with_version(&text)?
        } else {
            text
        };
        let target = to.join(&path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        std::fs::write(&target, text).with_context(|| format!("writing {}", target.display()))?;
    }
    Ok(())
}

/// Chart.yaml with its `version` and `appVersion` set to [`VERSION`]; both must be there.
fn with_version(chart_yaml: &str) -> anyhow::Result<String> {
    let mut replaced = 0;
    let lines: Vec<String> = chart_yaml
        .lines()
        .map(|line| match line.split_once(':') {
            Some((key @ ("version" | "appVersion"), value))
                if value.trim() == PLACEHOLDER_VERSION =>
            {
                replaced += 1;
                format!("{key}: {VERSION}")
            }
            _ => line.to_owned(),
        })
        .collect();
    anyhow::ensure!(
        replaced == 2,
        "expected `version: {PLACEHOLDER_VERSION}` and `appVersion: {PLACEHOLDER_VERSION}` in \
         the chart's Chart.yaml, found {replaced} of them"
    );
    Ok(lines.join("\n") + "\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chart_gets_the_release_version() {
        let chart = "apiVersion: v2\nname: cert-manager\n# set by the release tool\nversion: v0.0.0\nappVersion: v0.0.0\n";
        let text = with_version(chart).expect("a versioned chart");
        assert!(text.contains(&format!("\nversion: {VERSION}\n")), "{text}");
        assert!(
            text.contains(&format!("\nappVersion: {VERSION}\n")),
            "{text}"
        );
        assert!(text.contains("\nname: cert-manager\n"), "{text}");
    }

    #[test]
    fn a_chart_without_the_placeholder_is_refused() {
        let error = with_version("apiVersion: v2\nversion: 1.2.3\n").expect_err("refused");
        assert!(error.to_string().contains("found 0"), "{error}");
    }

    #[test]
    fn the_namespace_comes_first_as_its_own_document() {
        let document = namespace_document();
        assert!(document.starts_with("---\napiVersion: v1\nkind: Namespace\n"));
        assert!(document.ends_with("  name: cert-manager\n"));
    }
}
