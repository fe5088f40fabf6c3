//! What can go wrong making a chart.

use std::path::PathBuf;

/// `alpha helm-chart` could not make the chart; nothing was written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HelmError {
    /// The rendered manifests are missing.
    #[error("{} not found: run `make build-installer` first, which writes it", path.display())]
    MissingInput {
        /// The file looked for.
        path: PathBuf,
    },
    /// Reading or writing a file failed.
    #[error("{what} {}: {source}", path.display())]
    Io {
        /// What was being done.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// Why it failed.
        source: std::io::Error,
    },
    /// YAML could not be read or written.
    #[error("could not read or write {what} as YAML: {message}")]
    Yaml {
        /// What it was.
        what: String,
        /// The parser's or writer's message.
        message: String,
    },
    /// The manifests have no Deployment of a manager.
    #[error(
        "{} has no Deployment: the chart's manager settings come from the manager's Deployment",
        path.display()
    )]
    NoManager {
        /// The rendered manifests.
        path: PathBuf,
    },
    /// A setting the chart needs sits where a template cannot put its condition.
    #[error("cannot make a template of the line `{0}` (a setting as the first key of a list item)")]
    Layout(String),
    /// The kept `values.yaml` lacks values the new templates read.
    #[error(
        "{} lacks values the templates now read: {}; add them (see `--force` to write the file again)",
        path.display(),
        missing.join(", ")
    )]
    StaleValues {
        /// The kept values.
        path: PathBuf,
        /// The dotted paths it lacks.
        missing: Vec<String>,
    },
}
