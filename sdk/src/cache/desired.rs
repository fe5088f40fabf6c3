//! Whether a write would change anything: a desired object compared with the current one as
//! the desired object sets it.
//!
//! A reconciler that rebuilds an object in full (`deployment.spec = desired.spec`) leaves
//! unset every field the API server defaults (a Deployment's `strategy` and
//! `revisionHistoryLimit`, a container's `terminationMessagePath`, a port's `protocol`, ...).
//! Compared field by field with the stored object it always differs, and each reconcile would
//! send an update that changes nothing. Here the current object *holds* the desired one when
//! every field the desired object sets has the same value in it:
//!
//! - a field of a struct that the desired object leaves unset (absent or null) belongs to the
//!   server: its current value, defaulted or set by someone else, is kept;
//! - the keys of a map (labels, annotations, a ConfigMap's `data`, a Service's `selector`)
//!   are the desired object's: a key it lacks is one to remove;
//! - lists compare item by item and must have the same length (an empty list is no list);
//! - quantities compare by value (`0.5` and `500m`, `1024Mi` and `1Gi` are equal);
//! - where the type's schema says nothing (free-form fields), objects compare as maps.
//!
//! Structs and maps are told apart by the type's JSON schema, which every k8s-openapi kind and
//! every `#[derive(CustomResource)]` type has; it is made once per type.

use std::any::TypeId;
use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex, PoisonError};

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, SchemaGenerator};
use serde_json::{Map, Value};

/// The name k8s-openapi gives the schema of `Quantity`.
const QUANTITY: &str = "io.k8s.apimachinery.pkg.api.resource.Quantity";

/// Whether `current` holds everything `desired` sets (both serialized objects of `K`), in the
/// `part` of them a write sends.
pub(crate) fn holds<K: JsonSchema + 'static>(current: &Value, desired: &Value, part: Part) -> bool {
    let shape = Shape::of::<K>();
    let (Some(current), Some(desired)) = (current.as_object(), desired.as_object()) else {
        return current == desired;
    };
    desired.iter().all(|(field, wanted)| {
        let have = current.get(field).unwrap_or(&Value::Null);
        match (field.as_str(), part) {
            // Filled in from the type, whether or not the object carries them.
            ("apiVersion" | "kind", _) => true,
            ("status", Part::Status) => shape.holds(shape.field(&shape.root, field), have, wanted),
            (_, Part::Status) => true,
            ("metadata", Part::Object) => shape.holds(&shape.metadata, have, wanted),
            (_, Part::Object) => shape.holds(shape.field(&shape.root, field), have, wanted),
        }
    })
}

/// Which part of an object a write sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Part {
    /// The whole object (an update or apply of it; the API server ignores the status when
    /// the kind has a status subresource, and a desired object usually leaves it unset).
    Object,
    /// Only the status (of the status subresource).
    Status,
}

/// A type's JSON schema with the definitions its `$ref`s name.
struct Shape {
    root: Value,
    metadata: Value,
    definitions: Map<String, Value>,
}

