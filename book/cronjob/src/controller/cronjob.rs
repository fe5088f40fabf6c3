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

//! The CronJob controller: its declaration (it reconciles CronJobs and owns the Jobs it
//! starts, from which `make manifests` derives its RBAC rules) and its reconciler.

use std::sync::Arc;

use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use k8s_openapi::jiff::{SignedDuration, Timestamp};
use kube::api::{DeleteParams, PostParams};
use kube::{Api, Resource, ResourceExt};
use kubesmith::conditions::{ConditionBuilder, HasConditions, READY, is_true};
use kubesmith::controller::Controller;
use kubesmith::finalizer::{self, finalize};
use kubesmith::manager::Manager;
use kubesmith::owner::{OwnerError, set_controller_reference};
use kubesmith::reconcile::{Action, Context, ReconcileError, Reconciler};
use prometheus_client::metrics::counter::Counter;

use crate::api::v1::cronjob::{ConcurrencyPolicy, CronJob, CronJobStatus};
use crate::schedule::{Schedule, ScheduleError};

/// The finalizer that stops a CronJob's Jobs before the CronJob is deleted.
pub const FINALIZER: &str = "batch.tutorial.kubesmith.dev/stop-jobs";

/// The annotation of a Job that says which run of its CronJob it is (RFC 3339).
pub const SCHEDULED_AT: &str = "batch.tutorial.kubesmith.dev/scheduled-at";

/// Successful and failed Jobs kept when a CronJob does not say.
pub const DEFAULT_HISTORY: (i32, i32) = (3, 1);

// ANCHOR: controller
/// What the CronJob controller is: it reconciles CronJobs and owns the Jobs it starts. A
/// change to one of those Jobs reconciles its CronJob, the Jobs are read from the manager's
/// cache, and `make manifests` grants what the declaration names.
pub fn controller() -> Controller<CronJob> {
    Controller::new().owns::<Job>()
}
// ANCHOR_END: controller

// ANCHOR: reconciler
/// Starts the Jobs of CronJobs on their schedules, and reports them in the CronJobs' status.
#[derive(Debug, Clone)]
pub struct CronJobReconciler {
    /// Now, as the reconciler sees it (tests move it).
    clock: fn() -> Timestamp,
    /// `cronjob_jobs_started_total`: Jobs started.
    jobs_started: Counter,
}

impl CronJobReconciler {
    /// A reconciler reading the time from `clock`, with its metrics registered on `manager`'s
    /// registry (served on `/metrics` beside controller-runtime's).
    ///
    /// ```
    /// # fn example(manager: &kubesmith::manager::Manager) {
    /// let reconciler = cronjob::controller::cronjob::CronJobReconciler::new(manager, k8s_openapi::jiff::Timestamp::now);
    /// # }
    /// ```
    pub fn new(manager: &Manager, clock: fn() -> Timestamp) -> Self {
        let reconciler = CronJobReconciler {
            clock,
            jobs_started: Counter::default(),
        };
        // prometheus-client adds the `_total` of a counter.
        manager.metrics().registry().register(
            "cronjob_jobs_started",
            "Jobs started by CronJobs",
            reconciler.jobs_started.clone(),
        );
        reconciler
    }
}

impl Reconciler<CronJob> for CronJobReconciler {
    async fn reconcile(
        &self,
        cron_job: Arc<CronJob>,
        ctx: &Context,
    ) -> Result<Action, ReconcileError> {
        // `cron_job` is the latest cached version (a CronJob deleted since it was queued is
        // not reconciled). The finalizer is added to a live CronJob (one request, once); once
        // the CronJob is being deleted, `stop_jobs` runs and the finalizer is removed when it
        // succeeds. Both writes go through the cache, which shows them to the next read.
        let cron_jobs = ctx.namespaced::<CronJob>(&cron_job.namespace().unwrap_or_default());
        finalize(&cron_jobs, FINALIZER, cron_job, |event| async move {
            match event {
                finalizer::Event::Apply(cron_job) => self.run(&cron_job, ctx).await,
                finalizer::Event::Cleanup(cron_job) => stop_jobs(&cron_job, ctx).await,
            }
        })
        .await
    }
}
// ANCHOR_END: reconciler

