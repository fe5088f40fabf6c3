//! `Captain` in `crew.testproject.org/v1`, the version the API server stores.

use kube::CustomResource;
use kubesmith::conditions::Conditions;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// What a Captain asks for. Edit the fields: their doc comments become the CRD's descriptions
/// and their `#[k8s(...)]` markers its validation (`make manifests` writes it).
#[kubesmith::markers]
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[kube(
    group = "crew.testproject.org",
    version = "v1",
    kind = "Captain",
    plural = "captains",
    namespaced,
    status = "CaptainStatus",
    derive = "PartialEq",
    derive = "Default"
)]
#[serde(rename_all = "camelCase")]
pub struct CaptainSpec {
    /// An example field; replace it with your own.
    #[k8s(max_length = 64, print_column)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub foo: Option<String>,
}

/// What the controller observed of a Captain.
#[kubesmith::markers]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CaptainStatus {
    /// The current state: `Ready` says whether the controller has reconciled the spec of the
    /// generation it names.
    #[serde(default, skip_serializing_if = "Conditions::is_empty")]
    pub conditions: Conditions,
}
