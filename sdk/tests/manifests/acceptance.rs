//! The generated CRDs against a real API server: accepted, validating, defaulting.

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::Api;
use kube::api::{ApiResource, DynamicObject, GroupVersionKind, Patch, PatchParams, PostParams};
use kubesmith::envtest::{CrdInstallOptions, Environment};
use serde_json::{Value, json};

use crate::{manifests, shared};

/// Writes the manifests to a temporary directory and installs its CRDs from the YAML files.
async fn install(env: &Environment) {
    let dir = tempfile::tempdir().expect("temp dir");
    manifests(dir.path()).write().expect("write manifests");
    let options = CrdInstallOptions::default()
        .path(dir.path().join("config/crd/bases"))
        .error_if_path_missing(true);
    let installed = env
        .install_crds(&options)
        .await
        .expect("the API server accepts every generated CRD");
    assert_eq!(installed.len(), 2);
}

async fn api(
    env: &Environment,
    version: &str,
    kind: &str,
    plural: &str,
    group: &str,
    namespace: Option<&str>,
) -> Api<DynamicObject> {
    let gvk = GroupVersionKind::gvk(group, version, kind);
    let resource = ApiResource::from_gvk_with_plural(&gvk, plural);
    let client = env.client().expect("client");
    match namespace {
        Some(namespace) => Api::namespaced_with(client, namespace, &resource),
        None => Api::all_with(client, &resource),
    }
}

async fn cronjobs(env: &Environment, prefix: &str) -> Api<DynamicObject> {
    install(env).await;
    let namespace = env.create_namespace(prefix).await.expect("namespace");
    api(
        env,
        "v1",
        "CronJob",
        "cronjobs",
        "batch.kubesmith.dev",
        Some(&namespace),
    )
    .await
}

/// A CronJob satisfying every rule, with `spec` fields replaced or removed (`null`) by `patch`.
fn cronjob(name: &str, patch: Value) -> DynamicObject {
    let mut spec = json!({ "schedule": "*/5 * * * *", "image": "busybox", "team": "core" });
    for (key, value) in patch.as_object().expect("patch is an object") {
        match value {
            Value::Null => {
                spec.as_object_mut().expect("object").remove(key);
            }
            value => spec[key] = value.clone(),
        }
    }
    serde_json::from_value(json!({
        "apiVersion": "batch.kubesmith.dev/v1",
        "kind": "CronJob",
        "metadata": { "name": name },
        "spec": spec,
    }))
    .expect("cronjob")
}

/// One validation marker: a violating spec change, what the error must say, and a
/// conforming change.
struct Case {
    marker: &'static str,
    invalid: Value,
    expected: &'static [&'static str],
    valid: Value,
}

