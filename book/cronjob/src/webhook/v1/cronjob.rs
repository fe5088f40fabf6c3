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

//! The webhooks of `CronJob` in `batch.tutorial.kubesmith.dev/v1`:
//! - defaulting: fills in what a CronJob leaves out, before it is validated and stored;
//! - validation: refuses CronJobs the CRD's schema cannot catch, with a message per field;
//! - conversion: between the versions of CronJob, through this one (the hub);
//!
//! served by the manager (`main` calls [`setup`]); `make manifests` writes their
//! configurations.

use kubesmith::manager::{self, Manager};
use kubesmith::webhook::{
    AdmissionContext, Conversion, Defaulter, FieldError, Validator, Warnings, Webhook, WebhookError,
};

use crate::api::v1::cronjob::CronJob;
use crate::api::v2;

/// What `spec.foo` is set to when a CronJob is created without it.
pub const DEFAULT_FOO: &str = "default";

/// Registers the webhooks of CronJob v1 with `manager` (`main` calls this).
pub fn setup(manager: &mut Manager) -> Result<(), manager::Error> {
    manager.add_webhook(webhook())?;
    manager.add_conversion(conversion())?;
    Ok(())
}

/// The admission webhooks of CronJob v1.
pub fn webhook() -> Webhook<CronJob> {
    Webhook::new()
        .with_defaulter(CronJobDefaulter)
        .with_validator(CronJobValidator)
}

/// Conversion between the versions of CronJob: v1 is the hub, every other version
/// converts to and from it (see the `From` implementations beside the other versions).
pub fn conversion() -> Conversion<CronJob> {
    Conversion::hub().spoke::<v2::cronjob::CronJob>()
}

/// Fills in the fields a CronJob leaves out.
#[derive(Debug, Clone, Copy, Default)]
pub struct CronJobDefaulter;

impl Defaulter<CronJob> for CronJobDefaulter {
    async fn default(
        &self,
        cron_job: &mut CronJob,
        _ctx: &AdmissionContext,
    ) -> Result<(), WebhookError> {
        // TODO(user): set your defaults.
        if cron_job.spec.foo.is_none() {
            cron_job.spec.foo = Some(DEFAULT_FOO.into());
        }
        Ok(())
    }
}

/// Refuses CronJobs that are not valid.
#[derive(Debug, Clone, Copy, Default)]
pub struct CronJobValidator;

impl Validator<CronJob> for CronJobValidator {
    // Updates are checked as creates of the new object, deletes are allowed; override
    // `validate_update` and `validate_delete` to change that.
    async fn validate_create(
        &self,
        cron_job: &CronJob,
        _ctx: &AdmissionContext,
    ) -> Result<Warnings, WebhookError> {
        // TODO(user): check your fields; return warnings for what is allowed but dubious.
        let mut problems = Vec::new();
        if let Some(value) = &cron_job.spec.foo
            && value.trim().is_empty()
        {
            problems.push(FieldError::invalid("spec.foo", value, "must not be blank"));
        }
        if problems.is_empty() {
            Ok(Warnings::new())
        } else {
            Err(WebhookError::invalid(cron_job, problems))
        }
    }
}
