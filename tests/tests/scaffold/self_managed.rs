//! A project whose manager issues its own webhook certificates (`init --webhook-certs
//! self-managed`): it builds without a warning, passes `make lint` and its own tests against
//! envtest; its deployment needs no cert-manager — no cert-manager objects, no CA injection,
//! the Role for the certificate's Secret bound to the manager; and with only what `config/`
//! grants the manager's ServiceAccount, the certificates are issued into their Secret and their
//! CA put into the webhook configurations and the CRD's conversion.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use greeting_operator::webhook::webhook;
use k8s_openapi::api::admissionregistration::v1::{
    MutatingWebhookConfiguration, ValidatingWebhookConfiguration,
};
use k8s_openapi::api::authorization::v1::{
    ResourceAttributes, SelfSubjectAccessReview, SelfSubjectAccessReviewSpec,
};
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::Api;
use kube::api::PostParams;
use kubesmith::envtest::Environment;
use kubesmith::manager::{BindAddress, Manager, ManagerOptions, TlsFiles};
use kubesmith::webhook::{SelfManagedCertificates, WebhookServerOptions};
use kubesmith_e2e::scaffolded::{Scaffold, check_success};

use super::{build, golden, kubectl, lint_and_test};

/// The namespace, names and CRD of the golden project's self-managed certificates.
const NAMESPACE: &str = "project-self-managed-system";
const SECRET: &str = "project-self-managed-webhook-server-cert";
const MUTATING: &str = "project-self-managed-mutating-webhook-configuration";
const VALIDATING: &str = "project-self-managed-validating-webhook-configuration";
const CRD: &str = "captains.crew.testproject.org";
const SERVICE_ACCOUNT: &str = "project-self-managed-controller-manager";

/// The golden project `project-self-managed`, scaffolded and built once for these tests.
fn self_managed() -> &'static Scaffold {
    static PROJECT: OnceLock<Scaffold> = OnceLock::new();
    PROJECT.get_or_init(|| {
        let project = golden("project-self-managed");
        build(&project);
        project
    })
}

/// `kubectl kustomize config/default` of `project`.
fn rendered(project: &Scaffold) -> String {
    let rendered = std::process::Command::new(kubectl())
        .args(["kustomize"])
        .arg(project.file("config/default"))
        .output()
        .expect("kubectl kustomize");
    check_success("kubectl kustomize config/default", &rendered)
        .unwrap_or_else(|e| panic!("{e:#}"));
    String::from_utf8_lossy(&rendered.stdout).into_owned()
}

