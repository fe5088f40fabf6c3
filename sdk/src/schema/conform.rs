//! A CRD version's schema, after kube-derive built it, as controller-gen writes it: the root
//! with `apiVersion`, `kind` and `metadata` properties, no `title` and a `status` that is not
//! nullable; int-or-strings with the typed `anyOf` (kube-derive's rewriting strips the types of
//! `anyOf` branches) and nullable only where marked (kube-derive makes every optional one
//! nullable).

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::JSONSchemaProps;
use serde_json::{Map, Value, json};

use std::collections::BTreeSet;

use super::names::RustNames;
use super::transform::drop_null;

/// Rewrites the schema of one version; `names` tells which fields are marked `nullable`.
pub fn conform(schema: &mut JSONSchemaProps, names: &RustNames) {
    let Ok(Value::Object(mut root)) = serde_json::to_value(&*schema) else {
        return;
    };
    walk(&mut root, names);
    root.remove("title");
    let properties = root
        .entry("properties")
        .or_insert_with(|| Value::Object(Map::new()));
    if let Value::Object(properties) = properties {
        if let Some(Value::Object(status)) = properties.get_mut("status") {
            drop_null(status);
        }
        let envelope = [
            (
                "apiVersion",
                json!({
                    "description": "The versioned schema of this object (group/version); servers convert recognized schemas to their latest internal value and may reject unrecognized values.",
                    "type": "string",
                }),
            ),
            (
                "kind",
                json!({
                    "description": "The REST resource this object represents, in CamelCase; servers may infer it from the endpoint the client submits requests to. It cannot be updated.",
                    "type": "string",
                }),
            ),
            ("metadata", json!({ "type": "object" })),
        ];
        for (name, property) in envelope {
            properties.entry(name).or_insert(property);
        }
    }
    if let Ok(conformed) = serde_json::from_value(Value::Object(root)) {
        *schema = conformed;
    }
}

/// Gives every int-or-string below `node` the typed `anyOf` and drops its `nullable` unless
/// the field is marked so; a field with an `enum` marker gets exactly the marker's values.
fn walk(node: &mut Map<String, Value>, names: &RustNames) {
    if node.get("x-kubernetes-int-or-string") == Some(&Value::Bool(true)) {
        node.insert(
            "anyOf".into(),
            json!([{ "type": "integer" }, { "type": "string" }]),
        );
    }
    if let Some(Value::Object(properties)) = node.get_mut("properties") {
        let keys: BTreeSet<String> = properties.keys().cloned().collect();
        let keys: BTreeSet<&str> = keys.iter().map(String::as_str).collect();
        for (name, property) in properties.iter_mut() {
            if let Value::Object(property) = property {
                if property.get("x-kubernetes-int-or-string") == Some(&Value::Bool(true))
                    && !names.marked_nullable(&keys, name)
                {
                    property.remove("nullable");
                }
                // kube-derive hoists the variants of a Rust enum into the field's `enum`, after
                // the values of the field's `enum` marker: the marker's values are the ones.
                if let Some(values) = names.marked_enum(&keys, name) {
                    property.insert("enum".into(), values);
                }
                walk(property, names);
            }
        }
    }
    for key in ["items", "additionalProperties"] {
        if let Some(Value::Object(inner)) = node.get_mut(key) {
            walk(inner, names);
        }
    }
}
