//! Status conditions, as the API conventions ask: [`Conditions`] for the status of a custom
//! resource (a list keyed by `type`, set by type, `lastTransitionTime` changing only with the
//! status), [`ConditionBuilder`] to make one that observes the object's generation, and
//! [`find_condition`] / [`is_true`] to read the conditions of any kind — a custom resource's,
//! or a Deployment's `Available`, a Pod's `Ready`, a Job's `Complete` through
//! [`HasConditions`].
//!
//! ```
//! use k8s_openapi::api::apps::v1::{Deployment, DeploymentCondition, DeploymentStatus};
//! use k8s_openapi::api::core::v1::ConfigMap;
//! use kubesmith::conditions::{ConditionBuilder, Conditions, HasConditions, is_true};
//!
//! // In a custom resource's status: `pub conditions: Conditions`.
//! let object = ConfigMap::default();
//! let mut conditions = Conditions::default();
//! conditions.set(ConditionBuilder::new("Ready", true, "Applied").message("all good").observing(&object));
//! assert!(conditions.is_true("Ready"));
//! assert!(conditions.is_current("Ready", &object));
//!
//! // A core kind's conditions, with the same reader.
//! let deployment = Deployment {
//!     status: Some(DeploymentStatus {
//!         conditions: Some(vec![DeploymentCondition {
//!             type_: Some("Available".into()),
//!             status: Some("True".into()),
//!             ..Default::default()
//!         }]),
//!         ..Default::default()
//!     }),
//!     ..Default::default()
//! };
//! assert!(is_true(deployment.conditions(), "Available"));
//! assert!(is_true(&conditions, "Ready"));
//! ```

use std::borrow::Cow;

use k8s_openapi::api::{
    apps::v1 as apps, autoscaling::v2 as autoscaling, batch::v1 as batch,
    certificates::v1 as certificates, core::v1 as core,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use k8s_openapi::jiff::Timestamp;
use kube::Resource;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Serialize};

/// The condition type that says whether an object is reconciled: what kubesmith's
/// scaffolded controllers set, `kubectl wait --for=condition=Ready` waits for, and the
/// readiness other controllers read. Controllers with more to say add types of their own.
pub const READY: &str = "Ready";
/// Status value of a true condition.
pub const TRUE: &str = "True";
/// Status value of a false condition.
pub const FALSE: &str = "False";
/// Status value of a condition whose state is not known.
pub const UNKNOWN: &str = "Unknown";

/// Builds a [`Condition`]; `lastTransitionTime` is set to now.
#[derive(Debug, Clone)]
#[must_use]
pub struct ConditionBuilder {
    condition: Condition,
}

impl ConditionBuilder {
    /// A condition of `type_` with status `True` or `False` and a CamelCase `reason`.
    pub fn new(type_: &str, status: bool, reason: &str) -> Self {
        ConditionBuilder {
            condition: Condition {
                type_: type_.to_string(),
                status: if status { TRUE } else { FALSE }.to_string(),
                reason: reason.to_string(),
                message: String::new(),
                observed_generation: None,
                last_transition_time: Time(Timestamp::now()),
            },
        }
    }

    /// Sets the status to `Unknown`.
    pub fn unknown(mut self) -> Self {
        self.condition.status = UNKNOWN.to_string();
        self
    }

    /// A human-readable message.
    pub fn message(mut self, message: impl Into<String>) -> Self {
        self.condition.message = message.into();
        self
    }

    /// `observedGeneration` from `object`'s `metadata.generation`.
    pub fn observing(mut self, object: &impl Resource) -> Self {
        self.condition.observed_generation = object.meta().generation;
        self
    }

    /// The condition.
    pub fn build(self) -> Condition {
        self.condition
    }
}

impl From<ConditionBuilder> for Condition {
    fn from(builder: ConditionBuilder) -> Self {
        builder.build()
    }
}

/// The condition of `type_` in `conditions` (of any kind), if present.
pub fn find_condition<'a, C: ConditionStatus>(conditions: &'a [C], type_: &str) -> Option<&'a C> {
    conditions.iter().find(|c| c.condition_type() == type_)
}

