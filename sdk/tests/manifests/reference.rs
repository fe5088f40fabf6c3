//! The book's marker reference (`book/src/reference/markers.md`): each example below is
//! compiled here, its CRD generated, and the page shows the example beside the schema it
//! produced — so the page cannot drift from what the markers do. A test fails when the page
//! is out of date (regenerate it with `KUBESMITH_UPDATE_GOLDEN=1 cargo test -p kubesmith
//! --all-features --test manifests reference`) or when a marker key of the macro is missing.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Every marker, one example per field.
#[kubesmith::markers]
#[derive(CustomResource, Serialize, Deserialize, JsonSchema, Clone, Debug)]
#[kube(
    group = "reference.kubesmith.dev",
    version = "v1",
    kind = "Example",
    namespaced
)]
#[kube(status = "ExampleStatus")]
#[serde(rename_all = "camelCase")]
// ANCHOR: type_markers
#[k8s(
    exactly_one_of(image, image_ref),
    at_most_one_of(suspend, suspend_until)
)]
#[k8s(cel(
    rule = "!has(self.suspendUntil) || has(self.schedule)",
    message = "a pause needs a schedule",
    field_path = ".suspendUntil"
))]
// ANCHOR_END: type_markers
pub struct ExampleSpec {
    // ANCHOR: numbers
    #[k8s(minimum = 1, maximum = 10, multiple_of = 1)]
    pub replicas: i32,
    // ANCHOR_END: numbers
    // ANCHOR: exclusive
    #[k8s(exclusive_minimum = 0, exclusive_maximum = 1)]
    pub ratio: Option<f64>,
    // ANCHOR_END: exclusive
    // ANCHOR: strings
    #[k8s(
        min_length = 1,
        max_length = 63,
        pattern = "^[a-z0-9-]+$",
        format = "hostname"
    )]
    pub host: Option<String>,
    // ANCHOR_END: strings
    // ANCHOR: enum
    #[k8s(enum = ["Allow", "Forbid", "Replace"], default = "Allow")]
    pub policy: Option<String>,
    // ANCHOR_END: enum
    // ANCHOR: lists
    #[k8s(min_items = 1, max_items = 8, list_type = "set")]
    pub zones: Option<Vec<String>>,
    // ANCHOR_END: lists
    // ANCHOR: list_map
    #[k8s(list_type = "map", list_map_keys = ["name"])]
    pub ports: Option<Vec<NamedPort>>,
    // ANCHOR_END: list_map
    // ANCHOR: maps
    #[k8s(min_properties = 1, max_properties = 16, map_type = "atomic")]
    pub labels: Option<BTreeMap<String, String>>,
    // ANCHOR_END: maps
    // ANCHOR: items
    #[k8s(items(max_length = 253, pattern = "^[a-z0-9.-]+$"))]
    pub hosts: Option<Vec<String>>,
    // ANCHOR_END: items
    // ANCHOR: values
    #[k8s(values(minimum = 1, maximum = 65535))]
    pub targets: Option<BTreeMap<String, i32>>,
    // ANCHOR_END: values
    // ANCHOR: nullable
    #[k8s(nullable)]
    pub note: Option<String>,
    // ANCHOR_END: nullable
    // ANCHOR: optional_required
    #[k8s(optional)]
    #[serde(default)]
    pub suspend: bool,
    #[k8s(required)]
    pub suspend_until: Option<String>,
    // ANCHOR_END: optional_required
    // ANCHOR: preserve
    #[k8s(preserve_unknown_fields)]
    pub settings: Option<Settings>,
    // ANCHOR_END: preserve
    // ANCHOR: embedded
    #[k8s(embedded_resource, preserve_unknown_fields)]
    pub template: Option<Value>,
    // ANCHOR_END: embedded
    // ANCHOR: int_or_string
    #[k8s(int_or_string)]
    pub max_unavailable: Option<String>,
    pub max_surge: Option<IntOrString>,
    // ANCHOR_END: int_or_string
    // ANCHOR: cel
    #[k8s(cel(
        rule = "self.size() <= 3 || self.all(s, s.size() < 10)",
        message = "long names only in short lists",
        message_expression = "'got ' + string(self.size())",
        reason = "FieldValueInvalid"
    ))]
    #[k8s(max_items = 10, items(max_length = 64))]
    pub names: Option<Vec<String>>,
    // ANCHOR_END: cel
    // ANCHOR: immutable
    #[k8s(immutable = "the storage class cannot change")]
    pub storage_class: Option<String>,
    #[k8s(cel(rule = "self >= oldSelf", optional_old_self))]
    pub generation: Option<i64>,
    // ANCHOR_END: immutable
    // ANCHOR: struct_type
    #[k8s(struct_type = "atomic")]
    pub owner: Option<Owner>,
    // ANCHOR_END: struct_type
    pub selector: Option<Selector>,
    pub window: Option<Window>,
    // ANCHOR: documentation
    #[k8s(title = "Schedule", example = "*/5 * * * *")]
    pub schedule: Option<String>,
    // ANCHOR_END: documentation
    // ANCHOR: schema_type
    #[k8s(schema_type = "string", format = "duration")]
    pub interval: Option<Interval>,
    // ANCHOR_END: schema_type
    // ANCHOR: schemaless
    #[k8s(schemaless, schema_type = "object", preserve_unknown_fields)]
    pub extra: Option<Value>,
    // ANCHOR_END: schemaless
    // ANCHOR: print_column
    #[k8s(print_column(
        name = "Image",
        type = "string",
        description = "The image",
        priority = 1,
        format = "uri",
        json_path = ".spec.image"
    ))]
    pub image: Option<String>,
    #[k8s(print_column)]
    pub image_ref: Option<String>,
    // ANCHOR_END: print_column
}

