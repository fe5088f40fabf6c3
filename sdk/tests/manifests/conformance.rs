//! Schemas as controller-gen writes them: embedded Kubernetes types with their merge
//! semantics, item and value markers, title/example/type/schemaless, nullability, raw
//! extensions, names and the root — and a server-side apply by two managers that merges the
//! containers of an embedded pod template by name.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Container, PodTemplateSpec};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use k8s_openapi::apimachinery::pkg::runtime::RawExtension;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use kube::api::{ApiResource, DynamicObject, GroupVersionKind, Patch, PatchParams};
use kube::{Api, CustomResource, CustomResourceExt};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::shared;

/// Runs a pod template on several hosts.
#[kubesmith::markers]
#[derive(CustomResource, Serialize, Deserialize, JsonSchema, Clone, Debug)]
#[kube(
    group = "conformance.kubesmith.dev",
    version = "v1",
    kind = "Runner",
    singular = "myrunner",
    namespaced,
    status = "RunnerStatus"
)]
#[serde(rename_all = "camelCase")]
pub struct RunnerSpec {
    /// The pods to run.
    pub template: PodTemplateSpec,
    /// Sidecars added to every pod.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sidecars: Vec<Container>,
    /// Init containers, run before the template's.
    #[schemars(description = "Run first, with the pod's volumes.")]
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub init: Vec<Container>,
    /// Where to run: DNS names.
    #[k8s(max_items = 10, items(max_length = 253, pattern = "^[a-z0-9.-]+$"))]
    #[serde(default)]
    pub hosts: Vec<String>,
    /// Ports per protocol, each a valid port.
    #[k8s(values(minimum = 1, maximum = 65535))]
    #[serde(default)]
    pub ports: BTreeMap<String, i32>,
    /// Grid of labels, each at most 8 characters.
    #[k8s(items(max_items = 3, items(max_length = 8)))]
    #[serde(default)]
    pub grid: Vec<Vec<String>>,
    /// Optional weights per name.
    #[serde(default)]
    pub weights: BTreeMap<String, Option<i32>>,
    /// How to handle a run while the previous one is still going.
    #[k8s(title = "Concurrency policy", example = "Forbid")]
    pub concurrency: Option<Concurrency>,
    /// The policies allowed on this runner: an `enum` marker narrowing a Rust enum.
    #[k8s(enum = ["Allow", "Forbid"], default = "Allow")]
    pub policy: Option<Policy>,
    /// A port by number or name.
    pub target_port: Option<IntOrString>,
    /// A time of day, serialized as a string.
    #[k8s(schema_type = "string")]
    pub start: Option<TimeOfDay>,
    /// Anything; kept as sent.
    #[k8s(schemaless, preserve_unknown_fields, schema_type = "object")]
    pub extra: Option<Value>,
    /// An embedded object of any kind.
    #[k8s(embedded_resource)]
    pub payload: Option<RawExtension>,
}

/// Pods from a template, and nothing else: what the server-side apply test installs.
#[kubesmith::markers]
#[derive(CustomResource, Serialize, Deserialize, JsonSchema, Clone, Debug)]
#[kube(
    group = "conformance.kubesmith.dev",
    version = "v1",
    kind = "PodSet",
    namespaced
)]
pub struct PodSetSpec {
    /// The pods.
    pub template: PodTemplateSpec,
}

/// What happens when runs overlap.
#[kubesmith::markers]
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug)]
pub enum Concurrency {
    Allow,
    Forbid,
    Replace,
}

/// What happens when runs overlap, each variant documented (schemars then writes a `oneOf` of
/// the variants, which kube-derive hoists into an `enum`).
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug)]
pub enum Policy {
    /// Run side by side.
    Allow,
    /// Skip the new run.
    Forbid,
    /// Stop the old run.
    Replace,
}

/// Hours and minutes.
#[kubesmith::markers]
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug)]
pub struct TimeOfDay {
    pub hour: u8,
    pub minute: u8,
}

/// What the runner observed.
#[kubesmith::markers]
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, Default)]
pub struct RunnerStatus {
    /// Pods running.
    pub running: Option<i32>,
}

fn runner_crd() -> CustomResourceDefinition {
    kubesmith::schema::crd::<Runner>().unwrap_or_else(|error| panic!("{error}"))
}

