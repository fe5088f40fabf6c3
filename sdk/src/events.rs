//! Kubernetes events (events.k8s.io/v1), recorded per controller.
//!
//! Each controller gets a [`Recorder`] whose reporting controller is the controller's name and
//! whose instance is the manager's identity; reach it through
//! [`Context::recorder`](crate::reconcile::Context::recorder).
//!
//! ```no_run
//! use std::sync::Arc;
//! use k8s_openapi::api::core::v1::ConfigMap;
//! use kube::Resource;
//! use kubesmith::events::{Event, EventType};
//! use kubesmith::reconcile::Context;
//!
//! # async fn example(object: Arc<ConfigMap>, ctx: &Context) -> Result<(), kube::Error> {
//! let event = Event {
//!     type_: EventType::Normal,
//!     reason: "Synced".into(),
//!     note: Some("applied the desired state".into()),
//!     action: "Reconcile".into(),
//!     secondary: None,
//! };
//! ctx.recorder().publish(&event, &object.object_ref(&())).await?;
//! # Ok(()) }
//! ```

use kube::Client;

pub use kube::runtime::events::{Event, EventType, Recorder, Reporter};

use crate::rbac::Rule;

/// The recorder of the controller `controller`, reporting as `instance`.
pub fn recorder(client: Client, controller: &str, instance: &str) -> Recorder {
    Recorder::new(
        client,
        Reporter {
            controller: controller.to_string(),
            instance: Some(instance.to_string()),
        },
    )
}

/// The RBAC rules recording events needs: create events, and patch them to count repeats
/// (the recorder writes `events.k8s.io/v1` events only).
pub fn rbac_rules() -> Vec<Rule> {
    vec![Rule::new(
        &["events.k8s.io"],
        &["events"],
        &["create", "patch"],
    )]
}