impl CronJobReconciler {
    /// Reconciles a live CronJob: status from its Jobs, old Jobs pruned, the due run started.
    async fn run(&self, cron_job: &CronJob, ctx: &Context) -> Result<Action, ReconcileError> {
        let namespace = cron_job.namespace().unwrap_or_default();
        // ANCHOR: list_jobs
        // The Jobs this CronJob controls, found through the cache's owner index.
        let jobs = ctx
            .namespaced::<Job>(&namespace)
            .list_owned_by(cron_job)
            .await?;
        let mut history = History::of(&jobs);
        // ANCHOR_END: list_jobs

        // ANCHOR: prune
        let (successful_limit, failed_limit) = history_limits(cron_job);
        let pruned = prune(&history.successful, successful_limit)
            .chain(prune(&history.failed, failed_limit));
        let job_api: Api<Job> = Api::namespaced(ctx.client().clone(), &namespace);
        for job in pruned {
            delete_job(&job_api, job).await?;
        }
        // ANCHOR_END: prune

        // ANCHOR: schedule
        let schedule: Schedule = match cron_job.spec.schedule.parse() {
            Ok(schedule) => schedule,
            // The validating webhook refuses such schedules; without it, report and wait for
            // a new spec (retrying cannot help).
            Err(error) => {
                return self
                    .report_stuck(cron_job, ctx, &history, "InvalidSchedule", error)
                    .await;
            }
        };
        let now = (self.clock)();
        let last = history
            .last_scheduled
            .or_else(|| {
                cron_job
                    .metadata
                    .creation_timestamp
                    .as_ref()
                    .map(|time| time.0)
            })
            .unwrap_or(now);
        let deadline = cron_job
            .spec
            .starting_deadline_seconds
            .map(SignedDuration::from_secs);
        let runs = match schedule.runs(last, now, deadline) {
            Ok(runs) => runs,
            Err(error) => {
                return self
                    .report_stuck(cron_job, ctx, &history, "TooManyMissedRuns", error)
                    .await;
            }
        };
        // ANCHOR_END: schedule

        let suspended = cron_job.spec.suspend.unwrap_or(false);
        // ANCHOR: start
        if let Some(due) = runs.missed.filter(|_| !suspended) {
            let policy = cron_job.spec.concurrency_policy.unwrap_or_default();
            if policy == ConcurrencyPolicy::Forbid && !history.active.is_empty() {
                let note = format!(
                    "the run of {due} waits for {} active job(s) (concurrency policy Forbid)",
                    history.active.len()
                );
                ctx.event(cron_job, "RunSkipped", note).await;
            } else {
                if policy == ConcurrencyPolicy::Replace {
                    for job in history.active.drain(..) {
                        delete_job(&job_api, &job).await?;
                    }
                }
                let job = start_job(&job_api, cron_job, due).await?;
                self.jobs_started.inc();
                let note = format!("started job {} for the run of {due}", job.name_any());
                ctx.event(cron_job, "JobStarted", note).await;
                history.active.push(job);
                history.last_scheduled = Some(due);
            }
        }
        // ANCHOR_END: start

        // ANCHOR: status
        let ready = if suspended {
            ConditionBuilder::new(READY, true, "Suspended")
                .message("no new runs start while suspended")
        } else {
            ConditionBuilder::new(READY, true, "Scheduled")
                .message(format!("the next run is at {}", runs.next))
        };
        update_status(ctx, cron_job, &history, ready).await?;
        // Come back for the next run (a change to the CronJob or its Jobs comes sooner).
        let wait = now
            .duration_until(runs.next)
            .max(SignedDuration::from_secs(1));
        Ok(Action::requeue_after(wait.unsigned_abs()))
        // ANCHOR_END: status
    }

    /// Reports why a CronJob's schedule cannot run and waits for its spec to change.
    async fn report_stuck(
        &self,
        cron_job: &CronJob,
        ctx: &Context,
        history: &History,
        reason: &str,
        error: ScheduleError,
    ) -> Result<Action, ReconcileError> {
        let message = error.to_string();
        let ready = ConditionBuilder::new(READY, false, reason).message(&message);
        if update_status(ctx, cron_job, history, ready).await? {
            ctx.warn(cron_job, reason, message).await;
        }
        Ok(Action::await_change())
    }
}

/// The Jobs of a CronJob by state, oldest run first.
#[derive(Debug, Default)]
struct History {
    active: Vec<Arc<Job>>,
    successful: Vec<Arc<Job>>,
    failed: Vec<Arc<Job>>,
    /// The latest run a Job was started for.
    last_scheduled: Option<Timestamp>,
}

// ANCHOR: history
impl History {
    fn of(jobs: &[Arc<Job>]) -> History {
        let mut history = History::default();
        let mut jobs = jobs.to_vec();
        jobs.sort_by_key(|job| scheduled_at(job));
        for job in jobs {
            history.last_scheduled = history.last_scheduled.max(scheduled_at(&job));
            match finished(&job) {
                None => history.active.push(job),
                Some(Outcome::Complete) => history.successful.push(job),
                Some(Outcome::Failed) => history.failed.push(job),
            }
        }
        history
    }
}