/// A port with a name.
#[kubesmith::markers]
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug)]
pub struct NamedPort {
    pub name: String,
    pub port: i32,
}

/// Settings, some of which this version does not know.
#[kubesmith::markers]
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug)]
pub struct Settings {
    pub mode: Option<String>,
}

/// Labels to match.
#[kubesmith::markers]
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug)]
// ANCHOR: type_object
#[k8s(
    min_properties = 1,
    max_properties = 2,
    map_type = "atomic",
    preserve_unknown_fields
)]
// ANCHOR_END: type_object
pub struct Selector {
    pub app: Option<String>,
    pub tier: Option<String>,
}

/// Who owns the example: replaced as a whole by server-side apply.
#[kubesmith::markers]
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug)]
pub struct Owner {
    pub name: Option<String>,
}

/// A time window that serializes itself as one string ("09:00-17:00"; serde code left out).
#[kubesmith::markers]
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug)]
// ANCHOR: type_schema
#[k8s(schema_type = "string", title = "A time window, HH:MM-HH:MM")]
// ANCHOR_END: type_schema
pub struct Window {
    pub start: String,
    pub end: String,
}

/// A kind without a status type that still has the status subresource (its status is
/// whatever the schema allows).
#[kubesmith::markers]
#[derive(CustomResource, Serialize, Deserialize, JsonSchema, Clone, Debug)]
#[kube(
    group = "reference.kubesmith.dev",
    version = "v1",
    kind = "Tally",
    namespaced
)]
// ANCHOR: subresource_status
#[k8s(subresource_status)]
// ANCHOR_END: subresource_status
pub struct TallySpec {
    pub count: i64,
}

/// A duration that serializes as a string ("5m").
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug)]
pub struct Interval {
    pub seconds: u64,
}

/// What the example observed.
#[kubesmith::markers]
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, Default)]
pub struct ExampleStatus {
    pub ready: Option<bool>,
}

