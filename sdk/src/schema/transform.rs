//! Writing markers into a type's schemars schema (the transform `#[kubesmith::markers]` adds).

use serde_json::{Map, Value, json};

use kube::CustomResourceExt;

use super::forms::int_or_string;
use super::marker::{CelRule, Marker, PrintColumn, TypeMarkers};
use super::names;

/// A type whose schema carries `#[k8s(...)]` markers; implemented by `#[kubesmith::markers]`.
pub trait SchemaMarkers {
    /// The markers of the type and its fields.
    fn markers() -> TypeMarkers;

    /// Print columns declared on fields, with paths relative to this type (`.field`).
    fn print_columns() -> Vec<PrintColumn>;

    /// The schemars transform: writes the markers into the type's schema.
    fn apply_markers(schema: &mut schemars::Schema) {
        apply_markers(schema, &Self::markers());
    }
}

/// A custom resource kind whose spec (and status) carry markers; implemented by
/// `#[kubesmith::markers]` on the struct with `#[kube(...)]`.
pub trait CustomResourceMarkers: CustomResourceExt {
    /// Print columns of spec and status fields, with absolute JSONPaths.
    fn print_columns() -> Vec<PrintColumn>;

    /// Whether the kind has the status subresource although it has no status type
    /// (`#[k8s(subresource_status)]` on the spec, controller-gen's
    /// `+kubebuilder:subresource:status`): its status is then whatever the schema allows.
    fn subresource_status() -> bool {
        false
    }
}

/// Writes `markers` into `schema`, the schema schemars generated for the type they belong to.
///
/// ```
/// use kubesmith::schema::{FieldMarkers, Marker, TypeMarkers, apply_markers};
/// let mut schema = schemars::json_schema!({
///     "type": "object",
///     "properties": { "size": { "type": "integer" } },
///     "required": ["size"],
/// });
/// apply_markers(&mut schema, &TypeMarkers {
///     type_name: "WidgetSpec",
///     fields: vec![FieldMarkers {
///         rust: "size",
///         json: "size",
///         markers: vec![Marker::Minimum(1.into()), Marker::Optional],
///         schema_name: "int32".into(),
///     }],
///     own: vec![],
/// });
/// assert_eq!(schema.get("properties").unwrap()["size"]["minimum"], 1);
/// assert!(schema.get("required").is_none());
/// ```
pub fn apply_markers(schema: &mut schemars::Schema, markers: &TypeMarkers) {
    names::record(markers);
    let node = schema.ensure_object();
    drop_implicit_nullable(node, markers);
    for field in &markers.fields {
        #[cfg(feature = "manifests")]
        if let Some(property) = property_mut(node, field.json) {
            super::embedded::annotate_embedded(as_object(property), &field.schema_name);
        }
        for marker in schemaless_first(&field.markers) {
            match marker {
                Marker::Optional => set_required(node, field.json, false),
                Marker::Required => set_required(node, field.json, true),
                marker => {
                    if let Some(property) = property_mut(node, field.json) {
                        apply_marker(as_object(property), marker);
                    }
                }
            }
        }
    }
    for marker in schemaless_first(&markers.own) {
        apply_marker(node, marker);
    }
}

/// `markers` with `Schemaless` (which clears the node) before the others, whatever the order
/// they were written in.
fn schemaless_first(markers: &[Marker]) -> impl Iterator<Item = &Marker> {
    let schemaless = |marker: &&Marker| matches!(marker, Marker::Schemaless);
    markers
        .iter()
        .filter(schemaless)
        .chain(markers.iter().filter(move |marker| !schemaless(marker)))
}

fn property_mut<'a>(node: &'a mut Map<String, Value>, name: &str) -> Option<&'a mut Value> {
    node.get_mut("properties")
        .and_then(|properties| properties.get_mut(name))
}

