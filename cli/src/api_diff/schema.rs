//! An `openAPIV3Schema` flattened into one [`Field`] per JSON path.
//!
//! Paths are written the way a user reads an object: properties joined with `.`
//! (`spec.template.containers`), list items as `[*]` (`spec.containers[*].name`), map values as
//! `.*` (`spec.selector.matchLabels.*`). The schema root is [`ROOT`].

use std::collections::BTreeMap;

use serde_json::{Map, Value};

/// The path of the schema root (the whole object).
pub const ROOT: &str = ".";

/// Keywords that only document a schema: changing them changes no object.
const DOCUMENTATION: &[&str] = &["description", "title", "example", "externalDocs"];

/// One node of a schema: its own keywords, without its children.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// The keywords of the node (`type`, `maximum`, `x-kubernetes-validations`, ...), without
    /// `properties`, `items`, `additionalProperties`, `required` and documentation.
    pub keywords: Map<String, Value>,
    /// Whether the parent object lists it in `required`.
    pub required: bool,
    /// The path of the parent node; `None` for the root.
    pub parent: Option<String>,
}

impl Field {
    /// The value of a keyword.
    pub fn get(&self, keyword: &str) -> Option<&Value> {
        self.keywords.get(keyword)
    }

    /// A short name of its type: `string`, `int-or-string`, `any` (unknown fields kept), ...
    pub fn type_name(&self) -> String {
        if self.get("x-kubernetes-int-or-string") == Some(&Value::Bool(true)) {
            return "int-or-string".into();
        }
        match self.get("type").and_then(Value::as_str) {
            Some(name) => name.into(),
            None => "any".into(),
        }
    }
}

/// Every node of `schema` by its path; an empty map for a missing (`null`) schema.
///
/// ```
/// use kubesmith_cli::api_diff::schema::flatten;
///
/// let schema = serde_json::json!({
///     "type": "object",
///     "properties": {"spec": {
///         "type": "object",
///         "required": ["containers"],
///         "properties": {"containers": {
///             "type": "array",
///             "items": {"type": "object", "properties": {"name": {"type": "string"}}},
///         }},
///     }},
/// });
/// let fields = flatten(&schema);
/// assert!(fields["spec.containers"].required);
/// assert_eq!(fields["spec.containers[*].name"].type_name(), "string");
/// assert_eq!(fields.len(), 5); // ., spec, spec.containers, spec.containers[*], ...name
/// ```
pub fn flatten(schema: &Value) -> BTreeMap<String, Field> {
    let mut fields = BTreeMap::new();
    if schema.is_object() {
        walk(schema, ROOT.into(), None, false, &mut fields);
    }
    fields
}

/// Adds the node at `path` and its descendants.
fn walk(
    node: &Value,
    path: String,
    parent: Option<String>,
    required: bool,
    fields: &mut BTreeMap<String, Field>,
) {
    let Some(object) = node.as_object() else {
        return;
    };
    let required_names: Vec<&str> = object
        .get("required")
        .and_then(Value::as_array)
        .map(|names| names.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut keywords = Map::new();
    let mut children = Vec::new();
    for (key, value) in object {
        match key.as_str() {
            "properties" if value.is_object() => {
                for (name, child) in value.as_object().into_iter().flatten() {
                    let is_required = required_names.contains(&name.as_str());
                    children.push((child_path(&path, name), child, is_required));
                }
            }
            "items" if value.is_object() => children.push((format!("{path}[*]"), value, false)),
            "additionalProperties" if value.is_object() => {
                children.push((child_path(&path, "*"), value, false));
            }
            "required" => {}
            key if DOCUMENTATION.contains(&key) => {}
            _ => {
                keywords.insert(key.clone(), value.clone());
            }
        }
    }
    fields.insert(
        path.clone(),
        Field {
            keywords,
            required,
            parent,
        },
    );
    for (child, value, is_required) in children {
        walk(value, child, Some(path.clone()), is_required, fields);
    }
}

/// The path of the child `name` of `parent`.
fn child_path(parent: &str, name: &str) -> String {
    if parent == ROOT {
        name.into()
    } else {
        format!("{parent}.{name}")
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn maps_lists_and_documentation() {
        let fields = flatten(&json!({
            "type": "object",
            "description": "the root",
            "properties": {"spec": {"type": "object", "properties": {
                "labels": {"type": "object", "additionalProperties": {"type": "string", "maxLength": 63}},
                "ports": {"type": "array", "x-kubernetes-list-type": "map",
                          "items": {"type": "object", "required": ["port"],
                                    "properties": {"port": {"type": "integer"}}}},
            }}},
        }));
        let paths: Vec<&str> = fields.keys().map(String::as_str).collect();
        assert_eq!(
            paths,
            [
                ".",
                "spec",
                "spec.labels",
                "spec.labels.*",
                "spec.ports",
                "spec.ports[*]",
                "spec.ports[*].port"
            ]
        );
        assert!(!fields["."].keywords.contains_key("description"));
        assert_eq!(fields["spec.labels.*"].get("maxLength"), Some(&json!(63)));
        assert!(fields["spec.ports[*].port"].required);
        assert_eq!(
            fields["spec.ports[*].port"].parent.as_deref(),
            Some("spec.ports[*]")
        );
        assert!(!fields["spec.ports"].keywords.contains_key("items"));
    }
}
