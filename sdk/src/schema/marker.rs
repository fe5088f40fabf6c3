//! The markers of a type as data: what `#[kubesmith::markers]` generates and
//! [`apply_markers`](super::apply_markers) writes into schemas.

use std::borrow::Cow;

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceColumnDefinition;

/// The markers of one type, as generated code hands them to [`apply_markers`](super::apply_markers).
#[derive(Debug, Clone, PartialEq)]
pub struct TypeMarkers {
    /// The Rust type name, for messages.
    pub type_name: &'static str,
    /// Every serialized field (also those without markers), in declaration order.
    pub fields: Vec<FieldMarkers>,
    /// Markers on the type itself.
    pub own: Vec<Marker>,
}

/// The markers of one field.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldMarkers {
    /// The Rust field name.
    pub rust: &'static str,
    /// The JSON property name (after serde renames).
    pub json: &'static str,
    /// The field's markers, in the order written.
    pub markers: Vec<Marker>,
    /// The schemars name of the field's type (`io.k8s.api.core.v1.PodTemplateSpec`,
    /// `Array_of_...`, `Nullable_...`), empty when the field's schema is given another way.
    /// Embedded Kubernetes types are recognised by it.
    pub schema_name: Cow<'static, str>,
}

/// One schema marker. See the [module documentation](super) for the attribute syntax.
#[derive(Debug, Clone, PartialEq)]
pub enum Marker {
    /// `minimum`.
    Minimum(serde_json::Value),
    /// `maximum`.
    Maximum(serde_json::Value),
    /// `minimum` with `exclusiveMinimum: true`.
    ExclusiveMinimum(serde_json::Value),
    /// `maximum` with `exclusiveMaximum: true`.
    ExclusiveMaximum(serde_json::Value),
    /// `multipleOf`.
    MultipleOf(serde_json::Value),
    /// `minLength`.
    MinLength(u64),
    /// `maxLength`.
    MaxLength(u64),
    /// `pattern` (an ECMA-262 regular expression, as the API server reads it).
    Pattern(&'static str),
    /// `format`.
    Format(&'static str),
    /// `enum`.
    Enum(Vec<serde_json::Value>),
    /// `minItems`.
    MinItems(u64),
    /// `maxItems`.
    MaxItems(u64),
    /// `minProperties`.
    MinProperties(u64),
    /// `maxProperties`.
    MaxProperties(u64),
    /// `default`.
    Default(serde_json::Value),
    /// `nullable: true`.
    Nullable,
    /// The field is not in its parent's `required` list.
    Optional,
    /// The field is in its parent's `required` list.
    Required,
    /// `x-kubernetes-preserve-unknown-fields: true`.
    PreserveUnknownFields,
    /// `x-kubernetes-embedded-resource: true` (and `type: object`).
    EmbeddedResource,
    /// `x-kubernetes-int-or-string: true`, without a type.
    IntOrString,
    /// One `x-kubernetes-validations` rule.
    Cel(CelRule),
    /// The transition rule `self == oldSelf`, with an optional message.
    Immutable(Option<&'static str>),
    /// `x-kubernetes-list-type`.
    ListType(&'static str),
    /// `x-kubernetes-list-map-keys`.
    ListMapKeys(Vec<&'static str>),
    /// `x-kubernetes-map-type` on a map.
    MapType(&'static str),
    /// `x-kubernetes-map-type` on a struct.
    StructType(&'static str),
    /// A rule that exactly one of these JSON properties is set.
    ExactlyOneOf(Vec<&'static str>),
    /// A rule that at most one of these JSON properties is set.
    AtMostOneOf(Vec<&'static str>),
    /// `title`.
    Title(&'static str),
    /// `example`.
    Example(serde_json::Value),
    /// `type`, replacing the generated one (controller-gen's `Type=`): for a type that
    /// serializes itself differently from its fields.
    SchemaType(&'static str),
    /// No schema: the node keeps only its description and the other markers.
    Schemaless,
    /// Markers on each item of a list.
    Items(Vec<Marker>),
    /// Markers on each value of a map.
    Values(Vec<Marker>),
}

/// One CEL validation rule (`x-kubernetes-validations` entry).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CelRule {
    /// The expression; `self` is the value, `oldSelf` the previous value (transition rules).
    pub rule: &'static str,
    /// The message when the rule fails.
    pub message: Option<&'static str>,
    /// A CEL expression that builds the message.
    pub message_expression: Option<&'static str>,
    /// `FieldValueInvalid`, `FieldValueForbidden`, `FieldValueRequired` or `FieldValueDuplicate`.
    pub reason: Option<&'static str>,
    /// The field the error is reported on, relative to `self` (`.spec.x`).
    pub field_path: Option<&'static str>,
    /// Whether the rule also runs on create, with `oldSelf` an optional.
    pub optional_old_self: bool,
}

/// An additional printer column declared on a field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrintColumn {
    /// Column header.
    pub name: &'static str,
    /// `integer`, `number`, `string`, `boolean` or `date`.
    pub type_: &'static str,
    /// JSONPath: relative to the declaring type unless `absolute`.
    pub json_path: Cow<'static, str>,
    /// Whether `json_path` was given explicitly and is absolute (`.metadata.x`, `.spec.a.b`).
    pub absolute: bool,
    /// Column description.
    pub description: Option<&'static str>,
    /// OpenAPI format of the column.
    pub format: Option<&'static str>,
    /// 0 shows the column in the default view, higher values only with `-o wide`.
    pub priority: Option<i32>,
}

impl PrintColumn {
    /// `columns` as CRD column definitions, relative paths put under `prefix` (`.spec`).
    pub fn under(prefix: &str, columns: Vec<PrintColumn>) -> Vec<PrintColumn> {
        columns
            .into_iter()
            .map(|column| {
                if column.absolute {
                    column
                } else {
                    PrintColumn {
                        json_path: Cow::Owned(format!("{prefix}{}", column.json_path)),
                        absolute: true,
                        ..column
                    }
                }
            })
            .collect()
    }

    /// The CRD's form of this column.
    pub fn to_definition(&self) -> CustomResourceColumnDefinition {
        CustomResourceColumnDefinition {
            name: self.name.to_string(),
            type_: self.type_.to_string(),
            json_path: self.json_path.to_string(),
            description: self.description.map(str::to_string),
            format: self.format.map(str::to_string),
            priority: self.priority,
        }
    }
}
