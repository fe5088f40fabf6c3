//! `demo.kubesmith.dev/v1`: the storage version, and the hub other versions convert through.

use kube::CustomResource;
use kubesmith::conditions::Conditions;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A greeting to publish as a ConfigMap.
#[kubesmith::markers]
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[kube(
    group = "demo.kubesmith.dev",
    version = "v1",
    kind = "Greeting",
    namespaced
)]
#[kube(status = "GreetingStatus", shortname = "gr", derive = "PartialEq")]
pub struct GreetingSpec {
    /// The text to publish (the defaulting webhook fills in "Hello" when it is empty).
    #[k8s(print_column)]
    #[serde(default)]
    pub message: String,
}

/// What the controller last did for a `Greeting`.
#[kubesmith::markers]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GreetingStatus {
    /// Name of the ConfigMap holding the message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_map: Option<String>,
    /// The `metadata.generation` this status reflects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// `Ready` once the ConfigMap holds the current message.
    #[serde(default)]
    pub conditions: Conditions,
}

impl Greeting {
    /// The name of the ConfigMap that belongs to this Greeting.
    pub fn config_map_name(&self) -> String {
        format!(
            "{}-greeting",
            self.metadata.name.as_deref().unwrap_or_default()
        )
    }

    /// Whether the status reflects the current generation and is `Ready`.
    pub fn is_converged(&self) -> bool {
        self.status.as_ref().is_some_and(|status| {
            status.observed_generation == self.metadata.generation
                && status.conditions.is_true("Ready")
        })
    }
}
