//! One declaration: an `Operator` is what the manager runs and what `make manifests` grants,
//! so a controller taken out of it is gone from both.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use kube::api::PostParams;
use kube::{Api, ResourceExt};
use kubesmith::controller::Controller;
use kubesmith::envtest::{TestManager, eventually};
use kubesmith::manager::ManagerOptions;
use kubesmith::operator::Operator;
use kubesmith::reconcile::{Action, Context, ReconcileError, Reconciler};

use crate::shared;

/// Records the names of the objects it reconciles.
#[derive(Clone, Default)]
struct Seen(Arc<Mutex<Vec<String>>>);

impl<K: kube::Resource + Send + Sync + 'static> Reconciler<K> for Seen {
    async fn reconcile(&self, object: Arc<K>, _ctx: &Context) -> Result<Action, ReconcileError> {
        self.0.lock().expect("lock").push(object.name_any());
        Ok(Action::await_change())
    }
}

/// The operator with a ConfigMap controller, and a Secret controller when `secrets`.
fn operator(seen: &Seen, secrets: bool) -> Operator {
    let operator = Operator::new("declared", "kubesmith.dev")
        .controller(Controller::<ConfigMap>::new(), seen.clone());
    if secrets {
        operator.controller(Controller::<Secret>::new(), seen.clone())
    } else {
        operator
    }
}

fn role(operator: Operator) -> String {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let files = operator.manifests(dir.path()).render().expect("manifests");
    files[std::path::Path::new("config/rbac/role.yaml")].clone()
}

#[tokio::test]
async fn a_controller_left_out_of_the_declaration_is_neither_run_nor_granted() {
    let seen = Seen::default();
    assert!(role(operator(&seen, true)).contains("- secrets"));
    let role_without = role(operator(&seen, false));
    assert!(role_without.contains("- configmaps"), "{role_without}");
    assert!(!role_without.contains("- secrets"), "{role_without}");

    let env = shared().await;
    let namespace = env.create_namespace("declared").await.expect("namespace");
    let options = ManagerOptions {
        watch_namespaces: vec![namespace.clone()],
        ..env.manager_options()
    };
    let without = operator(&seen, false);
    assert_eq!(without.controller_names(), ["configmap"]);
    let manager = without
        .manager(env.client().expect("client"), options)
        .expect("manager");
    let metrics = manager.metrics().encode();
    assert!(metrics.contains("controller=\"configmap\""), "{metrics}");
    assert!(!metrics.contains("controller=\"secret\""), "{metrics}");
    let running = TestManager::start(manager);

    let client = env.client().expect("client");
    let mut secret = Secret::default();
    secret.metadata.name = Some("left-out".into());
    Api::<Secret>::namespaced(client.clone(), &namespace)
        .create(&PostParams::default(), &secret)
        .await
        .expect("secret");
    let mut config_map = ConfigMap::default();
    config_map.metadata.name = Some("declared".into());
    Api::<ConfigMap>::namespaced(client, &namespace)
        .create(&PostParams::default(), &config_map)
        .await
        .expect("config map");
    eventually(
        Duration::from_secs(60),
        "the ConfigMap reconciled",
        || async {
            let seen = seen.0.lock().expect("lock").clone();
            seen.iter().any(|name| name == "declared").then_some(())
        },
    )
    .await
    .expect("the declared controller runs");
    running.stop().await.expect("a clean stop");
    let seen = seen.0.lock().expect("lock").clone();
    assert!(!seen.contains(&"left-out".to_string()), "{seen:?}");
}
