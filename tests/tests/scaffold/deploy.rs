//! `make deploy`, `make undeploy` and `make build-installer` of the single-group project
//! against envtest API servers. envtest runs no controllers: the Deployment never starts (its
//! objects are what is checked), and cert-manager's CRDs and the namespace controller's last
//! step are stood in for ([`super::stand_ins`]).

use std::time::{Duration, Instant};

use k8s_openapi::api::admissionregistration::v1::{
    MutatingWebhookConfiguration, ValidatingWebhookConfiguration,
};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Namespace, Service, ServiceAccount};
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, Role, RoleBinding};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::Api;
use kube::{Client, Resource};
use kubesmith_e2e::machine::deadline;
use kubesmith_e2e::scaffolded::{Background, check_success};
use serde::de::DeserializeOwned;

use super::stand_ins::{control_plane, finalize};
use super::{kubectl, single_group};

const IMAGE: &str = "example.com/op:v1";
const NAMESPACE: &str = "project-system";

/// The names `make deploy` creates (with the `project-` prefix), by kind.
struct Deployed {
    cluster_roles: &'static [&'static str],
    cluster_role_bindings: &'static [&'static str],
    roles: &'static [&'static str],
    role_bindings: &'static [&'static str],
    services: &'static [&'static str],
    crds: &'static [&'static str],
}

const DEPLOYED: Deployed = Deployed {
    cluster_roles: &[
        "project-manager-role",
        "project-metrics-auth-role",
        "project-metrics-reader",
        "project-captain-admin-role",
        "project-captain-editor-role",
        "project-captain-viewer-role",
        "project-admiral-admin-role",
        "project-admiral-editor-role",
        "project-admiral-viewer-role",
    ],
    cluster_role_bindings: &[
        "project-manager-rolebinding",
        "project-metrics-auth-rolebinding",
    ],
    roles: &["project-leader-election-role"],
    role_bindings: &["project-leader-election-rolebinding"],
    services: &[
        "project-controller-manager-metrics-service",
        "project-webhook-service",
    ],
    crds: &[
        "captains.crew.testproject.org",
        "admirales.crew.testproject.org",
    ],
};

async fn get<K>(api: &Api<K>, name: &str) -> Option<K>
where
    K: Resource + Clone + DeserializeOwned + std::fmt::Debug,
{
    api.get_opt(name)
        .await
        .unwrap_or_else(|e| panic!("reading {name}: {e}"))
}

/// Names among `names` that `api` has (`present`) or lacks (`!present`).
async fn differing<K>(api: &Api<K>, names: &[&str], present: bool) -> Vec<String>
where
    K: Resource + Clone + DeserializeOwned + std::fmt::Debug,
{
    let mut out = Vec::new();
    for name in names {
        if get(api, name).await.is_some() != present {
            out.push((*name).to_string());
        }
    }
    out
}

/// What of [`DEPLOYED`] is missing (`present`) or left over (`!present`).
async fn check_objects(client: &Client, present: bool) -> Vec<String> {
    let mut wrong = Vec::new();
    wrong.extend(
        differing(
            &Api::<ClusterRole>::all(client.clone()),
            DEPLOYED.cluster_roles,
            present,
        )
        .await,
    );
    wrong.extend(
        differing(
            &Api::<ClusterRoleBinding>::all(client.clone()),
            DEPLOYED.cluster_role_bindings,
            present,
        )
        .await,
    );
    wrong.extend(
        differing(
            &Api::<CustomResourceDefinition>::all(client.clone()),
            DEPLOYED.crds,
            present,
        )
        .await,
    );
    wrong.extend(
        differing(
            &Api::<Role>::namespaced(client.clone(), NAMESPACE),
            DEPLOYED.roles,
            present,
        )
        .await,
    );
    wrong.extend(
        differing(
            &Api::<RoleBinding>::namespaced(client.clone(), NAMESPACE),
            DEPLOYED.role_bindings,
            present,
        )
        .await,
    );
    wrong.extend(
        differing(
            &Api::<Service>::namespaced(client.clone(), NAMESPACE),
            DEPLOYED.services,
            present,
        )
        .await,
    );
    wrong.extend(
        differing(
            &Api::<ServiceAccount>::namespaced(client.clone(), NAMESPACE),
            &["project-controller-manager"],
            present,
        )
        .await,
    );
    wrong.extend(
        differing(
            &Api::<Deployment>::namespaced(client.clone(), NAMESPACE),
            &["project-controller-manager"],
            present,
        )
        .await,
    );
    wrong.extend(
        differing(
            &Api::<MutatingWebhookConfiguration>::all(client.clone()),
            &["project-mutating-webhook-configuration"],
            present,
        )
        .await,
    );
    wrong.extend(
        differing(
            &Api::<ValidatingWebhookConfiguration>::all(client.clone()),
            &["project-validating-webhook-configuration"],
            present,
        )
        .await,
    );
    wrong
}

