//! One declaration: an `Operator` is what the manager runs and what `make manifests` grants,
//! so a controller taken out of it is gone from both; and what a test starts, webhooks and all.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use k8s_openapi::api::admissionregistration::v1::ValidatingWebhookConfiguration;
use k8s_openapi::api::core::v1::{ConfigMap, PodTemplate, Secret};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use kube::api::PostParams;
use kube::{Api, ResourceExt};
use kubesmith::controller::Controller;
use kubesmith::envtest::{TestManager, eventually};
use kubesmith::manager::ManagerOptions;
use kubesmith::operator::Operator;
use kubesmith::reconcile::{Action, Context, ReconcileError, Reconciler};
use kubesmith::webhook::{
    AdmissionContext, SelfManagedCertificates, Validator, Warnings, Webhook, WebhookError,
};

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

/// Refuses PodTemplates named `refused-…` (a kind no other test here creates, so the webhook
/// touches nothing else on the shared control plane).
struct RefuseByName;

impl Validator<PodTemplate> for RefuseByName {
    async fn validate_create(
        &self,
        template: &PodTemplate,
        _ctx: &AdmissionContext,
    ) -> Result<Warnings, WebhookError> {
        if template.name_any().starts_with("refused-") {
            return Err(WebhookError::denied("refused by name"));
        }
        Ok(Warnings::new())
    }
}

#[tokio::test]
async fn a_test_starts_the_declared_operator_with_its_webhooks_installed() {
    let env = shared().await;
    let namespace = env.create_namespace("started").await.expect("namespace");
    let operator = Operator::new("started", "kubesmith.dev").webhook(
        Webhook::<PodTemplate>::new()
            .validator(RefuseByName)
            .namespace_selector(only(&namespace)),
    );
    let running = env
        .start_operator(operator)
        .await
        .expect("the operator starts");

    // start_operator returned: the API server reaches the webhook already.
    let templates: Api<PodTemplate> = Api::namespaced(env.client().expect("client"), &namespace);
    let mut template: PodTemplate = serde_json::from_value(serde_json::json!({
        "metadata": { "name": "refused-1" },
        "template": { "spec": { "containers": [{ "name": "app", "image": "app" }] } },
    }))
    .expect("a PodTemplate");
    let refused = templates.create(&PostParams::default(), &template).await;
    let Err(kube::Error::Api(status)) = refused else {
        panic!("the webhook was not called: {refused:?}");
    };
    assert!(status.message.contains("refused by name"), "{status:?}");
    let installed = installed_validating(env, &namespace).await;
    assert_eq!(installed.len(), 1, "{installed:?}");

    // Stopped: the configuration is gone with the server, so nothing calls a dead port.
    running.stop().await.expect("a clean stop");
    assert_eq!(
        installed_validating(env, &namespace).await,
        Vec::<String>::new()
    );
    template.metadata.name = Some("refused-2".into());
    templates
        .create(&PostParams::default(), &template)
        .await
        .expect("created without the webhook");
}

/// Only objects in `namespace`: the tests of this binary run side by side on one control
/// plane, and the API server calls every installed configuration that matches.
fn only(namespace: &str) -> LabelSelector {
    LabelSelector {
        match_labels: Some(
            [(
                "kubernetes.io/metadata.name".to_string(),
                namespace.to_string(),
            )]
            .into(),
        ),
        ..LabelSelector::default()
    }
}

/// The validating configurations installed for a webhook confined to `namespace`.
async fn installed_validating(
    env: &kubesmith::envtest::Environment,
    namespace: &str,
) -> Vec<String> {
    let configurations: Api<ValidatingWebhookConfiguration> =
        Api::all(env.client().expect("client"));
    configurations
        .list(&Default::default())
        .await
        .expect("list")
        .items
        .into_iter()
        .filter(|configuration| {
            configuration
                .webhooks
                .iter()
                .flatten()
                .any(|webhook| webhook.namespace_selector.as_ref() == Some(&only(namespace)))
        })
        .map(|configuration| configuration.name_any())
        .collect()
}

/// Refuses every PodTemplate it is called for.
struct RefuseAll;

impl Validator<PodTemplate> for RefuseAll {
    async fn validate_create(
        &self,
        _template: &PodTemplate,
        _ctx: &AdmissionContext,
    ) -> Result<Warnings, WebhookError> {
        Err(WebhookError::denied("the webhook was called"))
    }
}

