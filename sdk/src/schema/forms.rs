//! Schema forms controller-gen writes for values that are an integer or a string.

use serde_json::{Map, Value, json};

/// Makes `node` an int-or-string as controller-gen writes it: no type, the extension, and
/// `anyOf` integer or string (which clients that read the schema as OpenAPI need).
pub(crate) fn int_or_string(node: &mut Map<String, Value>) {
    node.remove("type");
    node.remove("format");
    node.insert(
        "anyOf".into(),
        json!([{ "type": "integer" }, { "type": "string" }]),
    );
    node.insert("x-kubernetes-int-or-string".into(), Value::Bool(true));
}