/// How a finished Job ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Complete,
    Failed,
}

/// How `job` ended, from its `Complete` or `Failed` condition; `None` while it runs.
fn finished(job: &Job) -> Option<Outcome> {
    if is_true(job.conditions(), "Complete") {
        Some(Outcome::Complete)
    } else if is_true(job.conditions(), "Failed") {
        Some(Outcome::Failed)
    } else {
        None
    }
}

/// The run `job` was started for, from its annotation.
fn scheduled_at(job: &Job) -> Option<Timestamp> {
    job.annotations().get(SCHEDULED_AT)?.parse().ok()
}
// ANCHOR_END: history

/// The successful and failed Jobs a CronJob keeps.
fn history_limits(cron_job: &CronJob) -> (usize, usize) {
    let limit =
        |value: Option<i32>, default: i32| usize::try_from(value.unwrap_or(default)).unwrap_or(0);
    (
        limit(
            cron_job.spec.successful_jobs_history_limit,
            DEFAULT_HISTORY.0,
        ),
        limit(cron_job.spec.failed_jobs_history_limit, DEFAULT_HISTORY.1),
    )
}

/// The oldest of `jobs` (oldest first) beyond the newest `keep`.
fn prune(jobs: &[Arc<Job>], keep: usize) -> impl Iterator<Item = &Arc<Job>> {
    jobs.iter().take(jobs.len().saturating_sub(keep))
}

// ANCHOR: job_for
/// The Job of `cron_job`'s run at `scheduled`: its template, named after the CronJob and the
/// run (so that a second attempt finds the first), controlled by the CronJob.
pub fn job_for(cron_job: &CronJob, scheduled: Timestamp) -> Result<Job, OwnerError> {
    let template = cron_job
        .spec
        .job_template
        .metadata
        .clone()
        .unwrap_or_default();
    let mut annotations = template.annotations.unwrap_or_default();
    annotations.insert(SCHEDULED_AT.into(), scheduled.to_string());
    let mut job = Job {
        metadata: ObjectMeta {
            name: Some(format!("{}-{}", cron_job.name_any(), scheduled.as_second())),
            namespace: cron_job.namespace(),
            labels: template.labels,
            annotations: Some(annotations),
            ..ObjectMeta::default()
        },
        spec: cron_job.spec.job_template.spec.clone(),
        status: None,
    };
    set_controller_reference(cron_job, &mut job)?;
    Ok(job)
}
// ANCHOR_END: job_for

/// Creates the Job of the run at `scheduled`. A Job of that name already there is this run's,
/// started by an earlier reconcile the cache did not show yet.
async fn start_job(
    api: &Api<Job>,
    cron_job: &CronJob,
    scheduled: Timestamp,
) -> Result<Arc<Job>, ReconcileError> {
    let job = job_for(cron_job, scheduled)?;
    match api.create(&PostParams::default(), &job).await {
        Ok(created) => Ok(Arc::new(created)),
        Err(kube::Error::Api(status)) if status.is_already_exists() => Ok(Arc::new(job)),
        Err(error) => Err(error.into()),
    }
}

/// Deletes `job` and, in the background, its Pods; a Job already gone is fine.
async fn delete_job(api: &Api<Job>, job: &Job) -> Result<(), ReconcileError> {
    match api
        .delete(&job.name_any(), &DeleteParams::background())
        .await
    {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(status)) if status.is_not_found() => Ok(()),
        Err(error) => Err(error.into()),
    }
}

// ANCHOR: cleanup
/// The finalizer's cleanup: deletes the CronJob's Jobs, so that none is left running when the
/// CronJob is gone (the garbage collector would delete them too, but later and unseen).
async fn stop_jobs(cron_job: &CronJob, ctx: &Context) -> Result<Action, ReconcileError> {
    let namespace = cron_job.namespace().unwrap_or_default();
    let jobs = ctx
        .namespaced::<Job>(&namespace)
        .list_owned_by(cron_job)
        .await?;
    let api: Api<Job> = Api::namespaced(ctx.client().clone(), &namespace);
    for job in &jobs {
        delete_job(&api, job).await?;
    }
    if !jobs.is_empty() {
        let note = format!("deleted {} job(s) of the deleted CronJob", jobs.len());
        ctx.event(cron_job, "JobsStopped", note).await;
    }
    Ok(Action::await_change())
}
// ANCHOR_END: cleanup

