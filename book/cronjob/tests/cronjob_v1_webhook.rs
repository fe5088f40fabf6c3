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

//! The webhooks of CronJob v1 called by a real API server (envtest; `make test`
//! provides the binaries): the operator's webhook configurations and CRD conversion point
//! at its manager, serving them on this machine.

use cronjob::api::v1::cronjob::{ConcurrencyPolicy, CronJob, CronJobSpec};
use cronjob::api::v2;
use k8s_openapi::api::batch::v1::{JobSpec, JobTemplateSpec};
use k8s_openapi::api::core::v1::{Container, PodSpec, PodTemplateSpec};
use kube::Api;
use kube::api::PostParams;
use kubesmith::envtest::SharedEnvironment;

/// One control plane for the tests of this file, with the CRDs `make manifests` writes.
static ENV: SharedEnvironment =
    SharedEnvironment::with_crd_directory(concat!(env!("CARGO_MANIFEST_DIR"), "/config/crd/bases"));

/// A spec running a one-container Job on `schedule`.
fn spec(schedule: &str) -> CronJobSpec {
    let pod = PodSpec {
        containers: vec![Container {
            name: "hello".into(),
            image: Some("busybox:1.36".into()),
            ..Container::default()
        }],
        restart_policy: Some("Never".into()),
        ..PodSpec::default()
    };
    CronJobSpec {
        schedule: schedule.into(),
        job_template: JobTemplateSpec {
            metadata: None,
            spec: Some(JobSpec {
                template: PodTemplateSpec {
                    metadata: None,
                    spec: Some(pod),
                },
                ..JobSpec::default()
            }),
        },
        ..CronJobSpec::default()
    }
}

/// The API server's refusal of `cron_job`, or a panic when it was accepted.
async fn refusal(api: &Api<CronJob>, cron_job: &CronJob) -> kube::core::Status {
    match api.create(&PostParams::default(), cron_job).await {
        Err(kube::Error::Api(status)) => *status,
        other => panic!(
            "{} was not refused: {other:?}",
            cron_job.metadata.name.as_deref().unwrap_or_default()
        ),
    }
}

// ANCHOR: webhook_test
#[tokio::test]
async fn the_api_server_calls_the_webhooks() -> Result<(), Box<dyn std::error::Error>> {
    let env = ENV.get().await?;
    // The operator as `main` runs it, its webhook configurations and the CRD's conversion
    // pointed at this process.
    let operator = env.start_operator(cronjob::operator()).await?;
    let client = env.client()?;

    let namespace = env.create_namespace("cronjob").await?;
    let cron_jobs: Api<CronJob> = Api::namespaced(client.clone(), &namespace);

    // Created with only a schedule and a template: the defaulting webhook fills in the rest.
    let created = cron_jobs
        .create(
            &PostParams::default(),
            &CronJob::new("defaulted", spec("*/5 * * * *")),
        )
        .await?;
    assert_eq!(
        created.spec.concurrency_policy,
        Some(ConcurrencyPolicy::Allow)
    );
    assert_eq!(created.spec.suspend, Some(false));
    assert_eq!(created.spec.successful_jobs_history_limit, Some(3));
    assert_eq!(created.spec.failed_jobs_history_limit, Some(1));

    // A schedule that does not parse is refused, with the field named.
    let status = refusal(&cron_jobs, &CronJob::new("hourly", spec("every hour"))).await;
    assert_eq!(status.code, 422);
    assert!(
        status.message.contains("spec.schedule"),
        "{}",
        status.message
    );

    // So is a name too long for the names of its Jobs.
    let long_name = "a".repeat(53);
    let status = refusal(&cron_jobs, &CronJob::new(&long_name, spec("0 * * * *"))).await;
    assert!(
        status.message.contains("metadata.name"),
        "{}",
        status.message
    );
    // ANCHOR_END: webhook_test

    // ANCHOR: conversion_test
    // Written as v1, read as v2 through the conversion webhook: the schedule's fields.
    cron_jobs
        .create(
            &PostParams::default(),
            &CronJob::new("nightly", spec("30 2 * * MON-FRI")),
        )
        .await?;
    let v2_api: Api<v2::cronjob::CronJob> = Api::namespaced(client.clone(), &namespace);
    let read = v2_api.get("nightly").await?;
    assert_eq!(read.spec.schedule.minute.as_deref(), Some("30"));
    assert_eq!(read.spec.schedule.hour.as_deref(), Some("2"));
    assert_eq!(read.spec.schedule.day_of_month, None);
    assert_eq!(read.spec.schedule.day_of_week.as_deref(), Some("MON-FRI"));

    // Written as v2 (stored as v1), read as v1: one string again, `*` where v2 left a field out.
    let mut weekly = v2::cronjob::CronJob::new("weekly", read.spec.clone());
    weekly.spec.schedule = v2::cronjob::CronSchedule {
        minute: Some("0".into()),
        hour: Some("6".into()),
        day_of_week: Some("SUN".into()),
        ..v2::cronjob::CronSchedule::default()
    };
    v2_api.create(&PostParams::default(), &weekly).await?;
    assert_eq!(cron_jobs.get("weekly").await?.spec.schedule, "0 6 * * SUN");
    // ANCHOR_END: conversion_test

    operator.stop().await?;
    Ok(())
}