/// Whether the condition of `type_` in `conditions` (of any kind) is present with status
/// `True`.
pub fn is_true<C: ConditionStatus>(conditions: &[C], type_: &str) -> bool {
    find_condition(conditions, type_).is_some_and(|c| c.condition_status() == TRUE)
}

/// The conditions of a custom resource's status: `metav1.Condition`s keyed by `type`. Its
/// schema is a list with `x-kubernetes-list-type: map` keyed by `type` and the validations
/// `metav1.Condition` has in Go, so a status field needs no markers:
///
/// ```
/// use kubesmith::conditions::Conditions;
///
/// #[derive(serde::Serialize, serde::Deserialize, schemars::JsonSchema, Clone, Debug, Default, PartialEq)]
/// pub struct WidgetStatus {
///     /// The current state of the Widget.
///     #[serde(default, skip_serializing_if = "Conditions::is_empty")]
///     pub conditions: Conditions,
/// }
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Conditions(Vec<Condition>);

impl Conditions {
    /// Sets `condition` by type. Keeps the existing `lastTransitionTime` when the status is
    /// unchanged. Returns whether anything changed.
    pub fn set(&mut self, condition: impl Into<Condition>) -> bool {
        let mut condition = condition.into();
        match self.0.iter_mut().find(|c| c.type_ == condition.type_) {
            None => {
                self.0.push(condition);
                true
            }
            Some(existing) => {
                if existing.status == condition.status {
                    condition.last_transition_time = existing.last_transition_time.clone();
                }
                let changed = *existing != condition;
                *existing = condition;
                changed
            }
        }
    }

    /// Removes the condition of `type_`; returns whether it was present.
    pub fn remove(&mut self, type_: &str) -> bool {
        let before = self.0.len();
        self.0.retain(|c| c.type_ != type_);
        self.0.len() != before
    }

    /// The condition of `type_`, if present.
    pub fn get(&self, type_: &str) -> Option<&Condition> {
        find_condition(&self.0, type_)
    }

    /// Whether the condition of `type_` is present with status `True`.
    pub fn is_true(&self, type_: &str) -> bool {
        is_true(&self.0, type_)
    }

    /// Whether the condition of `type_` is `True` and was set for the current generation of
    /// `object` (its `observedGeneration` is the object's `metadata.generation`).
    pub fn is_current(&self, type_: &str, object: &impl Resource) -> bool {
        self.get(type_)
            .is_some_and(|c| c.status == TRUE && c.observed_generation == object.meta().generation)
    }

    /// Whether there are none (for `skip_serializing_if`).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::ops::Deref for Conditions {
    type Target = [Condition];

    fn deref(&self) -> &[Condition] {
        &self.0
    }
}

impl From<Vec<Condition>> for Conditions {
    fn from(conditions: Vec<Condition>) -> Self {
        Conditions(conditions)
    }
}

impl JsonSchema for Conditions {
    // The name of `Vec<Condition>`'s schema: the CRD schema pass recognises the Kubernetes
    // type inside by it, and adds the validations `metav1.Condition` has in Go.
    fn schema_name() -> Cow<'static, str> {
        <Vec<Condition>>::schema_name()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let condition = generator.subschema_for::<Condition>();
        json_schema!({
            "type": "array",
            "items": condition,
            "x-kubernetes-list-type": "map",
            "x-kubernetes-list-map-keys": ["type"],
        })
    }
}

/// A condition of any kind, as far as reading it goes: `metav1.Condition` and the conditions
/// of core kinds (`DeploymentCondition`, `PodCondition`, `JobCondition`, ...), whose fields
/// differ.
pub trait ConditionStatus {
    /// Its `type`.
    fn condition_type(&self) -> &str;
    /// Its `status`: `True`, `False` or `Unknown`.
    fn condition_status(&self) -> &str;
    /// Its `reason`, if any.
    fn condition_reason(&self) -> Option<&str>;
    /// Its `message`, if any.
    fn condition_message(&self) -> Option<&str>;
}

impl ConditionStatus for Condition {
    fn condition_type(&self) -> &str {
        &self.type_
    }
    fn condition_status(&self) -> &str {
        &self.status
    }
    fn condition_reason(&self) -> Option<&str> {
        self.reason.text()
    }
    fn condition_message(&self) -> Option<&str> {
        self.message.text()
    }
}

