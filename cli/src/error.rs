//! The error every `kubesmith` command returns.

use std::io;

/// A command failed, or its output could not be written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// `api diff` could not compare, or found breaking changes under `--check`.
    #[error(transparent)]
    ApiDiff(#[from] crate::api_diff::ApiDiffError),
    /// An `envtest` command failed.
    #[error(transparent)]
    Envtest(#[from] crate::envtest::Error),
    /// `alpha helm-chart` could not make the chart (nothing was written).
    #[error(transparent)]
    Helm(#[from] crate::helm::HelmError),
    /// A scaffolding command refused or failed (nothing was changed).
    #[error(transparent)]
    Scaffold(#[from] crate::scaffold::error::ScaffoldError),
    /// Writing the result to stdout failed (e.g. a closed pipe).
    #[error("could not write the output: {0}")]
    Output(#[from] io::Error),
}
