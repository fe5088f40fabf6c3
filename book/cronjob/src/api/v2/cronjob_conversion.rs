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

//! Conversion of `CronJob` between v2 (this version) and the hub, v1, which the
//! conversion webhook calls (`crate::webhook::v1::cronjob::conversion`).
//!
//! v1 writes the schedule as one string, v2 as its five fields; every other field is the same.
//! A v1 schedule that is not five fields (the validating webhook refuses them, but objects
//! stored before it may have one) cannot be converted: the API server reports the error.

use super::cronjob::{CronJob, CronJobSpec, CronSchedule};
use crate::api::v1::cronjob as hub;

// ANCHOR: to_hub
impl From<CronJob> for hub::CronJob {
    fn from(spoke: CronJob) -> Self {
        let spec = spoke.spec;
        hub::CronJob {
            metadata: spoke.metadata,
            spec: hub::CronJobSpec {
                schedule: spec.schedule.to_string(),
                starting_deadline_seconds: spec.starting_deadline_seconds,
                concurrency_policy: spec.concurrency_policy,
                suspend: spec.suspend,
                job_template: spec.job_template,
                successful_jobs_history_limit: spec.successful_jobs_history_limit,
                failed_jobs_history_limit: spec.failed_jobs_history_limit,
            },
            status: spoke.status,
        }
    }
}

impl std::fmt::Display for CronSchedule {
    /// The schedule as cron writes it: five fields, `*` for those left out.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let fields = [
            &self.minute,
            &self.hour,
            &self.day_of_month,
            &self.month,
            &self.day_of_week,
        ];
        let text: Vec<&str> = fields
            .iter()
            .map(|field| field.as_deref().unwrap_or("*"))
            .collect();
        f.write_str(&text.join(" "))
    }
}
// ANCHOR_END: to_hub

// ANCHOR: from_hub
/// A v1 schedule that is not five fields.
#[derive(Debug, thiserror::Error)]
#[error("spec.schedule {0:?} is not five fields: it has no v2 form")]
pub struct NotFiveFields(String);

impl TryFrom<hub::CronJob> for CronJob {
    type Error = NotFiveFields;

    fn try_from(hub: hub::CronJob) -> Result<Self, Self::Error> {
        let spec = hub.spec;
        Ok(CronJob {
            metadata: hub.metadata,
            spec: CronJobSpec {
                schedule: spec.schedule.parse()?,
                starting_deadline_seconds: spec.starting_deadline_seconds,
                concurrency_policy: spec.concurrency_policy,
                suspend: spec.suspend,
                job_template: spec.job_template,
                successful_jobs_history_limit: spec.successful_jobs_history_limit,
                failed_jobs_history_limit: spec.failed_jobs_history_limit,
            },
            status: hub.status,
        })
    }
}

impl std::str::FromStr for CronSchedule {
    type Err = NotFiveFields;

    /// Splits a cron schedule into its five fields; `*` becomes a field left out.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let field = |text: &str| (text != "*").then(|| text.to_string());
        match text.split_whitespace().collect::<Vec<_>>()[..] {
            [minute, hour, day_of_month, month, day_of_week] => Ok(CronSchedule {
                minute: field(minute),
                hour: field(hour),
                day_of_month: field(day_of_month),
                month: field(month),
                day_of_week: field(day_of_week),
            }),
            _ => Err(NotFiveFields(text.to_string())),
        }
    }
}
// ANCHOR_END: from_hub

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_schedule_goes_to_v2_and_back_unchanged() {
        for text in ["*/5 * * * *", "0 3 1,15 * MON-FRI", "* * * * *"] {
            let schedule: CronSchedule = text.parse().expect("five fields");
            assert_eq!(schedule.to_string(), text);
        }
        let every_five: CronSchedule = "*/5 * * * *".parse().expect("five fields");
        assert_eq!(every_five.minute, Some("*/5".into()));
        assert_eq!(every_five.hour, None);
    }

    #[test]
    fn a_schedule_of_other_than_five_fields_has_no_v2_form() {
        for text in ["", "* * * *", "0 * * * * *"] {
            assert!(text.parse::<CronSchedule>().is_err(), "{text:?}");
        }
    }
}
