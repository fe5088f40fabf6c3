//! Kubernetes' own types embedded in a custom resource (a `PodTemplateSpec` in a spec, a
//! `Vec<Container>`), written as controller-gen writes them.
//!
//! k8s-openapi's schemas lack the list, map and struct semantics and the defaults that
//! Kubernetes publishes for its types; without `x-kubernetes-list-type: map` the API server
//! treats `containers` as one atomic value and server-side apply from two managers replaces
//! instead of merging by name. `kubernetes.json` holds those extensions, taken from the
//! API server's `/openapi/v3` documents of the k8s-openapi version (the `envtest` test
//! `the_embedded_types_table_is_what_the_api_server_publishes` checks and regenerates it).
//! Fields are recognised by the schemars name of their Rust type, which k8s-openapi sets to
//! the OpenAPI definition name.

use std::sync::LazyLock;

use serde_json::{Map, Value, json};

use super::forms::int_or_string;

/// Definition name → table node (`x`: extensions; `required`: the required properties;
/// `ref`: the definition the node is; `properties`, `items`, `additionalProperties`: nested
/// nodes).
static TABLE: LazyLock<Map<String, Value>> = LazyLock::new(|| {
    serde_json::from_str(include_str!("kubernetes.json")).expect("kubernetes.json is a JSON object")
});

const INT_OR_STRING: &str = "io.k8s.apimachinery.pkg.util.intstr.IntOrString";
const QUANTITY: &str = "io.k8s.apimachinery.pkg.api.resource.Quantity";
const OBJECT_META: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";
const CONDITION: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.Condition";
const RAW_EXTENSION: &str = "io.k8s.apimachinery.pkg.runtime.RawExtension";
/// schemars' name of `serde_json::Value`.
const ANY_VALUE: &str = "AnyValue";
const PRESERVE: &str = "x-kubernetes-preserve-unknown-fields";

/// Types that embed `LocalObjectReference` inline in Go: controller-gen carries its
/// `+structType=atomic` over to them, the published schemas do not.
const INLINE_ATOMIC_REFERENCE: &[&str] = &[
    "io.k8s.api.core.v1.ConfigMapEnvSource",
    "io.k8s.api.core.v1.SecretEnvSource",
    "io.k8s.api.core.v1.ConfigMapVolumeSource",
    "io.k8s.api.core.v1.ConfigMapProjection",
    "io.k8s.api.core.v1.SecretProjection",
];

/// Fields whose published `default` is not a default Kubernetes declares but openapi-gen's
/// zero value for a Go field without `omitempty` and without a `+default` marker (from the Go
/// sources of k8s.io/api v0.37.2). controller-gen writes no default for them, and some are
/// wrong: the API server defaults `onPodConditions[].status` to `True`, not `""`. Explicit zero
/// defaults (`+default=""` on `LocalObjectReference.name`, `+default=false` on an `optional`)
/// are kept, as controller-gen keeps them. A test checks each entry is in the table.
const IMPLICIT_ZERO_DEFAULTS: &[(&str, &str)] = &[
    ("io.k8s.api.apps.v1.ControllerRevision", "revision"),
    ("io.k8s.api.apps.v1.DaemonSetCondition", "status"),
    ("io.k8s.api.apps.v1.DaemonSetCondition", "type"),
    ("io.k8s.api.apps.v1.DeploymentCondition", "status"),
    ("io.k8s.api.apps.v1.DeploymentCondition", "type"),
    ("io.k8s.api.apps.v1.ReplicaSetCondition", "status"),
    ("io.k8s.api.apps.v1.ReplicaSetCondition", "type"),
    ("io.k8s.api.apps.v1.StatefulSetCondition", "status"),
    ("io.k8s.api.apps.v1.StatefulSetCondition", "type"),
    ("io.k8s.api.apps.v1.StatefulSetOrdinals", "start"),
    ("io.k8s.api.apps.v1.StatefulSetSpec", "serviceName"),
    ("io.k8s.api.apps.v1.StatefulSetStatus", "availableReplicas"),
    ("io.k8s.api.authentication.v1.TokenRequestStatus", "token"),
    (
        "io.k8s.api.batch.v1.PodFailurePolicyOnPodConditionsPattern",
        "status",
    ),
    ("io.k8s.api.core.v1.Event", "reportingComponent"),
    ("io.k8s.api.core.v1.Event", "reportingInstance"),
    ("io.k8s.api.core.v1.NodeRuntimeHandler", "name"),
    (
        "io.k8s.api.flowcontrol.v1.FlowSchemaSpec",
        "matchingPrecedence",
    ),
    ("io.k8s.api.flowcontrol.v1.QueuingConfiguration", "handSize"),
    (
        "io.k8s.api.flowcontrol.v1.QueuingConfiguration",
        "queueLengthLimit",
    ),
    ("io.k8s.api.flowcontrol.v1.QueuingConfiguration", "queues"),
    (
        "io.k8s.api.policy.v1.PodDisruptionBudgetStatus",
        "currentHealthy",
    ),
    (
        "io.k8s.api.policy.v1.PodDisruptionBudgetStatus",
        "desiredHealthy",
    ),
    (
        "io.k8s.api.policy.v1.PodDisruptionBudgetStatus",
        "disruptionsAllowed",
    ),
    (
        "io.k8s.api.policy.v1.PodDisruptionBudgetStatus",
        "expectedPods",
    ),
    ("io.k8s.api.rbac.v1.RoleRef", "apiGroup"),
    ("io.k8s.api.scheduling.v1.PriorityClass", "value"),
];

