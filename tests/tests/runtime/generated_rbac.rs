//! The RBAC a controller declares is enough to run it: the role `kubesmith::manifests` writes
//! for the Greeting controller is installed, bound to a fresh user, and the controller runs as
//! that user. Without one of the generated rules it stalls, so a missing permission fails here.

use std::time::{Duration, Instant};

use greeting_operator::api::Greeting;
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding};
use kube::api::{ObjectMeta, PostParams};
use kube::{Api, Client};
use kubesmith::envtest::TestManager;
use kubesmith::manager::Manager;
use kubesmith::manifests::Manifests;
use kubesmith::rbac::Rule;

use crate::{create_greeting, options, shared};

/// The rules the Greeting controller declares, collected from a manager that never runs.
fn declared_rules(client: &Client, namespace: &str) -> Vec<Rule> {
    let (options, _, _) = options(namespace);
    let mut manager = Manager::new(client.clone(), options).expect("manager");
    kubesmith_e2e::managed::register(&mut manager, Default::default(), 1).expect("controller");
    manager.rbac_rules()
}

/// `config/rbac/role.yaml` as `kubesmith::manifests` renders it for `rules`, parsed back.
fn generated_cluster_role(rules: Vec<Rule>) -> ClusterRole {
    let files = Manifests::new("unused")
        .rules(rules)
        .render()
        .expect("render manifests");
    let yaml = files
        .iter()
        .find(|(path, _)| path.ends_with("config/rbac/role.yaml"))
        .map(|(_, yaml)| yaml)
        .expect("role.yaml is rendered");
    serde_saphyr::from_str(yaml).expect("role.yaml is one ClusterRole")
}

/// Installs `role` under a unique name, binds it to `user`, and returns a client for `user`.
async fn client_bound_to(admin: &Client, role: ClusterRole, user: &str) -> Client {
    let name = format!("{user}-role");
    let role = ClusterRole {
        metadata: ObjectMeta {
            name: Some(name.clone()),
            ..ObjectMeta::default()
        },
        ..role
    };
    Api::<ClusterRole>::all(admin.clone())
        .create(&PostParams::default(), &role)
        .await
        .expect("install the generated ClusterRole");
    let binding: ClusterRoleBinding = serde_json::from_value(serde_json::json!({
        "metadata": { "name": format!("{user}-binding") },
        "roleRef": { "apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": name },
        "subjects": [{ "apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": user }],
    }))
    .expect("binding");
    Api::<ClusterRoleBinding>::all(admin.clone())
        .create(&PostParams::default(), &binding)
        .await
        .expect("bind the generated ClusterRole");
    shared()
        .await
        .add_user(user, &[])
        .await
        .expect("user client")
}

/// Runs the Greeting controller as `operator` and reports whether a new Greeting converges in `wait`.
async fn converges_as(operator: Client, admin: &Client, namespace: &str, wait: Duration) -> bool {
    let (options, _, _) = options(namespace);
    let mut manager = Manager::new(operator, options).expect("manager");
    kubesmith_e2e::managed::register(&mut manager, Default::default(), 1).expect("controller");
    let running = TestManager::start(manager);
    create_greeting(admin, namespace, "hello", "least privilege").await;
    let greetings: Api<Greeting> = Api::namespaced(admin.clone(), namespace);
    let deadline = Instant::now() + wait;
    let mut converged = false;
    while !converged && Instant::now() < deadline {
        converged = greetings.get("hello").await.is_ok_and(|g| g.is_converged());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    if converged {
        running.stop().await.expect("manager stops cleanly");
    } else {
        drop(running);
    }
    converged
}

#[tokio::test]
async fn the_generated_role_is_all_a_controller_needs() {
    let env = shared().await;
    let admin = env.client().expect("client");
    let namespace = env
        .create_namespace("generated-rbac")
        .await
        .expect("namespace");
    let role = generated_cluster_role(declared_rules(&admin, &namespace));
    let operator = client_bound_to(&admin, role, &format!("operator-{namespace}")).await;
    assert!(
        converges_as(operator, &admin, &namespace, Duration::from_secs(20)).await,
        "the controller did not converge with its generated role"
    );
}

#[tokio::test]
async fn without_a_declared_rule_the_controller_cannot_converge() {
    let env = shared().await;
    let admin = env.client().expect("client");
    let namespace = env
        .create_namespace("missing-rbac")
        .await
        .expect("namespace");
    let rules: Vec<Rule> = declared_rules(&admin, &namespace)
        .into_iter()
        .filter(|rule| !rule.resources.iter().any(|r| r == "configmaps"))
        .collect();
    let role = generated_cluster_role(rules);
    let operator = client_bound_to(&admin, role, &format!("operator-{namespace}")).await;
    assert!(
        !converges_as(operator, &admin, &namespace, Duration::from_secs(5)).await,
        "the controller converged without permission on the ConfigMaps it owns"
    );
}
