//! The Greeting webhooks: v1 objects get a default message and are validated; v1 and v2
//! convert through the v1 hub.

use kubesmith::webhook::{
    AdmissionContext, Conversion, Defaulter, FieldError, Validator, Warnings, Webhook, WebhookError,
};

use crate::api::{Greeting, v2};

/// The message of a Greeting created without one.
pub const DEFAULT_MESSAGE: &str = "Hello";
/// The label set on a Greeting whose message was defaulted.
pub const DEFAULTED_LABEL: &str = "demo.kubesmith.dev/defaulted";
/// The longest message, in bytes.
pub const MAX_MESSAGE_BYTES: usize = 64;
/// The warning for a message that ends with an exclamation mark.
pub const LOUD_WARNING: &str = "exclamation marks are loud";

/// The admission webhooks of Greetings; `main` registers them, `make manifests` writes their
/// configurations.
pub fn webhook() -> Webhook<Greeting> {
    Webhook::new()
        .defaulter(GreetingDefaulter)
        .validator(GreetingValidator)
}

/// Conversion between the Greeting versions, v1 the hub.
pub fn conversion() -> Conversion<Greeting> {
    Conversion::hub().spoke::<v2::Greeting>()
}

/// Fills in the message of a Greeting created without one.
#[derive(Debug, Clone, Copy, Default)]
pub struct GreetingDefaulter;

impl Defaulter<Greeting> for GreetingDefaulter {
    async fn default(
        &self,
        greeting: &mut Greeting,
        _ctx: &AdmissionContext,
    ) -> Result<(), WebhookError> {
        if greeting.spec.message.is_empty() {
            greeting.spec.message = DEFAULT_MESSAGE.into();
            greeting
                .metadata
                .labels
                .get_or_insert_with(Default::default)
                .insert(DEFAULTED_LABEL.into(), "true".into());
        }
        Ok(())
    }
}

/// Keeps messages short, and warns about loud ones.
#[derive(Debug, Clone, Copy, Default)]
pub struct GreetingValidator;

impl Validator<Greeting> for GreetingValidator {
    async fn validate_create(
        &self,
        greeting: &Greeting,
        _ctx: &AdmissionContext,
    ) -> Result<Warnings, WebhookError> {
        let mut warnings = Warnings::new();
        if greeting.spec.message.ends_with('!') {
            warnings.push(LOUD_WARNING.into());
        }
        if greeting.spec.message.len() > MAX_MESSAGE_BYTES {
            return Err(WebhookError::invalid(
                greeting,
                vec![FieldError::too_long("spec.message", MAX_MESSAGE_BYTES)],
            )
            .warnings(warnings));
        }
        Ok(warnings)
    }
}