/// What a schema says a value is, as far as comparing goes.
enum Form<'a> {
    /// Named fields: those the desired value leaves unset are the server's.
    Struct(&'a Map<String, Value>),
    /// Keys chosen by the user, each with values of one schema.
    Map(&'a Value),
    /// Items of one schema.
    List(&'a Value),
    Quantity,
    /// Nothing known: compared as a map of anything, or exactly.
    Unknown,
}

/// The empty schema, which says nothing.
static ANYTHING: Value = Value::Null;

impl Shape {
    /// The shape of `K`, made once per type.
    fn of<K: JsonSchema + 'static>() -> Arc<Shape> {
        static SHAPES: LazyLock<Mutex<HashMap<TypeId, Arc<Shape>>>> =
            LazyLock::new(Default::default);
        let mut shapes = SHAPES.lock().unwrap_or_else(PoisonError::into_inner);
        Arc::clone(
            shapes
                .entry(TypeId::of::<K>())
                .or_insert_with(|| Arc::new(Shape::new::<K>())),
        )
    }

    fn new<K: JsonSchema>() -> Shape {
        let mut generator = SchemaGenerator::new(SchemaSettings::draft2020_12().for_serialize());
        let root = generator.subschema_for::<K>().to_value();
        // A custom resource's schema leaves out `metadata` (the API server validates it).
        let metadata = generator.subschema_for::<ObjectMeta>().to_value();
        let definitions = generator.take_definitions(true);
        Shape {
            root,
            metadata,
            definitions,
        }
    }

    /// The schema `schema` stands for: `$ref`s followed, a nullable wrapper (`Option<T>`)
    /// removed.
    fn resolve<'a>(&'a self, schema: &'a Value) -> &'a Value {
        let mut schema = schema;
        for _ in 0..16 {
            if let Some(name) = schema.get("$ref").and_then(Value::as_str) {
                match self.definition(name) {
                    Some(definition) => schema = definition,
                    None => return &ANYTHING,
                }
            } else if let Some(inner) = ["anyOf", "oneOf", "allOf"]
                .iter()
                .find_map(|keyword| single_non_null(schema.get(*keyword)?))
            {
                schema = inner;
            } else {
                return schema;
            }
        }
        &ANYTHING
    }

    fn definition(&self, reference: &str) -> Option<&Value> {
        let name = reference.rsplit_once('/')?.1;
        self.definitions
            .get(&name.replace("~1", "/").replace("~0", "~"))
    }

    /// The schema of `field` of the struct `schema`, or [`ANYTHING`].
    fn field<'a>(&'a self, schema: &'a Value, field: &str) -> &'a Value {
        match self.form(schema) {
            Form::Struct(properties) => properties.get(field).unwrap_or(&ANYTHING),
            Form::Map(values) => values,
            _ => &ANYTHING,
        }
    }

    fn form<'a>(&'a self, schema: &'a Value) -> Form<'a> {
        let schema = self.resolve(schema);
        if self.is_quantity(schema) {
            return Form::Quantity;
        }
        if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
            return Form::Struct(properties);
        }
        if let Some(values) = schema.get("additionalProperties") {
            return match values {
                Value::Bool(true) => Form::Map(&ANYTHING),
                Value::Object(_) => Form::Map(values),
                _ => Form::Unknown,
            };
        }
        match schema.get("items") {
            Some(items) => Form::List(items),
            None => Form::Unknown,
        }
    }

    fn is_quantity(&self, schema: &Value) -> bool {
        self.definitions
            .get(QUANTITY)
            .is_some_and(|quantity| std::ptr::eq(quantity, schema))
    }

    /// Whether `have` (of schema `schema`) holds everything `wanted` sets.
    fn holds(&self, schema: &Value, have: &Value, wanted: &Value) -> bool {
        if wanted.is_null() {
            return true;
        }
        match (self.form(schema), wanted, have) {
            (Form::Struct(properties), Value::Object(wanted), Value::Object(have)) => {
                wanted.iter().all(|(field, value)| {
                    let schema = properties.get(field).unwrap_or(&ANYTHING);
                    self.holds(schema, have.get(field).unwrap_or(&Value::Null), value)
                })
            }
            (Form::Struct(_), Value::Object(wanted), Value::Null) => {
                // Nothing there: held only if nothing is set.
                wanted
                    .values()
                    .all(|value| self.holds(&ANYTHING, &Value::Null, value))
            }
            (Form::Map(values), Value::Object(wanted), _) => self.holds_map(values, have, wanted),
            (Form::Unknown, Value::Object(wanted), _) => self.holds_map(&ANYTHING, have, wanted),
            (form, Value::Array(wanted), _) => {
                let items = match form {
                    Form::List(items) => items,
                    _ => &ANYTHING,
                };
                match have {
                    Value::Array(have) => {
                        have.len() == wanted.len()
                            && wanted
                                .iter()
                                .zip(have)
                                .all(|(wanted, have)| self.holds(items, have, wanted))
                    }
                    Value::Null => wanted.is_empty(),
                    _ => false,
                }
            }
            (Form::Quantity, Value::String(wanted), Value::String(have)) => {
                match (quantity(wanted), quantity(have)) {
                    (Some(wanted), Some(have)) => wanted == have,
                    _ => wanted == have,
                }
            }
            (_, wanted, have) => same(wanted, have),
        }
    }

    /// A map: the same keys, each value held.
    fn holds_map(&self, values: &Value, have: &Value, wanted: &Map<String, Value>) -> bool {
        let empty = Map::new();
        let have = match have {
            Value::Object(have) => have,
            Value::Null => &empty,
            _ => return false,
        };
        let set = |map: &Map<String, Value>| map.values().filter(|v| !v.is_null()).count();
        set(wanted) == set(have)
            && wanted.iter().all(|(key, value)| {
                self.holds(values, have.get(key).unwrap_or(&Value::Null), value)
            })
    }
}

