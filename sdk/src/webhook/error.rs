//! How a webhook says no: [`WebhookError`] and the [`FieldError`]s of an invalid object, turned
//! into the API status the client sees.

use std::fmt;

use kube::Resource;
use kube::core::Status;
use kube::core::response::{StatusCause, StatusDetails};

type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What went wrong with one field, as the API server reports it in `details.causes` (the same
/// reasons and messages as Kubernetes' own field errors).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The reason: `FieldValueRequired`, `FieldValueInvalid`, `FieldValueTooLong`, ...
    pub reason: &'static str,
    /// The JSON path of the field (`spec.replicas`, `spec.containers[0].image`).
    pub field: String,
    /// The human-readable part after the field.
    pub message: String,
}

impl FieldError {
    fn new(reason: &'static str, field: &str, message: String) -> Self {
        FieldError {
            reason,
            field: field.to_string(),
            message,
        }
    }

    /// `field` must be set.
    pub fn required(field: &str, detail: &str) -> Self {
        FieldError::new(
            "FieldValueRequired",
            field,
            with_detail("Required value".into(), detail),
        )
    }

    /// `field` has a value that is not allowed, for `detail`.
    pub fn invalid(field: &str, value: impl serde::Serialize, detail: &str) -> Self {
        let shown = serde_json::to_string(&value).unwrap_or_else(|_| "<value>".into());
        FieldError::new(
            "FieldValueInvalid",
            field,
            with_detail(format!("Invalid value: {shown}"), detail),
        )
    }

    /// `field` is longer than `max` bytes.
    pub fn too_long(field: &str, max: usize) -> Self {
        FieldError::new(
            "FieldValueTooLong",
            field,
            format!("Too long: may not be more than {max} bytes"),
        )
    }

    /// `field` has more than `max` items.
    pub fn too_many(field: &str, actual: usize, max: usize) -> Self {
        FieldError::new(
            "FieldValueTooMany",
            field,
            format!("Too many: {actual}: must have at most {max} items"),
        )
    }

    /// `field` may not be set or changed, for `detail`.
    pub fn forbidden(field: &str, detail: &str) -> Self {
        FieldError::new(
            "FieldValueForbidden",
            field,
            with_detail("Forbidden".into(), detail),
        )
    }

    /// `field` holds `value`, which is not one of `supported`.
    pub fn not_supported(field: &str, value: &str, supported: &[&str]) -> Self {
        let quoted: Vec<String> = supported.iter().map(|s| format!("{s:?}")).collect();
        FieldError::new(
            "FieldValueNotSupported",
            field,
            format!(
                "Unsupported value: {value:?}: supported values: {}",
                quoted.join(", ")
            ),
        )
    }