/// The pattern controller-gen gives every `resource.Quantity`.
const QUANTITY_PATTERN: &str = r"^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$";

/// Adds to `node`, the schema of a field whose Rust type has the schemars name
/// `schema_name`, what Kubernetes publishes for the Kubernetes types in it; `RawExtension`
/// and `serde_json::Value` keep unknown fields, as controller-gen's `RawExtension` and
/// `JSON` do.
///
/// ```
/// # use serde_json::json;
/// let mut node = json!({
///     "type": "array",
///     "items": { "type": "object", "properties": { "name": { "type": "string" } } },
/// });
/// kubesmith::schema::annotate_embedded(
///     node.as_object_mut().unwrap(),
///     "Array_of_io.k8s.api.core.v1.Container",
/// );
/// assert_eq!(node["items"]["properties"]["name"]["type"], "string");
/// ```
pub fn annotate_embedded(node: &mut Map<String, Value>, schema_name: &str) {
    let mut name = schema_name;
    let mut node = node;
    loop {
        let (rest, nested) = if let Some(rest) = name.strip_prefix("Nullable_") {
            (rest, None)
        } else if let Some(rest) = name
            .strip_prefix("Array_of_")
            .or_else(|| name.strip_prefix("Set_of_"))
        {
            (rest, Some("items"))
        } else if let Some(rest) = name.strip_prefix("Map_of_") {
            (rest, Some("additionalProperties"))
        } else {
            break;
        };
        name = rest;
        if let Some(key) = nested {
            match node.get_mut(key) {
                Some(Value::Object(inner)) => node = inner,
                _ => return,
            }
        }
    }
    if name == ANY_VALUE {
        node.insert(PRESERVE.into(), Value::Bool(true));
    } else if name.starts_with("io.k8s.") {
        apply_definition(node, name);
    }
}

fn apply_definition(node: &mut Map<String, Value>, name: &str) {
    match name {
        INT_OR_STRING => int_or_string(node),
        QUANTITY => {
            int_or_string(node);
            node.insert("pattern".into(), json!(QUANTITY_PATTERN));
        }
        // Embedded object metadata is a bare object: the API server keeps only name,
        // namespace, labels, annotations and finalizers of it anyway.
        OBJECT_META => {
            node.retain(|key, _| key == "description");
            node.insert("type".into(), json!("object"));
        }
        CONDITION => condition(node),
        name if INLINE_ATOMIC_REFERENCE.contains(&name) => {
            node.insert("x-kubernetes-map-type".into(), json!("atomic"));
        }
        // Any object, kept as sent (and may be marked an embedded resource).
        RAW_EXTENSION => {
            node.insert("type".into(), json!("object"));
            node.insert(PRESERVE.into(), Value::Bool(true));
        }
        _ => {}
    }
    if let Some(definition) = TABLE.get(name) {
        apply_node(node, definition, name);
    }
}

