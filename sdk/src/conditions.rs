//! Typed status conditions (`metav1.Condition`) set by type, as the API conventions ask.
//!
//! [`set_condition`] replaces the condition of the same type; `lastTransitionTime` only
//! changes when the status changes. [`ConditionBuilder`] fills `observedGeneration` from the
//! object being reconciled.
//!
//! ```
//! use k8s_openapi::api::core::v1::ConfigMap;
//! use kubesmith::conditions::{ConditionBuilder, find_condition, set_condition};
//!
//! let object = ConfigMap::default();
//! let mut conditions = Vec::new();
//! set_condition(&mut conditions, ConditionBuilder::new("Ready", true, "Applied").message("all good").observing(&object));
//! assert!(find_condition(&conditions, "Ready").is_some_and(|c| c.status == "True"));
//! ```

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use k8s_openapi::jiff::Timestamp;
use kube::Resource;

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

/// The condition of `type_`, if present.
pub fn find_condition<'a>(conditions: &'a [Condition], type_: &str) -> Option<&'a Condition> {
    conditions.iter().find(|c| c.type_ == type_)
}

/// Whether the condition of `type_` is present with status `True`.
pub fn is_true(conditions: &[Condition], type_: &str) -> bool {
    find_condition(conditions, type_).is_some_and(|c| c.status == TRUE)
}

/// Sets `condition` by type. Keeps the existing `lastTransitionTime` when the status is
/// unchanged. Returns whether anything changed.
pub fn set_condition(conditions: &mut Vec<Condition>, condition: impl Into<Condition>) -> bool {
    let mut condition = condition.into();
    match conditions.iter_mut().find(|c| c.type_ == condition.type_) {
        None => {
            conditions.push(condition);
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
pub fn remove_condition(conditions: &mut Vec<Condition>, type_: &str) -> bool {
    let before = conditions.len();
    conditions.retain(|c| c.type_ != type_);
    conditions.len() != before
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
        let mut conditions = Vec::new();
        assert!(set_condition(
            &mut conditions,
            ready(false, "Pending", 1, 100)
        ));
        assert!(set_condition(
            &mut conditions,
            ready(false, "StillPending", 2, 200)
        ));
        let current = &conditions[0];
        assert_eq!(
            (current.reason.as_str(), current.observed_generation),
            ("StillPending", Some(2))
        );
        assert_eq!(current.last_transition_time, at(100));
        assert!(!set_condition(
            &mut conditions,
            ready(false, "StillPending", 2, 300)
        ));
        assert!(set_condition(&mut conditions, ready(true, "Done", 2, 400)));
        assert_eq!(conditions[0].last_transition_time, at(400));
        assert_eq!(conditions.len(), 1);
        assert!(is_true(&conditions, "Ready"));
    }

    #[test]
    fn conditions_are_kept_per_type() {
        let mut conditions = vec![ready(true, "Done", 1, 1)];
        let mut degraded = ready(false, "Fine", 1, 2);
        degraded.type_ = "Degraded".into();
        set_condition(&mut conditions, degraded);
        assert_eq!(conditions.len(), 2);
        assert!(remove_condition(&mut conditions, "Degraded"));
        assert!(!remove_condition(&mut conditions, "Degraded"));
    }
}
