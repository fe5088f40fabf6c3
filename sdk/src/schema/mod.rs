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
//! # #[cfg(feature = "manifests")] {
//! let crd = kubesmith::schema::crd::<CronJob>()?;
//! assert_eq!(crd.spec.versions[0].additional_printer_columns.as_ref().map(Vec::len), Some(2));
//! # }
//! # Ok::<(), Box<dyn std::error::Error>>(())
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
//! | `items(max_length = 253, ...)`, `values(minimum = 1, ...)` | the value markers on each item of a list / each value of a map; nests (`items(items(...))`) |
//! | `title = "..."`, `example = <value>` | `title`, `example` |
//! | `schema_type = "string"` | replaces the generated `type` (controller-gen's `Type=`) for a type that serializes differently from its fields |
//! | `schemaless` | no schema but the description and the field's other markers |
//! | `print_column`, or `print_column(type = "string", name = "..", description = "..", format = "..", priority = 1, json_path = "..")` | an additional printer column; the type is inferred for strings, integers, floats, `bool` and `Time` (through `Option`), the name from the field, the JSONPath defaults to `.spec.<field>` / `.status.<field>` |
//!
//! Embedded Kubernetes types (`PodTemplateSpec`, `Vec<Container>`, `IntOrString`,
//! `Quantity`, `RawExtension`, ...) get the list/map semantics, defaults and forms
//! controller-gen writes for them when manifests are generated (feature `manifests`; see
//! [`annotate_embedded`]).
//!
//! `unique_items` is refused at compile time: the API server rejects `uniqueItems: true`; use
//! `list_type = "set"`.
//!
//! # Type markers (`#[k8s(...)]` on the struct or enum)
//!
//! `cel(...)`, `exactly_one_of(field_a, field_b)`, `at_most_one_of(field_a, field_b)` (Rust
//! field names; checked at compile time), `min_properties`, `max_properties`, `struct_type`,
//! `map_type`, `preserve_unknown_fields`; and, for a struct that serializes as something else,
//! its own `schema_type`, `title` and `schemaless` (controller-gen's `Type=` on a type). On the
//! spec struct of a kind without a status type, `subresource_status` gives the CRD the status
//! subresource (`+kubebuilder:subresource:status`).
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
//! # Checks (feature `manifests`)
//!
//! [`crd`] builds the CRD and runs [`check_crd`]: structural-schema rules of the API server,
//! CEL rules parsed and type-checked against the schema, list-map keys present and required or
//! defaulted, and defaults validated against their own schema. Each problem names the Rust type
//! and field where known, and the JSON path.

#[cfg(feature = "manifests")]
mod cel;
#[cfg(feature = "manifests")]
mod check;
#[cfg(feature = "manifests")]
mod conform;
#[cfg(feature = "manifests")]
mod crd;
#[cfg(feature = "manifests")]
mod embedded;
mod forms;
mod marker;
mod names;
#[cfg(feature = "manifests")]
mod structural;
mod transform;
#[cfg(feature = "manifests")]
mod value;

#[cfg(feature = "manifests")]
pub use check::{Problem, SchemaError, check_crd};
#[cfg(feature = "manifests")]
pub use crd::crd;
#[cfg(feature = "manifests")]
pub use embedded::annotate_embedded;
pub use marker::{CelRule, FieldMarkers, Marker, PrintColumn, TypeMarkers};
pub use names::RustNames;
pub use transform::{CustomResourceMarkers, SchemaMarkers, apply_markers};
#[cfg(feature = "manifests")]
pub use value::validate_value;