    /// `field` repeats `value`.
    pub fn duplicate(field: &str, value: impl serde::Serialize) -> Self {
        let shown = serde_json::to_string(&value).unwrap_or_else(|_| "<value>".into());
        FieldError::new(
            "FieldValueDuplicate",
            field,
            format!("Duplicate value: {shown}"),
        )
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

fn with_detail(message: String, detail: &str) -> String {
    if detail.is_empty() {
        message
    } else {
        format!("{message}: {detail}")
    }
}

enum Reason {
    /// An API status, returned as it is.
    Status(Status),
    /// An invalid object: 422 `Invalid` with one cause per field.
    Invalid {
        kind: String,
        group: String,
        name: String,
        causes: Vec<FieldError>,
    },
    /// Any other error: the request is denied with its message (403 `Forbidden`).
    Denied(BoxError),
}

/// Why a webhook refused a request, with the warnings to send along.
///
/// Any error converts into it with `?` (the request is denied with its message); an error that
/// carries an API status (`kube::Error::Api`, `kube::core::Status`) is returned as that status;
/// [`WebhookError::invalid`] gives the client an `Invalid` status with field paths.
pub struct WebhookError {
    // Boxed: a `Result` carrying the error stays small.
    reason: Box<Reason>,
    warnings: Vec<String>,
}

impl WebhookError {
    /// `object` is invalid: a 422 `Invalid` status naming its kind and name, with `causes`.
    ///
    /// ```
    /// use k8s_openapi::api::core::v1::ConfigMap;
    /// use kubesmith::webhook::{FieldError, WebhookError};
    /// let mut cm = ConfigMap::default();
    /// cm.metadata.name = Some("settings".into());
    /// let error = WebhookError::invalid(&cm, vec![FieldError::required("data.mode", "")]);
    /// assert_eq!(error.status().code, 422);
    /// assert_eq!(error.status().message, r#"ConfigMap "settings" is invalid: data.mode: Required value"#);
    /// ```
    pub fn invalid<K: Resource<DynamicType = ()>>(object: &K, causes: Vec<FieldError>) -> Self {
        WebhookError {
            reason: Box::new(Reason::Invalid {
                kind: K::kind(&()).into_owned(),
                group: K::group(&()).into_owned(),
                name: object.meta().name.clone().unwrap_or_default(),
                causes,
            }),
            warnings: Vec::new(),
        }
    }

    /// `object` is invalid if `causes` names any field ([`invalid`](Self::invalid)), valid
    /// otherwise: a validator collects every problem, then returns them all at once with `?`.
    ///
    /// ```
    /// use k8s_openapi::api::core::v1::ConfigMap;
    /// use kubesmith::webhook::{FieldError, WebhookError};
    /// let cm = ConfigMap::default();
    /// assert!(WebhookError::invalid_if_any(&cm, Vec::new()).is_ok());
    /// let problems = vec![FieldError::required("data.mode", "")];
    /// let error = WebhookError::invalid_if_any(&cm, problems).unwrap_err();
    /// assert_eq!(error.status().code, 422);
    /// ```
    pub fn invalid_if_any<K: Resource<DynamicType = ()>>(
        object: &K,
        causes: Vec<FieldError>,
    ) -> Result<(), Self> {
        if causes.is_empty() {
            Ok(())
        } else {
            Err(WebhookError::invalid(object, causes))
        }
    }

    /// Denies with `message` (403 `Forbidden`).
    pub fn denied(message: impl Into<String>) -> Self {
        let message: String = message.into();
        WebhookError {
            reason: Box::new(Reason::Denied(message.into())),
            warnings: Vec::new(),
        }
    }

    /// Answers with `status` as it is.
    pub fn from_status(status: Status) -> Self {
        WebhookError {
            reason: Box::new(Reason::Status(status)),
            warnings: Vec::new(),
        }
    }

    /// Sends `warnings` to the client along with the denial.
    pub fn warnings(mut self, warnings: impl IntoIterator<Item = String>) -> Self {
        self.warnings.extend(warnings);
        self
    }

    /// The warnings to send along.
    pub(super) fn sent_warnings(&self) -> &[String] {
        &self.warnings
    }

    /// The API status the client gets.
    pub fn status(&self) -> Status {
        match self.reason.as_ref() {
            Reason::Status(status) => status.clone(),
            Reason::Invalid {
                kind,
                group,
                name,
                causes,
            } => invalid_status(kind, group, name, causes),
            Reason::Denied(error) => match carried_status(error.as_ref()) {
                Some(status) => status,
                None => {
                    let mut status = Status::failure(&error.to_string(), "Forbidden");
                    status.code = 403;
                    status
                }
            },
        }
    }
}

/// The status an error carries: a `kube::Error::Api`, or a `kube::core::Status` itself.
fn carried_status(error: &(dyn std::error::Error + 'static)) -> Option<Status> {
    if let Some(kube::Error::Api(status)) = error.downcast_ref::<kube::Error>() {
        return Some((**status).clone());
    }
    error.downcast_ref::<Status>().cloned()
}

fn invalid_status(kind: &str, group: &str, name: &str, causes: &[FieldError]) -> Status {
    let qualified = if group.is_empty() {
        kind.to_string()
    } else {
        format!("{kind}.{group}")
    };
    let listed = match causes {
        [one] => one.to_string(),
        many => format!(
            "[{}]",
            many.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let mut status = Status::failure(
        &format!("{qualified} {name:?} is invalid: {listed}"),
        "Invalid",
    );
    status.code = 422;
    status.details = Some(StatusDetails {
        name: name.to_string(),
        group: group.to_string(),
        kind: kind.to_string(),
        uid: String::new(),
        causes: causes
            .iter()
            .map(|cause| StatusCause {
                reason: cause.reason.to_string(),
                message: cause.message.clone(),
                field: cause.field.clone(),
            })
            .collect(),
        retry_after_seconds: 0,
    });
    status
}

impl<E: std::error::Error + Send + Sync + 'static> From<E> for WebhookError {
    fn from(error: E) -> Self {
        WebhookError {
            reason: Box::new(Reason::Denied(Box::new(error))),
            warnings: Vec::new(),
        }
    }
}

impl fmt::Display for WebhookError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.status().message)
    }
}

impl fmt::Debug for WebhookError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookError")
            .field("status", &self.status())
            .field("warnings", &self.warnings)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::apps::v1::Deployment;

    fn named(name: &str) -> Deployment {
        let mut deployment = Deployment::default();
        deployment.metadata.name = Some(name.into());
        deployment
    }

    #[test]
    fn invalid_objects_name_their_fields_like_the_api_server() {
        let error = WebhookError::invalid(
            &named("web"),
            vec![
                FieldError::too_long("spec.template.metadata.name", 63),
                FieldError::invalid("spec.replicas", -1, "must be greater than or equal to 0"),
            ],
        );
        let status = error.status();
        assert_eq!(status.code, 422);
        assert_eq!(status.reason, "Invalid");
        assert_eq!(
            status.message,
            "Deployment.apps \"web\" is invalid: [spec.template.metadata.name: Too long: may not be more than 63 bytes, spec.replicas: Invalid value: -1: must be greater than or equal to 0]"
        );
        let causes = status.details.expect("details").causes;
        assert_eq!(causes[1].field, "spec.replicas");
        assert_eq!(causes[1].reason, "FieldValueInvalid");
    }

    #[test]
    fn api_statuses_pass_through_and_other_errors_deny() {
        let mut conflict = Status::failure("try again", "Conflict");
        conflict.code = 409;
        let carried: WebhookError = kube::Error::Api(conflict.clone().boxed()).into();
        assert_eq!(carried.status(), conflict);
        assert_eq!(
            WebhookError::from_status(conflict.clone()).status(),
            conflict
        );
        let other: WebhookError = std::io::Error::other("disk on fire").into();
        assert_eq!(
            (other.status().code, other.status().message.as_str()),
            (403, "disk on fire")
        );
        let warned = WebhookError::denied("no").warnings(["careful".to_string()]);
        assert_eq!(warned.sent_warnings(), ["careful"]);
    }
}
