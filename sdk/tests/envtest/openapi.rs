//! The table of merge semantics of Kubernetes' own types (`sdk/src/schema/kubernetes.json`)
//! is what the API server of the k8s-openapi version publishes at `/openapi/v3`.
//!
//! Regenerate the table after a Kubernetes upgrade with
//!
//! ```text
//! KUBESMITH_UPDATE_GOLDEN=1 cargo test -p kubesmith --all-features --test envtest openapi
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::{Map, Value, json};

use crate::shared;

/// The extensions the table keeps: list, map and struct semantics, and defaults.
const KEPT: &[&str] = &[
    "x-kubernetes-list-type",
    "x-kubernetes-list-map-keys",
    "x-kubernetes-map-type",
    "default",
];

/// Definitions kept even without extensions: controller-gen writes them its own way
/// (`anyOf` integer-or-string; `metadata` of embedded templates as a bare object).
const SPECIAL: &[&str] = &[
    "io.k8s.apimachinery.pkg.util.intstr.IntOrString",
    "io.k8s.apimachinery.pkg.api.resource.Quantity",
    "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta",
];

#[tokio::test]
async fn the_embedded_types_table_is_what_the_api_server_publishes() {
    let env = shared().await;
    let client = env.client().expect("client");
    let index = get(&client, "/openapi/v3").await;
    let mut schemas = Map::new();
    let paths = index["paths"].as_object().expect("the /openapi/v3 index");
    // Kubernetes' own groups only: CRDs other tests install publish documents too.
    let built_in = |path: &str| {
        path == "api/v1"
            || path.strip_prefix("apis/").is_some_and(|group_version| {
                let group = group_version.split('/').next().unwrap_or_default();
                !group.contains('.') || group.ends_with(".k8s.io")
            })
    };
    for (path, entry) in paths.iter().filter(|(path, _)| built_in(path)) {
        let url = entry["serverRelativeURL"]
            .as_str()
            .unwrap_or_else(|| panic!("no document URL for {path}"));
        let document = get(&client, url).await;
        if let Some(Value::Object(components)) = document.pointer("/components/schemas") {
            let own = components
                .iter()
                .filter(|(name, _)| name.starts_with("io.k8s."));
            schemas.extend(own.map(|(name, schema)| (name.clone(), schema.clone())));
        }
    }
    assert!(
        schemas.contains_key("io.k8s.api.core.v1.PodSpec"),
        "the API server published no PodSpec"
    );
    let table = table(&schemas);
    let text = serde_json::to_string_pretty(&table).expect("JSON") + "\n";
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/schema/kubernetes.json");
    if std::env::var_os("KUBESMITH_UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &text).expect("write the table");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == text,
        "{} is not what this API server publishes; regenerate it with \
         KUBESMITH_UPDATE_GOLDEN=1 cargo test -p kubesmith --all-features --test envtest openapi",
        path.display()
    );
}

async fn get(client: &kube::Client, url: &str) -> Value {
    let request = http::Request::get(url).body(Vec::new()).expect("a request");
    let text = client.request_text(request).await.expect("GET {url}");
    serde_json::from_str(&text).expect("JSON")
}

/// The definitions whose subtree carries a kept extension or a `required` list, each as a
/// node: `x` its kept extensions, `required` (of an object with properties, possibly empty:
/// k8s-openapi's can differ), `ref` the definition it is, `properties`, `items`,
/// `additionalProperties`.
fn table(schemas: &Map<String, Value>) -> BTreeMap<String, Value> {
    let nodes: BTreeMap<String, Value> = schemas
        .iter()
        .map(|(name, schema)| (name.clone(), node(schema, false)))
        .collect();
    // A definition is needed when it, or a definition it refers to, keeps something; the
    // types controller-gen writes in a form of its own are needed wherever they appear.
    let mut needed: BTreeSet<String> = nodes
        .iter()
        .filter(|(name, node)| has_extension(node) || SPECIAL.contains(&name.as_str()))
        .map(|(name, _)| name.clone())
        .collect();
    loop {
        let more: Vec<String> = nodes
            .iter()
            .filter(|(name, node)| !needed.contains(*name) && refers_to(node, &needed))
            .map(|(name, _)| name.clone())
            .collect();
        if more.is_empty() {
            break;
        }
        needed.extend(more);
    }
    nodes
        .into_iter()
        .filter(|(name, _)| needed.contains(name))
        .map(|(name, node)| {
            let pruned = prune(node, &needed).unwrap_or_else(|| json!({}));
            (name, pruned)
        })
        .collect()
}

