use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::core::v1::ConfigMap;
use k8s_openapi::api::events::v1::Event as EventObject;
use kube::api::{DeleteParams, ListParams};
use kube::{Api, Resource, ResourceExt};
use kubesmith::apply::{OperationResult, create_or_update};
use kubesmith::events::{Event, EventType};
use kubesmith::finalizer::{self, finalize};
use kubesmith::manager::Manager;
use kubesmith::reconcile::{Action, Context, ReconcileError, Reconciler};
use kubesmith_e2e::sample::Greeting;

use crate::{Running, create_greeting, eventually, options, shared};

const FINALIZER: &str = "demo.kubesmith.dev/cleanup";

fn mark_cleaned(config_map: &mut ConfigMap) {
    config_map
        .data
        .get_or_insert_with(Default::default)
        .insert("cleaned".into(), "yes".into());
}

/// Records an event while the Greeting lives; on deletion leaves a `<name>-cleaned` ConfigMap.
struct Tidy;

impl Reconciler<Greeting> for Tidy {
    async fn reconcile(
        &self,
        greeting: Arc<Greeting>,
        ctx: &Context,
    ) -> Result<Action, ReconcileError> {
        let namespace = greeting.namespace().unwrap_or_default();
        let greetings: Api<Greeting> = Api::namespaced(ctx.client().clone(), &namespace);
        let config_maps: Api<ConfigMap> = Api::namespaced(ctx.client().clone(), &namespace);
        let recorder = ctx.recorder().clone();
        finalize(&greetings, FINALIZER, greeting, |event| async move {
            match event {
                finalizer::Event::Apply(greeting) => {
                    let event = Event {
                        type_: EventType::Normal,
                        reason: "Seen".into(),
                        note: Some("the finalizer is in place".into()),
                        action: "Reconcile".into(),
                        secondary: None,
                    };
                    recorder.publish(&event, &greeting.object_ref(&())).await?;
                }
                finalizer::Event::Cleanup(greeting) => {
                    create_or_update(
                        &config_maps,
                        &format!("{}-cleaned", greeting.name_any()),
                        mark_cleaned,
                    )
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
    let mut manager = Manager::new(client.clone(), options).expect("manager");
    manager
        .controller::<Greeting>()
        .complete(Tidy)
        .expect("controller");
    let running = Running::spawn(manager);

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

    let (unchanged, _) = create_or_update(&config_maps, "tidy-cleaned", mark_cleaned)
        .await
        .expect("again");
    assert_eq!(unchanged, OperationResult::Unchanged);
    let (updated, stored) = create_or_update(&config_maps, "tidy-cleaned", |cm: &mut ConfigMap| {
        cm.data
            .get_or_insert_with(Default::default)
            .insert("cleaned".into(), "twice".into());
    })
    .await
    .expect("update");
    assert_eq!(updated, OperationResult::Updated);
    assert_eq!(
        stored
            .data
            .unwrap_or_default()
            .get("cleaned")
            .map(String::as_str),
        Some("twice")
    );
    running.stop().await;
}