#[tokio::test]
async fn the_api_server_calls_a_webhook_only_for_what_its_selector_and_conditions_match() {
    let env = shared().await;
    let namespace = env.create_namespace("selected").await.expect("namespace");
    let webhook = Webhook::<PodTemplate>::new()
        .validator(RefuseAll)
        .namespace_selector(only(&namespace))
        .object_selector(LabelSelector {
            match_labels: Some([("checked".to_string(), "yes".to_string())].into()),
            ..LabelSelector::default()
        })
        .match_condition(
            "not-exempt",
            "!has(object.metadata.annotations) || !('exempt' in object.metadata.annotations)",
        )
        .timeout(Duration::from_secs(5))
        .custom_validate_path("/validate-templates");
    let running = env
        .start_operator(Operator::new("selected", "kubesmith.dev").webhook(webhook))
        .await
        .expect("the operator starts");
    let templates: Api<PodTemplate> = Api::namespaced(env.client().expect("client"), &namespace);
    let template = |name: &str, labels: serde_json::Value, annotations: serde_json::Value| {
        serde_json::from_value::<PodTemplate>(serde_json::json!({
            "metadata": { "name": name, "labels": labels, "annotations": annotations },
            "template": { "spec": { "containers": [{ "name": "app", "image": "app" }] } },
        }))
        .expect("a PodTemplate")
    };
    let create = |object: PodTemplate| {
        let templates = templates.clone();
        async move { templates.create(&PostParams::default(), &object).await }
    };
    // Not selected by its labels: the webhook is not called.
    create(template(
        "unlabelled",
        serde_json::json!({}),
        serde_json::json!({}),
    ))
    .await
    .expect("admitted without the webhook");
    // Selected, and no condition excludes it: called (at its custom path), and refused.
    let refused = create(template(
        "checked",
        serde_json::json!({ "checked": "yes" }),
        serde_json::json!({}),
    ))
    .await;
    let Err(kube::Error::Api(status)) = refused else {
        panic!("the webhook was not called: {refused:?}");
    };
    assert!(
        status.message.contains("the webhook was called"),
        "{status:?}"
    );
    // Selected, but the match condition excludes it.
    create(template(
        "exempt",
        serde_json::json!({ "checked": "yes" }),
        serde_json::json!({ "exempt": "true" }),
    ))
    .await
    .expect("admitted: the match condition excludes it");
    running.stop().await.expect("a clean stop");
}

#[test]
fn settings_the_api_server_refuses_fail_make_manifests() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let operator = Operator::new("refused", "kubesmith.dev").webhook(
        Webhook::<PodTemplate>::new()
            .validator(RefuseAll)
            .timeout(Duration::from_secs(45))
            .match_condition("twice", "true")
            .match_condition("twice", "true"),
    );
    let error = operator
        .manifests(dir.path())
        .render()
        .expect_err("refused settings");
    let message = error.to_string();
    assert!(
        message.contains("the webhooks of core/v1 PodTemplate"),
        "{message}"
    );
    assert!(message.contains("whole seconds from 1 to 30"), "{message}");
    assert!(message.contains("\"twice\" is declared twice"), "{message}");
}

#[test]
fn self_managed_certificates_are_granted_their_secret_in_system_and_the_rest_cluster_wide() {
    let operator = Operator::new("certified", "kubesmith.dev").self_managed_certificates(
        SelfManagedCertificates::new("certified-webhook-server-cert", "certified-system")
            .mutating_configuration("certified-mutating-webhook-configuration")
            .conversion_crd("widgets.shop.kubesmith.dev"),
    );
    let documents: Vec<serde_json::Value> =
        serde_saphyr::from_multiple(&role(operator)).expect("role.yaml parses");
    let of_kind = |kind: &str| {
        documents
            .iter()
            .find(|document| document["kind"] == kind)
            .unwrap_or_else(|| panic!("no {kind} in {documents:?}"))
    };
    let resources = |document: &serde_json::Value| -> Vec<String> {
        document["rules"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|rule| rule["resources"].as_array().cloned().unwrap_or_default())
            .filter_map(|resource| resource.as_str().map(String::from))
            .collect()
    };
    let role = of_kind("Role");
    assert_eq!(role["metadata"]["namespace"], "system");
    assert_eq!(resources(role), ["secrets"]);
    let cluster_role = resources(of_kind("ClusterRole"));
    for resource in ["mutatingwebhookconfigurations", "customresourcedefinitions"] {
        assert!(
            cluster_role.contains(&resource.to_string()),
            "{cluster_role:?}"
        );
    }
}
