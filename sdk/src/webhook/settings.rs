//! [`AdmissionSettings`]: how the API server calls a Kind's admission webhooks beyond where —
//! failure policy, timeout, namespace and object selectors, CEL match conditions, mutating
//! reinvocation and custom paths — declared in Rust and written by `make manifests` into both
//! webhook configurations (the fields of kubebuilder's `+kubebuilder:webhook` marker, and the
//! selectors it leaves to kustomize patches).

use std::time::Duration;

use k8s_openapi::api::admissionregistration::v1::MatchCondition;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

/// What the API server does when a webhook cannot be called: refuse the request (`Fail`,
/// the default) or admit it unchanged (`Ignore`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum FailurePolicy {
    /// Refuse the request.
    #[default]
    Fail,
    /// Admit the request as if the webhook had allowed it.
    Ignore,
}

impl FailurePolicy {
    /// The value of `failurePolicy`.
    pub fn as_str(self) -> &'static str {
        match self {
            FailurePolicy::Fail => "Fail",
            FailurePolicy::Ignore => "Ignore",
        }
    }
}

/// The longest `timeoutSeconds` the API server accepts.
pub const MAX_WEBHOOK_TIMEOUT: Duration = Duration::from_secs(30);

/// How the API server calls one Kind's admission webhooks beyond where: failure policy,
/// timeout, selectors, CEL match conditions, mutating reinvocation and custom paths. Set it
/// on a [`Webhook`](super::Webhook) (or an [`AdmissionWebhooks`](super::AdmissionWebhooks))
/// with their setters of the same names; `make manifests` writes it into both configurations.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AdmissionSettings {
    pub(crate) failure_policy: FailurePolicy,
    pub(crate) timeout: Option<Duration>,
    pub(crate) namespace_selector: Option<LabelSelector>,
    pub(crate) object_selector: Option<LabelSelector>,
    pub(crate) match_conditions: Vec<MatchCondition>,
    pub(crate) reinvoke: bool,
    pub(crate) mutate_path: Option<String>,
    pub(crate) validate_path: Option<String>,
}

impl AdmissionSettings {
    /// `timeoutSeconds` (1 to 30 s; the API server's default is 10 s).
    pub(crate) fn timeout_seconds(&self) -> Option<i32> {
        self.timeout
            .map(|timeout| i32::try_from(timeout.as_secs()).unwrap_or(i32::MAX))
    }

    /// The problems the API server would refuse the configurations for, as sentences.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if let Some(timeout) = self.timeout
            && (timeout < Duration::from_secs(1)
                || timeout > MAX_WEBHOOK_TIMEOUT
                || timeout.subsec_nanos() != 0)
        {
            problems.push(format!(
                "timeout {timeout:?}: the API server takes whole seconds from 1 to 30"
            ));
        }
        let mut names: Vec<&str> = Vec::new();
        for condition in &self.match_conditions {
            if names.contains(&condition.name.as_str()) {
                problems.push(format!(
                    "match condition {:?} is declared twice; names must be unique",
                    condition.name
                ));
            }
            names.push(&condition.name);
            if condition.expression.trim().is_empty() {
                problems.push(format!(
                    "match condition {:?} has no expression",
                    condition.name
                ));
            }
        }
        if self.match_conditions.len() > 64 {
            problems.push(format!(
                "{} match conditions: the API server takes at most 64",
                self.match_conditions.len()
            ));
        }
        for path in [&self.mutate_path, &self.validate_path]
            .into_iter()
            .flatten()
        {
            if !path.starts_with('/') || path.contains(char::is_whitespace) {
                problems.push(format!(
                    "path {path:?}: a webhook path starts with / and has no spaces"
                ));
            }
        }
        problems
    }
}
