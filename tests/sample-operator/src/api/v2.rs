//! `demo.kubesmith.dev/v2`: the message is `text`, and only ASCII. Converts to and from the
//! v1 hub.

use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::v1::{self, GreetingStatus};

/// A greeting to publish as a ConfigMap.
#[kubesmith::markers]
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[kube(
    group = "demo.kubesmith.dev",
    version = "v2",
    kind = "Greeting",
    namespaced
)]
#[kube(
    status = "GreetingStatus",
    shortname = "gr",
    derive = "PartialEq",
    storage = false
)]
pub struct GreetingSpec {
    /// The text to publish, ASCII only.
    #[k8s(print_column)]
    #[serde(default)]
    pub text: String,
}

/// Why a v1 Greeting cannot be expressed in v2.
#[derive(Debug, thiserror::Error)]
#[error("v2 greetings are ASCII only; the message {0:?} is not")]
pub struct NotAscii(String);

impl TryFrom<v1::Greeting> for Greeting {
    type Error = NotAscii;

    fn try_from(hub: v1::Greeting) -> Result<Self, NotAscii> {
        if !hub.spec.message.is_ascii() {
            return Err(NotAscii(hub.spec.message));
        }
        Ok(Greeting {
            metadata: hub.metadata,
            spec: GreetingSpec {
                text: hub.spec.message,
            },
            status: hub.status,
        })
    }
}

impl From<Greeting> for v1::Greeting {
    fn from(spoke: Greeting) -> Self {
        v1::Greeting {
            metadata: spoke.metadata,
            spec: v1::GreetingSpec {
                message: spoke.spec.text,
            },
            status: spoke.status,
        }
    }
}
