use std::sync::Arc;
use std::time::Duration;

use greeting_operator::api::Greeting;
use k8s_openapi::api::authentication::v1::TokenRequest;
use k8s_openapi::api::core::v1::ServiceAccount;
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding};
use kube::api::PostParams;
use kube::{Api, CustomResource, CustomResourceExt};
use kubesmith::controller::Controller;
use kubesmith::envtest::{CrdInstallOptions, TestManager};
use kubesmith::manager::{Manager, TlsFiles};
use kubesmith::reconcile::{Action, Context, ReconcileError, Reconciler};
use rustls_pki_types::CertificateDer;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::http::{get, get_tls, sample};
use crate::{Scripted, Step, create_greeting, eventually, options, shared};

/// A kind whose CRD is installed only mid-test, so its cache cannot sync before that.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, JsonSchema)]
#[kube(
    group = "late.kubesmith.dev",
    version = "v1",
    kind = "Farewell",
    namespaced
)]
struct FarewellSpec {
    text: String,
}

struct Noop;

impl Reconciler<Farewell> for Noop {
    async fn reconcile(
        &self,
        _object: Arc<Farewell>,
        _ctx: &Context,
    ) -> Result<Action, ReconcileError> {
        Ok(Action::await_change())
    }
}

#[tokio::test]
async fn readyz_turns_200_when_caches_sync_and_metrics_count_what_happened() {
    let env = shared().await;
    let namespace = env.create_namespace("metrics").await.expect("namespace");
    let client = env.client().expect("client");
    let scripted = Scripted::default();
    scripted.script("panicky", &[Step::Panic, Step::Panic]);
    scripted.script("doomed", &[Step::Terminal]);
    scripted.script("later", &[Step::RequeueAfter(Duration::from_millis(100))]);
    let (options, probes, metrics) = options(&namespace);
    let mut manager = Manager::new(client.clone(), options).expect("manager");
    manager
        .add(Controller::<Greeting>::new(), scripted.clone())
        .expect("greeting controller");
    manager
        .add(Controller::<Farewell>::new(), Noop)
        .expect("farewell controller");
    let running = TestManager::start(manager);

    let healthz = eventually(Duration::from_secs(5), "the probe server", || {
        get(probes, "/healthz")
    })
    .await;
    assert_eq!(healthz.0, 200);
    for _ in 0..5 {
        let readyz = get(probes, "/readyz").await.expect("readyz answers");
        assert_eq!(
            readyz.0, 500,
            "not ready while the Farewell cache cannot sync"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    env.install_crds(&CrdInstallOptions::default().crd(Farewell::crd()))
        .await
        .expect("install Farewell CRD");
    eventually(Duration::from_secs(40), "/readyz to answer 200", || async {
        get(probes, "/readyz")
            .await
            .filter(|(status, _)| *status == 200)
    })
    .await;

    for name in ["panicky", "doomed", "fine", "later"] {
        create_greeting(&client, &namespace, name, "x").await;
    }
    eventually(Duration::from_secs(10), "the scripts to run", || async {
        let done = scripted.attempts("panicky").len() == 3 && scripted.attempts("later").len() == 2;
        done.then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (status, scrape) = get(metrics, "/metrics").await.expect("metrics answers");
    assert_eq!(status, 200);
    let greeting = r#"controller="greeting""#;
    let queue = r#"name="greeting",controller="greeting""#;
    let result = |result: &str| format!(r#"controller="greeting",result="{result}""#);
    let expected = [
        ("controller_runtime_reconcile_total", result("success"), 3.0),
        ("controller_runtime_reconcile_total", result("error"), 3.0),
        (
            "controller_runtime_reconcile_total",
            result("requeue_after"),
            1.0,
        ),
        ("controller_runtime_reconcile_total", result("requeue"), 0.0),
        (
            "controller_runtime_reconcile_errors_total",
            greeting.into(),
            3.0,
        ),
        (
            "controller_runtime_terminal_reconcile_errors_total",
            greeting.into(),
            1.0,
        ),
        (
            "controller_runtime_reconcile_panics_total",
            greeting.into(),
            2.0,
        ),
        (
            "controller_runtime_reconcile_time_seconds_count",
            greeting.into(),
            7.0,
        ),
        (
            "controller_runtime_max_concurrent_reconciles",
            greeting.into(),
            1.0,
        ),
        ("controller_runtime_active_workers", greeting.into(), 0.0),
        // 2 retries after the panics; adds are the 4 creations plus those 2 retries.
        ("workqueue_retries_total", queue.into(), 2.0),
        ("workqueue_adds_total", queue.into(), 6.0),
        ("workqueue_work_duration_seconds_count", queue.into(), 7.0),
        // The 4 creations waited in the queue; retries are scheduled, not queued by a change.
        ("workqueue_queue_duration_seconds_count", queue.into(), 4.0),
        ("workqueue_depth", queue.into(), 0.0),
        (
            "controller_runtime_reconcile_total",
            r#"controller="farewell",result="success""#.into(),
            0.0,
        ),
    ];
    for (name, labels, value) in expected {
        let found = sample(&scrape, name, &labels)
            .unwrap_or_else(|| panic!("{name}{{{labels}}} missing in:\n{scrape}"));
        assert_eq!(found, value, "{name}{{{labels}}}");
    }
    running.stop().await.expect("manager stops cleanly");
}

fn write_tls_files(dir: &std::path::Path) -> (TlsFiles, CertificateDer<'static>) {
    let certified =
        rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).expect("certificate");
    std::fs::create_dir_all(dir).expect("cert dir");
    let files = TlsFiles {
        certificate: dir.join("tls.crt"),
        key: dir.join("tls.key"),
    };
    std::fs::write(&files.certificate, certified.cert.pem()).expect("write cert");
    std::fs::write(&files.key, certified.signing_key.serialize_pem()).expect("write key");
    (files, certified.cert.der().clone())
}

async fn service_account_token(client: &kube::Client, namespace: &str, name: &str) -> String {
    let accounts: Api<ServiceAccount> = Api::namespaced(client.clone(), namespace);
    let account: ServiceAccount =
        serde_json::from_value(serde_json::json!({ "metadata": { "name": name } })).expect("sa");
    accounts
        .create(&PostParams::default(), &account)
        .await
        .expect("create service account");
    let request = TokenRequest::default();
    let issued: TokenRequest = accounts
        .create_subresource("token", name, &PostParams::default(), &request)
        .await
        .expect("TokenRequest");
    issued.status.and_then(|s| s.token).expect("token issued")
}

#[tokio::test]
async fn secure_metrics_require_an_authorized_token() {
    let env = shared().await;
    let namespace = env
        .create_namespace("secure-metrics")
        .await
        .expect("namespace");
    let client = env.client().expect("client");
    let (tls, ca) =
        write_tls_files(&std::env::temp_dir().join(format!("kubesmith-metrics-{namespace}")));
    let (mut options, _, metrics) = options(&namespace);
    options.metrics_secure = true;
    options.metrics_tls = Some(tls);
    let mut manager = Manager::new(client.clone(), options).expect("manager");
    manager
        .add(Controller::<Greeting>::new(), Scripted::default())
        .expect("controller");
    let running = TestManager::start(manager);

    let anonymous = eventually(Duration::from_secs(5), "the metrics server", || {
        get_tls(metrics, "/metrics", &ca, None)
    })
    .await;
    assert_eq!(anonymous.0, 401, "no token: {anonymous:?}");
    let bogus = get_tls(metrics, "/metrics", &ca, Some("not-a-token"))
        .await
        .expect("answer");
    assert_eq!(bogus.0, 401, "invalid token: {bogus:?}");

    let reader: ClusterRole = serde_json::from_value(serde_json::json!({
        "metadata": { "name": format!("{namespace}-metrics-reader") },
        "rules": [{ "nonResourceURLs": ["/metrics"], "verbs": ["get"] }],
    }))
    .expect("role");
    Api::<ClusterRole>::all(client.clone())
        .create(&PostParams::default(), &reader)
        .await
        .expect("create ClusterRole");
    let binding: ClusterRoleBinding = serde_json::from_value(serde_json::json!({
        "metadata": { "name": format!("{namespace}-metrics-reader") },
        "roleRef": { "apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": format!("{namespace}-metrics-reader") },
        "subjects": [{ "kind": "ServiceAccount", "name": "scraper", "namespace": namespace }],
    }))
    .expect("binding");
    Api::<ClusterRoleBinding>::all(client.clone())
        .create(&PostParams::default(), &binding)
        .await
        .expect("create binding");

    let allowed = service_account_token(&client, &namespace, "scraper").await;
    let denied = service_account_token(&client, &namespace, "stranger").await;
    let forbidden = get_tls(metrics, "/metrics", &ca, Some(&denied))
        .await
        .expect("answer");
    assert_eq!(
        forbidden.0, 403,
        "authenticated but not authorized: {forbidden:?}"
    );
    let scraped = eventually(Duration::from_secs(10), "an authorized scrape", || async {
        get_tls(metrics, "/metrics", &ca, Some(&allowed))
            .await
            .filter(|(status, _)| *status == 200)
    })
    .await;
    assert!(
        scraped
            .1
            .contains("controller_runtime_max_concurrent_reconciles{controller=\"greeting\"} 1"),
        "{}",
        scraped.1
    );
    running.stop().await.expect("manager stops cleanly");
}