/// The validations `metav1.Condition` declares with kubebuilder markers in Go, which the API
/// server does not publish and controller-gen writes into every status with conditions.
fn condition(node: &mut Map<String, Value>) {
    let validations = json!({
        "type": {
            "maxLength": 316,
            "pattern": r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$",
        },
        "status": { "enum": ["True", "False", "Unknown"] },
        "observedGeneration": { "minimum": 0 },
        "reason": {
            "minLength": 1,
            "maxLength": 1024,
            "pattern": "^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$",
        },
        "message": { "maxLength": 32768 },
    });
    let (Some(Value::Object(properties)), Value::Object(validations)) =
        (node.get_mut("properties"), validations)
    else {
        return;
    };
    for (name, added) in validations {
        if let (Some(Value::Object(property)), Value::Object(added)) =
            (properties.get_mut(&name), added)
        {
            property.extend(added);
        }
    }
}

/// Applies the table node `table` to `node`; `definition` names the definition `table` is (empty
/// for a node nested in one).
fn apply_node(node: &mut Map<String, Value>, table: &Value, definition: &str) {
    if let Some(reference) = table.get("ref").and_then(Value::as_str) {
        apply_definition(node, reference);
    }
    if let Some(Value::Object(extensions)) = table.get("x") {
        for (key, value) in extensions {
            node.insert(key.clone(), value.clone());
        }
    }
    // Kubernetes' own list, which can differ from k8s-openapi's (a reference's `name`).
    match table.get("required") {
        Some(Value::Array(required)) if !required.is_empty() => {
            node.insert("required".into(), Value::Array(required.clone()));
        }
        Some(Value::Array(_)) => {
            node.remove("required");
        }
        _ => {}
    }
    if let (Some(Value::Object(properties)), Some(Value::Object(nodes))) =
        (table.get("properties"), node.get_mut("properties"))
    {
        for (name, child) in properties {
            if let Some(Value::Object(property)) = nodes.get_mut(name) {
                apply_node(property, child, "");
                if IMPLICIT_ZERO_DEFAULTS.contains(&(definition, name.as_str())) {
                    property.remove("default");
                }
            }
        }
    }
    for nested in ["items", "additionalProperties"] {
        if let (Some(child), Some(Value::Object(inner))) = (table.get(nested), node.get_mut(nested))
        {
            apply_node(inner, child, "");
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::{IMPLICIT_ZERO_DEFAULTS, TABLE, annotate_embedded};

    /// A node with a string property `name` of each object in `properties`.
    fn annotated(schema_name: &str, properties: &[&str]) -> Value {
        let properties: serde_json::Map<String, Value> = properties
            .iter()
            .map(|name| (name.to_string(), json!({"type": "string"})))
            .collect();
        let mut node = json!({"type": "object", "properties": properties});
        annotate_embedded(node.as_object_mut().expect("an object"), schema_name);
        node
    }

    #[test]
    fn implicit_zero_defaults_are_dropped_and_declared_ones_kept() {
        let pattern = annotated(
            "io.k8s.api.batch.v1.PodFailurePolicyOnPodConditionsPattern",
            &["status", "type"],
        );
        assert_eq!(pattern["properties"]["status"].get("default"), None);
        let reference = annotated("io.k8s.api.core.v1.LocalObjectReference", &["name"]);
        assert_eq!(reference["properties"]["name"]["default"], json!(""));
        let selector = annotated("io.k8s.api.core.v1.FileKeySelector", &["optional"]);
        assert_eq!(selector["properties"]["optional"]["default"], json!(false));
    }

    /// The list names fields of the table that have a zero default: a regenerated table that
    /// drops or changes one shows here.
    #[test]
    fn every_implicit_zero_default_is_in_the_table() {
        for (definition, field) in IMPLICIT_ZERO_DEFAULTS {
            let default = TABLE
                .get(*definition)
                .and_then(|node| node.get("properties"))
                .and_then(|properties| properties.get(*field))
                .and_then(|property| property.get("x"))
                .and_then(|extensions| extensions.get("default"));
            assert!(
                matches!(default, Some(Value::String(s)) if s.is_empty())
                    || matches!(default, Some(Value::Number(n)) if n.as_i64() == Some(0))
                    || default == Some(&Value::Bool(false)),
                "{definition}.{field}: {default:?}"
            );
        }
    }
}