/// JSON equality with numbers compared by value (`80` and `80.0`).
pub(super) fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(a), Value::Number(b)) => a == b || a.as_f64() == b.as_f64(),
        _ => a == b,
    }
}

/// The one schema of `variants` that is not `{"type": "null"}`.
fn single_non_null(variants: &Value) -> Option<&Value> {
    let mut others = variants
        .as_array()?
        .iter()
        .filter(|variant| variant.get("type").and_then(Value::as_str) != Some("null"));
    let only = others.next()?;
    others.next().is_none().then_some(only)
}

/// A quantity's value as an exact fraction: `(numerator, denominator)` in lowest terms, for
/// the serializations Kubernetes accepts (`<number><suffix>`, suffixes binary `Ki`..`Ei`,
/// decimal `n`, `u`, `m`, ``, `k`, `M`..`E`, or an exponent `e<n>`/`E<n>`). `None` for
/// anything else, and for values too large to compare exactly.
fn quantity(text: &str) -> Option<(i128, i128)> {
    let text = text.trim();
    let end = text
        .find(|c: char| !(c.is_ascii_digit() || matches!(c, '.' | '+' | '-')))
        .unwrap_or(text.len());
    let (number, suffix) = text.split_at(end);
    let (negative, number) = match number.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, number.strip_prefix('+').unwrap_or(number)),
    };
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    if whole.is_empty() && fraction.is_empty()
        || !(whole.chars().chain(fraction.chars())).all(|c| c.is_ascii_digit())
        || whole.len() + fraction.len() > 30
    {
        return None;
    }
    let digits: i128 = format!("{whole}{fraction}").parse().ok()?;
    let mut numerator = if negative { -digits } else { digits };
    let mut denominator = 10i128.checked_pow(u32::try_from(fraction.len()).ok()?)?;
    let (base, power): (i128, i64) = match suffix {
        "" => (10, 0),
        "n" => (10, -9),
        "u" => (10, -6),
        "m" => (10, -3),
        "k" => (10, 3),
        "M" => (10, 6),
        "G" => (10, 9),
        "T" => (10, 12),
        "P" => (10, 15),
        "E" => (10, 18),
        "Ki" => (2, 10),
        "Mi" => (2, 20),
        "Gi" => (2, 30),
        "Ti" => (2, 40),
        "Pi" => (2, 50),
        "Ei" => (2, 60),
        exponent => {
            let exponent = exponent
                .strip_prefix('e')
                .or_else(|| exponent.strip_prefix('E'))?;
            (10, exponent.parse().ok()?)
        }
    };
    let scale = base.checked_pow(u32::try_from(power.unsigned_abs()).ok()?)?;
    if power >= 0 {
        numerator = numerator.checked_mul(scale)?;
    } else {
        denominator = denominator.checked_mul(scale)?;
    }
    let divisor = gcd(numerator.unsigned_abs(), denominator.unsigned_abs()).max(1);
    let divisor = i128::try_from(divisor).ok()?;
    Some((numerator / divisor, denominator / divisor))
}

fn gcd(mut a: u128, mut b: u128) -> u128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

#[cfg(test)]
mod tests {
    use k8s_openapi::api::apps::v1::Deployment;
    use k8s_openapi::api::core::v1::ConfigMap;
    use serde_json::json;

    use super::{Part, holds, quantity};

