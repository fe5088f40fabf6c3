use std::sync::Arc;
use std::time::Duration;

use greeting_operator::api::Greeting;
use http::Method;
use k8s_openapi::api::core::v1::ConfigMap;
use k8s_openapi::api::events::v1::Event as EventObject;
use kube::api::{DeleteParams, ListParams};
use kube::{Api, ResourceExt};
use kubesmith::cache::OperationResult;
use kubesmith::controller::Controller;
use kubesmith::envtest::TestManager;
use kubesmith::finalizer::{self, finalize};
use kubesmith::manager::Manager;
use kubesmith::reconcile::{Action, Context, ReconcileError, Reconciler};

use crate::requests::RequestLog;
use crate::{Sightings, create_greeting, eventually, options, shared};

const FINALIZER: &str = "demo.kubesmith.dev/cleanup";

fn mark(config_map: &mut ConfigMap, value: &str) {
    config_map
        .data
        .get_or_insert_with(Default::default)
        .insert("cleaned".into(), value.into());
}

/// Records an event while the Greeting lives, and whether a read of it from the cache shows
/// the finalizer; on deletion leaves a `<name>-cleaned` ConfigMap.
struct Tidy {
    finalizer_seen: Sightings<bool>,
}

impl Reconciler<Greeting> for Tidy {
    async fn reconcile(
        &self,
        greeting: Arc<Greeting>,
        ctx: &Context,
    ) -> Result<Action, ReconcileError> {
        let namespace = greeting.namespace().unwrap_or_default();
        let greetings = ctx.namespaced::<Greeting>(&namespace);
        let config_maps = ctx.namespaced::<ConfigMap>(&namespace);
        finalize(&greetings, FINALIZER, greeting, |event| async move {
            match event {
                finalizer::Event::Apply(greeting) => {
                    let cached = ctx
                        .namespaced::<Greeting>(&greeting.namespace().unwrap_or_default())
                        .get(&greeting.name_any())
                        .await?;
                    let seen =
                        cached.is_some_and(|g| g.finalizers().iter().any(|f| f == FINALIZER));
                    self.finalizer_seen.record(seen);
                    ctx.event(&*greeting, "Seen", "the finalizer is in place")
                        .await;
                }
                finalizer::Event::Cleanup(greeting) => {
                    config_maps
                        .create_or_update(&format!("{}-cleaned", greeting.name_any()), |cm| {
                            mark(cm, "yes");
                            Ok(())
                        })
                        .await?;
                }
            }
            Ok(Action::await_change())
        })
        .await
    }
}

#[tokio::test]
async fn finalizer_cleanup_runs_before_deletion_and_events_are_recorded() {
    let env = shared().await;
    let namespace = env.create_namespace("helpers").await.expect("namespace");
    let client = env.client().expect("client");
    let (options, _, _) = options(&namespace);
    let log = RequestLog::default();
    let mut manager = Manager::new(log.client(env.config().clone()), options).expect("manager");
    let finalizer_seen = Sightings::default();
    let tidy = Tidy {
        finalizer_seen: finalizer_seen.clone(),
    };
    manager
        .add(Controller::<Greeting>::new(), tidy)
        .expect("controller");
    let running = TestManager::start(manager);

    let greetings: Api<Greeting> = Api::namespaced(client.clone(), &namespace);
    create_greeting(&client, &namespace, "tidy", "x").await;
    eventually(
        Duration::from_secs(20),
        "the finalizer to be added",
        || async {
            greetings
                .get("tidy")
                .await
                .ok()
                .filter(|g| g.finalizers().iter().any(|f| f == FINALIZER))
        },
    )
    .await;
    let events: Api<EventObject> = Api::namespaced(client.clone(), &namespace);
    let recorded = eventually(
        Duration::from_secs(20),
        "the event to be recorded",
        || async {
            let list = events.list(&ListParams::default()).await.ok()?;
            list.items
                .into_iter()
                .find(|e| e.reason.as_deref() == Some("Seen"))
        },
    )
    .await;
    assert_eq!(
        recorded.regarding.and_then(|r| r.name).as_deref(),
        Some("tidy")
    );
    assert_eq!(recorded.reporting_controller.as_deref(), Some("greeting"));

    greetings
        .delete("tidy", &DeleteParams::default())
        .await
        .expect("delete");
    eventually(
        Duration::from_secs(20),
        "the Greeting to be gone after cleanup",
        || async {
            greetings
                .get_opt("tidy")
                .await
                .ok()
                .and_then(|g| g.is_none().then_some(()))
        },
    )
    .await;
    let config_maps: Api<ConfigMap> = Api::namespaced(client.clone(), &namespace);
    let cleaned = config_maps
        .get("tidy-cleaned")
        .await
        .expect("cleanup left its mark");
    assert_eq!(
        cleaned
            .data
            .unwrap_or_default()
            .get("cleaned")
            .map(String::as_str),
        Some("yes")
    );

    // The finalizer went in and out through the cache: each read of the Greeting showed the
    // finalizer just added, and none was a request to the API server.
    let seen = finalizer_seen.0.lock().expect("lock").clone();
    assert!(
        !seen.is_empty() && seen.iter().all(|shown| *shown),
        "reads from the cache after the finalizer was added: {seen:?}"
    );
    let live_reads: Vec<_> = log
        .sent()
        .into_iter()
        .filter(|sent| sent.is_read() && sent.path.ends_with("/greetings/tidy"))
        .collect();
    assert!(
        live_reads.is_empty(),
        "live reads of the Greeting: {live_reads:?}"
    );
    let patches = log
        .sent()
        .into_iter()
        .filter(|sent| sent.method == Method::PATCH && sent.path.contains("/greetings/tidy"))
        .count();
    assert_eq!(patches, 2, "one patch adds the finalizer, one removes it");

    running.stop().await.expect("manager stops cleanly");
}

