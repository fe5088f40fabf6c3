//! The API server's structural-schema rules, plus list-type, default and CEL checks per node.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use super::cel;
use super::names::RustNames;
use super::value::validate_value;

const TYPES: &[&str] = &["object", "array", "string", "integer", "number", "boolean"];
const JUNCTORS: &[&str] = &["allOf", "anyOf", "oneOf", "not"];
/// Keys a value validation (a schema under a junctor) must not set.
const FORBIDDEN_IN_JUNCTORS: &[&str] = &[
    "description",
    "type",
    "default",
    "additionalProperties",
    "nullable",
];

/// Where a node sits.
#[derive(Clone)]
struct At {
    path: String,
    rust: Option<String>,
    /// The node is the root's `metadata`.
    metadata: bool,
}

/// Walks one version's schema and collects `(path, rust, message)` problems.
pub struct Walker<'a> {
    names: &'a RustNames,
    problems: Vec<(String, Option<String>, String)>,
}

impl<'a> Walker<'a> {
    /// A walker naming nodes with `names`.
    pub fn new(names: &'a RustNames) -> Self {
        Walker {
            names,
            problems: Vec::new(),
        }
    }

    /// The problems found.
    pub fn finish(self) -> Vec<(String, Option<String>, String)> {
        self.problems
    }

    fn report(&mut self, at: &At, message: impl Into<String>) {
        self.problems
            .push((at.path.clone(), at.rust.clone(), message.into()));
    }

    /// Checks the root schema of a version.
    pub fn root(&mut self, schema: &Value) {
        let at = At {
            path: "<root>".into(),
            rust: None,
            metadata: false,
        };
        if schema.get("type").and_then(Value::as_str) != Some("object") {
            self.report(&at, "the root schema must have type: object");
        }
        self.node(schema, &at);
    }

    fn node(&mut self, schema: &Value, at: &At) {
        let Some(node) = schema.as_object() else {
            self.report(at, format!("expected a schema object, found `{schema}`"));
            return;
        };
        let flag = |key: &str| node.get(key).and_then(Value::as_bool) == Some(true);
        let int_or_string = flag("x-kubernetes-int-or-string");
        let preserve = flag("x-kubernetes-preserve-unknown-fields");
        let ty = node.get("type").and_then(Value::as_str);
        match ty {
            None if !int_or_string && !preserve => self.report(
                at,
                "has no type: every node of a structural schema needs one (or x-kubernetes-int-or-string / x-kubernetes-preserve-unknown-fields)",
            ),
            Some(ty) if !TYPES.contains(&ty) => {
                self.report(at, format!("type must be one of {}, found {ty:?}", TYPES.join(", ")))
            }
            Some(ty) if int_or_string => self.report(
                at,
                format!("x-kubernetes-int-or-string nodes must not set a type, found {ty:?}"),
            ),
            _ => {}
        }
        self.common(node, ty, at);
        if at.metadata {
            self.metadata(node, at);
        }
        if let Some(default) = node.get("default") {
            if at.metadata || at.path.starts_with("metadata") {
                self.report(at, "defaults are not allowed in metadata");
            }
            for error in validate_value(schema, default) {
                self.report(
                    at,
                    format!("default {default} does not satisfy its own schema: {error}"),
                );
            }
        }
        if let Some(Value::Array(rules)) = node.get("x-kubernetes-validations") {
            for rule in rules {
                for error in cel::check_rule(rule, schema) {
                    self.report(at, error);
                }
            }
        }
        for junctor in JUNCTORS {
            if let Some(value) = node.get(*junctor) {
                let subschemas = match value {
                    Value::Array(items) => items.iter().collect::<Vec<_>>(),
                    other => vec![other],
                };
                for sub in subschemas {
                    self.junctor(
                        sub,
                        node,
                        int_or_string,
                        &At {
                            path: format!("{}.{junctor}", at.path),
                            ..at.clone()
                        },
                    );
                }
            }
        }
        self.children(node, at);
    }

    /// Rules every node follows, also inside junctors.
    fn common(&mut self, node: &Map<String, Value>, ty: Option<&str>, at: &At) {
        if node.contains_key("properties") && node.contains_key("additionalProperties") {
            self.report(
                at,
                "properties and additionalProperties are mutually exclusive",
            );
        }
        if let Some(Value::Bool(allowed)) = node.get("additionalProperties") {
            self.report(at, format!("additionalProperties must be a schema, found {allowed}; use x-kubernetes-preserve-unknown-fields"));
        }
        if node.contains_key("$ref") {
            self.report(at, "$ref is not allowed; inline the schema");
        }
        if node.get("uniqueItems").and_then(Value::as_bool) == Some(true) {
            self.report(
                at,
                "uniqueItems: true is not allowed; use x-kubernetes-list-type: set",
            );
        }
        if matches!(node.get("items"), Some(Value::Array(_))) {
            self.report(at, "items must be a single schema, found a list");
        }
        if ty == Some("array") && !node.contains_key("items") {
            self.report(at, "type array needs items");
        }
        if let Some(pattern) = node.get("pattern").and_then(Value::as_str)
            && let Err(error) = regex::Regex::new(pattern)
        {
            self.report(at, format!("pattern {pattern:?} does not compile: {error}"));
        }
        self.list_type(node, ty, at);
        if node.contains_key("x-kubernetes-map-type") && ty != Some("object") {
            self.report(
                at,
                format!("x-kubernetes-map-type needs type object, found {ty:?}"),
            );
        }
        if node
            .get("x-kubernetes-embedded-resource")
            .and_then(Value::as_bool)
            == Some(true)
        {
            if ty != Some("object") {
                self.report(at, "x-kubernetes-embedded-resource needs type object");
            }
            let preserve = node
                .get("x-kubernetes-preserve-unknown-fields")
                .and_then(Value::as_bool)
                == Some(true);
            if !preserve && !node.contains_key("properties") {
                self.report(at, "x-kubernetes-embedded-resource needs properties or x-kubernetes-preserve-unknown-fields");
            }
        }
    }