    /// A Deployment as the API server stores it: what the operator sent plus defaults.
    fn stored() -> serde_json::Value {
        json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "default", "resourceVersion": "7",
                         "labels": {"app": "web"}, "generation": 1},
            "spec": {
                "replicas": 2, "revisionHistoryLimit": 10, "progressDeadlineSeconds": 600,
                "strategy": {"type": "RollingUpdate",
                             "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
                "selector": {"matchLabels": {"app": "web"}},
                "template": {
                    "metadata": {"labels": {"app": "web"}},
                    "spec": {
                        "restartPolicy": "Always", "dnsPolicy": "ClusterFirst",
                        "securityContext": {},
                        "containers": [{
                            "name": "web", "image": "nginx:1.27",
                            "imagePullPolicy": "IfNotPresent",
                            "terminationMessagePath": "/dev/termination-log",
                            "ports": [{"containerPort": 80, "protocol": "TCP"}],
                            "resources": {"limits": {"cpu": "500m", "memory": "1Gi"}}
                        }]
                    }
                }
            },
            "status": {"replicas": 2}
        })
    }

    /// What the operator builds each time.
    fn desired() -> serde_json::Value {
        json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "default", "resourceVersion": "7",
                         "labels": {"app": "web"}, "generation": 1},
            "spec": {
                "replicas": 2,
                "selector": {"matchLabels": {"app": "web"}},
                "template": {
                    "metadata": {"labels": {"app": "web"}},
                    "spec": {
                        "containers": [{
                            "name": "web", "image": "nginx:1.27", "env": [],
                            "ports": [{"containerPort": 80}],
                            "resources": {"limits": {"cpu": "0.5", "memory": "1024Mi"}}
                        }]
                    }
                }
            }
        })
    }

    fn deployment_holds(current: &serde_json::Value, desired: &serde_json::Value) -> bool {
        holds::<Deployment>(current, desired, Part::Object)
    }

    #[test]
    fn fields_left_unset_are_the_servers() {
        assert!(deployment_holds(&stored(), &desired()));
    }

    #[test]
    fn a_field_set_to_another_value_is_a_change() {
        let mut desired = desired();
        desired["spec"]["replicas"] = json!(3);
        assert!(!deployment_holds(&stored(), &desired));
        let mut desired = self::desired();
        desired["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["cpu"] =
            json!("1");
        assert!(!deployment_holds(&stored(), &desired));
        let mut desired = self::desired();
        desired["spec"]["strategy"] = json!({"type": "Recreate"});
        assert!(!deployment_holds(&stored(), &desired));
    }

    #[test]
    fn map_keys_and_list_items_removed_are_changes() {
        let mut desired = desired();
        desired["spec"]["template"]["metadata"]["labels"] = json!({});
        assert!(!deployment_holds(&stored(), &desired));
        let mut desired = self::desired();
        desired["metadata"]["labels"] = json!({"app": "web", "tier": "front"});
        assert!(!deployment_holds(&stored(), &desired));
        let mut desired = self::desired();
        desired["spec"]["template"]["spec"]["containers"][0]["ports"] = json!([]);
        assert!(!deployment_holds(&stored(), &desired));

        let stored = json!({"metadata": {"name": "c"}, "data": {"a": "1", "b": "2"}});
        let desired = json!({"metadata": {"name": "c"}, "data": {"a": "1"}});
        assert!(!holds::<ConfigMap>(&stored, &desired, Part::Object));
        assert!(holds::<ConfigMap>(&stored, &stored, Part::Object));
    }

    #[test]
    fn a_status_write_compares_only_the_status() {
        let mut desired = stored();
        desired["status"]["replicas"] = json!(1);
        assert!(!holds::<Deployment>(&stored(), &desired, Part::Status));
        desired["spec"]["replicas"] = json!(5);
        desired["status"]["replicas"] = json!(2);
        assert!(holds::<Deployment>(&stored(), &desired, Part::Status));
    }

    #[test]
    fn quantities_compare_by_value() {
        assert_eq!(quantity("0.5"), quantity("500m"));
        assert_eq!(quantity("1Gi"), quantity("1024Mi"));
        assert_eq!(quantity("1k"), quantity("1e3"));
        assert_eq!(quantity("1.5Gi"), quantity("1536Mi"));
        assert_ne!(quantity("1k"), quantity("1Ki"));
        assert_eq!(quantity("-2"), Some((-2, 1)));
        assert_eq!(quantity("25%"), None);
        assert_eq!(quantity("."), None);
        assert_eq!(quantity(&"9".repeat(40)), None);
    }
}