/// A context whose cache holds `objects` as read now, writing through the real API server.
async fn cached(client: &kube::Client, objects: Vec<ConfigMap>) -> kubesmith::reconcile::Context {
    let mut builder = kubesmith::reconcile::Context::builder(client.clone());
    for object in objects {
        builder = builder.object(object).expect("fixture");
    }
    builder.build()
}

#[tokio::test]
async fn create_or_update_writes_only_changes_and_recovers_from_a_stale_cache() {
    let env = shared().await;
    let namespace = env.create_namespace("write").await.expect("namespace");
    let client = env.client().expect("client");
    let live: Api<ConfigMap> = Api::namespaced(client.clone(), &namespace);

    // Not cached: created.
    let ctx = cached(&client, Vec::new()).await;
    let config_maps = ctx.namespaced::<ConfigMap>(&namespace);
    let (created, stored) = config_maps
        .create_or_update("settings", |cm| {
            mark(cm, "yes");
            Ok(())
        })
        .await
        .expect("create");
    assert_eq!(created, OperationResult::Created);
    assert_eq!(
        stored.metadata.namespace.as_deref(),
        Some(namespace.as_str())
    );

    // Cached as it is: nothing to send.
    let current = live.get("settings").await.expect("get");
    let ctx = cached(&client, vec![current.clone()]).await;
    let config_maps = ctx.namespaced::<ConfigMap>(&namespace);
    let (unchanged, _) = config_maps
        .create_or_update("settings", |cm| {
            mark(cm, "yes");
            Ok(())
        })
        .await
        .expect("unchanged");
    assert_eq!(unchanged, OperationResult::Unchanged);

    // Someone else changed it since it was cached: the update conflicts (409), the object is
    // read once and the change applied to the fresh version.
    let mut other = current.clone();
    mark(&mut other, "by someone else");
    live.replace("settings", &Default::default(), &other)
        .await
        .expect("concurrent update");
    let (updated, stored) = config_maps
        .create_or_update("settings", |cm| {
            mark(cm, "twice");
            Ok(())
        })
        .await
        .expect("update after a conflict");
    assert_eq!(updated, OperationResult::Updated);
    let data = stored.data.clone().unwrap_or_default();
    assert_eq!(data.get("cleaned").map(String::as_str), Some("twice"));

    // The cache says it is missing but it exists: the create finds it and updates instead.
    let ctx = cached(&client, Vec::new()).await;
    let (updated, _) = ctx
        .namespaced::<ConfigMap>(&namespace)
        .create_or_update("settings", |cm| {
            mark(cm, "thrice");
            Ok(())
        })
        .await
        .expect("update after AlreadyExists");
    assert_eq!(updated, OperationResult::Updated);
    let data = live
        .get("settings")
        .await
        .expect("get")
        .data
        .unwrap_or_default();
    assert_eq!(data.get("cleaned").map(String::as_str), Some("thrice"));
}
