//! Manifest generation from Rust types: golden files, check mode, and acceptance of the
//! generated CRDs by a real API server (envtest).
//!
//! Goldens live in `sdk/tests/golden/`; regenerate them with `KUBESMITH_BLESS=1`.

mod acceptance;
mod api;
mod conformance;
mod golden;
mod operator;
mod reference;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use kubesmith::envtest::{Environment, SharedEnvironment};
use kubesmith::manifests::Manifests;
use kubesmith::rbac::Rule;
use kubesmith::webhook::{AdmissionWebhooks, FailurePolicy};

/// One control plane for every acceptance test, isolated by namespace.
static SHARED: SharedEnvironment = SharedEnvironment::new(Environment::builder);

/// The shared environment; fails the calling test when no control plane can start.
async fn shared() -> &'static Environment {
    match SHARED.get().await {
        Ok(env) => env,
        Err(error) => panic!("no test control plane: {error}"),
    }
}

/// RBAC rules exercising every merge case of controller-gen.
fn rbac_rules() -> Vec<Rule> {
    vec![
        // Same resource, different verbs: merged verbs.
        Rule::new(&["batch.kubesmith.dev"], &["cronjobs"], &["get", "list"]),
        Rule::new(
            &["batch.kubesmith.dev"],
            &["cronjobs"],
            &["watch", "update", "get"],
        ),
        // Same verbs, different resources: merged resources.
        Rule::new(
            &["batch.kubesmith.dev"],
            &["cronjobs/status"],
            &["get", "patch", "update"],
        ),
        Rule::new(
            &["batch.kubesmith.dev"],
            &["cronjobs/finalizers"],
            &["update"],
        ),
        Rule::new(
            &["apps"],
            &["deployments", "statefulsets"],
            &["get", "list", "watch"],
        ),
        // Same verbs and resources, different groups: merged groups.
        Rule::new(&["batch"], &["jobs"], &["create", "delete"]),
        Rule::new(
            &["extensions.kubesmith.dev"],
            &["jobs"],
            &["create", "delete"],
        ),
        // `*` collapses verbs; `core` is the core group.
        Rule::new(&["core"], &["events"], &["create", "*", "patch"]),
        // Resource names are kept apart.
        Rule::new(&[""], &["configmaps"], &["get", "update"]).resource_names(&["operator-config"]),
        Rule::new(&[""], &["configmaps"], &["get", "list", "watch"]),
        // Non-resource URLs with the same verbs: merged URLs.
        Rule::urls(&["/metrics"], &["get"]),
        Rule::urls(&["/healthz"], &["get"]),
        // A namespaced Role.
        Rule::new(
            &["coordination.k8s.io"],
            &["leases"],
            &["get", "create", "update"],
        )
        .in_namespace("kubesmith-system"),
        Rule::new(&[""], &["events"], &["create", "patch"]).in_namespace("kubesmith-system"),
    ]
}

/// The manifests of the test APIs.
fn manifests(root: &std::path::Path) -> Manifests {
    Manifests::new(root)
        .crd::<api::CronJob>()
        .crd::<api::widget::v1::Widget>()
        .crd::<api::widget::v1beta1::Widget>()
        .rules(rbac_rules())
        .webhook(
            AdmissionWebhooks::for_kind::<api::CronJob>()
                .defaulting()
                .validating()
                .reinvoke_if_needed(),
        )
        .webhook(widget_webhooks())
}

/// The Widget's validating webhook with every setting of how the API server calls it.
fn widget_webhooks() -> AdmissionWebhooks {
    let selector = |key: &str, value: &str| LabelSelector {
        match_labels: Some([(key.to_string(), value.to_string())].into()),
        ..LabelSelector::default()
    };
    AdmissionWebhooks::for_kind::<api::widget::v1::Widget>()
        .validating_deletes()
        .failure_policy(FailurePolicy::Ignore)
        .timeout(std::time::Duration::from_secs(5))
        .namespace_selector(selector("widgets.kubesmith.dev/checked", "true"))
        .object_selector(selector("tier", "production"))
        .match_condition("not-a-dry-run", "!request.dryRun")
        .custom_validate_path("/validate-widgets")
}
