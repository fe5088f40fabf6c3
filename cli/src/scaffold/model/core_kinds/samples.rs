//! Objects of the common core Kinds that the API server accepts, for the tests `create api
//! --resource=false` scaffolds: the fields besides `metadata`, as lines of a `json!` object.

/// The fields of a sample `group`/`kind` (short group), indented for the scaffolded test;
/// `None` for a Kind without one here (its test is scaffolded ignored, for the user to fill
/// in).
pub fn sample_fields(group: &str, kind: &str) -> Option<&'static str> {
    let fields = match (group, kind) {
        ("core", "ConfigMap") => r#"        "data": { "key": "value" },"#,
        ("core", "Secret") => r#"        "stringData": { "key": "value" },"#,
        ("core", "ServiceAccount") => r#"        "automountServiceAccountToken": false,"#,
        ("core", "Namespace") => r#"        "spec": {},"#,
        ("rbac", "Role" | "ClusterRole") => r#"        "rules": [],"#,
        ("apps", "Deployment" | "ReplicaSet" | "StatefulSet" | "DaemonSet") => POD_OWNER,
        ("core", "Pod") => POD,
        ("batch", "Job") => JOB,
        ("core", "Service") => SERVICE,
        _ => return None,
    };
    Some(fields)
}

const POD_OWNER: &str = r#"        "spec": {
            "selector": { "matchLabels": { "app": "sample" } },
            "template": {
                "metadata": { "labels": { "app": "sample" } },
                "spec": { "containers": [{ "name": "app", "image": "busybox:1.36" }] },
            },
        },"#;

const POD: &str =
    r#"        "spec": { "containers": [{ "name": "app", "image": "busybox:1.36" }] },"#;

const JOB: &str = r#"        "spec": {
            "template": {
                "spec": {
                    "restartPolicy": "Never",
                    "containers": [{ "name": "app", "image": "busybox:1.36" }],
                },
            },
        },"#;

const SERVICE: &str = r#"        "spec": { "ports": [{ "port": 80 }] },"#;
