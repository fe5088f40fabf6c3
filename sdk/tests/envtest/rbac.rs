use k8s_openapi::api::core::v1::ConfigMap;
use k8s_openapi::api::rbac::v1::{Role, RoleBinding};
use kube::Api;
use kube::api::PostParams;

use crate::shared;

fn reader_role() -> Role {
    serde_json::from_value(serde_json::json!({
        "metadata": { "name": "configmap-reader" },
        "rules": [{ "apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list", "watch"] }],
    }))
    .expect("role")
}

fn binding(subject_kind: &str, subject_name: &str) -> RoleBinding {
    serde_json::from_value(serde_json::json!({
        "metadata": { "name": format!("read-configmaps-{}", subject_name.replace(':', "-")) },
        "roleRef": { "apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "configmap-reader" },
        "subjects": [{ "apiGroup": "rbac.authorization.k8s.io", "kind": subject_kind, "name": subject_name }],
    }))
    .expect("binding")
}

/// Lists ConfigMaps until RBAC allows it: the authorizer sees new bindings through a cache,
/// a moment after they are created.
async fn list_once_allowed(api: &Api<ConfigMap>) -> Result<(), kube::Error> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        match api.list(&Default::default()).await {
            Err(error)
                if status_code(&error) == Some(403) && std::time::Instant::now() < deadline =>
            {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            result => return result.map(|_| ()),
        }
    }
}

fn status_code(error: &kube::Error) -> Option<u16> {
    match error {
        kube::Error::Api(status) => Some(status.code),
        _ => None,
    }
}

#[tokio::test]
async fn an_added_user_is_forbidden_until_a_role_is_bound() {
    let env = shared().await;
    let namespace = env.create_namespace("rbac-user").await.expect("namespace");
    let admin = env.client().expect("client");
    Api::<ConfigMap>::namespaced(admin.clone(), &namespace)
        .list(&Default::default())
        .await
        .expect("admin can list");

    let alice = env.add_user("alice", &[]).await.expect("user");
    let as_alice: Api<ConfigMap> = Api::namespaced(alice, &namespace);
    let denied = as_alice
        .list(&Default::default())
        .await
        .expect_err("no binding yet");
    assert_eq!(status_code(&denied), Some(403), "{denied}");

    Api::<Role>::namespaced(admin.clone(), &namespace)
        .create(&PostParams::default(), &reader_role())
        .await
        .expect("role");
    Api::<RoleBinding>::namespaced(admin, &namespace)
        .create(&PostParams::default(), &binding("User", "alice"))
        .await
        .expect("binding");
    list_once_allowed(&as_alice)
        .await
        .expect("allowed after binding");
}

#[tokio::test]
async fn every_group_of_an_added_user_counts() {
    let env = shared().await;
    let namespace = env
        .create_namespace("rbac-groups")
        .await
        .expect("namespace");
    let admin = env.client().expect("client");
    Api::<Role>::namespaced(admin.clone(), &namespace)
        .create(&PostParams::default(), &reader_role())
        .await
        .expect("role");
    // Only the last of three groups is bound.
    Api::<RoleBinding>::namespaced(admin, &namespace)
        .create(&PostParams::default(), &binding("Group", "team:readers"))
        .await
        .expect("binding");

    let bob = env
        .add_user("bob", &["team:a", "team:b", "team:readers"])
        .await
        .expect("user");
    list_once_allowed(&Api::namespaced(bob, &namespace))
        .await
        .expect("bob reads through his third group");

    let carol = env
        .add_user("carol", &["team:a", "team:b"])
        .await
        .expect("user");
    let denied = Api::<ConfigMap>::namespaced(carol, &namespace)
        .list(&Default::default())
        .await
        .expect_err("carol has no bound group");
    assert_eq!(status_code(&denied), Some(403), "{denied}");
}