#[test]
fn self_managed_project_builds_lints_passes_its_tests_and_needs_no_cert_manager() {
    let project = self_managed();
    let stdout = lint_and_test(project);
    assert!(
        stdout.contains("test the_api_server_calls_the_webhooks ... ok"),
        "{stdout}"
    );

    let role = std::fs::read_to_string(project.file("config/rbac/role.yaml")).expect("role.yaml");
    for granted in [
        "kind: Role\nmetadata:\n  name: manager-role\n  namespace: system",
        "- secrets",
        "- mutatingwebhookconfigurations",
        "- validatingwebhookconfigurations",
        "- customresourcedefinitions",
    ] {
        assert!(role.contains(granted), "{granted} missing from:\n{role}");
    }
    let rendered = rendered(project);
    assert!(
        !rendered.contains("cert-manager.io"),
        "no cert-manager objects or CA injection:\n{rendered}"
    );
    assert!(
        rendered.contains(&format!(
            "  name: project-self-managed-manager-rolebinding\n  namespace: {NAMESPACE}\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: Role\n  name: project-self-managed-manager-role"
        )),
        "the Role for the Secret is bound:\n{rendered}"
    );
    assert!(
        rendered.contains("emptyDir: {}") && rendered.contains("--webhook-cert-path="),
        "the manager writes its certificate into a writable directory:\n{rendered}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_generated_rbac_lets_the_manager_issue_and_inject_its_certificates() {
    let project = self_managed();
    let env = Environment::start().await.expect("no test control plane");
    let manifests = tempfile::tempdir().expect("a directory");
    let file = manifests.path().join("default.yaml");
    std::fs::write(&file, rendered(project)).expect("the rendered manifests");
    let applied = env
        .kubectl()
        .expect("kubectl")
        .args(["apply", "--server-side", "-f"])
        .arg(&file)
        .output()
        .expect("kubectl apply");
    check_success("kubectl apply config/default", &applied).unwrap_or_else(|e| panic!("{e:#}"));
    let admin = env.client().expect("client");
    let manager_client = env
        .add_user(
            &format!("system:serviceaccount:{NAMESPACE}:{SERVICE_ACCOUNT}"),
            &[
                "system:serviceaccounts",
                &format!("system:serviceaccounts:{NAMESPACE}"),
            ],
        )
        .await
        .expect("the manager's identity");
    // The API server's authorizer learns the bindings within moments.
    let deadline = kubesmith_e2e::machine::deadline(Duration::from_secs(60));
    for (group, resource, verb, namespace) in [
        ("", "secrets", "create", Some(NAMESPACE)),
        (
            "admissionregistration.k8s.io",
            "mutatingwebhookconfigurations",
            "update",
            None,
        ),
        (
            "admissionregistration.k8s.io",
            "validatingwebhookconfigurations",
            "update",
            None,
        ),
        (
            "apiextensions.k8s.io",
            "customresourcedefinitions",
            "patch",
            None,
        ),
    ] {
        while !allowed(&manager_client, group, resource, verb, namespace).await {
            assert!(
                Instant::now() < deadline,
                "the generated RBAC does not allow {verb} {resource}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    // The scaffold's `webhook::certificates(NAMESPACE)`, served for some webhook.
    let certificates = SelfManagedCertificates::new(SECRET, NAMESPACE)
        .service("project-self-managed-webhook-service")
        .mutating_configuration(MUTATING)
        .validating_configuration(VALIDATING)
        .conversion_crd(CRD);
    let files = tempfile::tempdir().expect("a directory");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port");
    let options = ManagerOptions {
        metrics_bind_address: BindAddress::Disabled,
        health_probe_bind_address: BindAddress::Disabled,
        webhook_server: WebhookServerOptions {
            address: port,
            tls: TlsFiles {
                certificate: files.path().join("tls.crt"),
                key: files.path().join("tls.key"),
            },
            ..WebhookServerOptions::default()
        },
        self_managed_certificates: Some(certificates),
        ..ManagerOptions::default()
    };
    let mut manager = Manager::new(manager_client, options).expect("manager");
    manager.add_webhook(webhook()).expect("a webhook");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(manager.run_until(async move {
        let _ = stopped.await;
    }));

    let secrets: Api<Secret> = Api::namespaced(admin.clone(), NAMESPACE);
    let mutating: Api<MutatingWebhookConfiguration> = Api::all(admin.clone());
    let validating: Api<ValidatingWebhookConfiguration> = Api::all(admin.clone());
    let crds: Api<CustomResourceDefinition> = Api::all(admin);
    let deadline = kubesmith_e2e::machine::deadline(Duration::from_secs(60));
    loop {
        let ca = secrets
            .get_opt(SECRET)
            .await
            .expect("read the Secret")
            .and_then(|secret| secret.data?.get("ca.crt").cloned());
        let injected = match &ca {
            None => false,
            Some(ca) => {
                let mutating = mutating.get(MUTATING).await.expect("mutating");
                let validating = validating.get(VALIDATING).await.expect("validating");
                let crd = crds.get(CRD).await.expect("the CRD");
                let conversion = crd
                    .spec
                    .conversion
                    .and_then(|conversion| conversion.webhook?.client_config?.ca_bundle);
                mutating
                    .webhooks
                    .iter()
                    .flatten()
                    .all(|w| w.client_config.ca_bundle.as_ref() == Some(ca))
                    && validating
                        .webhooks
                        .iter()
                        .flatten()
                        .all(|w| w.client_config.ca_bundle.as_ref() == Some(ca))
                    && conversion.as_ref() == Some(ca)
            }
        };
        if injected {
            break;
        }
        assert!(
            !running.is_finished(),
            "the manager stopped: {:?}",
            running.await
        );
        assert!(
            Instant::now() < deadline,
            "the certificate was not issued and injected"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let _ = stop.send(());
    running
        .await
        .expect("manager task")
        .expect("the manager stops cleanly");
    env.stop().await;
}

/// Whether `client` may `verb` `resource` (in `namespace`).
async fn allowed(
    client: &kube::Client,
    group: &str,
    resource: &str,
    verb: &str,
    namespace: Option<&str>,
) -> bool {
    let review = SelfSubjectAccessReview {
        spec: SelfSubjectAccessReviewSpec {
            resource_attributes: Some(ResourceAttributes {
                group: Some(group.into()),
                resource: Some(resource.into()),
                verb: Some(verb.into()),
                namespace: namespace.map(str::to_string),
                ..ResourceAttributes::default()
            }),
            ..SelfSubjectAccessReviewSpec::default()
        },
        ..SelfSubjectAccessReview::default()
    };
    Api::<SelfSubjectAccessReview>::all(client.clone())
        .create(&PostParams::default(), &review)
        .await
        .ok()
        .and_then(|answer| answer.status)
        .is_some_and(|status| status.allowed)
}
