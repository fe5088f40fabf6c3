// Copyright 2026 The Kubesmith Authors.
//
// Licensed under the Apache License, Version 2.0 (the "License");
// you may not use this file except in compliance with the License.
// You may obtain a copy of the License at
//
//     http://www.apache.org/licenses/LICENSE-2.0
//
// Unless required by applicable law or agreed to in writing, software
// distributed under the License is distributed on an "AS IS" BASIS,
// WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
// See the License for the specific language governing permissions and
// limitations under the License.

//! The webhooks of `Captain` in `crew.testproject.org/v1`:
//! - defaulting: fills in what a Captain leaves out, before it is validated and stored;
//! - validation: refuses Captains the CRD's schema cannot catch, with a message per field;
//! - conversion: between the versions of Captain, through this one (the hub);
//!
//! served by the manager (`crate::operator` lists them); `make manifests` writes their
//! configurations.

use kubesmith::webhook::{
    AdmissionContext, Conversion, Defaulter, FieldError, Validator, Warnings, Webhook, WebhookError,
};

use crate::api::v1::captain::Captain;
use crate::api::v2;

/// What `spec.foo` is set to when a Captain is created without it.
pub const DEFAULT_FOO: &str = "default";

/// The admission webhooks of Captain v1.
pub fn webhook() -> Webhook<Captain> {
    Webhook::new()
        .defaulter(CaptainDefaulter)
        .validator(CaptainValidator)
}

/// Conversion between the versions of Captain: v1 is the hub, every other version
/// converts to and from it (see the `From` implementations beside the other versions).
pub fn conversion() -> Conversion<Captain> {
    Conversion::hub().spoke::<v2::captain::Captain>()
}

/// Fills in the fields a Captain leaves out.
#[derive(Debug, Clone, Copy, Default)]
pub struct CaptainDefaulter;

impl Defaulter<Captain> for CaptainDefaulter {
    async fn default(
        &self,
        captain: &mut Captain,
        _ctx: &AdmissionContext,
    ) -> Result<(), WebhookError> {
        // TODO(user): set your defaults.
        if captain.spec.foo.is_none() {
            captain.spec.foo = Some(DEFAULT_FOO.into());
        }
        Ok(())
    }
}

/// Refuses Captains that are not valid.
#[derive(Debug, Clone, Copy, Default)]
pub struct CaptainValidator;

impl Validator<Captain> for CaptainValidator {
    // Updates are checked as creates of the new object, deletes are allowed; override
    // `validate_update` and `validate_delete` to change that.
    async fn validate_create(
        &self,
        captain: &Captain,
        _ctx: &AdmissionContext,
    ) -> Result<Warnings, WebhookError> {
        // TODO(user): check your fields; return warnings for what is allowed but dubious.
        let mut problems = Vec::new();
        if let Some(value) = &captain.spec.foo
            && value.trim().is_empty()
        {
            problems.push(FieldError::invalid("spec.foo", value, "must not be blank"));
        }
        WebhookError::invalid_if_any(captain, problems)?;
        Ok(Warnings::new())
    }
}
