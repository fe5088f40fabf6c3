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

//! The CronJob controller against a real API server (envtest; `make test` provides the
//! binaries). There is no Job controller or garbage collector in envtest: Jobs stay as the
//! controller leaves them, which is what these tests look at.

use std::time::Duration;

use cronjob::api::v1::cronjob::{CronJob, CronJobSpec};
use cronjob::controller::cronjob::{CronJobReconciler, SCHEDULED_AT, controller};
use k8s_openapi::api::batch::v1::{Job, JobSpec, JobTemplateSpec};
use k8s_openapi::api::core::v1::{Container, PodSpec, PodTemplateSpec};
use k8s_openapi::jiff::{SignedDuration, Timestamp};
use kube::api::{DeleteParams, ListParams, PostParams};
use kube::{Api, Client, ResourceExt};
use kubesmith::conditions::READY;
use kubesmith::envtest::{SharedEnvironment, TestManager, eventually, wait_for};
use kubesmith::manager::{Manager, ManagerOptions};
use kubesmith::metrics::Metrics;

/// One control plane for the tests of this file, with the CRDs `make manifests` writes.
static ENV: SharedEnvironment =
    SharedEnvironment::with_crd_directory(concat!(env!("CARGO_MANIFEST_DIR"), "/config/crd/bases"));

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// Five minutes from now: every test CronJob created now has a run due.
fn five_minutes_ahead() -> Timestamp {
    Timestamp::now() + SignedDuration::from_mins(5)
}

// ANCHOR: start_controller
/// How long a test waits for the controller.
const WAIT: Duration = Duration::from_secs(30);

/// The CronJob controller on `clock`, in a manager confined to a namespace of its own (tests
/// of this file run side by side). Returns the namespace, a client, the manager's metrics and
/// the running manager.
async fn start_controller(
    clock: fn() -> Timestamp,
) -> Result<(String, Client, Metrics, TestManager), Box<dyn std::error::Error>> {
    let env = ENV.get().await?;
    let namespace = env.create_namespace("cronjob").await?;
    let options = ManagerOptions {
        watch_namespaces: vec![namespace.clone()],
        ..env.manager_options()
    };
    let mut manager = Manager::new(env.client()?, options)?;
    manager.add(controller(), CronJobReconciler::new(&manager, clock))?;
    let metrics = manager.metrics().clone();
    Ok((
        namespace,
        env.client()?,
        metrics,
        TestManager::start(manager),
    ))
}
// ANCHOR_END: start_controller

/// A CronJob running a one-container Job on `schedule`.
fn cron_job(name: &str, schedule: &str) -> CronJob {
    let pod = PodSpec {
        containers: vec![Container {
            name: "hello".into(),
            image: Some("busybox:1.36".into()),
            command: Some(vec!["echo".into(), "hello".into()]),
            ..Container::default()
        }],
        restart_policy: Some("OnFailure".into()),
        ..PodSpec::default()
    };
    let job_template = JobTemplateSpec {
        metadata: None,
        spec: Some(JobSpec {
            template: PodTemplateSpec {
                metadata: None,
                spec: Some(pod),
            },
            ..JobSpec::default()
        }),
    };
    CronJob::new(
        name,
        CronJobSpec {
            schedule: schedule.into(),
            job_template,
            ..CronJobSpec::default()
        },
    )
}

/// The reason of `cron_job`'s `Ready` condition, when it observes the current generation.
fn ready_reason(cron_job: &CronJob) -> Option<(String, String)> {
    let ready = cron_job.status.as_ref()?.conditions.get(READY)?;
    (ready.observed_generation == cron_job.metadata.generation)
        .then(|| (ready.status.clone(), ready.reason.clone()))
}