/// The schema of the only version, as JSON.
fn schema() -> Value {
    let crd = runner_crd();
    let schema = crd.spec.versions[0]
        .schema
        .as_ref()
        .and_then(|schema| schema.open_api_v3_schema.as_ref())
        .expect("a schema");
    serde_json::to_value(schema).expect("JSON")
}

fn spec(schema: &Value, pointer: &str) -> Value {
    schema
        .pointer(&format!("/properties/spec/properties{pointer}"))
        .unwrap_or_else(|| panic!("no {pointer} in the spec schema"))
        .clone()
}

#[test]
fn embedded_kubernetes_types_carry_their_list_and_map_semantics() {
    let schema = schema();
    let pod = "/template/properties/spec/properties";
    let containers = spec(&schema, &format!("{pod}/containers"));
    assert_eq!(containers["x-kubernetes-list-type"], "map");
    assert_eq!(containers["x-kubernetes-list-map-keys"], json!(["name"]));
    let container = "/containers/items/properties";
    let ports = spec(&schema, &format!("{pod}{container}/ports"));
    assert_eq!(ports["x-kubernetes-list-type"], "map");
    assert_eq!(
        ports["x-kubernetes-list-map-keys"],
        json!(["containerPort", "protocol"])
    );
    assert_eq!(ports["items"]["properties"]["protocol"]["default"], "TCP");
    let env = spec(&schema, &format!("{pod}{container}/env"));
    assert_eq!(env["x-kubernetes-list-type"], "map");
    assert_eq!(
        spec(&schema, &format!("{pod}/nodeSelector"))["x-kubernetes-map-type"],
        "atomic"
    );
    let limit = spec(
        &schema,
        &format!("{pod}{container}/resources/properties/limits/additionalProperties"),
    );
    assert_eq!(limit["x-kubernetes-int-or-string"], true);
    assert_eq!(
        limit["anyOf"],
        json!([{ "type": "integer" }, { "type": "string" }])
    );
    assert!(limit["pattern"].is_string());
    // A schemars attribute that does not replace the schema keeps the type recognised.
    assert_eq!(
        spec(&schema, "/init/items/properties/ports")["x-kubernetes-list-type"],
        "map"
    );
    // A list of Kubernetes types directly in the spec.
    assert_eq!(
        spec(&schema, "/sidecars")["x-kubernetes-list-type"],
        Value::Null
    );
    assert_eq!(
        spec(&schema, "/sidecars/items/properties/ports")["x-kubernetes-list-type"],
        "map"
    );
    // The metadata of an embedded template is a bare object, as controller-gen writes it.
    let metadata = spec(&schema, "/template/properties/metadata");
    assert_eq!(metadata["type"], "object");
    assert_eq!(metadata.get("properties"), None);
}

#[test]
fn item_and_value_markers_apply_to_each_item_and_value() {
    let schema = schema();
    let hosts = spec(&schema, "/hosts");
    assert_eq!(hosts["maxItems"], 10);
    assert_eq!(hosts["items"]["maxLength"], 253);
    assert_eq!(hosts["items"]["pattern"], "^[a-z0-9.-]+$");
    let ports = spec(&schema, "/ports/additionalProperties");
    assert_eq!(ports["minimum"].as_f64(), Some(1.0));
    assert_eq!(ports["maximum"].as_f64(), Some(65535.0));
    let grid = spec(&schema, "/grid/items");
    assert_eq!(grid["maxItems"], 3);
    assert_eq!(grid["items"]["maxLength"], 8);
}

#[test]
fn title_example_type_override_and_schemaless() {
    let schema = schema();
    let concurrency = spec(&schema, "/concurrency");
    assert_eq!(concurrency["title"], "Concurrency policy");
    assert_eq!(concurrency["example"], "Forbid");
    let start = spec(&schema, "/start");
    assert_eq!(start["type"], "string");
    assert_eq!(start.get("properties"), None);
    let extra = spec(&schema, "/extra");
    assert_eq!(
        extra,
        json!({
            "description": "Anything; kept as sent.",
            "type": "object",
            "x-kubernetes-preserve-unknown-fields": true,
        })
    );
}