/// The sections of the page: title, anchor of the example, the spec properties it shows
/// (`""` for the spec itself, `"selector"` ...).
const SECTIONS: &[(&str, &str, &[&str])] = &[
    ("Numbers", "numbers", &["replicas"]),
    ("Exclusive bounds", "exclusive", &["ratio"]),
    ("Strings", "strings", &["host"]),
    ("Enumerations and defaults", "enum", &["policy"]),
    ("Lists", "lists", &["zones"]),
    ("Lists of objects keyed by a field", "list_map", &["ports"]),
    ("Maps", "maps", &["labels"]),
    ("Each item of a list", "items", &["hosts"]),
    ("Each value of a map", "values", &["targets"]),
    ("Nullable fields", "nullable", &["note"]),
    (
        "Optional and required",
        "optional_required",
        &["suspend", "suspendUntil"],
    ),
    ("Unknown fields", "preserve", &["settings"]),
    ("Embedded objects", "embedded", &["template"]),
    (
        "Integer or string",
        "int_or_string",
        &["maxUnavailable", "maxSurge"],
    ),
    ("CEL validation rules", "cel", &["names"]),
    (
        "Immutable fields and transition rules",
        "immutable",
        &["storageClass", "generation"],
    ),
    ("Atomic structs", "struct_type", &["owner"]),
    ("Title and example", "documentation", &["schedule"]),
    ("Type override", "schema_type", &["interval"]),
    ("Schemaless fields", "schemaless", &["extra"]),
];

#[test]
fn the_marker_reference_is_generated_from_compiled_examples() {
    let page = page();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../book/src/reference/markers.md");
    if std::env::var_os("KUBESMITH_UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("the directory");
        std::fs::write(&path, &page).expect("the page");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == page,
        "{} is out of date; regenerate it with KUBESMITH_UPDATE_GOLDEN=1 cargo test -p kubesmith --all-features --test manifests reference",
        path.display()
    );
}

#[test]
fn every_marker_key_of_the_macro_is_in_the_reference() {
    let page = page();
    let codes = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../macros/src/markers/codes.rs"),
    )
    .expect("the macro's key tables");
    let keys = marker_keys(&codes);
    assert!(keys.len() > 40, "the key tables were not found: {keys:?}");
    let words: std::collections::BTreeSet<&str> = page
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .collect();
    let missing: Vec<&String> = keys
        .iter()
        .filter(|key| !words.contains(key.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "marker keys missing from the reference: {missing:?}"
    );
}

/// The string literals of the key tables (`value_keys!`, `valid: &[...]`) in `codes`.
fn marker_keys(codes: &str) -> Vec<String> {
    let mut keys = Vec::new();
    let mut in_table = false;
    for line in codes.lines() {
        let line = line.trim();
        if line.starts_with("&[")
            || line.ends_with("valid: &[")
            || line.starts_with("valid: value_keys!(")
        {
            in_table = true;
        }
        if in_table {
            for literal in line.split('"').skip(1).step_by(2) {
                if literal.chars().all(|c| c.is_ascii_lowercase() || c == '_')
                    && !literal.is_empty()
                {
                    keys.push(literal.to_string());
                }
            }
        }
        if line.starts_with(']') || line.ends_with("],") || line.ends_with(")),") {
            in_table = false;
        }
    }
    keys.sort();
    keys.dedup();
    keys
}

