//! Reads in reconcilers come from the manager's cache: owned Jobs by the built-in owner index,
//! a Secret nobody owns, a kind nobody declared — with no GET or LIST reaching the API server
//! once the cache is filled, and indexes that follow deletes and an API-server restart.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use greeting_operator::api::Greeting;
use k8s_openapi::api::batch::v1::{Job, JobSpec};
use k8s_openapi::api::core::v1::{ConfigMap, Container, PodSpec, PodTemplateSpec, Secret};
use kube::api::{DeleteParams, ObjectMeta, PostParams};
use kube::{Api, CustomResourceExt, ResourceExt};
use kubesmith::controller::Controller;
use kubesmith::envtest::{Environment, TestManager};
use kubesmith::manager::Manager;
use kubesmith::reconcile::{Action, Context, ReconcileError, Reconciler};

use crate::requests::RequestLog;
use crate::{Sightings, create_greeting, eventually, options, shared};

const SECRET: &str = "shared-settings";

/// What one reconcile of a Greeting saw in the cache.
#[derive(Debug, Clone, PartialEq)]
struct Seen {
    greeting: String,
    jobs: Vec<String>,
    secret: bool,
}

/// Lists the Jobs a Greeting owns and reads a Secret it does not own, every 100 ms.
#[derive(Clone, Default)]
struct Observer {
    seen: Sightings<Seen>,
}

impl Reconciler<Greeting> for Observer {
    async fn reconcile(
        &self,
        greeting: Arc<Greeting>,
        ctx: &Context,
    ) -> Result<Action, ReconcileError> {
        let namespace = greeting.namespace().unwrap_or_default();
        let jobs = ctx
            .namespaced::<Job>(&namespace)
            .list_owned_by(&*greeting)
            .await?;
        let secret = ctx.namespaced::<Secret>(&namespace).get(SECRET).await?;
        self.seen.record(Seen {
            greeting: greeting.name_any(),
            jobs: jobs.iter().map(|job| job.name_any()).collect(),
            secret: secret.is_some(),
        });
        Ok(Action::requeue_after(Duration::from_millis(100)))
    }
}

fn job(name: &str, owner: Option<&Greeting>) -> Job {
    let mut job = Job {
        metadata: ObjectMeta {
            name: Some(name.into()),
            ..ObjectMeta::default()
        },
        spec: Some(JobSpec {
            template: PodTemplateSpec {
                metadata: None,
                spec: Some(PodSpec {
                    containers: vec![Container {
                        name: "main".into(),
                        image: Some("busybox".into()),
                        ..Container::default()
                    }],
                    restart_policy: Some("Never".into()),
                    ..PodSpec::default()
                }),
            },
            ..JobSpec::default()
        }),
        ..Job::default()
    };
    if let Some(owner) = owner {
        kubesmith::owner::set_controller_reference(owner, &mut job).expect("owner reference");
    }
    job
}

async fn latest_jobs(observer: &Observer, greeting: &str, want: &[&str], what: &str) {
    eventually(Duration::from_secs(20), what, || async {
        observer
            .seen
            .latest(|seen| seen.greeting == greeting)
            .filter(|seen| seen.secret && seen.jobs == want)
    })
    .await;
}