#[test]
fn nullable_only_where_marked() {
    let schema = schema();
    let concurrency = spec(&schema, "/concurrency");
    assert_eq!(concurrency["enum"], json!(["Allow", "Forbid", "Replace"]));
    assert_eq!(concurrency.get("nullable"), None);
    // An `enum` marker on a field of an enum type replaces the type's values.
    let policy = spec(&schema, "/policy");
    assert_eq!(policy["enum"], json!(["Allow", "Forbid"]));
    assert_eq!(policy["default"], "Allow");
    let weights = spec(&schema, "/weights/additionalProperties");
    assert_eq!(weights.get("nullable"), None);
    assert_eq!(
        spec(&schema, "/targetPort"),
        json!({
            "description": "A port by number or name.",
            "anyOf": [{ "type": "integer" }, { "type": "string" }],
            "x-kubernetes-int-or-string": true,
        })
    );
    assert_eq!(schema.pointer("/properties/status/nullable"), None);
}

#[test]
fn raw_extensions_keep_unknown_fields_and_may_be_embedded_resources() {
    let schema = schema();
    let payload = spec(&schema, "/payload");
    assert_eq!(payload["x-kubernetes-embedded-resource"], true);
    assert_eq!(payload["x-kubernetes-preserve-unknown-fields"], true);
    assert_eq!(payload["type"], "object");
}

#[test]
fn the_plural_comes_from_the_kind_and_the_root_has_the_envelope() {
    let crd = runner_crd();
    assert_eq!(crd.spec.names.plural, "runners");
    assert_eq!(crd.spec.names.singular.as_deref(), Some("myrunner"));
    assert_eq!(
        crd.metadata.name.as_deref(),
        Some("runners.conformance.kubesmith.dev")
    );
    assert_eq!(Runner::crd_name(), "runners.conformance.kubesmith.dev");
    let schema = schema();
    assert_eq!(schema.get("title"), None);
    for (property, schema_type) in [
        ("apiVersion", "string"),
        ("kind", "string"),
        ("metadata", "object"),
    ] {
        assert_eq!(schema["properties"][property]["type"], schema_type);
    }
}

/// Applies `containers` to the pod set `name` as `manager`.
async fn apply_containers(
    api: &Api<DynamicObject>,
    name: &str,
    manager: &str,
    containers: Value,
) -> DynamicObject {
    let object = json!({
        "apiVersion": "conformance.kubesmith.dev/v1",
        "kind": "PodSet",
        "metadata": { "name": name },
        "spec": { "template": { "spec": { "containers": containers } } },
    });
    api.patch(
        name,
        &PatchParams::apply(manager).force(),
        &Patch::Apply(&object),
    )
    .await
    .unwrap_or_else(|error| panic!("apply as {manager}: {error}"))
}

#[tokio::test]
async fn two_managers_each_owning_a_container_both_keep_theirs() {
    let env = shared().await;
    let crd = kubesmith::schema::crd::<PodSet>().unwrap_or_else(|error| panic!("{error}"));
    env.install_crds(&kubesmith::envtest::CrdInstallOptions::default().crd(crd))
        .await
        .expect("the API server accepts the PodSet CRD");
    let namespace = env.create_namespace("ssa").await.expect("a namespace");
    let gvk = GroupVersionKind::gvk("conformance.kubesmith.dev", "v1", "PodSet");
    let resource = ApiResource::from_gvk_with_plural(&gvk, "podsets");
    let client = env.client().expect("a client");
    let api: Api<DynamicObject> = Api::namespaced_with(client, &namespace, &resource);
    apply_containers(
        &api,
        "web",
        "app-team",
        json!([{ "name": "app", "image": "example.com/app:v1" }]),
    )
    .await;
    let merged = apply_containers(
        &api,
        "web",
        "mesh-injector",
        json!([{ "name": "proxy", "image": "example.com/proxy:v1", "ports": [{ "containerPort": 15001 }] }]),
    )
    .await;
    let containers = merged.data["spec"]["template"]["spec"]["containers"]
        .as_array()
        .expect("containers")
        .iter()
        .map(|container| container["name"].as_str().unwrap_or_default().to_string())
        .collect::<Vec<_>>();
    assert_eq!(containers, ["app", "proxy"], "merged by name");
    let port = &merged.data["spec"]["template"]["spec"]["containers"][1]["ports"][0];
    assert_eq!(port["protocol"], "TCP", "defaulted by the server");
}
