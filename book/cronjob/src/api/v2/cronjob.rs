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

//! `CronJob` in `batch.tutorial.kubesmith.dev/v2`: the schedule as a structure of its five
//! fields instead of one string. The API server stores v1; the conversion webhook converts
//! (see `cronjob_conversion.rs`).

use k8s_openapi::api::batch::v1::JobTemplateSpec;
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

// The status and the concurrency policy did not change from v1: v2 shares their types.
pub use crate::api::v1::cronjob::{ConcurrencyPolicy, CronJobStatus};

// ANCHOR: spec
/// What a CronJob asks for: a Job to run on a schedule, and how to treat runs that overlap or
/// come late.
#[kubesmith::markers]
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[kube(
    group = "batch.tutorial.kubesmith.dev",
    version = "v2",
    kind = "CronJob",
    plural = "cronjobs",
    namespaced,
    status = "CronJobStatus",
    derive = "PartialEq",
    derive = "Default",
    storage = false
)]
#[serde(rename_all = "camelCase")]
pub struct CronJobSpec {
    /// When to run the Job, field by field.
    pub schedule: CronSchedule,

    /// How many seconds after its scheduled time a run may still start; a run that misses
    /// this deadline is skipped. No deadline when unset.
    #[k8s(minimum = 0)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub starting_deadline_seconds: Option<i64>,

    /// What to do when a run is due while the Job of an earlier run still runs.
    #[k8s(default = "Allow")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concurrency_policy: Option<ConcurrencyPolicy>,

    /// Suspends subsequent runs (the Jobs already started go on). False by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suspend: Option<bool>,

    /// The Job each run creates.
    pub job_template: JobTemplateSpec,

    /// How many finished Jobs that succeeded to keep (3 by default).
    #[k8s(minimum = 0)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub successful_jobs_history_limit: Option<i32>,

    /// How many finished Jobs that failed to keep (1 by default).
    #[k8s(minimum = 0)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_jobs_history_limit: Option<i32>,
}

/// A cron schedule, field by field; a field left out matches every value (`*`). Each field is
/// a value, a range, a list or a step (`5`, `1-5`, `1,15`, `*/10`), without spaces.
#[kubesmith::markers]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CronSchedule {
    /// Minutes of the hour (0-59), e.g. `*/5` or `0,30`.
    #[k8s(min_length = 1, pattern = "^[^ ]+$")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minute: Option<String>,
    /// Hours of the day (0-23).
    #[k8s(min_length = 1, pattern = "^[^ ]+$")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hour: Option<String>,
    /// Days of the month (1-31).
    #[k8s(min_length = 1, pattern = "^[^ ]+$")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub day_of_month: Option<String>,
    /// Months (1-12 or JAN-DEC).
    #[k8s(min_length = 1, pattern = "^[^ ]+$")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub month: Option<String>,
    /// Days of the week (0-6 or SUN-SAT).
    #[k8s(min_length = 1, pattern = "^[^ ]+$")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub day_of_week: Option<String>,
}

// ANCHOR_END: spec
