//! Running every check over a CRD and reporting problems with Rust and JSON names.

use std::fmt;

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;

use super::names::RustNames;
use super::structural::Walker;

/// One problem found in a generated schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The Kind.
    pub kind: String,
    /// The API version (`v1`).
    pub version: String,
    /// The JSON path of the schema node (`spec.jobTemplate.containers[*].name`).
    pub path: String,
    /// The Rust type and field the node comes from (`CronJobSpec.job_template`), where known.
    pub rust: Option<String>,
    /// What is wrong, with what was expected and what was found.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.kind, self.version)?;
        match &self.rust {
            Some(rust) => write!(f, " {rust} (`{}`)", self.path)?,
            None => write!(f, " `{}`", self.path)?,
        }
        write!(f, ": {}", self.message)
    }
}

/// A generated CRD that the API server would reject or that breaks its own rules.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SchemaError {
    /// The schema checks found problems.
    #[error("{} problem(s) in the CRD schema:\n{}", .0.len(), .0.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n"))]
    Invalid(Vec<Problem>),
    /// kube-derive could not build the schema (it panics on shapes with no structural form).
    #[error(
        "{crd}: no structural schema can be built: {message}; enums that are internally or adjacently tagged, untagged, or mix unit and data variants have none (#[kubesmith::markers] on the enum reports which at compile time)"
    )]
    Generation {
        /// The CRD name.
        crd: String,
        /// What kube-derive reported.
        message: String,
    },
    /// The CRD has a version without an `openAPIV3Schema`.
    #[error("{kind} {version}: the version has no openAPIV3Schema")]
    MissingSchema {
        /// The Kind.
        kind: String,
        /// The version.
        version: String,
    },
}

/// Checks every version of `crd`: structural-schema rules, CEL rules, list-map keys and
/// defaults. `names` maps schema nodes back to Rust types (empty names give JSON paths only).
pub fn check_crd(crd: &CustomResourceDefinition, names: &RustNames) -> Result<(), SchemaError> {
    let mut problems = Vec::new();
    for version in &crd.spec.versions {
        let Some(schema) = version
            .schema
            .as_ref()
            .and_then(|schema| schema.open_api_v3_schema.as_ref())
        else {
            return Err(SchemaError::MissingSchema {
                kind: crd.spec.names.kind.clone(),
                version: version.name.clone(),
            });
        };
        let schema = serde_json::to_value(schema).unwrap_or_default();
        let mut walker = Walker::new(names);
        walker.root(&schema);
        problems.extend(
            walker
                .finish()
                .into_iter()
                .map(|(path, rust, message)| Problem {
                    kind: crd.spec.names.kind.clone(),
                    version: version.name.clone(),
                    path,
                    rust,
                    message,
                }),
        );
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(SchemaError::Invalid(problems))
    }
}
