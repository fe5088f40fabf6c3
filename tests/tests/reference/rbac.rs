//! `book/src/reference/rbac.md`: every source of RBAC rules, with an example declaration (the
//! code below, between its `ANCHOR` lines) and the `config/rbac/role.yaml` it produces
//! (rendered here by `Manifests`).

use std::sync::Arc;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use kube::runtime::reflector::ObjectRef;
use kubesmith::controller::{Controller, Watch};
use kubesmith::manifests::Manifests;
use kubesmith::rbac::{RbacRules, Rule};
use kubesmith::webhook::SelfManagedCertificates;

use super::{assert_on_page, check_generated, fenced, public_consts, public_fns, source};

const PAGE: &str = "rbac.md";

use super::api::CronJob;

/// What each example block of the page starts with, hidden (mdBook and rustdoc hide `# `
/// lines): the imports and the `CronJob` kind the examples declare controllers for.
const PRELUDE: &str = "# use std::sync::Arc;
# use k8s_openapi::api::apps::v1::Deployment;
# use k8s_openapi::api::batch::v1::Job;
# use k8s_openapi::api::core::v1::{ConfigMap, Secret};
# use kube::runtime::reflector::ObjectRef;
# use kubesmith::controller::{Controller, Watch};
# use kubesmith::manifests::Manifests;
# use kubesmith::rbac::{RbacRules, Rule};
# use kubesmith::webhook::SelfManagedCertificates;
# #[kubesmith::markers]
# #[derive(kube::CustomResource, serde::Serialize, serde::Deserialize, schemars::JsonSchema, Clone, Debug)]
# #[kube(group = \"batch.example.com\", version = \"v1\", kind = \"CronJob\", namespaced)]
# pub struct CronJobSpec { pub schedule: String }
";

// ANCHOR: reconciles
fn cronjob_controller() -> Controller<CronJob> {
    Controller::new()
}
// ANCHOR_END: reconciles

// ANCHOR: owns
fn owning_jobs() -> Controller<CronJob> {
    Controller::new().owns::<Job>()
}
// ANCHOR_END: owns

// ANCHOR: watches
fn watching_secrets() -> Controller<CronJob> {
    Controller::new().watches(|_secret: Arc<Secret>, _cache| async move {
        // The CronJobs that use this Secret.
        Vec::<ObjectRef<CronJob>>::new()
    })
}
// ANCHOR_END: watches

// ANCHOR: reads
fn reading_configmaps() -> Controller<CronJob> {
    Controller::new().reads::<ConfigMap>()
}
// ANCHOR_END: reads

// ANCHOR: derive
#[derive(kubesmith::Rbac)]
#[rbac(groups = [""], resources = ["pods/log"], verbs = ["get"])]
#[rbac(groups = ["batch"], resources = ["jobs"], resource_names = ["nightly-report"], verbs = ["delete"])]
#[rbac(urls = ["/version"], verbs = ["get"])]
#[rbac(groups = [""], resources = ["configmaps"], verbs = ["get", "update"], namespace = "kube-system")]
struct CronJobExtraRbac;

fn with_extra_rules() -> Controller<CronJob> {
    Controller::new().rules(CronJobExtraRbac::rbac_rules())
}
// ANCHOR_END: derive

// ANCHOR: rules
fn hand_written_rules() -> Vec<Rule> {
    vec![
        Rule::for_kind::<Deployment>(&["get", "list", "watch"]),
        Rule::for_subresource::<Deployment>("scale", &["update"]),
        Rule::new(&["core"], &["secrets"], &["get"]).resource_names(&["registry-credentials"]),
        Rule::new(&["coordination.k8s.io"], &["leases"], &["*", "get"])
            .in_namespace("batch-system"),
        Rule::urls(&["/healthz", "/readyz"], &["get"]),
    ]
}
// ANCHOR_END: rules