/// The table node of one schema; `required` whether its parent lists it as required.
fn node(schema: &Value, required: bool) -> Value {
    let mut out = Map::new();
    let kept: Map<String, Value> = KEPT
        .iter()
        .filter_map(|key| Some((key.to_string(), schema.get(*key)?.clone())))
        .filter(|(key, value)| key != "default" || explicit_default(value, required))
        .collect();
    if !kept.is_empty() {
        out.insert("x".into(), Value::Object(kept));
    }
    let reference = schema
        .get("$ref")
        .or_else(|| schema.pointer("/allOf/0/$ref"))
        .and_then(Value::as_str)
        .and_then(|reference| reference.rsplit('/').next());
    if let Some(reference) = reference {
        out.insert("ref".into(), json!(reference));
    }
    if let Some(Value::Object(properties)) = schema.get("properties") {
        let required: Vec<&str> = schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let properties: Map<String, Value> = properties
            .iter()
            .map(|(name, property)| {
                let child = node(property, required.contains(&name.as_str()));
                (name.clone(), child)
            })
            .collect();
        out.insert("properties".into(), Value::Object(properties));
        out.insert("required".into(), json!(required));
    }
    for nested in ["items", "additionalProperties"] {
        if let Some(inner) = schema.get(nested).filter(|inner| inner.is_object()) {
            out.insert(nested.into(), node(inner, false));
        }
    }
    Value::Object(out)
}

/// Whether a published default comes from a `+default` marker, which controller-gen writes
/// too: Kubernetes also publishes the zero value of every required field and `{}` for
/// embedded structs, which controller-gen does not.
fn explicit_default(value: &Value, required: bool) -> bool {
    let zero = match value {
        Value::String(text) => text.is_empty(),
        Value::Number(number) => number.as_f64() == Some(0.0),
        Value::Bool(flag) => !flag,
        Value::Object(map) => return !map.is_empty(),
        Value::Array(items) => items.is_empty(),
        Value::Null => true,
    };
    !(zero && required)
}

fn children(node: &Value) -> impl Iterator<Item = &Value> {
    let properties = node
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|properties| properties.values());
    let nested = ["items", "additionalProperties"]
        .into_iter()
        .filter_map(|key| node.get(key));
    properties.chain(nested)
}

fn has_extension(node: &Value) -> bool {
    node.get("x").is_some() || node.get("required").is_some() || children(node).any(has_extension)
}

fn refers_to(node: &Value, needed: &BTreeSet<String>) -> bool {
    node.get("ref")
        .and_then(Value::as_str)
        .is_some_and(|reference| needed.contains(reference))
        || children(node).any(|child| refers_to(child, needed))
}

/// `node` without the branches that carry nothing and refer to nothing needed.
fn prune(node: Value, needed: &BTreeSet<String>) -> Option<Value> {
    let Value::Object(node) = node else {
        return None;
    };
    let mut out = Map::new();
    for (key, value) in node {
        let kept = match key.as_str() {
            "x" | "required" => Some(value),
            "ref" => value
                .as_str()
                .filter(|reference| needed.contains(*reference))
                .map(|_| value.clone()),
            "properties" => {
                let Value::Object(properties) = value else {
                    continue;
                };
                let properties: Map<String, Value> = properties
                    .into_iter()
                    .filter_map(|(name, child)| Some((name, prune(child, needed)?)))
                    .collect();
                (!properties.is_empty()).then_some(Value::Object(properties))
            }
            _ => prune(value, needed),
        };
        if let Some(kept) = kept {
            out.insert(key, kept);
        }
    }
    (!out.is_empty()).then_some(Value::Object(out))
}