fn cases() -> Vec<Case> {
    let case = |marker, invalid, expected, valid| Case {
        marker,
        invalid,
        expected,
        valid,
    };
    vec![
        case(
            "minimum",
            json!({ "parallelism": -1 }),
            &["spec.parallelism", "greater than or equal to 0"],
            json!({ "parallelism": 0 }),
        ),
        case(
            "maximum",
            json!({ "parallelism": 11 }),
            &["spec.parallelism", "less than or equal to 10"],
            json!({ "parallelism": 10 }),
        ),
        case(
            "exclusive_minimum",
            json!({ "deadlineSeconds": 0 }),
            &["spec.deadlineSeconds", "greater than 0"],
            json!({ "deadlineSeconds": 1 }),
        ),
        case(
            "exclusive_maximum",
            json!({ "deadlineSeconds": 86400 }),
            &["spec.deadlineSeconds", "less than 86400"],
            json!({ "deadlineSeconds": 86399 }),
        ),
        case(
            "multiple_of",
            json!({ "backoffSeconds": 7 }),
            &["spec.backoffSeconds", "multiple of 5"],
            json!({ "backoffSeconds": 10 }),
        ),
        case(
            "min_length",
            json!({ "schedule": "1 2 3" }),
            &["spec.schedule", "at least 9 chars long"],
            json!({ "schedule": "1 2 3 4 5" }),
        ),
        case(
            "max_length",
            json!({ "schedule": format!("1 2 3 4 {}", "5".repeat(60)) }),
            &["spec.schedule", "may not be more than 64"],
            json!({ "schedule": format!("1 2 3 4 {}", "5".repeat(56)) }),
        ),
        case(
            "pattern",
            json!({ "schedule": "0123456789" }),
            &["spec.schedule", "should match"],
            json!({ "schedule": "0 0 * * 1" }),
        ),
        case(
            "pattern (duration string)",
            json!({ "timeout": "soon" }),
            &["spec.timeout", "should match"],
            json!({ "timeout": "1h30m" }),
        ),
        case(
            "enum",
            json!({ "concurrencyPolicy": "Sometimes" }),
            &["spec.concurrencyPolicy", "Unsupported value"],
            json!({ "concurrencyPolicy": "Forbid" }),
        ),
        case(
            "enum (Rust enum)",
            json!({ "restartPolicy": "Always" }),
            &["spec.restartPolicy", "Unsupported value"],
            json!({ "restartPolicy": "OnFailure" }),
        ),
        case(
            "format",
            json!({ "suspendUntil": "tomorrow" }),
            &["spec.suspendUntil", "date-time"],
            json!({ "suspendUntil": "2030-01-01T00:00:00Z" }),
        ),
        case(
            "nullable",
            json!({ "image": null, "imageRef": 5 }),
            &["spec.imageRef", "string"],
            json!({ "suspendUntil": null }),
        ),
        case(
            "min_items",
            json!({ "args": [] }),
            &["spec.args", "at least 1 items"],
            json!({ "args": ["a"] }),
        ),
        case(
            "max_items",
            json!({ "args": ["a", "b", "c", "d"] }),
            &["spec.args", "at most 3 items"],
            json!({ "args": ["a", "b", "c"] }),
        ),
        case(
            "list_type = set",
            json!({ "args": ["a", "a"] }),
            &["spec.args[1]", "Duplicate value"],
            json!({ "args": ["a", "b"] }),
        ),
        case(
            "list_type = map",
            json!({ "env": [{ "name": "A" }, { "name": "A", "value": "x" }] }),
            &["spec.env[1]", "Duplicate value"],
            json!({ "env": [{ "name": "A" }, { "name": "B" }] }),
        ),
        case(
            "min_properties",
            json!({ "podLabels": {} }),
            &["spec.podLabels", "at least 1 properties"],
            json!({ "podLabels": { "a": "b" } }),
        ),
        case(
            "max_properties",
            json!({ "podLabels": { "a": "1", "b": "2", "c": "3", "d": "4", "e": "5" } }),
            &["spec.podLabels", "must have at most 4"],
            json!({ "podLabels": { "a": "1" } }),
        ),
        case(
            "embedded_resource",
            json!({ "template": { "metadata": { "name": "x" } } }),
            &["spec.template.apiVersion", "Required value"],
            json!({ "template": { "apiVersion": "v1", "kind": "ConfigMap", "metadata": { "name": "x" } } }),
        ),
        case(
            "int_or_string",
            json!({ "failureBudget": true }),
            &["spec.failureBudget"],
            json!({ "failureBudget": "10%" }),
        ),
        case(
            "cel with message",
            json!({ "ports": [0] }),
            &["spec.ports", "ports must be between 1 and 65535"],
            json!({ "ports": [80, 443] }),
        ),
        case(
            "cel with messageExpression",
            json!({ "backoffSeconds": 3605 }),
            &["spec.backoffSeconds", "backoffSeconds is more than an hour"],
            json!({ "backoffSeconds": 3600 }),
        ),
        case(
            "cel with fieldPath and reason",
            json!({ "backoffSeconds": 10, "deadlineSeconds": 5 }),
            &[
                "spec.backoffSeconds",
                "backoff must be shorter than the deadline",
            ],
            json!({ "backoffSeconds": 5, "deadlineSeconds": 10 }),
        ),
        case(
            "exactly_one_of (both)",
            json!({ "imageRef": "catalog/busybox" }),
            &[
                "spec",
                "exactly one of the fields in [image imageRef] must be set",
            ],
            json!({ "image": null, "imageRef": "catalog/busybox" }),
        ),
        case(
            "exactly_one_of (none)",
            json!({ "image": null }),
            &[
                "spec",
                "exactly one of the fields in [image imageRef] must be set",
            ],
            json!({}),
        ),
        case(
            "at_most_one_of",
            json!({ "suspend": true, "suspendUntil": "2030-01-01T00:00:00Z" }),
            &[
                "spec",
                "at most one of the fields in [suspend suspendUntil] may be set",
            ],
            json!({ "suspend": true }),
        ),
        case(
            "required",
            json!({ "team": null }),
            &["spec.team", "Required value"],
            json!({ "team": "platform" }),
        ),
        case(
            "minimum on a flattened field",
            json!({ "priorityLevel": -101 }),
            &["spec.priorityLevel", "greater than or equal to -100"],
            json!({ "priorityLevel": -100 }),
        ),
        case(
            "quantity",
            json!({ "resources": { "cpu": [1] } }),
            &["spec.resources.cpu"],
            json!({ "resources": { "cpu": "100m", "memory": 1024 } }),
        ),
    ]
}