// ANCHOR: merge
fn overlapping_rules() -> Vec<Rule> {
    vec![
        Rule::new(&["apps"], &["deployments"], &["get", "list"]),
        Rule::new(
            &["apps"],
            &["deployments", "statefulsets"],
            &["watch", "get", "list"],
        ),
        Rule::new(&["apps"], &["deployments"], &["watch"]),
        Rule::new(&["batch"], &["jobs"], &["create", "delete"]),
        Rule::new(&["batch.example.com"], &["jobs"], &["create", "delete"]),
        Rule::new(&[""], &["events"], &["create", "*"]),
    ]
}
// ANCHOR_END: merge

// ANCHOR: manifests
fn main_of_the_manifests_binary() -> Manifests {
    Manifests::new(".")
        .crd::<CronJob>()
        .controller(&cronjob_controller().owns::<Job>().reads::<ConfigMap>())
        .rbac::<CronJobExtraRbac>()
}
// ANCHOR_END: manifests

// ANCHOR: namespaced
fn namespaced_operator() -> Manifests {
    Manifests::new(".")
        .controller(&cronjob_controller().owns::<Job>())
        .rules([Rule::urls(&["/version"], &["get"])])
        .role_namespace("system")
}
// ANCHOR_END: namespaced

// ANCHOR: certificates
fn certificates() -> SelfManagedCertificates {
    SelfManagedCertificates::new("webhook-server-cert", "batch-system")
        .mutating_configuration("batch-mutating-webhook-configuration")
        .validating_configuration("batch-validating-webhook-configuration")
        .conversion_crd("cronjobs.batch.example.com")
}
// ANCHOR_END: certificates

/// `config/rbac/role.yaml` as `manifests` renders it.
fn role_yaml(manifests: &Manifests) -> String {
    let files = manifests.render().unwrap_or_else(|error| panic!("{error}"));
    files[std::path::Path::new("config/rbac/role.yaml")].clone()
}

/// `config/rbac/role.yaml` for `rules` alone.
fn role_of(rules: Vec<Rule>) -> String {
    let dir = tempfile::tempdir().expect("a temporary directory");
    role_yaml(&Manifests::new(dir.path()).rules(rules))
}

/// The rules `controller` has beyond those of a bare `Controller::<CronJob>::new()`.
fn added(controller: &Controller<CronJob>) -> Vec<Rule> {
    let base = cronjob_controller().rbac_rules();
    controller
        .rbac_rules()
        .into_iter()
        .filter(|rule| !base.contains(rule))
        .collect()
}

/// Hidden definitions of the examples that use earlier ones.
const EARLIER: &str = "# fn cronjob_controller() -> Controller<CronJob> { Controller::new() }
# #[derive(kubesmith::Rbac)]
# #[rbac(groups = [\"\"], resources = [\"pods/log\"], verbs = [\"get\"])]
# struct CronJobExtraRbac;
";

/// A generated part: the example (its prelude hidden) and the YAML it produces.
fn part(name: &'static str, yaml: &str) -> (&'static str, String) {
    let example = super::excerpt(include_str!("rbac.rs"), name);
    let earlier = if ["manifests", "namespaced"].contains(&name) {
        EARLIER
    } else {
        ""
    };
    let rust = format!("{PRELUDE}{earlier}{example}# fn main() {{}}");
    (
        name,
        format!("{}\n{}", fenced("rust", &rust), fenced("yaml", yaml)),
    )
}

/// `rules:` of a role holding `rules`, for the roles that are not `role.yaml`.
fn rules_only(rules: Vec<Rule>) -> String {
    let roles = kubesmith::rbac::roles(rules, "unused");
    let mut value = serde_json::Map::new();
    let cluster = roles.cluster_role.and_then(|role| role.rules);
    let namespaced = roles
        .roles
        .into_iter()
        .flat_map(|role| role.rules.unwrap_or_default());
    let all: Vec<_> = cluster.into_iter().flatten().chain(namespaced).collect();
    value.insert("rules".into(), serde_json::to_value(all).expect("JSON"));
    serde_saphyr::to_string(&value).expect("YAML")
}

