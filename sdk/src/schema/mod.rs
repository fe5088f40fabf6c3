//! CRD schemas from Rust types: `#[k8s(...)]` markers, and the checks run before manifests
//! are written.
//!
//! Types keep deriving kube's `CustomResource` and schemars' `JsonSchema`; put
//! `#[kubesmith::markers]` above the derives and markers in `#[k8s(...)]` on the type and its
//! fields. The macro removes the markers, adds a schemars transform that writes them into the
//! schema ([`SchemaMarkers`]) and, on the spec struct, collects print columns of spec and status
//! fields for the root kind ([`CustomResourceMarkers`]). Status types need `#[kubesmith::markers]`
//! too (it may carry no markers). A misspelt key is a compile error that lists the valid keys.
//!
//! ```
//! use kube::CustomResource;
//! use schemars::JsonSchema;
//! use serde::{Deserialize, Serialize};
//!
//! /// Runs a command on a schedule.
//! #[kubesmith::markers]
//! #[derive(CustomResource, Serialize, Deserialize, JsonSchema, Clone, Debug)]
//! #[kube(group = "batch.example.com", version = "v1", kind = "CronJob", namespaced)]
//! #[kube(status = "CronJobStatus", shortname = "cj")]
//! #[serde(rename_all = "camelCase")]
//! #[k8s(exactly_one_of(image, image_ref))]
//! pub struct CronJobSpec {
//!     /// Cron schedule.
//!     #[k8s(min_length = 1, print_column)]
//!     pub schedule: String,
//!     #[k8s(minimum = 0, default = 3, immutable)]
//!     pub history_limit: Option<i32>,
//!     pub image: Option<String>,
//!     pub image_ref: Option<String>,
//! }
//!
//! #[kubesmith::markers]
//! #[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, Default)]
//! pub struct CronJobStatus {
//!     #[k8s(print_column(type = "integer", name = "Active"))]
//!     pub active: Option<i32>,
//! }
//!
//! let crd = kubesmith::schema::crd::<CronJob>()?;
//! assert_eq!(crd.spec.versions[0].additional_printer_columns.as_ref().map(Vec::len), Some(2));
//! # Ok::<(), kubesmith::schema::SchemaError>(())
//! ```
//!
//! # Field markers (`#[k8s(...)]` on a field)
//!
//! | marker | schema |
//! |---|---|
//! | `minimum = 1`, `maximum = 10`, `multiple_of = 5` | `minimum`, `maximum`, `multipleOf` |
//! | `exclusive_minimum = 0`, `exclusive_maximum = 1` | `minimum`/`maximum` with `exclusiveMinimum`/`exclusiveMaximum: true` |
//! | `min_length = 1`, `max_length = 63`, `pattern = "^[a-z]+$"`, `format = "date-time"` | string limits |
//! | `enum = ["a", "b"]` | `enum` |
//! | `min_items = 1`, `max_items = 5`, `min_properties = 1`, `max_properties = 5` | size limits |
//! | `default = 3`, `default = "x"`, `default = [1, 2]`, `default = json!({"a": 1})` | `default` |
//! | `nullable`, `optional`, `required` | `nullable: true` (an `Option` alone is optional, not nullable, as with controller-gen: a `null` sent for it is pruned and defaulted); removed from / added to the parent's `required` |
//! | `preserve_unknown_fields`, `embedded_resource`, `int_or_string` | the `x-kubernetes-*` extensions |
//! | `cel = "self > 0"`, `cel(rule = "...", message = "...", message_expression = "...", reason = "FieldValueInvalid", field_path = ".x", optional_old_self)` | `x-kubernetes-validations` |
//! | `immutable`, `immutable = "message"` | the rule `self == oldSelf` |
//! | `list_type = "atomic" \| "set" \| "map"`, `list_map_keys = ["name"]` | `x-kubernetes-list-type`, `x-kubernetes-list-map-keys` |
//! | `map_type = "granular" \| "atomic"`, `struct_type = "granular" \| "atomic"` | `x-kubernetes-map-type` |
//! | `print_column`, or `print_column(type = "string", name = "..", description = "..", format = "..", priority = 1, json_path = "..")` | an additional printer column; the type is inferred for strings, integers, floats, `bool` and `Time` (through `Option`), the name from the field, the JSONPath defaults to `.spec.<field>` / `.status.<field>` |
//!
//! `unique_items` is refused at compile time: the API server rejects `uniqueItems: true`; use
//! `list_type = "set"`.
//!
//! # Type markers (`#[k8s(...)]` on the struct or enum)
//!
//! `cel(...)`, `exactly_one_of(field_a, field_b)`, `at_most_one_of(field_a, field_b)` (Rust
//! field names; checked at compile time), `min_properties`, `max_properties`, `struct_type`,
//! `map_type`, `preserve_unknown_fields`.
//!
//! On a newtype (`struct Name(String);`) the value markers of fields (`pattern`, `max_length`,
//! `minimum`, `enum`, `cel`, ...) go on the type and apply wherever it is used.
//!
//! CRD-level settings stay in kube's `#[kube(...)]`: `namespaced` (scope), `status`,
//! `scale(...)`, `shortname`, `category`, `selectable`, `storage = false`, `served = false`,
//! `deprecated`.
//!
//! # Enums
//!
//! Unit-only enums become string enums and enums whose variants all carry data become
//! externally tagged objects. Internally or adjacently tagged, untagged and mixed unit/data
//! enums have no structural schema and are compile errors under `#[kubesmith::markers]`.
//!
//! # Checks
//!
//! [`crd`] builds the CRD and runs [`check_crd`]: structural-schema rules of the API server,
//! CEL rules parsed and type-checked against the schema, list-map keys present and required or
//! defaulted, and defaults validated against their own schema. Each problem names the Rust type
//! and field where known, and the JSON path.

