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
//! served by the manager (`crate::operator` lists them); `make manifests` writes their
//! configurations.

use kubesmith::webhook::{
    AdmissionContext, Conversion, Defaulter, FieldError, Validator, Warnings, Webhook, WebhookError,
};

use kube::ResourceExt;

use crate::api::v1::cronjob::{ConcurrencyPolicy, CronJob};
use crate::api::v2;
use crate::controller::cronjob::DEFAULT_HISTORY;
use crate::schedule::Schedule;

/// The longest name a CronJob may have: its Jobs are named `<name>-<unix time of the run>`,
/// which must fit the 63 characters of a label value.
pub const MAX_NAME_LENGTH: usize = 52;

// ANCHOR: declaration
/// The admission webhooks of CronJob v1.
pub fn webhook() -> Webhook<CronJob> {
    Webhook::new()
        .defaulter(CronJobDefaulter)
        .validator(CronJobValidator)
}

/// Conversion between the versions of CronJob: v1 is the hub, every other version
/// converts to and from it (see the `From` implementations beside the other versions).
pub fn conversion() -> Conversion<CronJob> {
    Conversion::hub().spoke::<v2::cronjob::CronJob>()
}
// ANCHOR_END: declaration

// ANCHOR: defaulter
/// Fills in the fields a CronJob leaves out, so that what is stored says what runs.
#[derive(Debug, Clone, Copy, Default)]
pub struct CronJobDefaulter;

impl Defaulter<CronJob> for CronJobDefaulter {
    async fn default(
        &self,
        cron_job: &mut CronJob,
        _ctx: &AdmissionContext,
    ) -> Result<(), WebhookError> {
        let spec = &mut cron_job.spec;
        spec.concurrency_policy
            .get_or_insert(ConcurrencyPolicy::Allow);
        spec.suspend.get_or_insert(false);
        spec.successful_jobs_history_limit
            .get_or_insert(DEFAULT_HISTORY.0);
        spec.failed_jobs_history_limit
            .get_or_insert(DEFAULT_HISTORY.1);
        Ok(())
    }
}
// ANCHOR_END: defaulter

// ANCHOR: validator
/// Refuses CronJobs that cannot run: a schedule that does not parse, a name too long for the
/// names of their Jobs.
#[derive(Debug, Clone, Copy, Default)]
pub struct CronJobValidator;

impl Validator<CronJob> for CronJobValidator {
    // Updates are checked as creates of the new object, deletes are allowed.
    async fn validate_create(
        &self,
        cron_job: &CronJob,
        _ctx: &AdmissionContext,
    ) -> Result<Warnings, WebhookError> {
        let mut problems = Vec::new();
        let name = cron_job.name_any();
        if name.len() > MAX_NAME_LENGTH {
            problems.push(FieldError::invalid(
                "metadata.name",
                &name,
                &format!("must be no more than {MAX_NAME_LENGTH} characters"),
            ));
        }
        if let Err(error) = cron_job.spec.schedule.parse::<Schedule>() {
            problems.push(FieldError::invalid(
                "spec.schedule",
                &cron_job.spec.schedule,
                &error.to_string(),
            ));
        }
        let mut warnings = Warnings::new();
        if cron_job
            .spec
            .starting_deadline_seconds
            .is_some_and(|seconds| seconds < 10)
        {
            warnings.push("spec.startingDeadlineSeconds below 10 may skip runs: the controller can start a run a few seconds late".into());
        }
        WebhookError::invalid_if_any(cron_job, problems)?;
        Ok(warnings)
    }
}
// ANCHOR_END: validator
