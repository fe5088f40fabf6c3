//! `Memcached` in `crew.testproject.org/v1alpha1`, the version the API server stores:
//! how many pods of `memcached:1.6` its controller runs (the deploy-image plugin).

use kube::CustomResource;
use kubesmith::conditions::Conditions;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// What a Memcached asks for. Add fields as the operand needs them: their doc comments become
/// the CRD's descriptions and their `#[k8s(...)]` markers its validation.
#[kubesmith::markers]
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[kube(
    group = "crew.testproject.org",
    version = "v1alpha1",
    kind = "Memcached",
    plural = "memcacheds",
    namespaced,
    status = "MemcachedStatus",
    derive = "PartialEq",
    derive = "Default"
)]
#[serde(rename_all = "camelCase")]
pub struct MemcachedSpec {
    /// How many pods run the image: 1 to 3, 1 when left out.
    #[k8s(minimum = 1, maximum = 3, default = 1, print_column)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<i32>,
    /// The port the container listens on: 11211 when left out.
    #[k8s(minimum = 1, maximum = 65535, default = 11211)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_port: Option<i32>,
}

/// What the controller observed of a Memcached.
#[kubesmith::markers]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MemcachedStatus {
    /// `Available` (every pod of the Deployment is available), `Progressing` (it is being
    /// created, scaled or rolled out) and `Degraded` (it could not be written, or the Memcached
    /// is being deleted), each for the generation it names.
    #[serde(default, skip_serializing_if = "Conditions::is_empty")]
    pub conditions: Conditions,
}
