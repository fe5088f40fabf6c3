//! The scaffolded end-to-end suite (`test/e2e`) and its Makefile targets, for the single-group
//! project, against envtest API servers. There is no node there, so the tests stand in for
//! what one would do where a check needs it (the manager's pod and the Deployment's status, a
//! finished curl pod, cert-manager's CA injection, the namespace controller's last step); the
//! API server, its admission (Pod Security `restricted` included), RBAC and TokenRequests are
//! real. On a real cluster, `make test-e2e` runs the same suite end to end.

use std::process::ExitStatus;
use std::time::{Duration, Instant};

use k8s_openapi::api::admissionregistration::v1::{
    MutatingWebhookConfiguration, ValidatingWebhookConfiguration,
};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Namespace, Pod};
use k8s_openapi::api::rbac::v1::ClusterRoleBinding;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, ListParams, Patch, PatchParams, PostParams};
use kube::{Client, Resource, ResourceExt};
use kubesmith::envtest::Environment;
use kubesmith_e2e::scaffolded::{Background, Scaffold, check_success};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::local::install_and_run;
use super::stand_ins::{control_plane, finalize};
use super::{kubectl, single_group};

/// Where `make deploy` puts the single-group project.
const NAMESPACE: &str = "project-system";

/// The variables that make `make test-e2e` run without kind, a container engine or a node:
/// the image is "built" and "loaded" by `true`.
const NO_NODE: &[&str] = &["KIND=", "CONTAINER_TOOL=true", "E2E_LOAD_IMAGE=true"];