#[test]
fn every_example_on_the_page_is_what_its_declaration_generates() {
    // The variants of owns and watches add the same rules as the forms the page shows.
    let owned = added(&owning_jobs());
    for variant in [
        Controller::<CronJob>::new().owns_metadata::<Job>(),
        Controller::<CronJob>::new().owns_with(Watch::<Job>::metadata()),
        Controller::<CronJob>::new().owns_with_any_owner::<Job>(),
    ] {
        assert_eq!(added(&variant), owned);
    }
    let watched = added(&watching_secrets());
    let with = Controller::<CronJob>::new()
        .watches_with(Watch::<Secret>::new(), |_: Arc<Secret>, _| async {
            Vec::<ObjectRef<CronJob>>::new()
        });
    assert_eq!(added(&with), watched);
    assert_eq!(
        added(&Controller::<CronJob>::new().reads_metadata::<ConfigMap>()),
        added(&reading_configmaps())
    );
    let parts = [
        part("reconciles", &role_of(cronjob_controller().rbac_rules())),
        part("owns", &role_of(owned)),
        part("watches", &role_of(watched)),
        part("reads", &role_of(added(&reading_configmaps()))),
        part("derive", &role_of(added(&with_extra_rules()))),
        part("rules", &role_of(hand_written_rules())),
        part("merge", &role_of(overlapping_rules())),
        part("manifests", &role_yaml(&main_of_the_manifests_binary())),
        part("namespaced", &role_yaml(&namespaced_operator())),
        part("certificates", &role_of(certificates().rbac_rules())),
        (
            "leader_election",
            fenced(
                "yaml",
                &rules_only(kubesmith::leader_election::rbac_rules()),
            ),
        ),
        (
            "metrics",
            fenced(
                "yaml",
                &rules_only(kubesmith::metrics::server::rbac_rules()),
            ),
        ),
    ];
    check_generated(PAGE, &parts);
}

#[test]
fn every_rule_source_and_rbac_key_is_on_the_page() {
    let mut names: Vec<String> = public_fns("sdk/src/rbac.rs")
        .iter()
        .map(|f| f.path())
        .collect();
    names.extend(public_consts("sdk/src/rbac.rs"));
    // Every function that contributes rules, wherever it is: `pub fn rbac_rules` of the SDK.
    for (file, module) in [
        ("sdk/src/events.rs", "events"),
        ("sdk/src/leader_election.rs", "leader_election"),
        ("sdk/src/metrics/server.rs", "metrics::server"),
        ("sdk/src/webhook/certificates.rs", "webhook"),
        ("sdk/src/manager/mod.rs", "manager"),
        ("sdk/src/controller/builder.rs", "controller"),
        ("sdk/src/controller/rules.rs", "controller"),
        ("sdk/src/manifests/generate.rs", "manifests"),
    ] {
        for function in public_fns(file) {
            let rbac = function.name.contains("rules")
                || [
                    "owns",
                    "watches",
                    "reads",
                    "rbac",
                    "controller",
                    "role_namespace",
                ]
                .iter()
                .any(|prefix| function.name.starts_with(prefix));
            if rbac {
                names.push(match function.owner {
                    Some(_) => function.path(),
                    None => format!("{module}::{}", function.name),
                });
            }
        }
    }
    // The keys of `#[rbac(...)]`.
    let macro_source = source("macros/src/rbac.rs");
    let keys = macro_source
        .split("valid: &[")
        .nth(1)
        .and_then(|rest| rest.split(']').next())
        .expect("the keys of #[rbac]");
    names.extend(keys.split('"').skip(1).step_by(2).map(str::to_string));
    assert_on_page(PAGE, "RBAC rule sources", names);
}