/// Removes the `nullable: true` schemars gives every `Option` property, keeping it only where
/// the field is marked `nullable`, as controller-gen does. The API server then prunes a `null`
/// sent for an absent `Option` (serde writes `None` as `null`) and applies the field's default,
/// instead of storing the `null`.
fn drop_implicit_nullable(node: &mut Map<String, Value>, markers: &TypeMarkers) {
    let marked_nullable = |json: &str| {
        markers.fields.iter().any(|field| {
            field.json == json && field.markers.iter().any(|m| matches!(m, Marker::Nullable))
        })
    };
    if let Some(Value::Object(properties)) = node.get_mut("properties") {
        for (name, property) in properties.iter_mut() {
            if let Value::Object(property) = property
                && !marked_nullable(name)
            {
                drop_null(property);
            }
        }
    }
}

/// Makes one property schema non-nullable, in each form schemars writes an `Option`:
/// `type: [T, "null"]`, `nullable: true`, `anyOf: [S, {type: "null"}]` or `null` among the
/// `enum` values — and likewise the items of a list and the values of a map (`Vec<Option<T>>`,
/// `BTreeMap<String, Option<T>>`), which controller-gen does not make nullable either.
pub(crate) fn drop_null(property: &mut Map<String, Value>) {
    property.remove("nullable");
    if let Some(Value::Array(values)) = property.get_mut("enum") {
        values.retain(|value| !value.is_null());
    }
    for nested in ["items", "additionalProperties"] {
        if let Some(Value::Object(inner)) = property.get_mut(nested) {
            drop_null(inner);
        }
    }
    if let Some(Value::Array(types)) = property.get_mut("type") {
        types.retain(|t| t != "null");
        if let [single] = types.as_slice() {
            let single = single.clone();
            property.insert("type".to_string(), single);
        }
    }
    let is_null = |schema: &Value| schema.get("type").is_some_and(|t| t == "null");
    if let Some(Value::Array(alternatives)) = property.get("anyOf")
        && alternatives.len() == 2
        && alternatives.iter().any(is_null)
        && let Some(Value::Object(other)) = alternatives.iter().find(|s| !is_null(s)).cloned()
    {
        property.remove("anyOf");
        for (key, value) in other {
            property.entry(key).or_insert(value);
        }
    }
}

/// A schema node as an object; `true` (anything) becomes `{}`.
fn as_object(value: &mut Value) -> &mut Map<String, Value> {
    if !value.is_object() {
        *value = Value::Object(Map::new());
    }
    match value {
        Value::Object(map) => map,
        _ => unreachable!("replaced by an object above"),
    }
}

fn set_required(node: &mut Map<String, Value>, property: &str, required: bool) {
    let list = node
        .entry("required")
        .or_insert_with(|| Value::Array(Vec::new()));
    if let Value::Array(items) = list {
        items.retain(|item| item != property);
        if required {
            items.push(Value::String(property.to_string()));
        }
        if items.is_empty() {
            node.remove("required");
        }
    }
}

fn apply_marker(node: &mut Map<String, Value>, marker: &Marker) {
    let mut set = |key: &str, value: Value| {
        node.insert(key.to_string(), value);
    };
    match marker {
        Marker::Minimum(value) => set("minimum", value.clone()),
        Marker::Maximum(value) => set("maximum", value.clone()),
        Marker::ExclusiveMinimum(value) => {
            set("minimum", value.clone());
            set("exclusiveMinimum", Value::Bool(true));
        }
        Marker::ExclusiveMaximum(value) => {
            set("maximum", value.clone());
            set("exclusiveMaximum", Value::Bool(true));
        }
        Marker::MultipleOf(value) => set("multipleOf", value.clone()),
        Marker::MinLength(n) => set("minLength", json!(n)),
        Marker::MaxLength(n) => set("maxLength", json!(n)),
        Marker::Pattern(pattern) => set("pattern", json!(pattern)),
        Marker::Format(format) => set("format", json!(format)),
        Marker::Enum(values) => set("enum", Value::Array(values.clone())),
        Marker::MinItems(n) => set("minItems", json!(n)),
        Marker::MaxItems(n) => set("maxItems", json!(n)),
        Marker::MinProperties(n) => set("minProperties", json!(n)),
        Marker::MaxProperties(n) => set("maxProperties", json!(n)),
        Marker::Default(value) => set("default", value.clone()),
        Marker::Nullable => set("nullable", Value::Bool(true)),
        Marker::PreserveUnknownFields => {
            set("x-kubernetes-preserve-unknown-fields", Value::Bool(true))
        }
        Marker::EmbeddedResource => {
            set("x-kubernetes-embedded-resource", Value::Bool(true));
            set("type", json!("object"));
        }
        Marker::IntOrString => int_or_string(node),
        Marker::Cel(rule) => push_rule(node, rule_json(rule)),
        Marker::Immutable(message) => push_rule(
            node,
            json!({ "rule": "self == oldSelf", "message": message.unwrap_or("field is immutable") }),
        ),
        Marker::ListType(list_type) => set("x-kubernetes-list-type", json!(list_type)),
        Marker::ListMapKeys(keys) => set("x-kubernetes-list-map-keys", json!(keys)),
        Marker::MapType(map_type) | Marker::StructType(map_type) => {
            set("x-kubernetes-map-type", json!(map_type))
        }
        Marker::ExactlyOneOf(fields) => push_rule(
            node,
            one_of_rule(fields, "==", "exactly one of the fields in", "must be set"),
        ),
        Marker::AtMostOneOf(fields) => push_rule(
            node,
            one_of_rule(fields, "<=", "at most one of the fields in", "may be set"),
        ),
        Marker::Title(title) => set("title", json!(title)),
        Marker::Example(value) => set("example", value.clone()),
        Marker::SchemaType(schema_type) => set_type(node, schema_type),
        Marker::Schemaless => node.retain(|key, _| key == "description"),
        Marker::Items(markers) => apply_nested(node, "items", markers),
        Marker::Values(markers) => apply_nested(node, "additionalProperties", markers),
        Marker::Optional | Marker::Required => {}
    }
}