#[tokio::test]
async fn every_validation_marker_rejects_a_violation_and_accepts_a_conforming_object() {
    let env = shared().await;
    let cronjobs = cronjobs(env, "markers").await;
    let mut failures = Vec::new();
    for (index, case) in cases().into_iter().enumerate() {
        let invalid = cronjob(&format!("invalid-{index}"), case.invalid.clone());
        match cronjobs.create(&PostParams::default(), &invalid).await {
            Ok(_) => failures.push(format!("{}: {} was accepted", case.marker, case.invalid)),
            Err(error) => {
                let text = error.to_string();
                if let Some(missing) = case.expected.iter().find(|part| !text.contains(*part)) {
                    failures.push(format!("{}: error lacks {missing:?}: {text}", case.marker));
                }
            }
        }
        let valid = cronjob(&format!("valid-{index}"), case.valid.clone());
        if let Err(error) = cronjobs.create(&PostParams::default(), &valid).await {
            failures.push(format!(
                "{}: {} was rejected: {error}",
                case.marker, case.valid
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} case(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[tokio::test]
async fn defaults_are_applied_by_the_server() {
    let env = shared().await;
    let cronjobs = cronjobs(env, "defaults").await;
    let created = cronjobs
        .create(&PostParams::default(), &cronjob("defaulted", json!({})))
        .await
        .expect("create");
    assert_eq!(created.data["spec"]["parallelism"], json!(1));
    assert_eq!(created.data["spec"]["concurrencyPolicy"], json!("Allow"));
}

#[tokio::test]
async fn a_null_option_is_pruned_and_defaulted() {
    let env = shared().await;
    let cronjobs = cronjobs(env, "null-default").await;
    // What a typed client sends for `parallelism: None` unless the field skips serializing.
    let mut object = cronjob("typed", json!({}));
    object.data["spec"]["parallelism"] = Value::Null;
    let created = cronjobs
        .create(&PostParams::default(), &object)
        .await
        .expect("create");
    assert_eq!(created.data["spec"]["parallelism"], json!(1));
}

#[tokio::test]
async fn nullable_fields_keep_null_and_other_fields_drop_it() {
    let env = shared().await;
    let cronjobs = cronjobs(env, "nullable").await;
    let mut object = cronjob("nulls", json!({}));
    object.data["spec"]["suspendUntil"] = Value::Null;
    object.data["spec"]["note"] = Value::Null;
    let created = cronjobs
        .create(&PostParams::default(), &object)
        .await
        .expect("create");
    let spec = created.data["spec"].as_object().expect("spec");
    assert_eq!(
        spec.get("suspendUntil"),
        Some(&Value::Null),
        "nullable keeps null: {spec:?}"
    );
    assert_eq!(
        spec.get("note"),
        None,
        "null is pruned where not nullable: {spec:?}"
    );
}

#[tokio::test]
async fn an_immutable_field_cannot_be_changed() {
    let env = shared().await;
    let cronjobs = cronjobs(env, "immutable").await;
    cronjobs
        .create(
            &PostParams::default(),
            &cronjob("fixed", json!({ "storageClass": "fast" })),
        )
        .await
        .expect("create");
    let change = |class: &str| Patch::Merge(json!({ "spec": { "storageClass": class } }));
    let error = cronjobs
        .patch("fixed", &PatchParams::default(), &change("slow"))
        .await
        .expect_err("changing an immutable field is rejected");
    let text = error.to_string();
    assert!(
        text.contains("spec.storageClass") && text.contains("storageClass cannot be changed"),
        "{text}"
    );
    cronjobs
        .patch("fixed", &PatchParams::default(), &change("fast"))
        .await
        .expect("keeping the value is allowed");
}

#[tokio::test]
async fn preserved_fields_survive_and_unknown_fields_are_pruned() {
    let env = shared().await;
    let cronjobs = cronjobs(env, "preserve").await;
    let mut object = cronjob(
        "kept",
        json!({ "extra": { "any": { "shape": [1, "two"] } } }),
    );
    object.data["spec"]["unknownField"] = json!(true);
    let created = cronjobs
        .create(&PostParams::default(), &object)
        .await
        .expect("create");
    assert_eq!(
        created.data["spec"]["extra"],
        json!({ "any": { "shape": [1, "two"] } })
    );
    assert!(
        created.data["spec"].get("unknownField").is_none(),
        "{}",
        created.data
    );
}

#[tokio::test]
async fn both_versions_of_a_two_version_kind_are_served() {
    let env = shared().await;
    install(env).await;
    let group = "shop.kubesmith.dev";
    let beta = api(env, "v1beta1", "Widget", "widgets", group, None).await;
    let widget: DynamicObject = serde_json::from_value(json!({
        "apiVersion": format!("{group}/v1beta1"),
        "kind": "Widget",
        "metadata": { "name": "beta-widget" },
        "spec": { "size": 3 },
    }))
    .expect("widget");
    beta.create(&PostParams::default(), &widget)
        .await
        .expect("create through v1beta1");
    let stable = api(env, "v1", "Widget", "widgets", group, None).await;
    let read = stable.get("beta-widget").await.expect("read through v1");
    assert_eq!(read.data["spec"]["size"], json!(3));
    let mut invalid = widget.clone();
    invalid.metadata.name = Some("small".into());
    invalid.data["spec"]["size"] = json!(0);
    let error = beta
        .create(&PostParams::default(), &invalid)
        .await
        .expect_err("v1beta1 validates too");
    assert!(error.to_string().contains("spec.size"), "{error}");
}

/// Creates the namespace of the test Role (`kubesmith-system`) unless it exists.
async fn role_namespace(env: &Environment) {
    let namespaces: Api<k8s_openapi::api::core::v1::Namespace> =
        Api::all(env.client().expect("client"));
    let namespace = serde_json::from_value(json!({ "metadata": { "name": "kubesmith-system" } }))
        .expect("namespace");
    match namespaces.create(&PostParams::default(), &namespace).await {
        Ok(_) => {}
        Err(kube::Error::Api(status)) if status.code == 409 => {}
        Err(error) => panic!("namespace: {error}"),
    }
}

/// Creates every document of a generated file with `dryRun=All`: the API server validates
/// it without keeping it (a failing webhook configuration would block other tests). Each is
/// created under a name of its own, so that an object another test of this binary installed
/// for real (`manager-role`) does not answer `AlreadyExists` first.
async fn dry_run_create(env: &Environment, file: &std::path::Path) -> usize {
    let text = std::fs::read_to_string(file).expect("read manifest");
    let documents: Vec<DynamicObject> =
        serde_saphyr::from_multiple(&text).expect("manifest parses");
    let client = env.client().expect("client");
    let params = PostParams {
        dry_run: true,
        ..PostParams::default()
    };
    for document in &documents {
        let types = document.types.clone().expect("apiVersion and kind");
        let (group, version) = types
            .api_version
            .split_once('/')
            .unwrap_or(("", &types.api_version));
        let gvk = GroupVersionKind::gvk(group, version, &types.kind);
        let (resource, _) = kube::discovery::pinned_kind(&client, &gvk)
            .await
            .expect("discovery");
        let api: Api<DynamicObject> = match &document.metadata.namespace {
            Some(namespace) => Api::namespaced_with(client.clone(), namespace, &resource),
            None => Api::all_with(client.clone(), &resource),
        };
        let mut document = document.clone();
        document.metadata.name = document.metadata.name.map(|name| format!("{name}-dry-run"));
        if let Err(error) = api.create(&params, &document).await {
            panic!(
                "{} {:?} rejected: {error}",
                types.kind, document.metadata.name
            );
        }
    }
    documents.len()
}

#[tokio::test]
async fn role_and_webhook_manifests_are_valid_for_the_api_server() {
    let env = shared().await;
    let dir = tempfile::tempdir().expect("temp dir");
    manifests(dir.path()).write().expect("write manifests");
    // The Role in role.yaml lives in this namespace.
    role_namespace(env).await;
    assert_eq!(
        dry_run_create(env, &dir.path().join("config/rbac/role.yaml")).await,
        2
    );
    assert_eq!(
        dry_run_create(env, &dir.path().join("config/webhook/manifests.yaml")).await,
        2
    );
}

/// A CRD whose spec carries `rules`, over a schema with scalars, a list of objects and a map.
fn crd_with_rules(name: &str, rules: &[&str]) -> CustomResourceDefinition {
    let validations: Vec<Value> = rules.iter().map(|rule| json!({ "rule": rule })).collect();
    let plural = format!("{}s", name.to_lowercase());
    serde_json::from_value(json!({
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": { "name": format!("{plural}.cel.kubesmith.dev") },
        "spec": {
            "group": "cel.kubesmith.dev",
            "scope": "Namespaced",
            "names": { "kind": name, "plural": plural, "listKind": format!("{name}List") },
            "versions": [{ "name": "v1", "served": true, "storage": true, "schema": { "openAPIV3Schema": {
                "type": "object",
                "properties": { "spec": {
                    "type": "object",
                    "x-kubernetes-validations": validations,
                    "properties": {
                        "replicas": { "type": "integer" },
                        "name": { "type": "string", "maxLength": 64 },
                        "ports": { "type": "array", "maxItems": 8, "items": { "type": "object",
                            "properties": { "port": { "type": "integer" } } } },
                        "labels": { "type": "object", "maxProperties": 8,
                            "additionalProperties": { "type": "string", "maxLength": 63 } },
                    },
                } },
            } } }],
        },
    }))
    .expect("crd")
}

#[tokio::test]
async fn cel_checks_agree_with_the_api_server() {
    use kubesmith::schema::{RustNames, check_crd};

    let env = shared().await;
    let crds: Api<CustomResourceDefinition> = Api::all(env.client().expect("client"));
    let dry_run = PostParams {
        dry_run: true,
        ..PostParams::default()
    };
    let accepted = [
        "self.replicas >= 0 && self.name.size() < 10",
        "has(self.name) ? self.name.startsWith('a') : true",
        "self.ports.all(p, p.port > 0)",
        "self.ports.exists_one(p, p.port == 80)",
        "self.labels.all(k, self.labels[k].size() < 64)",
        "self.name in ['a', 'b']",
        "self.?name.orValue('') != ''",
        "!has(self.replicas) || self.replicas == oldSelf.replicas",
    ];
    let crd = crd_with_rules("Good", &accepted);
    assert_eq!(check_crd(&crd, &RustNames::default()), Ok(()));
    crds.create(&dry_run, &crd)
        .await
        .expect("the API server accepts the rules the check accepts");

    let rejected = [
        ("Field", "self.replica > 0"),
        ("Compare", "self.replicas == 'three'"),
        ("Size", "self.replicas.size() > 1"),
        ("Syntax", "self.replicas >"),
        ("Variable", "slef.name == ''"),
        ("Result", "self.replicas + 1"),
        ("Logic", "self.name && true"),
    ];
    for (name, rule) in rejected {
        let crd = crd_with_rules(name, &[rule]);
        assert!(
            check_crd(&crd, &RustNames::default()).is_err(),
            "the check accepts {rule:?}"
        );
        let error = crds.create(&dry_run, &crd).await.expect_err(rule);
        assert!(
            error
                .to_string()
                .contains("x-kubernetes-validations[0].rule"),
            "{rule:?}: {error}"
        );
    }
}

/// Asks the API server whether `client`'s user may do `verb` on `resource`.
async fn allowed(
    client: &kube::Client,
    verb: &str,
    group: &str,
    resource: &str,
    namespace: &str,
    name: &str,
) -> bool {
    use k8s_openapi::api::authorization::v1::{
        ResourceAttributes, SelfSubjectAccessReview, SelfSubjectAccessReviewSpec,
    };
    let (resource, subresource) = match resource.split_once('/') {
        Some((resource, sub)) => (resource, Some(sub.to_string())),
        None => (resource, None),
    };
    let review = SelfSubjectAccessReview {
        spec: SelfSubjectAccessReviewSpec {
            resource_attributes: Some(ResourceAttributes {
                verb: Some(verb.into()),
                group: Some(group.into()),
                resource: Some(resource.into()),
                subresource,
                namespace: (!namespace.is_empty()).then(|| namespace.to_string()),
                name: (!name.is_empty()).then(|| name.to_string()),
                ..ResourceAttributes::default()
            }),
            ..SelfSubjectAccessReviewSpec::default()
        },
        ..SelfSubjectAccessReview::default()
    };
    let reviews: Api<SelfSubjectAccessReview> = Api::all(client.clone());
    let answer = reviews
        .create(&PostParams::default(), &review)
        .await
        .expect("access review");
    answer.status.is_some_and(|status| status.allowed)
}

#[tokio::test]
async fn the_generated_roles_grant_what_was_declared_and_nothing_else() {
    let env = shared().await;
    let dir = tempfile::tempdir().expect("temp dir");
    manifests(dir.path()).write().expect("write manifests");
    let admin = env.client().expect("client");
    role_namespace(env).await;
    // Install role.yaml as written, and bind both roles to the user `manager`.
    let text =
        std::fs::read_to_string(dir.path().join("config/rbac/role.yaml")).expect("role.yaml");
    let documents: Vec<DynamicObject> =
        serde_saphyr::from_multiple(&text).expect("role.yaml parses");
    let apply = PatchParams::apply("kubesmith-test").force();
    for document in &documents {
        let kind = document
            .types
            .as_ref()
            .map(|t| t.kind.clone())
            .unwrap_or_default();
        let gvk = GroupVersionKind::gvk("rbac.authorization.k8s.io", "v1", &kind);
        let (resource, _) = kube::discovery::pinned_kind(&admin, &gvk)
            .await
            .expect("discovery");
        let name = document.metadata.name.clone().expect("name");
        let api: Api<DynamicObject> = match &document.metadata.namespace {
            Some(namespace) => Api::namespaced_with(admin.clone(), namespace, &resource),
            None => Api::all_with(admin.clone(), &resource),
        };
        api.patch(&name, &apply, &Patch::Apply(document))
            .await
            .expect("apply role");
        let (binding_kind, binding_plural) = if kind == "ClusterRole" {
            ("ClusterRoleBinding", "clusterrolebindings")
        } else {
            ("RoleBinding", "rolebindings")
        };
        let binding_gvk = GroupVersionKind::gvk("rbac.authorization.k8s.io", "v1", binding_kind);
        let binding_resource = ApiResource::from_gvk_with_plural(&binding_gvk, binding_plural);
        let bindings: Api<DynamicObject> = match &document.metadata.namespace {
            Some(namespace) => Api::namespaced_with(admin.clone(), namespace, &binding_resource),
            None => Api::all_with(admin.clone(), &binding_resource),
        };
        let binding: DynamicObject = serde_json::from_value(json!({
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": binding_kind,
            "metadata": { "name": "manager-rolebinding" },
            "roleRef": { "apiGroup": "rbac.authorization.k8s.io", "kind": kind, "name": name },
            "subjects": [{ "apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "manager" }],
        }))
        .expect("binding");
        bindings
            .patch("manager-rolebinding", &apply, &Patch::Apply(&binding))
            .await
            .expect("apply binding");
    }
    let manager = env.add_user("manager", &[]).await.expect("user");
    let expectations = [
        (
            "list",
            "batch.kubesmith.dev",
            "cronjobs",
            "default",
            "",
            true,
        ),
        (
            "update",
            "batch.kubesmith.dev",
            "cronjobs",
            "default",
            "",
            true,
        ),
        (
            "delete",
            "batch.kubesmith.dev",
            "cronjobs",
            "default",
            "",
            false,
        ),
        (
            "patch",
            "batch.kubesmith.dev",
            "cronjobs/status",
            "default",
            "",
            true,
        ),
        (
            "update",
            "batch.kubesmith.dev",
            "cronjobs/finalizers",
            "default",
            "",
            true,
        ),
        ("watch", "apps", "statefulsets", "default", "", true),
        (
            "create",
            "extensions.kubesmith.dev",
            "jobs",
            "default",
            "",
            true,
        ),
        ("deletecollection", "", "events", "default", "", true),
        (
            "update",
            "",
            "configmaps",
            "default",
            "operator-config",
            true,
        ),
        ("update", "", "configmaps", "default", "other-config", false),
        ("list", "", "secrets", "default", "", false),
        (
            "create",
            "coordination.k8s.io",
            "leases",
            "kubesmith-system",
            "",
            true,
        ),
        (
            "create",
            "coordination.k8s.io",
            "leases",
            "default",
            "",
            false,
        ),
    ];
    // The authorizer sees new bindings through a cache: re-check until the answers match or
    // 10 s pass (denials hold from the start, grants appear within moments).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let mut wrong = Vec::new();
        for (verb, group, resource, namespace, name, expected) in expectations {
            if allowed(&manager, verb, group, resource, namespace, name).await != expected {
                wrong.push(format!(
                    "{verb} {group}/{resource} in {namespace} {name}: expected allowed={expected}"
                ));
            }
        }
        if wrong.is_empty() || std::time::Instant::now() >= deadline {
            assert!(wrong.is_empty(), "{}", wrong.join("\n"));
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}