/// The lines of this file between `ANCHOR: name` and `ANCHOR_END: name`, unindented.
fn example(name: &str) -> String {
    let source = include_str!("reference.rs");
    let start = format!("// ANCHOR: {name}\n");
    let end = format!("// ANCHOR_END: {name}");
    let from = source
        .find(&start)
        .map(|at| at + start.len())
        .expect("an anchor");
    let to = source[from..]
        .find(&end)
        .map(|at| from + at)
        .expect("an anchor end");
    let lines: Vec<&str> = source[from..to]
        .lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect();
    let indent = lines
        .iter()
        .filter(|line| !line.trim().is_empty())
        .map(|line| line.len() - line.trim_start().len())
        .min()
        .unwrap_or(0);
    lines
        .iter()
        .map(|line| line.get(indent..).unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n")
        .trim_end()
        .to_string()
}

/// The CRD `make manifests` writes for `Example`, read back.
fn crd() -> Value {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let files = kubesmith::manifests::Manifests::new(dir.path())
        .crd::<Example>()
        .render()
        .unwrap_or_else(|error| panic!("{error}"));
    let (_, text) = files
        .iter()
        .find(|(path, _)| path.starts_with("config/crd"))
        .expect("the CRD file");
    serde_saphyr::from_str(text).expect("the CRD as YAML")
}

/// The schema of the spec of `crd`, descriptions removed.
fn spec_schema(crd: &Value) -> Value {
    let mut value = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"].clone();
    strip_descriptions(&mut value);
    value["properties"]["spec"].clone()
}

fn strip_descriptions(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.remove("description");
            map.values_mut().for_each(strip_descriptions);
        }
        Value::Array(items) => items.iter_mut().for_each(strip_descriptions),
        _ => {}
    }
}

/// What every example block needs, as hidden lines (mdBook and rustdoc hide `# ` lines): the
/// imports and the types the fields use.
const PRELUDE: &str = "# use std::collections::BTreeMap;
# use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
# use schemars::JsonSchema;
# use serde::{Deserialize, Serialize};
# use serde_json::Value;
# #[kubesmith::markers]
# #[derive(Serialize, Deserialize, JsonSchema)]
# pub struct NamedPort { pub name: String, pub port: i32 }
# #[kubesmith::markers]
# #[derive(Serialize, Deserialize, JsonSchema)]
# pub struct Settings { pub mode: Option<String> }
# #[kubesmith::markers]
# #[derive(Serialize, Deserialize, JsonSchema)]
# pub struct Selector { pub app: Option<String> }
# #[kubesmith::markers]
# #[derive(Serialize, Deserialize, JsonSchema)]
# pub struct Owner { pub name: Option<String> }
# #[derive(Serialize, Deserialize, JsonSchema)]
# pub struct Interval { pub seconds: u64 }
";

/// `fields` as the body of a struct with markers, all but the fields hidden.
fn in_struct(fields: &str) -> String {
    format!(
        "{PRELUDE}# #[kubesmith::markers]\n# #[derive(Serialize, Deserialize, JsonSchema)]\n# pub struct Fields {{\n{fields}\n# }}\n# fn main() {{}}"
    )
}

/// `fields` as hidden lines of a struct's body.
fn hidden_fields(fields: &str) -> String {
    fields
        .lines()
        .map(|line| format!("#     {line}\n"))
        .collect()
}

/// The type markers `attributes` on the spec of a kind with `fields`, all but the attributes
/// hidden.
fn on_kind(attributes: &str, fields: &str) -> String {
    let fields = hidden_fields(fields);
    format!(
        "{PRELUDE}# #[kubesmith::markers]\n# #[derive(kube::CustomResource, Serialize, Deserialize, JsonSchema, Clone, Debug)]\n# #[kube(group = \"example.com\", version = \"v1\", kind = \"Tally\")]\n{attributes}\n# pub struct TallySpec {{\n{fields}# }}\n# fn main() {{}}"
    )
}

/// The type markers `attributes` on a struct with `fields`, all but the attributes hidden.
fn on_struct(attributes: &str, fields: &str) -> String {
    let fields = hidden_fields(fields);
    format!(
        "{PRELUDE}# #[kubesmith::markers]\n# #[derive(Serialize, Deserialize, JsonSchema)]\n{attributes}\n# pub struct Marked {{\n{fields}# }}\n# fn main() {{}}"
    )
}

