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

//! `CronJob` in `batch.tutorial.kubesmith.dev/v1`, the version the API server stores: runs a
//! Job on a cron schedule.

use k8s_openapi::api::batch::v1::JobTemplateSpec;
use k8s_openapi::api::core::v1::ObjectReference;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::CustomResource;
use kubesmith::conditions::Conditions;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

// ANCHOR: spec
/// What a CronJob asks for: a Job to run on a schedule, and how to treat runs that overlap or
/// come late.
#[kubesmith::markers]
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[kube(
    group = "batch.tutorial.kubesmith.dev",
    version = "v1",
    kind = "CronJob",
    plural = "cronjobs",
    namespaced,
    status = "CronJobStatus",
    derive = "PartialEq",
    derive = "Default"
)]
#[serde(rename_all = "camelCase")]
pub struct CronJobSpec {
    /// When to run the Job, in cron format: minute, hour, day of month, month, day of week
    /// (e.g. `*/5 * * * *`, every five minutes).
    #[k8s(min_length = 1, print_column)]
    pub schedule: String,

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
    #[k8s(print_column)]
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

/// What to do with a run that is due while an earlier run's Job is still active.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub enum ConcurrencyPolicy {
    /// Start the new Job beside the running ones.
    #[default]
    Allow,
    /// Skip the new run.
    Forbid,
    /// Delete the running Jobs, then start the new one.
    Replace,
}
// ANCHOR_END: spec

// ANCHOR: status
/// What the controller observed of a CronJob.
#[kubesmith::markers]
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CronJobStatus {
    /// The Jobs of this CronJob that are running.
    #[k8s(list_type = "atomic")]
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub active: Vec<ObjectReference>,

    /// When a Job was last started for this CronJob.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_schedule_time: Option<Time>,

    /// The current state: `Ready` says whether the controller has reconciled the spec of the
    /// generation it names, and with what outcome.
    #[serde(default, skip_serializing_if = "Conditions::is_empty")]
    pub conditions: Conditions,
}
// ANCHOR_END: status
