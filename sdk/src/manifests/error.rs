//! Why manifests could not be generated, or are stale.

use std::path::PathBuf;

use crate::schema::SchemaError;

/// Why manifests could not be generated or are stale.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A CRD schema failed its checks.
    #[error(transparent)]
    Schema(#[from] SchemaError),
    /// The versions of one CRD do not have exactly one storage version.
    #[error(
        "CRD {crd}: expected exactly one storage version, found {found:?}; mark the others #[kube(storage = false)]"
    )]
    StorageVersion {
        /// The CRD name.
        crd: String,
        /// Versions marked storage.
        found: Vec<String>,
    },
    /// Versions of one CRD disagree on group, kind or scope.
    #[error("CRD {crd}: versions cannot be merged: {reason}")]
    Merge {
        /// The CRD name.
        crd: String,
        /// What differs.
        reason: String,
    },
    /// The webhooks of a Kind are declared with settings the API server refuses.
    #[error("the webhooks of {kind}: {}", .problems.join("; "))]
    Webhook {
        /// The Kind, `group/version Kind`.
        kind: String,
        /// What is wrong.
        problems: Vec<String>,
    },
    /// Rendering YAML failed.
    #[error("rendering {path}: {reason}")]
    Render {
        /// The file being rendered.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Files on disk differ from what the types generate.
    #[error("stale manifests (run `make manifests`): {}", .0.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", "))]
    Stale(Vec<PathBuf>),
}
