//! How much a controller watches: owned Secrets as metadata only (the API server sends no
//! data), a watched kind narrowed by a label selector, and predicates that must all pass.

use std::sync::Arc;
use std::time::Duration;

use greeting_operator::api::Greeting;
use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use kube::api::{Patch, PatchParams, PostParams};
use kube::core::PartialObjectMeta;
use kube::runtime::reflector::ObjectRef;
use kube::{Api, ResourceExt};
use kubesmith::controller::{Controller, Watch};
use kubesmith::envtest::TestManager;
use kubesmith::manager::Manager;
use kubesmith::predicate::{generation_changed, labels_changed};
use kubesmith::reconcile::{Action, Context, ReconcileError, Reconciler};

use crate::requests::RequestLog;
use crate::{Sightings, create_greeting, eventually, options, shared};

/// What one reconcile saw: the owned Secrets' names and whether they carried data, and the
/// ConfigMaps in the cache.
#[derive(Debug, Clone, Default)]
struct Seen {
    secrets: Vec<String>,
    config_maps: Vec<String>,
}

#[derive(Clone, Default)]
struct Looker {
    seen: Sightings<Seen>,
}

impl Reconciler<Greeting> for Looker {
    async fn reconcile(
        &self,
        greeting: Arc<Greeting>,
        ctx: &Context,
    ) -> Result<Action, ReconcileError> {
        let namespace = greeting.namespace().unwrap_or_default();
        let secrets = ctx
            .namespaced::<PartialObjectMeta<Secret>>(&namespace)
            .list_owned_by(&*greeting)
            .await?;
        let config_maps = ctx.namespaced::<ConfigMap>(&namespace).list().await?;
        self.seen.record(Seen {
            secrets: secrets.iter().map(|s| s.name_any()).collect(),
            config_maps: config_maps.iter().map(|c| c.name_any()).collect(),
        });
        Ok(Action::await_change())
    }
}

fn labelled(name: &str, team: &str) -> ConfigMap {
    let mut config_map = ConfigMap::default();
    config_map.metadata.name = Some(name.into());
    config_map.metadata.labels = Some([("team".to_string(), team.to_string())].into());
    config_map
}

#[tokio::test]
async fn metadata_only_owned_kinds_selected_watches_and_and_combined_predicates() {
    let env = shared().await;
    let namespace = env.create_namespace("scope").await.expect("namespace");
    let admin = env.client().expect("client");
    let log = RequestLog::default();
    let (options, _, _) = options(&namespace);
    let mut manager = Manager::new(log.client(env.config().clone()), options).expect("manager");
    let looker = Looker::default();
    let controller = Controller::<Greeting>::new()
        .owns_metadata::<Secret>()
        .watches_with(
            Watch::<ConfigMap>::new().labels("team=a"),
            |config_map: Arc<ConfigMap>, _cache| async move {
                let namespace = config_map.namespace().unwrap_or_default();
                vec![ObjectRef::<Greeting>::new("g").within(&namespace)]
            },
        )
        .predicate(generation_changed)
        .predicate(labels_changed);
    manager.add(controller, looker.clone()).expect("controller");
    let running = TestManager::start(manager);

    let greeting = create_greeting(&admin, &namespace, "g", "hi").await;
    let mut secret = Secret::default();
    secret.metadata.name = Some("owned".into());
    secret.data = Some([("token".to_string(), k8s_openapi::ByteString(b"x".to_vec()))].into());
    kubesmith::owner::set_controller_reference(&greeting, &mut secret).expect("owner");
    Api::<Secret>::namespaced(admin.clone(), &namespace)
        .create(&PostParams::default(), &secret)
        .await
        .expect("secret");
    let config_maps: Api<ConfigMap> = Api::namespaced(admin.clone(), &namespace);
    for config_map in [labelled("ours", "a"), labelled("theirs", "b")] {
        config_maps
            .create(&PostParams::default(), &config_map)
            .await
            .expect("config map");
    }
    let seen = eventually(
        Duration::from_secs(20),
        "the owned Secret and our ConfigMap",
        || async {
            looker
                .seen
                .latest(|_| true)
                .filter(|seen| seen.secrets == ["owned"] && seen.config_maps == ["ours"])
        },
    )
    .await;
    assert_eq!(seen.config_maps, ["ours"], "team=b is not cached");

    // A change of the Greeting's labels alone passes labels_changed but not
    // generation_changed: no reconcile.
    let before = looker.seen.count();
    let greetings: Api<Greeting> = Api::namespaced(admin.clone(), &namespace);
    greetings
        .patch(
            "g",
            &PatchParams::default(),
            &Patch::Merge(serde_json::json!({"metadata": {"labels": {"x": "1"}}})),
        )
        .await
        .expect("label the Greeting");
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        looker.seen.count(),
        before,
        "one of two predicates is not enough"
    );
    running.stop().await.expect("manager stops cleanly");

    let secret_requests: Vec<_> = log
        .sent()
        .into_iter()
        .filter(|sent| sent.path.ends_with("/secrets"))
        .collect();
    assert!(
        !secret_requests.is_empty() && secret_requests.iter().all(|sent| sent.metadata_only),
        "Secrets are listed and watched as metadata only: {secret_requests:?}"
    );
}