// ANCHOR: due_run
#[tokio::test]
async fn a_due_run_starts_a_job_that_the_status_lists() -> TestResult {
    let (namespace, client, metrics, manager) = start_controller(five_minutes_ahead).await?;
    let cron_jobs: Api<CronJob> = Api::namespaced(client.clone(), &namespace);
    cron_jobs
        .create(
            &PostParams::default(),
            &cron_job("every-minute", "* * * * *"),
        )
        .await?;

    let cron_job = wait_for(&cron_jobs, "every-minute", WAIT, |cron_job| {
        cron_job
            .status
            .as_ref()
            .is_some_and(|status| !status.active.is_empty() && status.last_schedule_time.is_some())
    })
    .await?;
    assert_eq!(
        ready_reason(&cron_job),
        Some(("True".into(), "Scheduled".into()))
    );

    // The Job is the template's, controlled by the CronJob, and marked with its run.
    let jobs: Api<Job> = Api::namespaced(client, &namespace);
    let started = jobs.list(&ListParams::default()).await?.items;
    let job = started.first().ok_or("no job was started")?;
    assert!(kubesmith::owner::is_controlled_by(&cron_job, job));
    assert!(job.annotations().contains_key(SCHEDULED_AT));
    let active = &cron_job.status.as_ref().ok_or("no status")?.active;
    assert!(
        active
            .iter()
            .any(|reference| reference.name == job.metadata.name)
    );

    // The tutorial's own metric counted it.
    let text = metrics.encode();
    let started_total = text
        .lines()
        .find_map(|line| line.strip_prefix("cronjob_jobs_started_total "))
        .ok_or("cronjob_jobs_started_total is not exported")?;
    assert!(started_total.parse::<f64>()? >= 1.0, "{text}");
    manager.stop().await?;
    Ok(())
}
// ANCHOR_END: due_run

#[tokio::test]
async fn a_suspended_cron_job_starts_nothing() -> TestResult {
    let (namespace, client, _metrics, manager) = start_controller(five_minutes_ahead).await?;
    let cron_jobs: Api<CronJob> = Api::namespaced(client.clone(), &namespace);
    let mut suspended = cron_job("suspended", "* * * * *");
    suspended.spec.suspend = Some(true);
    cron_jobs.create(&PostParams::default(), &suspended).await?;

    wait_for(&cron_jobs, "suspended", WAIT, |cron_job| {
        ready_reason(cron_job) == Some(("True".into(), "Suspended".into()))
    })
    .await?;
    let jobs: Api<Job> = Api::namespaced(client, &namespace);
    assert!(jobs.list(&ListParams::default()).await?.items.is_empty());
    manager.stop().await?;
    Ok(())
}

#[tokio::test]
async fn an_invalid_schedule_is_reported_in_the_status() -> TestResult {
    // No webhook runs here to refuse it.
    let (namespace, client, _metrics, manager) = start_controller(five_minutes_ahead).await?;
    let cron_jobs: Api<CronJob> = Api::namespaced(client, &namespace);
    cron_jobs
        .create(&PostParams::default(), &cron_job("invalid", "every day"))
        .await?;
    wait_for(&cron_jobs, "invalid", WAIT, |cron_job| {
        ready_reason(cron_job) == Some(("False".into(), "InvalidSchedule".into()))
    })
    .await?;
    manager.stop().await?;
    Ok(())
}

// ANCHOR: finalizer
#[tokio::test]
async fn deleting_a_cron_job_deletes_its_jobs_first() -> TestResult {
    let (namespace, client, _metrics, manager) = start_controller(five_minutes_ahead).await?;
    let cron_jobs: Api<CronJob> = Api::namespaced(client.clone(), &namespace);
    cron_jobs
        .create(
            &PostParams::default(),
            &cron_job("short-lived", "* * * * *"),
        )
        .await?;
    let running = wait_for(&cron_jobs, "short-lived", WAIT, |cron_job| {
        cron_job
            .status
            .as_ref()
            .is_some_and(|status| !status.active.is_empty())
    })
    .await?;
    assert!(
        running
            .finalizers()
            .iter()
            .any(|name| name == cronjob::controller::cronjob::FINALIZER)
    );

    cron_jobs
        .delete("short-lived", &DeleteParams::default())
        .await?;
    // envtest has no garbage collector: only the finalizer deletes the Jobs.
    eventually(WAIT, "the CronJob to be deleted", || async {
        cron_jobs
            .get_opt("short-lived")
            .await
            .ok()?
            .is_none()
            .then_some(())
    })
    .await?;
    let jobs: Api<Job> = Api::namespaced(client, &namespace);
    assert!(jobs.list(&ListParams::default()).await?.items.is_empty());
    manager.stop().await?;
    Ok(())
}
// ANCHOR_END: finalizer