    fn list_type(&mut self, node: &Map<String, Value>, ty: Option<&str>, at: &At) {
        let list_type = node.get("x-kubernetes-list-type").and_then(Value::as_str);
        let keys = node.get("x-kubernetes-list-map-keys");
        if list_type.is_some() && ty != Some("array") {
            self.report(
                at,
                format!("x-kubernetes-list-type needs type array, found {ty:?}"),
            );
        }
        if keys.is_some() && list_type != Some("map") {
            self.report(
                at,
                "x-kubernetes-list-map-keys needs x-kubernetes-list-type: map",
            );
        }
        let items = node.get("items").and_then(Value::as_object);
        let item_type = items
            .and_then(|items| items.get("type"))
            .and_then(Value::as_str);
        match list_type {
            Some("map") => {
                if item_type != Some("object") {
                    self.report(
                        at,
                        format!(
                            "x-kubernetes-list-type: map needs object items, found {item_type:?}"
                        ),
                    );
                    return;
                }
                let keys: Vec<&str> = keys
                    .and_then(Value::as_array)
                    .map(|keys| keys.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                if keys.is_empty() {
                    self.report(
                        at,
                        "x-kubernetes-list-type: map needs x-kubernetes-list-map-keys",
                    );
                }
                let empty = Map::new();
                let items = items.unwrap_or(&empty);
                let required: BTreeSet<&str> = items
                    .get("required")
                    .and_then(Value::as_array)
                    .map(|r| r.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                for key in keys {
                    let Some(property) = items.get("properties").and_then(|p| p.get(key)) else {
                        self.report(
                            at,
                            format!("list map key {key:?} is not a property of the items"),
                        );
                        continue;
                    };
                    let key_type = property.get("type").and_then(Value::as_str);
                    if !matches!(key_type, Some("string" | "integer" | "number" | "boolean")) {
                        self.report(
                            at,
                            format!(
                                "list map key {key:?} must be a scalar, found type {key_type:?}"
                            ),
                        );
                    }
                    if !required.contains(key) && property.get("default").is_none() {
                        self.report(
                            at,
                            format!("list map key {key:?} must be required or have a default"),
                        );
                    }
                }
            }
            Some("set") => {
                let atomic = items
                    .and_then(|items| {
                        items
                            .get("x-kubernetes-map-type")
                            .or(items.get("x-kubernetes-list-type"))
                    })
                    .and_then(Value::as_str)
                    == Some("atomic");
                if matches!(item_type, Some("object" | "array")) && !atomic {
                    self.report(
                        at,
                        "x-kubernetes-list-type: set needs scalar or atomic items",
                    );
                }
            }
            Some("atomic") | None => {}
            Some(other) => self.report(
                at,
                format!("x-kubernetes-list-type must be atomic, set or map, found {other:?}"),
            ),
        }
    }

    /// The root's `metadata` may only restrict `name` and `generateName`.
    fn metadata(&mut self, node: &Map<String, Value>, at: &At) {
        for key in node.keys() {
            if !matches!(key.as_str(), "type" | "properties" | "description") {
                self.report(
                    at,
                    format!("metadata may only restrict name and generateName, found {key:?}"),
                );
            }
        }
        if let Some(Value::Object(properties)) = node.get("properties") {
            for key in properties.keys() {
                if !matches!(key.as_str(), "name" | "generateName") {
                    self.report(at, format!("metadata may only restrict name and generateName, found property {key:?}"));
                }
            }
        }
    }

    /// A value validation under allOf/anyOf/oneOf/not.
    fn junctor(
        &mut self,
        schema: &Value,
        outer: &Map<String, Value>,
        int_or_string: bool,
        at: &At,
    ) {
        let Some(node) = schema.as_object() else {
            self.report(at, format!("expected a schema object, found `{schema}`"));
            return;
        };
        for key in FORBIDDEN_IN_JUNCTORS {
            // x-kubernetes-int-or-string allows `anyOf: [{type: integer}, {type: string}]`.
            if *key == "type" && int_or_string {
                continue;
            }
            if node.contains_key(*key) {
                self.report(
                    at,
                    format!("{key} is not allowed inside allOf/anyOf/oneOf/not"),
                );
            }
        }
        if let Some(Value::Object(properties)) = node.get("properties") {
            let outer_properties = outer.get("properties").and_then(Value::as_object);
            for key in properties.keys() {
                if !outer_properties.is_some_and(|outer| outer.contains_key(key)) {
                    self.report(at, format!("property {key:?} is only specified inside a junctor; declare it outside too"));
                }
            }
        }
        if node.contains_key("items") && !outer.contains_key("items") {
            self.report(
                at,
                "items are only specified inside a junctor; declare them outside too",
            );
        }
        self.common(node, None, at);
        for junctor in JUNCTORS {
            if let Some(Value::Array(items)) = node.get(*junctor) {
                for sub in items {
                    self.junctor(sub, outer, int_or_string, at);
                }
            }
        }
    }

    fn children(&mut self, node: &Map<String, Value>, at: &At) {
        if let Some(Value::Object(properties)) = node.get("properties") {
            let keys: BTreeSet<&str> = properties.keys().map(String::as_str).collect();
            for (key, child) in properties {
                let path = if at.path == "<root>" {
                    key.clone()
                } else {
                    format!("{}.{key}", at.path)
                };
                let rust = self.names.field(&keys, key);
                let metadata = at.path == "<root>" && key == "metadata";
                self.node(
                    child,
                    &At {
                        path,
                        rust,
                        metadata,
                    },
                );
            }
        }
        // Map values and list items share the Rust field of their container.
        for key in ["additionalProperties", "items"] {
            if let Some(child @ Value::Object(_)) = node.get(key) {
                let path = format!("{}[*]", at.path);
                let rust = at.rust.clone();
                self.node(
                    child,
                    &At {
                        path,
                        rust,
                        metadata: false,
                    },
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn problems(schema: Value) -> Vec<String> {
        let names = RustNames::default();
        let mut walker = Walker::new(&names);
        walker.root(&schema);
        walker
            .finish()
            .into_iter()
            .map(|(path, _, message)| format!("{path}: {message}"))
            .collect()
    }

    fn assert_found(found: &[String], needle: &str) {
        assert!(
            found.iter().any(|p| p.contains(needle)),
            "{needle:?} not in {found:?}"
        );
    }

    fn spec(spec: Value) -> Value {
        json!({ "type": "object", "properties": { "spec": spec } })
    }

    #[test]
    fn a_node_without_type_is_not_structural() {
        let found = problems(spec(json!({ "type": "object", "properties": { "a": {} } })));
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].starts_with("spec.a: has no type"), "{found:?}");
    }

    #[test]
    fn int_or_string_and_preserve_unknown_fields_need_no_type() {
        let found = problems(spec(json!({ "type": "object", "properties": {
            "port": { "x-kubernetes-int-or-string": true, "anyOf": [{ "type": "integer" }, { "type": "string" }] },
            "raw": { "x-kubernetes-preserve-unknown-fields": true },
        } })));
        assert!(found.is_empty(), "{found:?}");
    }

    #[test]
    fn junctors_may_not_set_types_or_defaults_or_new_properties() {
        let found = problems(spec(
            json!({ "type": "object", "properties": { "a": { "type": "string" } },
            "oneOf": [{ "type": "object" }, { "properties": { "b": { "default": 1 } } }] }),
        ));
        assert_found(&found, "type is not allowed inside");
        assert_found(&found, "property \"b\" is only specified inside");
    }

    #[test]
    fn properties_and_additional_properties_are_exclusive() {
        let found = problems(spec(
            json!({ "type": "object", "properties": { "a": { "type": "string" } },
            "additionalProperties": { "type": "string" } }),
        ));
        assert_found(&found, "mutually exclusive");
    }

    #[test]
    fn metadata_may_only_restrict_name_and_generate_name() {
        let found = problems(
            json!({ "type": "object", "properties": { "metadata": { "type": "object",
            "properties": { "labels": { "type": "object" } } } } }),
        );
        assert_found(&found, "found property \"labels\"");
    }

    #[test]
    fn list_map_keys_must_exist_and_be_required_or_defaulted() {
        let found = problems(spec(json!({ "type": "object", "properties": { "ports": {
            "type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name", "port"],
            "items": { "type": "object", "properties": { "name": { "type": "string" } } } } } })));
        assert_found(&found, "\"port\" is not a property");
        assert_found(&found, "\"name\" must be required or have a default");
    }

    #[test]
    fn arrays_need_items_and_unique_items_is_refused() {
        let found = problems(spec(json!({ "type": "object", "properties": {
            "a": { "type": "array" }, "b": { "type": "array", "uniqueItems": true, "items": { "type": "string" } } } })));
        assert_found(&found, "spec.a: type array needs items");
        assert_found(&found, "spec.b: uniqueItems");
    }

    #[test]
    fn defaults_must_satisfy_their_schema() {
        let found = problems(spec(json!({ "type": "object", "properties": {
            "a": { "type": "integer", "minimum": 1, "default": 0 } } })));
        assert_found(&found, "spec.a: default 0 does not satisfy");
    }
}
