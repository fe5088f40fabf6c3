//! The fields a server-side apply owns, from an object's `metadata.managedFields`.
//!
//! An apply that leaves out a field its field manager applied before removes that field. So
//! an apply changes nothing only when the current object holds every field the new
//! configuration sets ([`super::desired`]) *and* the configuration still sets every field the
//! manager owns. The cache keeps the managed-field entries of applies for this (it drops the
//! others, see `ManagerOptions::cache_managed_fields`).

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ManagedFieldsEntry;
use serde_json::{Map, Value};

use super::desired::{Part, same};

/// Whether `configuration` (an apply body) sets every field that `field_manager`'s applies
/// own in `entries`, for the object or for its status subresource (`part`). `false` when the
/// entries do not say (an entry in a format other than `FieldsV1`).
pub(crate) fn sets_every_owned_field(
    entries: &[ManagedFieldsEntry],
    field_manager: &str,
    part: Part,
    configuration: &Value,
) -> bool {
    entries
        .iter()
        .filter(|entry| {
            entry.manager.as_deref() == Some(field_manager)
                && entry.operation.as_deref() == Some("Apply")
                && match part {
                    Part::Object => entry.subresource.as_deref().unwrap_or_default().is_empty(),
                    Part::Status => entry.subresource.as_deref() == Some("status"),
                }
        })
        .all(|entry| {
            entry.fields_type.as_deref() == Some("FieldsV1")
                && entry
                    .fields_v1
                    .as_ref()
                    .and_then(|fields| fields.0.as_object())
                    .is_some_and(|fields| sets(fields, configuration))
        })
}

/// Keeps only the entries of server-side applies in `entries` (none left: `None`).
pub(crate) fn keep_applied(entries: &mut Option<Vec<ManagedFieldsEntry>>) {
    if let Some(list) = entries {
        list.retain(|entry| entry.operation.as_deref() == Some("Apply"));
        if list.is_empty() {
            *entries = None;
        }
    }
}

/// Whether `value` sets every field of the `FieldsV1` set `fields`: `f:<name>` a field,
/// `k:<keys>` the list item with those key values, `v:<value>` a set item, `i:<index>` an
/// item by position, `.` the value itself.
fn sets(fields: &Map<String, Value>, value: &Value) -> bool {
    fields
        .iter()
        .filter(|(path, _)| path.as_str() != ".")
        .all(
            |(path, children)| match (member(path, value), children.as_object()) {
                (Some(child), Some(children)) => sets(children, child),
                (Some(_), None) => true,
                (None, _) => false,
            },
        )
}

/// The part of `value` the `FieldsV1` path element `path` names, if `value` has it.
fn member<'a>(path: &str, value: &'a Value) -> Option<&'a Value> {
    if let Some(name) = path.strip_prefix("f:") {
        value.get(name).filter(|field| !field.is_null())
    } else if let Some(keys) = path.strip_prefix("k:") {
        let Ok(Value::Object(keys)) = serde_json::from_str::<Value>(keys) else {
            return None;
        };
        // A key the item leaves out is one the API server defaulted (a port's `protocol`):
        // the item still matches. (Which items a list holds is compared by `desired` too,
        // item by item.)
        value.as_array()?.iter().find(|item| {
            keys.iter().all(|(key, wanted)| match item.get(key) {
                None | Some(Value::Null) => true,
                Some(have) => same(have, wanted),
            })
        })
    } else if let Some(member) = path.strip_prefix("v:") {
        let member = serde_json::from_str::<Value>(member).ok()?;
        value.as_array()?.iter().find(|item| same(item, &member))
    } else if let Some(index) = path.strip_prefix("i:") {
        value.as_array()?.get(index.parse::<usize>().ok()?)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::{FieldsV1, ManagedFieldsEntry};
    use serde_json::json;

    use super::{Part, keep_applied, sets_every_owned_field};

    fn entry(manager: &str, operation: &str, subresource: Option<&str>) -> ManagedFieldsEntry {
        ManagedFieldsEntry {
            manager: Some(manager.into()),
            operation: Some(operation.into()),
            subresource: subresource.map(Into::into),
            fields_type: Some("FieldsV1".into()),
            fields_v1: Some(FieldsV1(json!({
                "f:metadata": {"f:labels": {".": {}, "f:app": {}}},
                "f:spec": {
                    "f:replicas": {},
                    "f:ports": {"k:{\"port\":80,\"protocol\":\"TCP\"}": {".": {}, "f:port": {}}},
                    "f:finalizers": {"v:\"a/b\"": {}}
                }
            }))),
            ..ManagedFieldsEntry::default()
        }
    }

    fn configuration() -> serde_json::Value {
        json!({
            "metadata": {"labels": {"app": "x"}},
            "spec": {"replicas": 1, "ports": [{"port": 80, "protocol": "TCP"}],
                     "finalizers": ["a/b"]}
        })
    }

    #[test]
    fn a_configuration_that_sets_every_owned_field_keeps_them() {
        let entries = [entry("op", "Apply", None)];
        assert!(sets_every_owned_field(
            &entries,
            "op",
            Part::Object,
            &configuration()
        ));
        // Another manager's fields, updates and the status subresource are not ours to keep.
        let others = [
            entry("someone", "Apply", None),
            entry("op", "Update", None),
            entry("op", "Apply", Some("status")),
        ];
        assert!(sets_every_owned_field(
            &others,
            "op",
            Part::Object,
            &json!({})
        ));
    }

    #[test]
    fn a_configuration_that_leaves_out_an_owned_field_removes_it() {
        let entries = [entry("op", "Apply", None)];
        for pointer in [
            "/metadata/labels",
            "/spec/replicas",
            "/spec/ports",
            "/spec/finalizers",
        ] {
            let mut configuration = configuration();
            *configuration.pointer_mut(pointer).expect(pointer) = json!(null);
            assert!(
                !sets_every_owned_field(&entries, "op", Part::Object, &configuration),
                "{pointer}"
            );
        }
        let mut other_port = configuration();
        other_port["spec"]["ports"][0]["port"] = json!(81);
        assert!(!sets_every_owned_field(
            &entries,
            "op",
            Part::Object,
            &other_port
        ));
    }

    #[test]
    fn the_cache_keeps_only_applies() {
        let mut entries = Some(vec![
            entry("op", "Update", None),
            entry("op", "Apply", None),
        ]);
        keep_applied(&mut entries);
        assert_eq!(entries.as_deref().map(<[_]>::len), Some(1));
        let mut entries = Some(vec![entry("op", "Update", None)]);
        keep_applied(&mut entries);
        assert_eq!(entries, None);
    }
}