/// Replaces the node's type; a scalar type drops what only objects and lists have.
fn set_type(node: &mut Map<String, Value>, schema_type: &str) {
    let keep: &[&str] = match schema_type {
        "object" => &["properties", "required", "additionalProperties"],
        "array" => &["items"],
        _ => &[],
    };
    for key in [
        "properties",
        "required",
        "additionalProperties",
        "items",
        "format",
        "anyOf",
        "oneOf",
        "allOf",
    ] {
        if !keep.contains(&key) {
            node.remove(key);
        }
    }
    node.insert("type".into(), json!(schema_type));
}

/// Applies `markers` to the `items` or `additionalProperties` schema of `node`.
fn apply_nested(node: &mut Map<String, Value>, key: &str, markers: &[Marker]) {
    let nested = as_object(node.entry(key).or_insert_with(|| Value::Object(Map::new())));
    for marker in schemaless_first(markers) {
        apply_marker(nested, marker);
    }
}

fn push_rule(node: &mut Map<String, Value>, rule: Value) {
    let rules = node
        .entry("x-kubernetes-validations")
        .or_insert_with(|| Value::Array(Vec::new()));
    if let Value::Array(rules) = rules {
        rules.push(rule);
    }
}

fn rule_json(rule: &CelRule) -> Value {
    let mut out = Map::new();
    out.insert("rule".into(), json!(rule.rule));
    let optional = [
        ("message", rule.message),
        ("messageExpression", rule.message_expression),
        ("reason", rule.reason),
        ("fieldPath", rule.field_path),
    ];
    for (key, value) in optional {
        if let Some(value) = value {
            out.insert(key.into(), json!(value));
        }
    }
    if rule.optional_old_self {
        out.insert("optionalOldSelf".into(), Value::Bool(true));
    }
    Value::Object(out)
}

/// The rule controller-gen writes for ExactlyOneOf / AtMostOneOf: the number of fields set,
/// compared with 1.
fn one_of_rule(fields: &[&str], comparison: &str, lead: &str, tail: &str) -> Value {
    let count = fields
        .iter()
        .map(|field| format!("(has(self.{})?1:0)", escape_property(field)))
        .collect::<Vec<_>>()
        .join("+");
    json!({
        "rule": format!("{count} {comparison} 1"),
        "message": format!("{lead} [{}] {tail}", fields.join(" ")),
    })
}

/// Turns a property name into the identifier CEL uses for it (`a-b` → `a__dash__b`).
pub(crate) fn escape_property(name: &str) -> String {
    name.replace("__", "__underscores__")
        .replace('.', "__dot__")
        .replace('-', "__dash__")
        .replace('/', "__slash__")
}