fn yaml(value: &Value) -> String {
    serde_saphyr::to_string(value).expect("YAML")
}

fn page() -> String {
    let crd = crd();
    let spec = spec_schema(&crd);
    let mut page = String::from(
        "# Marker reference\n\n<!-- Generated from sdk/tests/manifests/reference.rs, which compiles every example; do not edit. -->\n\nEach example is compiled, and its CRD generated, by the test that writes this page; the\nschema shown is what `make manifests` writes for it (descriptions left out).\n",
    );
    for (title, anchor, properties) in SECTIONS {
        let _ = write!(
            page,
            "\n## {title}\n\n```rust\n{}\n```\n\n```yaml\n",
            in_struct(&example(anchor))
        );
        for property in *properties {
            let mut one = serde_json::Map::new();
            one.insert(property.to_string(), spec["properties"][property].clone());
            page.push_str(&yaml(&Value::Object(one)));
        }
        page.push_str("```\n");
    }
    let _ = write!(
        page,
        "\n## Type markers\n\nOn the struct (Rust field names in `exactly_one_of`/`at_most_one_of`, checked at compile time):\n\n```rust\n{}\n```\n\n```yaml\n{}```\n",
        on_struct(
            &example("type_markers"),
            "pub image: Option<String>,\npub image_ref: Option<String>,\npub suspend: Option<bool>,\npub suspend_until: Option<String>,\npub schedule: Option<String>,"
        ),
        yaml(&serde_json::json!({ "x-kubernetes-validations": spec["x-kubernetes-validations"] })),
    );
    let selector = &spec["properties"]["selector"];
    let _ = write!(
        page,
        "\nOn a nested struct:\n\n```rust\n{}\n```\n\n```yaml\n{}```\n",
        on_struct(
            &example("type_object"),
            "pub app: Option<String>,\npub tier: Option<String>,"
        ),
        yaml(&serde_json::json!({
            "minProperties": selector["minProperties"],
            "maxProperties": selector["maxProperties"],
            "x-kubernetes-map-type": selector["x-kubernetes-map-type"],
            "x-kubernetes-preserve-unknown-fields": selector["x-kubernetes-preserve-unknown-fields"],
        })),
    );
    let _ = write!(
        page,
        "\nOn a struct that serializes as something else (a string here), its own schema, as on a newtype (`schema_type`, `title`, `schemaless`):\n\n```rust\n{}\n```\n\n```yaml\n{}```\n",
        on_struct(
            &example("type_schema"),
            "pub start: String,\npub end: String,"
        ),
        yaml(&serde_json::json!({ "window": spec["properties"]["window"] })),
    );
    let tally = kubesmith::schema::crd::<Tally>().unwrap_or_else(|error| panic!("{error}"));
    let subresources = serde_json::to_value(&tally.spec.versions[0].subresources).expect("JSON");
    let _ = write!(
        page,
        "\nOn the spec of a kind that has no status type, the status subresource (controller-gen's `+kubebuilder:subresource:status`; with `#[kube(status = ...)]` kube-derive adds it):\n\n```rust\n{}\n```\n\n```yaml\n{}```\n",
        on_kind(&example("subresource_status"), "pub count: i64,"),
        yaml(&serde_json::json!({ "subresources": subresources })),
    );
    let crd = kubesmith::schema::crd::<Example>().unwrap_or_else(|error| panic!("{error}"));
    let columns =
        serde_json::to_value(&crd.spec.versions[0].additional_printer_columns).expect("JSON");
    let _ = write!(
        page,
        "\n## Print columns\n\n```rust\n{}\n```\n\n```yaml\n{}```\n",
        in_struct(&example("print_column")),
        yaml(&serde_json::json!({ "additionalPrinterColumns": columns })),
    );
    page.push_str("\n`unique_items` is refused at compile time: the API server rejects `uniqueItems: true` in CRDs; use `list_type = \"set\"`.\n");
    page
}