#[tokio::test]
async fn owned_jobs_and_an_unowned_secret_are_read_from_the_cache_and_follow_changes() {
    let env = Environment::builder()
        .crd(Greeting::crd())
        .start()
        .await
        .expect("no test control plane");
    let namespace = env.create_namespace("cached").await.expect("namespace");
    let admin = env.client().expect("client");
    let secrets: Api<Secret> = Api::namespaced(admin.clone(), &namespace);
    let mut secret = Secret::default();
    secret.metadata.name = Some(SECRET.into());
    secrets
        .create(&PostParams::default(), &secret)
        .await
        .expect("secret");

    let log = RequestLog::default();
    let (options, _, _) = options(&namespace);
    let mut manager = Manager::new(log.client(env.config().clone()), options).expect("manager");
    let observer = Observer::default();
    manager
        .add(
            Controller::<Greeting>::new()
                .owns::<Job>()
                .reads::<Secret>(),
            observer.clone(),
        )
        .expect("controller");
    let running = TestManager::start(manager);

    let greeting = create_greeting(&admin, &namespace, "g1", "hi").await;
    let jobs: Api<Job> = Api::namespaced(admin.clone(), &namespace);
    for job in [
        job("j1", Some(&greeting)),
        job("j2", Some(&greeting)),
        job("unowned", None),
    ] {
        jobs.create(&PostParams::default(), &job)
            .await
            .expect("job");
    }
    latest_jobs(
        &observer,
        "g1",
        &["j1", "j2"],
        "the owned Jobs in the index",
    )
    .await;

    // Steady state: reconciles keep coming (every 100 ms), requests do not.
    let (requests, reconciles) = (log.len(), observer.seen.count());
    eventually(Duration::from_secs(10), "ten more reconciles", || async {
        (observer.seen.count() >= reconciles + 10).then_some(())
    })
    .await;
    let steady: Vec<_> = log.sent().into_iter().skip(requests).collect();
    assert!(
        steady.is_empty(),
        "steady-state reconciles sent requests: {steady:?}"
    );

    // Jobs default to orphaning their pods, which needs the garbage collector envtest does not
    // run; background propagation deletes at once.
    jobs.delete("j1", &DeleteParams::background())
        .await
        .expect("delete j1");
    latest_jobs(
        &observer,
        "g1",
        &["j2"],
        "the deleted Job to leave the index",
    )
    .await;

    env.stop_api_server().await.expect("stop the API server");
    tokio::time::sleep(Duration::from_secs(2)).await;
    env.start_api_server().await.expect("start the API server");
    let admin = env.client().expect("client");
    let jobs: Api<Job> = Api::namespaced(admin.clone(), &namespace);
    jobs.create(&PostParams::default(), &job("j3", Some(&greeting)))
        .await
        .expect("job after the restart");
    jobs.delete("j2", &DeleteParams::background())
        .await
        .expect("delete j2 after the restart");
    latest_jobs(
        &observer,
        "g1",
        &["j3"],
        "the index to follow changes after the restart",
    )
    .await;
    drop(running);
    env.stop().await;
}

/// Reads a ConfigMap that no controller declares, every 50 ms.
#[derive(Clone, Default)]
struct LazyReader {
    reads: Arc<AtomicUsize>,
}

impl Reconciler<Greeting> for LazyReader {
    async fn reconcile(
        &self,
        greeting: Arc<Greeting>,
        ctx: &Context,
    ) -> Result<Action, ReconcileError> {
        let namespace = greeting.namespace().unwrap_or_default();
        ctx.namespaced::<ConfigMap>(&namespace)
            .get("not-declared")
            .await?;
        self.reads.fetch_add(1, Ordering::SeqCst);
        Ok(Action::requeue_after(Duration::from_millis(50)))
    }
}

#[tokio::test]
async fn reading_an_undeclared_kind_starts_one_shared_watch() {
    let env = shared().await;
    let namespace = env.create_namespace("lazy").await.expect("namespace");
    let admin = env.client().expect("client");
    let log = RequestLog::default();
    let (options, _, _) = options(&namespace);
    let mut manager = Manager::new(log.client(env.config().clone()), options).expect("manager");
    let reader = LazyReader::default();
    manager
        .add(
            Controller::<Greeting>::new().max_concurrent_reconciles(3),
            reader.clone(),
        )
        .expect("controller");
    let running = TestManager::start(manager);
    for name in ["a", "b", "c"] {
        create_greeting(&admin, &namespace, name, "hi").await;
    }
    eventually(
        Duration::from_secs(20),
        "60 reads of ConfigMaps",
        || async { (reader.reads.load(Ordering::SeqCst) >= 60).then_some(()) },
    )
    .await;
    running.stop().await.expect("manager stops cleanly");
    let config_maps = format!("/api/v1/namespaces/{namespace}/configmaps");
    let sent: Vec<_> = log
        .sent()
        .into_iter()
        .filter(|sent| sent.path.starts_with(&config_maps))
        .collect();
    let watches = sent.iter().filter(|sent| sent.watch).count();
    let lists = sent.iter().filter(|sent| sent.is_read()).count();
    assert_eq!(watches, 1, "one watch for every read: {sent:?}");
    assert_eq!(lists, 1, "one initial list, then no reads: {sent:?}");
}
