//! A manager outside the cluster serving its webhooks itself (`--webhook-local`, what `make
//! run` passes), against a real kube-apiserver: the cluster's webhook configurations and the
//! CRD's conversion point at the process while it runs (defaults applied, a bad object
//! refused, a v2 read converted), are put back exactly when it stops (changes others made
//! meanwhile kept), an error at start puts back what was changed, a killed manager's
//! leftovers are recovered by the next start, and a deployed manager's self-managed
//! certificates are not put into what points at the local one.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use greeting_operator::api::{self, Greeting, v2};
use greeting_operator::webhook::{DEFAULT_MESSAGE, conversion, webhook};
use k8s_openapi::api::admissionregistration::v1::{
    MutatingWebhookConfiguration, ValidatingWebhookConfiguration,
};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, ApiResource, DynamicObject, Patch, PatchParams, PostParams};
use kube::{Client, Resource};
use kubesmith::envtest::Environment;
use kubesmith::manager::{BindAddress, Manager, ManagerOptions};
use kubesmith::webhook::{
    ClientConfig, LOCAL_WEBHOOKS_ANNOTATION, LocalWebhooks, SelfManagedCertificates, configurations,
};
use kubesmith_e2e::admitted::{created_and_defaulted, eventually_converted, greeting};
use serde_json::{Value, json};
use tokio::sync::oneshot;

const CRD: &str = "greetings.demo.kubesmith.dev";
const MUTATING: &str = "greeting-mutating-webhook-configuration";
const VALIDATING: &str = "greeting-validating-webhook-configuration";
/// The webhook configurations made for webhooks no configuration calls.
const MADE: &str = "greeting-operator.demo.kubesmith.dev-local-webhooks";
const CA_INJECTION: &str = "cert-manager.io/inject-ca-from";
/// Another operator's webhook in the same configuration, which must stay as it is.
const OTHER_WEBHOOK: &str = "mother.example.com";

/// A control plane as `make deploy` leaves it: the webhook configurations and the CRD's
/// conversion call the in-cluster Service, trust a CA cert-manager injected and carry its
/// injection annotation; the mutating configuration also holds another operator's webhook.
async fn deployed() -> Environment {
    let env = Environment::builder()
        .crd(api::crd())
        .start()
        .await
        .expect("no test control plane");
    let client = env.client().expect("client");
    let injected = kubesmith::server::certificates::issue(
        "cluster-ca",
        &["greeting-webhook-service.greeting-system.svc".to_string()],
        Duration::from_secs(3600),
    )
    .expect("a CA")
    .ca_pem;
    let injected = k8s_openapi::ByteString(injected.into_bytes());
    let annotations = || {
        Some(std::collections::BTreeMap::from([(
            CA_INJECTION.to_string(),
            "greeting-system/greeting-serving-cert".to_string(),
        )]))
    };
    let (mutating, validating) = configurations(&[webhook().manifest()], &ClientConfig::Service);
    let mut mutating = mutating.expect("a mutating configuration");
    mutating.metadata.name = Some(MUTATING.into());
    mutating.metadata.annotations = annotations();
    let webhooks = mutating.webhooks.get_or_insert_with(Vec::new);
    let mut other = webhooks[0].clone();
    other.name = OTHER_WEBHOOK.into();
    if let Some(service) = other.client_config.service.as_mut() {
        service.path = Some("/mutate-other".into());
    }
    if let Some(rules) = other.rules.as_mut() {
        rules[0].api_groups = Some(vec!["other.example.com".into()]);
    }
    webhooks.push(other);
    for webhook in webhooks.iter_mut() {
        webhook.client_config.ca_bundle = Some(injected.clone());
    }
    let mut validating = validating.expect("a validating configuration");
    validating.metadata.name = Some(VALIDATING.into());
    validating.metadata.annotations = annotations();
    for webhook in validating.webhooks.iter_mut().flatten() {
        webhook.client_config.ca_bundle = Some(injected.clone());
    }
    Api::<MutatingWebhookConfiguration>::all(client.clone())
        .create(&PostParams::default(), &mutating)
        .await
        .expect("the mutating configuration");
    Api::<ValidatingWebhookConfiguration>::all(client.clone())
        .create(&PostParams::default(), &validating)
        .await
        .expect("the validating configuration");
    let mut conversion = json!(ClientConfig::Service.crd_conversion());
    conversion["webhook"]["clientConfig"]["caBundle"] = json!(injected);
    let patch = json!({
        "metadata": {"annotations": {CA_INJECTION: "greeting-system/greeting-serving-cert"}},
        "spec": {"conversion": conversion},
    });
    Api::<CustomResourceDefinition>::all(client)
        .patch(CRD, &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .expect("the CRD's conversion");
    env
}

/// A manager serving the Greeting webhooks locally, its probes on `probes`.
fn local_manager(client: Client, probes: SocketAddr) -> Manager {
    let options = ManagerOptions {
        metrics_bind_address: BindAddress::Disabled,
        health_probe_bind_address: BindAddress::Address(probes),
        leader_election_id: "greeting-operator.demo.kubesmith.dev".into(),
        local_webhooks: Some(LocalWebhooks::new()),
        ..ManagerOptions::default()
    };
    let mut manager = Manager::new(client, options).expect("manager");
    manager.add_webhook(webhook()).expect("webhook");
    manager.add_conversion(conversion()).expect("conversion");
    manager
}

/// A local manager running until the sender is used.
struct Running {
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<Result<(), kubesmith::manager::Error>>,
}

impl Running {
    fn start(client: Client, probes: SocketAddr) -> Running {
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(local_manager(client, probes).run_until(async move {
            let _ = stopped.await;
        }));
        Running { stop, task }
    }

    async fn stop(self) {
        let _ = self.stop.send(());
        self.task
            .await
            .expect("manager task")
            .expect("the manager stops cleanly");
    }
}

fn free_address() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("address")
}