/// Runs `make <args>` in `project` against `env` in the background, calling `stand_in` about
/// five times a second while it runs; fails after `limit`. Returns its status and output.
async fn make_while(
    project: &Scaffold,
    env: &Environment,
    args: &[&str],
    limit: Duration,
    mut stand_in: impl AsyncFnMut(),
) -> (ExitStatus, String) {
    let mut make = project.command("make");
    make.args(args)
        .env("CARGO", kubesmith_e2e::scaffolded::cargo())
        .env("KUBECONFIG", env.kubeconfig_path().expect("a kubeconfig"))
        .env("KUBECTL", kubectl());
    let log = tempfile::NamedTempFile::new().expect("a log file");
    let mut make = Background::start(make, log.path().to_path_buf()).expect("make");
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = make.exited() {
            return (status, make.output());
        }
        assert!(
            Instant::now() < deadline,
            "make {args:?} still runs after {limit:?}:\n{}",
            make.output()
        );
        stand_in().await;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// `make <args>` in `project` against `env`, which must succeed.
fn make(project: &Scaffold, env: &Environment, args: &[&str]) {
    let kubeconfig = env.kubeconfig_path().expect("a kubeconfig");
    let kubectl = kubectl();
    let output = project
        .make(
            args,
            &[("KUBECONFIG", kubeconfig), ("KUBECTL", kubectl.as_path())],
        )
        .expect("make");
    check_success(&format!("make {args:?}"), &output).unwrap_or_else(|e| panic!("{e:#}"));
}

/// The tests libtest lists as failed in `output` (its last `failures:` section).
fn failed_tests(output: &str) -> Vec<&str> {
    let lines: Vec<&str> = output.lines().collect();
    let start = lines
        .iter()
        .rposition(|line| *line == "failures:")
        .map_or(lines.len(), |at| at + 1);
    lines[start..]
        .iter()
        .map_while(|line| line.strip_prefix("    "))
        .collect()
}

/// Clears the finalizer of the operator's namespace once it terminates.
async fn finalize_terminating_namespace(client: &Client) {
    let namespaces = Api::<Namespace>::all(client.clone());
    if let Ok(Some(namespace)) = namespaces.get_opt(NAMESPACE).await
        && namespace.metadata.deletion_timestamp.is_some()
    {
        finalize(&namespaces, namespace).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn make_test_e2e_keeps_the_failure_prints_diagnostics_and_undeploys() {
    let project = single_group();
    let env = control_plane().await;
    let client = env.client().expect("a client");
    let mut args = vec![
        "test-e2e",
        "E2E_TIMEOUT=15",
        "E2E_TEST_ARGS=the_manager_runs_ready",
    ];
    args.extend_from_slice(NO_NODE);
    let (status, output) = make_while(project, &env, &args, Duration::from_secs(900), async || {
        finalize_terminating_namespace(&client).await
    })
    .await;

    assert!(
        !status.success(),
        "make test-e2e passed without a node:\n{output}"
    );
    assert_eq!(
        failed_tests(&output),
        ["manager::the_manager_runs_ready_under_the_restricted_pod_security_level"],
        "{output}"
    );
    for expected in [
        // The stand-in CRDs look like an installed cert-manager.
        "cert-manager: installed already",
        // The namespace enforced `restricted`; the Deployment never rolled out.
        "FAILED: project-controller-manager is not rolled out after 15s",
        "--- diagnostics of namespace project-system ---",
        "no pods",
        "--- end of diagnostics ---",
        // undeploy-e2e ran after the failure.
        "undeploy ignore-not-found=true",
    ] {
        assert!(
            output.contains(expected),
            "{expected:?} missing from:\n{output}"
        );
    }
    let namespaces = Api::<Namespace>::all(client.clone());
    assert!(
        namespaces
            .get_opt(NAMESPACE)
            .await
            .expect("namespaces")
            .is_none(),
        "the namespace is left:\n{output}"
    );
    let crds = Api::<CustomResourceDefinition>::all(client);
    assert!(
        crds.get_opt("captains.crew.testproject.org")
            .await
            .expect("CRDs")
            .is_none(),
        "the CRDs are left:\n{output}"
    );
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_manager_metrics_and_webhook_checks_run_against_an_api_server() {
    let project = single_group();
    let env = control_plane().await;
    let client = env.client().expect("a client");
    let mut args = vec!["deploy-e2e"];
    args.extend_from_slice(NO_NODE);
    make(project, &env, &args);
    let namespace = Api::<Namespace>::all(client.clone())
        .get(NAMESPACE)
        .await
        .expect("the namespace");
    assert_eq!(
        namespace
            .labels()
            .get("pod-security.kubernetes.io/enforce")
            .map(String::as_str),
        Some("restricted")
    );
    run_the_manager_pod(&client).await;
    inject_ca::<MutatingWebhookConfiguration>(&client, "project-mutating-webhook-configuration")
        .await;
    inject_ca::<ValidatingWebhookConfiguration>(
        &client,
        "project-validating-webhook-configuration",
    )
    .await;
    inject_ca::<CustomResourceDefinition>(&client, "captains.crew.testproject.org").await;

    let (status, output) = make_while(
        project,
        &env,
        &["run-e2e", "E2E_TIMEOUT=20", "E2E_TEST_ARGS=the_"],
        Duration::from_secs(900),
        async || finish_curl_pods(&client).await,
    )
    .await;
    assert!(
        !status.success(),
        "no node, yet everything passed:\n{output}"
    );
    // The manager's test passes: its pod (from the Deployment's template) was admitted under
    // `restricted`. The others fail where the node's part begins.
    assert_eq!(
        failed_tests(&output),
        [
            "manager::the_metrics_endpoint_serves_a_scrape_with_an_authorized_token",
            "webhooks::the_webhooks_are_called_through_their_service_with_an_injected_ca",
        ],
        "{output}"
    );
    for expected in [
        "ok: project-controller-manager-stand-in running and ready",
        // The curl pod was admitted too and finished; without a kubelet it printed nothing.
        "ok: curl-metrics-",
        "FAILED: the metrics lack controller_runtime_reconcile_total",
        // The CA of every webhook call was seen; applying through the webhooks needs their pod.
        "ok: project-mutating-webhook-configuration given the webhook CA",
        "ok: project-validating-webhook-configuration given the webhook CA",
        "ok: captains.crew.testproject.org given the webhook CA",
        "FAILED: applying captain-v1: the API server answered 500 InternalError",
        // Diagnostics: the pods as YAML, with what could be read of their logs.
        "--- pod project-controller-manager-stand-in ---",
        "--- logs of project-controller-manager-stand-in/manager (current run) ---",
    ] {
        assert!(
            output.contains(expected),
            "{expected:?} missing from:\n{output}"
        );
    }
    let binding = Api::<ClusterRoleBinding>::all(client)
        .get("project-e2e-metrics-reader")
        .await
        .expect("the metrics reader binding");
    assert_eq!(binding.role_ref.name, "project-metrics-reader");
    assert_eq!(
        binding
            .owner_references()
            .iter()
            .map(|owner| owner.name.as_str())
            .collect::<Vec<_>>(),
        ["project-metrics-reader"],
        "the binding goes when the role goes"
    );
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_samples_check_passes_against_a_manager_run_locally() {
    let project = single_group();
    let env = Environment::start().await.expect("a control plane");
    let client = env.client().expect("a client");
    let namespace: Namespace =
        serde_json::from_value(json!({"metadata": {"name": NAMESPACE}})).expect("a namespace");
    Api::<Namespace>::all(client)
        .create(&PostParams::default(), &namespace)
        .await
        .expect("the operator's namespace");
    let mut manager = install_and_run(
        project,
        &env,
        "--metrics-bind-address=0 --health-probe-bind-address=0",
    );
    let (status, output) = make_while(
        project,
        &env,
        &[
            "run-e2e",
            "E2E_TIMEOUT=180",
            "E2E_TEST_ARGS=a_sample_of_each_kind",
        ],
        Duration::from_secs(900),
        async || {},
    )
    .await;
    assert!(
        status.success(),
        "{output}\nmake run said:\n{}",
        manager.output()
    );
    for expected in ["ok: captain-sample Ready", "ok: admiral-sample Ready"] {
        assert!(
            output.contains(expected),
            "{expected:?} missing from:\n{output}"
        );
    }
    manager.stop(Duration::from_secs(10));
    env.stop().await;
}

/// Stands in for the Deployment controller and the kubelet: a pod from the manager's pod
/// template (admitted under the namespace's Pod Security level), running and ready, and the
/// Deployment's status saying so.
async fn run_the_manager_pod(client: &Client) {
    let deployments = Api::<Deployment>::namespaced(client.clone(), NAMESPACE);
    let deployment = deployments
        .get("project-controller-manager")
        .await
        .expect("the Deployment");
    let template = deployment.spec.template.clone();
    let mut pod = Pod {
        metadata: template.metadata.clone().unwrap_or_default(),
        spec: template.spec.clone(),
        ..Pod::default()
    };
    pod.metadata.name = Some("project-controller-manager-stand-in".into());
    let pods = Api::<Pod>::namespaced(client.clone(), NAMESPACE);
    let pod = pods
        .create(&PostParams::default(), &pod)
        .await
        .unwrap_or_else(|e| panic!("the manager's pod is not admitted: {e}"));
    patch_status(
        &pods,
        &pod.name_any(),
        json!({
            "phase": "Running",
            "conditions": [{"type": "Ready", "status": "True"}],
            "containerStatuses": [{
                "name": "manager", "ready": true, "restartCount": 0,
                "image": "example.com/project:v0.0.1", "imageID": "",
                "state": {"running": {}},
            }],
        }),
    )
    .await;
    patch_status(
        &deployments,
        "project-controller-manager",
        json!({
            "observedGeneration": deployment.metadata.generation,
            "replicas": 1, "updatedReplicas": 1, "readyReplicas": 1, "availableReplicas": 1,
        }),
    )
    .await;
}

/// Stands in for the kubelet: every curl pod of the metrics check has finished.
async fn finish_curl_pods(client: &Client) {
    let pods = Api::<Pod>::namespaced(client.clone(), NAMESPACE);
    let Ok(list) = pods
        .list(&ListParams::default().labels("app.kubernetes.io/name=curl-metrics"))
        .await
    else {
        return;
    };
    for pod in list.items {
        let phase = pod.status.as_ref().and_then(|status| status.phase.clone());
        if phase.as_deref() != Some("Succeeded") {
            patch_status(&pods, &pod.name_any(), json!({"phase": "Succeeded"})).await;
        }
    }
}

/// Merges `status` into the status of the object `name`.
async fn patch_status<K>(api: &Api<K>, name: &str, status: Value)
where
    K: Resource + Clone + DeserializeOwned + std::fmt::Debug,
{
    api.patch_status(
        name,
        &PatchParams::default(),
        &Patch::Merge(json!({ "status": status })),
    )
    .await
    .unwrap_or_else(|e| panic!("the status of {name}: {e}"));
}

/// Stands in for cert-manager's CA injector: a CA bundle into every `clientConfig` of the
/// object `name` that calls a Service.
async fn inject_ca<K>(client: &Client, name: &str)
where
    K: Resource<DynamicType = ()> + Clone + DeserializeOwned + Serialize + std::fmt::Debug,
{
    fn inject(value: &mut Value, bundle: &Value) {
        match value {
            Value::Object(map) => {
                if let Some(config) = map.get_mut("clientConfig")
                    && config.get("service").is_some()
                {
                    config["caBundle"] = bundle.clone();
                }
                map.values_mut().for_each(|item| inject(item, bundle));
            }
            Value::Array(items) => items.iter_mut().for_each(|item| inject(item, bundle)),
            _ => {}
        }
    }
    let api = Api::<K>::all(client.clone());
    let object = api.get(name).await.expect("the object to inject a CA into");
    let ca =
        rcgen::generate_simple_self_signed(vec!["stand-in-ca".to_string()]).expect("a certificate");
    let bundle =
        serde_json::to_value(k8s_openapi::ByteString(ca.cert.pem().into_bytes())).expect("base64");
    let mut value = serde_json::to_value(&object).expect("JSON");
    inject(&mut value, &bundle);
    let injected: K = serde_json::from_value(value).expect("the object");
    api.replace(name, &PostParams::default(), &injected)
        .await
        .unwrap_or_else(|e| panic!("injecting a CA into {name}: {e}"));
}