/// A kind whose status has conditions: [`conditions`](Self::conditions) is empty while it
/// has no status.
pub trait HasConditions {
    /// The kind's condition type.
    type Condition: ConditionStatus;
    /// The conditions of its status.
    fn conditions(&self) -> &[Self::Condition];
}

/// A condition field of a core kind: a `String` in some, an `Option<String>` in others
/// (empty: none).
trait Text {
    fn text(&self) -> Option<&str>;
}

impl Text for String {
    fn text(&self) -> Option<&str> {
        Some(self.as_str()).filter(|text| !text.is_empty())
    }
}

impl Text for Option<String> {
    fn text(&self) -> Option<&str> {
        self.as_deref().filter(|text| !text.is_empty())
    }
}

/// `ConditionStatus` for core condition types and `HasConditions` for their kinds: each has
/// `type_`, `status`, `reason` and `message` ([`Text`]) and a status with an optional list
/// of them.
macro_rules! core_conditions {
    ($($kind:ty => $condition:ty),* $(,)?) => {$(
        impl ConditionStatus for $condition {
            fn condition_type(&self) -> &str {
                Text::text(&self.type_).unwrap_or_default()
            }
            fn condition_status(&self) -> &str {
                Text::text(&self.status).unwrap_or_default()
            }
            fn condition_reason(&self) -> Option<&str> {
                Text::text(&self.reason)
            }
            fn condition_message(&self) -> Option<&str> {
                Text::text(&self.message)
            }
        }

        impl HasConditions for $kind {
            type Condition = $condition;
            fn conditions(&self) -> &[$condition] {
                self.status
                    .as_ref()
                    .and_then(|status| status.conditions.as_deref())
                    .unwrap_or_default()
            }
        }
    )*};
}

core_conditions! {
    apps::Deployment => apps::DeploymentCondition,
    apps::ReplicaSet => apps::ReplicaSetCondition,
    apps::StatefulSet => apps::StatefulSetCondition,
    apps::DaemonSet => apps::DaemonSetCondition,
    batch::Job => batch::JobCondition,
    core::Pod => core::PodCondition,
    core::Node => core::NodeCondition,
    core::Namespace => core::NamespaceCondition,
    core::PersistentVolumeClaim => core::PersistentVolumeClaimCondition,
    core::ReplicationController => core::ReplicationControllerCondition,
    autoscaling::HorizontalPodAutoscaler => autoscaling::HorizontalPodAutoscalerCondition,
    certificates::CertificateSigningRequest => certificates::CertificateSigningRequestCondition,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> Time {
        Time(Timestamp::from_second(seconds).unwrap_or(Timestamp::UNIX_EPOCH))
    }

    fn ready(status: bool, reason: &str, generation: i64, time: i64) -> Condition {
        let mut condition = ConditionBuilder::new("Ready", status, reason).build();
        condition.observed_generation = Some(generation);
        condition.last_transition_time = at(time);
        condition
    }

    #[test]
    fn transition_time_changes_only_with_status() {
        let mut conditions = Conditions::default();
        assert!(conditions.set(ready(false, "Pending", 1, 100)));
        assert!(conditions.set(ready(false, "StillPending", 2, 200)));
        let current = &conditions[0];
        assert_eq!(
            (current.reason.as_str(), current.observed_generation),
            ("StillPending", Some(2))
        );
        assert_eq!(current.last_transition_time, at(100));
        assert!(!conditions.set(ready(false, "StillPending", 2, 300)));
        assert!(conditions.set(ready(true, "Done", 2, 400)));
        assert_eq!(conditions[0].last_transition_time, at(400));
        assert_eq!(conditions.len(), 1);
        assert!(conditions.is_true("Ready"));
    }

    #[test]
    fn conditions_are_kept_per_type() {
        let mut conditions = Conditions::from(vec![ready(true, "Done", 1, 1)]);
        let mut degraded = ready(false, "Fine", 1, 2);
        degraded.type_ = "Degraded".into();
        conditions.set(degraded);
        assert_eq!(conditions.len(), 2);
        assert!(conditions.remove("Degraded"));
        assert!(!conditions.remove("Degraded"));
    }
}