mod apply;
mod cel;
mod check;
mod names;
mod structural;
mod value;

use std::borrow::Cow;

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::{
    CustomResourceColumnDefinition, CustomResourceDefinition,
};
use kube::CustomResourceExt;

pub use apply::apply;
pub use check::{Problem, SchemaError, check_crd};
pub use names::RustNames;
pub use value::validate_value;

/// A type whose schema carries `#[k8s(...)]` markers; implemented by `#[kubesmith::markers]`.
pub trait SchemaMarkers {
    /// The markers of the type and its fields.
    fn markers() -> TypeMarkers;

    /// Print columns declared on fields, with paths relative to this type (`.field`).
    fn print_columns() -> Vec<PrintColumn>;

    /// The schemars transform: writes the markers into the type's schema.
    fn apply_markers(schema: &mut schemars::Schema) {
        apply(schema, &Self::markers());
    }
}

/// A custom resource kind whose spec (and status) carry markers; implemented by
/// `#[kubesmith::markers]` on the struct with `#[kube(...)]`.
pub trait CustomResourceMarkers: CustomResourceExt {
    /// Print columns of spec and status fields, with absolute JSONPaths.
    fn print_columns() -> Vec<PrintColumn>;
}

/// The markers of one type, as generated code hands them to [`apply`].
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
}

/// One schema marker. See the [module documentation](self) for the attribute syntax.
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

/// The CRD of `K` with marker print columns and `listKind` (`<Kind>List`) added, checked by
/// [`check_crd`].
///
/// ```
/// # use kube::CustomResource; use schemars::JsonSchema; use serde::{Deserialize, Serialize};
/// #[kubesmith::markers]
/// #[derive(CustomResource, Serialize, Deserialize, JsonSchema, Clone, Debug)]
/// #[kube(group = "example.com", version = "v1", kind = "Widget")]
/// pub struct WidgetSpec {
///     #[k8s(pattern = "^[a-z]+$")]
///     pub name: String,
/// }
/// let crd = kubesmith::schema::crd::<Widget>()?;
/// assert_eq!(crd.spec.names.kind, "Widget");
/// # Ok::<(), kubesmith::schema::SchemaError>(())
/// ```
pub fn crd<K: CustomResourceMarkers>() -> Result<CustomResourceDefinition, SchemaError> {
    let (built, names) = names::recording(|| std::panic::catch_unwind(K::crd));
    let mut crd = built.map_err(|panic| SchemaError::Generation {
        crd: K::crd_name().to_string(),
        message: panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|text| text.to_string()))
            .unwrap_or_else(|| "kube-derive panicked".into()),
    })?;
    let names_spec = &mut crd.spec.names;
    if names_spec.list_kind.is_none() {
        names_spec.list_kind = Some(format!("{}List", names_spec.kind));
    }
    let columns = K::print_columns();
    if !columns.is_empty()
        && let Some(version) = crd.spec.versions.first_mut()
    {
        let existing = version
            .additional_printer_columns
            .get_or_insert_with(Vec::new);
        existing.extend(columns.iter().map(PrintColumn::to_definition));
    }
    check_crd(&crd, &names)?;
    Ok(crd)
}