/// Writes the status `history` and `ready` describe; true when it changed.
async fn update_status(
    ctx: &Context,
    cron_job: &CronJob,
    history: &History,
    ready: ConditionBuilder,
) -> Result<bool, ReconcileError> {
    let ready = ready.observing(cron_job);
    let written = ctx
        .namespaced::<CronJob>(&cron_job.namespace().unwrap_or_default())
        .update_status(cron_job, |cron_job| {
            let status = cron_job.status.get_or_insert_with(CronJobStatus::default);
            status.active = history
                .active
                .iter()
                .map(|job| job.object_ref(&()))
                .collect();
            status.last_schedule_time = history.last_scheduled.map(Time);
            status.conditions.set(ready);
        })
        .await?;
    Ok(written != kubesmith::cache::OperationResult::Unchanged)
}

#[cfg(test)]
mod tests {
    use k8s_openapi::api::batch::v1::{JobCondition, JobStatus};
    use kube::api::ObjectMeta;

    use super::*;
    use crate::api::v1::cronjob::CronJobSpec;

    fn job(run: &str, ended: Option<&str>) -> Arc<Job> {
        Arc::new(Job {
            metadata: ObjectMeta {
                name: Some(format!("job-{run}")),
                annotations: Some([(SCHEDULED_AT.to_string(), run.to_string())].into()),
                ..ObjectMeta::default()
            },
            status: ended.map(|type_| JobStatus {
                conditions: Some(vec![JobCondition {
                    type_: type_.into(),
                    status: "True".into(),
                    ..JobCondition::default()
                }]),
                ..JobStatus::default()
            }),
            ..Job::default()
        })
    }

    fn names<'a>(jobs: impl IntoIterator<Item = &'a Arc<Job>>) -> Vec<String> {
        jobs.into_iter().map(|job| job.name_any()).collect()
    }

    #[test]
    fn jobs_are_sorted_into_active_successful_and_failed_by_run() {
        let jobs = [
            job("2026-11-27T12:00:00Z", Some("Complete")),
            job("2026-11-27T10:00:00Z", Some("Complete")),
            job("2026-11-27T13:00:00Z", None),
            job("2026-11-27T11:00:00Z", Some("Failed")),
        ];
        let history = History::of(&jobs);
        assert_eq!(names(&history.active), ["job-2026-11-27T13:00:00Z"]);
        assert_eq!(
            names(&history.successful),
            ["job-2026-11-27T10:00:00Z", "job-2026-11-27T12:00:00Z"]
        );
        assert_eq!(names(&history.failed), ["job-2026-11-27T11:00:00Z"]);
        assert_eq!(
            history.last_scheduled,
            Some("2026-11-27T13:00:00Z".parse().expect("a timestamp"))
        );
    }

    #[test]
    fn pruning_keeps_the_newest_jobs() {
        let jobs = [
            job("2026-11-27T10:00:00Z", Some("Complete")),
            job("2026-11-27T11:00:00Z", Some("Complete")),
            job("2026-11-27T12:00:00Z", Some("Complete")),
        ];
        assert_eq!(
            names(prune(&jobs, 1)),
            ["job-2026-11-27T10:00:00Z", "job-2026-11-27T11:00:00Z"]
        );
        assert_eq!(names(prune(&jobs, 0)).len(), 3);
        assert!(names(prune(&jobs, 5)).is_empty());
    }

    #[test]
    fn a_run_becomes_a_job_of_the_template_controlled_by_its_cron_job() {
        let mut cron_job = CronJob::new("nightly", CronJobSpec::default());
        cron_job.metadata.namespace = Some("jobs".into());
        cron_job.metadata.uid = Some("0b5e4a52-6f8e-4a39-9d4c-1c9e0c1a7f10".into());
        cron_job.spec.job_template.metadata = Some(ObjectMeta {
            labels: Some([("team".to_string(), "data".to_string())].into()),
            ..ObjectMeta::default()
        });
        let run: Timestamp = "2026-11-27T00:00:00Z".parse().expect("a timestamp");
        let job = job_for(&cron_job, run).expect("a job");
        assert_eq!(job.name_any(), "nightly-1795737600");
        assert_eq!(job.namespace().as_deref(), Some("jobs"));
        assert_eq!(job.labels().get("team").map(String::as_str), Some("data"));
        assert_eq!(scheduled_at(&job), Some(run));
        assert!(kubesmith::owner::is_controlled_by(&cron_job, &job));
    }
}