/// Waits until `/readyz` on `probes` answers 200: the cluster points at the manager.
async fn wait_ready(probes: SocketAddr, running: Option<&Running>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let deadline = kubesmith_e2e::machine::deadline(Duration::from_secs(60));
    loop {
        if let Ok(mut stream) = tokio::net::TcpStream::connect(probes).await {
            let mut response = String::new();
            let asked = stream
                .write_all(b"GET /readyz HTTP/1.0\r\nHost: localhost\r\n\r\n")
                .await;
            if asked.is_ok()
                && stream.read_to_string(&mut response).await.is_ok()
                && response.split_whitespace().nth(1) == Some("200")
            {
                return;
            }
        }
        if let Some(running) = running {
            assert!(!running.task.is_finished(), "the manager stopped early");
        }
        assert!(
            Instant::now() < deadline,
            "the local manager never got ready"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// What the test compares of an object: its annotations, labels, webhooks and spec.
async fn essence<K: Resource<DynamicType = ()>>(client: &Client, name: &str) -> Value {
    let api: Api<DynamicObject> = Api::all_with(client.clone(), &ApiResource::erase::<K>(&()));
    match api.get_opt(name).await.expect("read") {
        None => Value::Null,
        Some(object) => json!({
            "annotations": object.metadata.annotations,
            "labels": object.metadata.labels,
            "webhooks": object.data["webhooks"],
            "spec": object.data["spec"],
        }),
    }
}

/// The webhook configurations and the CRD, as [`essence`] sees them.
async fn cluster(client: &Client) -> Value {
    json!({
        "mutating": essence::<MutatingWebhookConfiguration>(client, MUTATING).await,
        "validating": essence::<ValidatingWebhookConfiguration>(client, VALIDATING).await,
        "made mutating": essence::<MutatingWebhookConfiguration>(client, MADE).await,
        "made validating": essence::<ValidatingWebhookConfiguration>(client, MADE).await,
        "crd": essence::<CustomResourceDefinition>(client, CRD).await,
    })
}

/// The URL the webhook `name` of the mutating configuration calls.
fn url_of(cluster: &Value, configuration: &str, name: &str) -> String {
    cluster[configuration]["webhooks"]
        .as_array()
        .and_then(|webhooks| webhooks.iter().find(|webhook| webhook["name"] == name))
        .and_then(|webhook| webhook["clientConfig"]["url"].as_str())
        .unwrap_or_default()
        .to_string()
}

/// The API server calls the local manager: defaults, a refusal, a conversion.
async fn assert_the_api_server_calls_the_manager(env: &Environment, client: &Client) {
    let namespace = env.create_namespace("local").await.expect("namespace");
    let greetings: Api<Greeting> = Api::namespaced(client.clone(), &namespace);
    let defaulted = created_and_defaulted(&greetings, "defaulted").await;
    assert_eq!(defaulted.spec.message, DEFAULT_MESSAGE);
    let refused = greetings
        .create(&PostParams::default(), &greeting("long", &"x".repeat(65)))
        .await;
    assert!(
        matches!(&refused, Err(kube::Error::Api(status)) if status.code == 422),
        "a long message is refused by the local validating webhook: {refused:?}"
    );
    let as_v2: Api<v2::Greeting> = Api::namespaced(client.clone(), &namespace);
    let read = eventually_converted(&as_v2, "defaulted").await;
    assert_eq!(read.spec.text, DEFAULT_MESSAGE);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_local_manager_serves_the_webhooks_and_puts_the_cluster_back() {
    let env = deployed().await;
    let client = env.client().expect("client");
    let before = cluster(&client).await;
    let probes = free_address();
    let running = Running::start(client.clone(), probes);
    wait_ready(probes, Some(&running)).await;

    let pointed = cluster(&client).await;
    let url = url_of(&pointed, "mutating", "mgreeting-v1.kb.io");
    assert!(
        url.starts_with("https://127.0.0.1:")
            && url.ends_with("/mutate-demo-kubesmith-dev-v1-greeting"),
        "the API server on this machine calls 127.0.0.1: {url}"
    );
    assert!(url_of(&pointed, "validating", "vgreeting-v1.kb.io").starts_with("https://127.0.0.1:"));
    assert_eq!(
        pointed["mutating"]["webhooks"][1], before["mutating"]["webhooks"][1],
        "another operator's webhook stays as it is"
    );
    let crd_url = pointed["crd"]["spec"]["conversion"]["webhook"]["clientConfig"]["url"]
        .as_str()
        .unwrap_or_default();
    assert!(crd_url.ends_with("/convert"), "{crd_url}");
    for object in ["mutating", "validating", "crd"] {
        let annotations = &pointed[object]["annotations"];
        assert!(
            annotations[CA_INJECTION].is_null(),
            "cert-manager's injection is suspended on {object}: {annotations}"
        );
        assert!(
            annotations[LOCAL_WEBHOOKS_ANNOTATION].is_string(),
            "{object} records what to put back: {annotations}"
        );
    }
    assert!(pointed["made mutating"].is_null() && pointed["made validating"].is_null());
    assert_the_api_server_calls_the_manager(&env, &client).await;

    // Someone else changes the objects meanwhile: their changes stay.
    let mutating: Api<MutatingWebhookConfiguration> = Api::all(client.clone());
    let timeout = json!([{"op": "replace", "path": "/webhooks/0/timeoutSeconds", "value": 7}]);
    mutating
        .patch(
            MUTATING,
            &PatchParams::default(),
            &Patch::Json::<()>(serde_json::from_value(timeout).expect("patch")),
        )
        .await
        .expect("another change to the configuration");
    let label = json!({"metadata": {"labels": {"team": "greetings"}}});
    Api::<CustomResourceDefinition>::all(client.clone())
        .patch(CRD, &PatchParams::default(), &Patch::Merge(&label))
        .await
        .expect("another change to the CRD");

    running.stop().await;
    let mut expected = before;
    expected["mutating"]["webhooks"][0]["timeoutSeconds"] = json!(7);
    expected["crd"]["labels"] = json!({"team": "greetings"});
    assert_eq!(cluster(&client).await, expected);
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_killed_local_managers_leftovers_are_recovered_by_the_next_start() {
    let env = deployed().await;
    let client = env.client().expect("client");
    // No validating configuration: the local manager makes one of its own.
    Api::<ValidatingWebhookConfiguration>::all(client.clone())
        .delete(VALIDATING, &Default::default())
        .await
        .expect("delete the validating configuration");
    let before = cluster(&client).await;

    // A manager whose process dies without a chance to clean up: its runtime is dropped.
    let killed = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a runtime");
    let config = env.config().clone();
    let first_probes = free_address();
    killed.spawn(async move {
        let client = Client::try_from(config).expect("client");
        local_manager(client, first_probes)
            .run_until(std::future::pending())
            .await
    });
    wait_ready(first_probes, None).await;
    let left = cluster(&client).await;
    killed.shutdown_background();
    let dead_url = url_of(&left, "mutating", "mgreeting-v1.kb.io");
    assert!(dead_url.starts_with("https://127.0.0.1:"), "{dead_url}");
    assert!(
        url_of(&left, "made validating", "vgreeting-v1.kb.io").starts_with("https://127.0.0.1:"),
        "the webhook no configuration called got one: {left}"
    );

    let probes = free_address();
    let running = Running::start(client.clone(), probes);
    wait_ready(probes, Some(&running)).await;
    let recovered = cluster(&client).await;
    let url = url_of(&recovered, "mutating", "mgreeting-v1.kb.io");
    assert!(
        url.starts_with("https://127.0.0.1:") && url != dead_url,
        "{url}"
    );
    assert_the_api_server_calls_the_manager(&env, &client).await;
    running.stop().await;

    assert_eq!(
        cluster(&client).await,
        before,
        "the cluster as it was before the killed run, not as that run left it"
    );
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_local_manager_that_cannot_start_puts_back_what_it_changed() {
    let env = deployed().await;
    let client = env.client().expect("client");
    Api::<CustomResourceDefinition>::all(client.clone())
        .delete(CRD, &Default::default())
        .await
        .expect("delete the CRD");
    let deadline = kubesmith_e2e::machine::deadline(Duration::from_secs(60));
    while essence::<CustomResourceDefinition>(&client, CRD).await != Value::Null {
        assert!(Instant::now() < deadline, "the CRD was not deleted");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let before = cluster(&client).await;
    let error = local_manager(client.clone(), free_address())
        .run_until(std::future::pending())
        .await
        .expect_err("the conversion's CRD is not installed");
    let message = error.to_string();
    assert!(
        message.contains(CRD) && message.contains("make install"),
        "{message}"
    );
    assert_eq!(
        cluster(&client).await,
        before,
        "the webhook configurations pointed before the failure are put back"
    );
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deployed_manager_with_self_managed_certificates_leaves_a_local_managers_objects_alone() {
    let env = deployed().await;
    let client = env.client().expect("client");
    let probes = free_address();
    let local = Running::start(client.clone(), probes);
    wait_ready(probes, Some(&local)).await;
    let pointed = cluster(&client).await;

    // The deployed manager puts its own CA into the same objects at start, before it is ready.
    let files = tempfile::tempdir().expect("a directory");
    let deployed_probes = free_address();
    let options = ManagerOptions {
        metrics_bind_address: BindAddress::Disabled,
        health_probe_bind_address: BindAddress::Address(deployed_probes),
        webhook_server: kubesmith::webhook::WebhookServerOptions {
            address: free_address(),
            tls: kubesmith::manager::TlsFiles {
                certificate: files.path().join("tls.crt"),
                key: files.path().join("tls.key"),
            },
            ..Default::default()
        },
        self_managed_certificates: Some(
            SelfManagedCertificates::new("greeting-webhook-certs", "default")
                .mutating_configuration(MUTATING)
                .validating_configuration(VALIDATING)
                .conversion_crd(CRD),
        ),
        ..ManagerOptions::default()
    };
    let mut in_cluster = Manager::new(client.clone(), options).expect("manager");
    in_cluster.add_webhook(webhook()).expect("webhook");
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(in_cluster.run_until(async move {
        let _ = stopped.await;
    }));
    let deployed_manager = Running { stop, task };
    wait_ready(deployed_probes, Some(&deployed_manager)).await;

    assert_eq!(
        cluster(&client).await,
        pointed,
        "the objects pointed at the local manager keep its URL and CA"
    );
    assert_the_api_server_calls_the_manager(&env, &client).await;
    deployed_manager.stop().await;
    local.stop().await;
    env.stop().await;
}
