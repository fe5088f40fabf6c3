//! The webhooks of `Frigate` in `ship.testproject.org/v1beta1`:
//! - validation: refuses Frigates the CRD's schema cannot catch, with a message per field;
//!
//! served by the manager (`crate::operator` lists them); `make manifests` writes their
//! configurations.

use kubesmith::webhook::{
    AdmissionContext, FieldError, Validator, Warnings, Webhook, WebhookError,
};

use crate::api::ship::v1beta1::frigate::Frigate;

/// The admission webhooks of Frigate v1beta1.
pub fn webhook() -> Webhook<Frigate> {
    Webhook::new().validator(FrigateValidator)
}

/// Refuses Frigates that are not valid.
#[derive(Debug, Clone, Copy, Default)]
pub struct FrigateValidator;

impl Validator<Frigate> for FrigateValidator {
    // Updates are checked as creates of the new object, deletes are allowed; override
    // `validate_update` and `validate_delete` to change that.
    async fn validate_create(
        &self,
        frigate: &Frigate,
        _ctx: &AdmissionContext,
    ) -> Result<Warnings, WebhookError> {
        // TODO(user): check your fields; return warnings for what is allowed but dubious.
        let mut problems = Vec::new();
        if let Some(value) = &frigate.spec.foo
            && value.trim().is_empty()
        {
            problems.push(FieldError::invalid("spec.foo", value, "must not be blank"));
        }
        WebhookError::invalid_if_any(frigate, problems)?;
        Ok(Warnings::new())
    }
}
