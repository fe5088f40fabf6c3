//! `kubesmith alpha helm-chart`: reads the rendered manifests, writes the chart.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Args;

use super::chart::chart;
use super::error::HelmError;
use super::values;

/// Where the chart comes from and goes.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  make build-installer IMG=registry.example.com/op:v1   # with the helm plugin, this runs it\n  kubesmith alpha helm-chart\n  helm template op dist/chart --namespace op-system\n  kubesmith alpha helm-chart --force   # values.yaml and Chart.yaml written again too"
)]
pub struct HelmChartArgs {
    /// The rendered manifests, relative to the project (`make build-installer` writes them).
    #[arg(long, default_value = "dist/install.yaml")]
    pub input: PathBuf,
    /// The chart's directory, relative to the project.
    #[arg(long, default_value = "dist/chart")]
    pub output: PathBuf,
    /// Write values.yaml and Chart.yaml again too (otherwise they are kept once written).
    #[arg(long)]
    pub force: bool,
}

impl HelmChartArgs {
    /// Writes the chart of the project in `dir`: every file or none.
    pub fn run(&self, dir: &Path, out: &mut dyn Write) -> Result<(), crate::Error> {
        let input = dir.join(&self.input);
        let rendered = std::fs::read_to_string(&input).map_err(|source| {
            if source.kind() == std::io::ErrorKind::NotFound {
                HelmError::MissingInput {
                    path: self.input.clone(),
                }
            } else {
                HelmError::Io {
                    what: "reading",
                    path: input.clone(),
                    source,
                }
            }
        })?;
        let chart = chart(&rendered, &self.input)?;
        let output = dir.join(&self.output);
        let values_path = output.join("values.yaml");
        if !self.force && values_path.exists() {
            let text = read(&values_path)?;
            let kept: serde_json::Value =
                serde_saphyr::from_str(&text).map_err(|error| HelmError::Yaml {
                    what: values_path.display().to_string(),
                    message: error.to_string(),
                })?;
            let missing = values::missing(&kept, &chart.references);
            if !missing.is_empty() {
                return Err(HelmError::StaleValues {
                    path: self.output.join("values.yaml"),
                    missing,
                }
                .into());
            }
        }

        let mut files = chart.templates;
        for (name, text) in [
            ("values.yaml", chart.values),
            ("Chart.yaml", chart.chart_yaml),
        ] {
            if self.force || !output.join(name).exists() {
                files.insert(PathBuf::from(name), text);
            }
        }
        replace_chart(&output, &files)?;
        writeln!(
            out,
            "wrote the chart {} into {} ({} templates)\nNext: helm template {} {} --namespace <namespace>",
            chart.name,
            self.output.display(),
            files
                .keys()
                .filter(|path| path.starts_with("templates"))
                .count(),
            chart.name,
            self.output.display(),
        )?;
        Ok(())
    }
}

fn read(path: &Path) -> Result<String, HelmError> {
    std::fs::read_to_string(path).map_err(|source| HelmError::Io {
        what: "reading",
        path: path.to_path_buf(),
        source,
    })
}

/// Writes `files` into the chart `output`, its `templates/` replaced whole: the new files go
/// to a staging directory first and are moved in once all are written.
fn replace_chart(
    output: &Path,
    files: &std::collections::BTreeMap<PathBuf, String>,
) -> Result<(), HelmError> {
    let io = |what: &'static str, path: &Path| {
        let path = path.to_path_buf();
        move |source| HelmError::Io { what, path, source }
    };
    std::fs::create_dir_all(output).map_err(io("creating", output))?;
    let staging = tempfile::Builder::new()
        .prefix(".chart-")
        .tempdir_in(output)
        .map_err(io("creating a directory in", output))?;
    for (path, text) in files {
        let staged = staging.path().join(path);
        if let Some(parent) = staged.parent() {
            std::fs::create_dir_all(parent).map_err(io("creating", parent))?;
        }
        std::fs::write(&staged, text).map_err(io("writing", &staged))?;
    }
    let templates = output.join("templates");
    let old = staging.path().join("old-templates");
    if templates.exists() {
        std::fs::rename(&templates, &old).map_err(io("moving", &templates))?;
    }
    for path in files.keys() {
        if path.starts_with("templates") {
            continue;
        }
        let target = output.join(path);
        std::fs::rename(staging.path().join(path), &target).map_err(io("writing", &target))?;
    }
    std::fs::rename(staging.path().join("templates"), &templates).map_err(|source| {
        // Put the old templates back rather than leave the chart without any.
        let _ = std::fs::rename(&old, &templates);
        io("writing", &templates)(source)
    })?;
    Ok(())
}
