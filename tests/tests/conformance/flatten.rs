//! Flattening a CRD into `path → leaf value` pairs, the unit the comparison counts.
//!
//! A schema node's keys become path segments (`.properties.spec.properties.replicas.minimum`),
//! every `description` is dropped (prose is not behaviour), and a leaf is what the API server
//! reads as one fact:
//!
//! - a scalar;
//! - the whole value of `default`, `example` and `enum` (data, not schema);
//! - `required` as a sorted list (its order means nothing);
//! - any other list of scalars or empty list (`x-kubernetes-list-map-keys`, `shortNames`);
//! - an empty object (`status: {}`, `metadata: {type: object}` keeps its `type`).
//!
//! Lists of objects (`anyOf`, `x-kubernetes-validations`) are indexed: `.anyOf[0].type`.
//! Numbers are compared by value, so YAML's `1` and Rust's `1.0` are the same leaf.

use std::collections::BTreeMap;

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use serde_json::{Value, json};

/// A flattened tree: each path with its leaf value.
pub type Flat = BTreeMap<String, Value>;

/// Keys whose whole value is one leaf.
const WHOLE_VALUE_KEYS: &[&str] = &["default", "example", "enum"];

/// `tree` flattened, paths starting with `prefix`.
pub fn flatten(prefix: &str, tree: &Value) -> Flat {
    let mut flat = Flat::new();
    walk(prefix, None, tree, &mut flat);
    flat
}

/// The CRD-level facts of a single-version CRD (names, scope, the version's name, served,
/// storage, subresources and print columns), flattened under `crd`. Print columns are keyed
/// by name, with their order as one more leaf (`columnOrder`).
pub fn crd_facts(crd: &Value) -> Flat {
    let spec = &crd["spec"];
    let version = &spec["versions"][0];
    let columns = version["additionalPrinterColumns"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let column_order: Vec<Value> = columns
        .iter()
        .map(|column| column["name"].clone())
        .collect();
    let columns_by_name: serde_json::Map<String, Value> = columns
        .into_iter()
        .map(|column| {
            (
                column["name"].as_str().unwrap_or_default().to_string(),
                column,
            )
        })
        .collect();
    let facts = json!({
        "group": spec["group"],
        "names": spec["names"],
        "scope": spec["scope"],
        "versions": spec["versions"].as_array().map_or(0, Vec::len),
        "version": {
            "name": version["name"],
            "served": version["served"],
            "storage": version["storage"],
            "subresources": version["subresources"],
            "additionalPrinterColumns": columns_by_name,
            "columnOrder": column_order,
        },
    });
    flatten("crd", &facts)
}

/// The `openAPIV3Schema` of a single-version CRD, flattened under `schema`.
pub fn schema(crd: &Value) -> Flat {
    flatten(
        "schema",
        &crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"],
    )
}

/// `crd` as JSON, the form both sides are compared in.
pub fn crd_json(crd: &CustomResourceDefinition) -> Value {
    serde_json::to_value(crd).unwrap_or_else(|error| {
        unreachable!("a CustomResourceDefinition always serializes: {error}")
    })
}

fn walk(path: &str, key: Option<&str>, value: &Value, flat: &mut Flat) {
    match value {
        _ if key.is_some_and(|key| WHOLE_VALUE_KEYS.contains(&key)) => {
            flat.insert(path.to_string(), canonical(value));
        }
        Value::Array(items) if key == Some("required") => {
            let mut names: Vec<Value> = items.iter().map(canonical).collect();
            names.sort_by_key(Value::to_string);
            flat.insert(path.to_string(), Value::Array(names));
        }
        Value::Array(items) if items.iter().all(|item| !is_container(item)) => {
            flat.insert(path.to_string(), canonical(value));
        }
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                walk(&format!("{path}[{index}]"), None, item, flat);
            }
        }
        Value::Object(object) if object.is_empty() => {
            flat.insert(path.to_string(), value.clone());
        }
        Value::Object(object) => {
            for (child, item) in object.iter().filter(|(child, _)| *child != "description") {
                walk(&format!("{path}.{child}"), Some(child), item, flat);
            }
        }
        scalar => {
            flat.insert(path.to_string(), canonical(scalar));
        }
    }
}

fn is_container(value: &Value) -> bool {
    matches!(value, Value::Array(_) | Value::Object(_))
}

/// `value` with integral floating-point numbers written as integers, recursively.
fn canonical(value: &Value) -> Value {
    match value {
        Value::Number(number) => match number.as_f64() {
            Some(float) if number.is_f64() && float.fract() == 0.0 && float.abs() < 1e15 => {
                // Exact: the value is integral and well inside i64's range.
                json!(float as i64)
            }
            _ => value.clone(),
        },
        Value::Array(items) => Value::Array(items.iter().map(canonical).collect()),
        Value::Object(object) => Value::Object(
            object
                .iter()
                .map(|(key, item)| (key.clone(), canonical(item)))
                .collect(),
        ),
        _ => value.clone(),
    }
}

#[test]
fn flattening_keeps_facts_and_drops_prose() {
    let tree = json!({
        "description": "dropped",
        "type": "object",
        "required": ["b", "a"],
        "properties": {
            "size": {"type": "integer", "minimum": 1.0, "description": "dropped too"},
            "mode": {"type": "string", "enum": ["x", "y"], "default": "x"},
            "limits": {"type": "object", "default": {"cpu": 1.0}},
            "port": {"anyOf": [{"type": "integer"}, {"type": "string"}]},
            "free": {},
        },
    });
    let flat = flatten("s", &tree);
    let expected: Flat = [
        ("s.type", json!("object")),
        ("s.required", json!(["a", "b"])),
        ("s.properties.size.type", json!("integer")),
        ("s.properties.size.minimum", json!(1)),
        ("s.properties.mode.type", json!("string")),
        ("s.properties.mode.enum", json!(["x", "y"])),
        ("s.properties.mode.default", json!("x")),
        ("s.properties.limits.type", json!("object")),
        ("s.properties.limits.default", json!({"cpu": 1})),
        ("s.properties.port.anyOf[0].type", json!("integer")),
        ("s.properties.port.anyOf[1].type", json!("string")),
        ("s.properties.free", json!({})),
    ]
    .into_iter()
    .map(|(path, value)| (path.to_string(), value))
    .collect();
    assert_eq!(flat, expected);
}
