use std::time::Duration;

use greeting_operator::api::Greeting;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::Api;
use kube::api::DeleteParams;
use kubesmith::envtest::TestManager;
use kubesmith::manager::Manager;
use kubesmith_e2e::managed;

use crate::{create_greeting, eventually, options, shared};

#[tokio::test]
async fn a_manager_reconciles_exactly_the_namespaces_it_watches() {
    let env = shared().await;
    let first = env.create_namespace("watched-a").await.expect("namespace");
    let second = env.create_namespace("watched-b").await.expect("namespace");
    let ignored = env.create_namespace("ignored").await.expect("namespace");
    let client = env.client().expect("client");
    // One object exists before the manager starts: the merged initial list must carry it.
    create_greeting(&client, &first, "early", "x").await;
    let (mut options, _, _) = options(&first);
    options.watch_namespaces = vec![first.clone(), second.clone()];
    let mut manager = Manager::new(client.clone(), options).expect("manager");
    managed::register(&mut manager, Default::default(), 1).expect("controller");
    let running = TestManager::start(manager);
    create_greeting(&client, &second, "late", "x").await;
    create_greeting(&client, &ignored, "never", "x").await;

    for (namespace, name) in [(&first, "early"), (&second, "late")] {
        let greetings: Api<Greeting> = Api::namespaced(client.clone(), namespace);
        eventually(
            Duration::from_secs(20),
            "a watched Greeting to converge",
            || async {
                greetings
                    .get(name)
                    .await
                    .ok()
                    .filter(Greeting::is_converged)
            },
        )
        .await;
    }
    // Deletions in any watched namespace reach the controller.
    let config_maps: Api<ConfigMap> = Api::namespaced(client.clone(), &second);
    let original = config_maps.get("late-greeting").await.expect("ConfigMap");
    config_maps
        .delete("late-greeting", &DeleteParams::default())
        .await
        .expect("delete");
    eventually(
        Duration::from_secs(20),
        "the ConfigMap to be re-created",
        || async {
            config_maps
                .get_opt("late-greeting")
                .await
                .ok()
                .flatten()
                .filter(|cm| cm.metadata.uid != original.metadata.uid)
        },
    )
    .await;

    tokio::time::sleep(Duration::from_secs(1)).await;
    let never = Api::<Greeting>::namespaced(client.clone(), &ignored)
        .get("never")
        .await
        .expect("read");
    assert!(
        never.status.is_none(),
        "a Greeting outside the watched namespaces is not reconciled"
    );
    running.stop().await.expect("manager stops cleanly");
}