/// The Deployment runs `IMAGE` with the restricted security context, probes and resources.
fn check_deployment(deployment: &Deployment) {
    let pod = deployment
        .spec
        .template
        .spec
        .as_ref()
        .expect("a pod template");
    let pod_security = pod
        .security_context
        .as_ref()
        .expect("a pod security context");
    assert_eq!(pod_security.run_as_non_root, Some(true));
    assert_eq!(pod_security.run_as_user, Some(65532));
    assert_eq!(
        pod_security
            .seccomp_profile
            .as_ref()
            .map(|p| p.type_.as_str()),
        Some("RuntimeDefault")
    );
    assert_eq!(
        pod.service_account_name.as_deref(),
        Some("project-controller-manager")
    );
    let container = &pod.containers[0];
    assert_eq!(container.image.as_deref(), Some(IMAGE));
    let security = container
        .security_context
        .as_ref()
        .expect("a container security context");
    assert_eq!(security.read_only_root_filesystem, Some(true));
    assert_eq!(security.allow_privilege_escalation, Some(false));
    assert_eq!(
        security.capabilities.as_ref().and_then(|c| c.drop.clone()),
        Some(vec!["ALL".to_string()])
    );
    let args = container.args.clone().unwrap_or_default();
    for arg in [
        "--metrics-bind-address=:8443",
        "--leader-elect",
        "--health-probe-bind-address=:8081",
    ] {
        assert!(args.iter().any(|a| a == arg), "{arg} missing from {args:?}");
    }
    assert!(
        args.iter().any(|a| a.starts_with("--webhook-cert-path=")),
        "{args:?}"
    );
    for (probe, path) in [
        (&container.liveness_probe, "/healthz"),
        (&container.readiness_probe, "/readyz"),
    ] {
        let http = probe
            .as_ref()
            .and_then(|p| p.http_get.as_ref())
            .expect("an HTTP probe");
        assert_eq!(http.path.as_deref(), Some(path));
        assert_eq!(serde_json::json!(http.port), serde_json::json!(8081));
    }
    let resources = container.resources.as_ref().expect("resources");
    assert!(
        resources
            .limits
            .as_ref()
            .is_some_and(|l| l.contains_key("memory"))
    );
    assert!(
        resources
            .requests
            .as_ref()
            .is_some_and(|r| r.contains_key("cpu"))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn make_deploy_creates_everything_and_make_undeploy_removes_it() {
    let project = single_group();
    let env = control_plane().await;
    let client = env.client().expect("client");
    let kubeconfig = env.kubeconfig_path().expect("a kubeconfig").to_path_buf();
    let kubectl = kubectl();
    let make_env = [
        ("KUBECONFIG", kubeconfig.as_path()),
        ("KUBECTL", kubectl.as_path()),
    ];

    let deploy = project
        .make(&["deploy", &format!("IMG={IMAGE}")], &make_env)
        .expect("make deploy");
    check_success("make deploy", &deploy).unwrap_or_else(|e| panic!("{e:#}"));
    assert!(
        get(&Api::<Namespace>::all(client.clone()), NAMESPACE)
            .await
            .is_some()
    );
    let missing = check_objects(&client, true).await;
    assert!(missing.is_empty(), "make deploy did not create {missing:?}");
    let deployment = get(
        &Api::<Deployment>::namespaced(client.clone(), NAMESPACE),
        "project-controller-manager",
    )
    .await
    .expect("the Deployment");
    check_deployment(&deployment);

    // `kubectl delete` waits for the namespace to go; without a namespace controller, the
    // test clears its finalizer once it terminates.
    let mut undeploy = project.command("make");
    undeploy
        .arg("undeploy")
        .env("CARGO", kubesmith_e2e::scaffolded::cargo())
        .env("KUBECONFIG", &kubeconfig)
        .env("KUBECTL", &kubectl);
    let log = tempfile::NamedTempFile::new().expect("a log file");
    let mut undeploy =
        Background::start(undeploy, log.path().to_path_buf()).expect("make undeploy");
    let namespaces = Api::<Namespace>::all(client.clone());
    // kubectl waits for every object it deleted, the namespace last: the deadline is far
    // above the seconds this takes, for machines busy with builds of other tests.
    let deadline = deadline(Duration::from_secs(600));
    let status = loop {
        if let Some(status) = undeploy.exited() {
            break status;
        }
        if let Some(namespace) = get(&namespaces, NAMESPACE).await
            && namespace.metadata.deletion_timestamp.is_some()
        {
            finalize(&namespaces, namespace).await;
        }
        assert!(
            Instant::now() < deadline,
            "make undeploy hangs:\n{}",
            undeploy.output()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(
        status.success(),
        "make undeploy failed:\n{}",
        undeploy.output()
    );
    assert!(
        get(&namespaces, NAMESPACE).await.is_none(),
        "the namespace is left"
    );
    let left = check_objects(&client, false).await;
    assert!(left.is_empty(), "make undeploy left {left:?}");
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn make_build_installer_writes_one_file_that_applies_cleanly() {
    let project = single_group();
    let build = project
        .make(
            &["build-installer", &format!("IMG={IMAGE}")],
            &[("KUBECTL", kubectl().as_path())],
        )
        .expect("make build-installer");
    check_success("make build-installer", &build).unwrap_or_else(|e| panic!("{e:#}"));
    let installer = project.file("dist/install.yaml");
    let text = std::fs::read_to_string(&installer).expect("dist/install.yaml");
    assert!(
        text.contains(&format!("image: {IMAGE}")),
        "the image is not set"
    );
    assert!(
        !text.contains("controller:dev"),
        "the placeholder image is left"
    );

    let env = control_plane().await;
    let mut apply = env.kubectl().expect("kubectl");
    apply.args(["apply", "--server-side", "-f"]).arg(&installer);
    check_success(
        "kubectl apply -f dist/install.yaml",
        &apply.output().expect("kubectl"),
    )
    .unwrap_or_else(|e| panic!("{e:#}"));
    let client = env.client().expect("client");
    let missing = check_objects(&client, true).await;
    assert!(
        missing.is_empty(),
        "dist/install.yaml did not create {missing:?}"
    );
    env.stop().await;
}
