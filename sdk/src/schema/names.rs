//! Which Rust type and field a schema node came from, for messages.
//!
//! The schemars transforms record the field names of every marked type while `K::crd()` runs;
//! the checks then find a node's Rust names by its set of property names.

use std::cell::RefCell;
use std::collections::BTreeSet;

use super::marker::{Marker, TypeMarkers};

/// The recorded names of one type.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TypeNames {
    /// The Rust type name.
    pub type_name: &'static str,
    /// `(json, rust)` field names.
    pub fields: Vec<(&'static str, &'static str)>,
    /// The JSON names of the fields marked `nullable`.
    pub nullable: Vec<&'static str>,
    /// The fields with an `enum` marker: JSON name and the marker's values (as JSON text).
    pub enums: Vec<(&'static str, String)>,
}

/// Rust names of the types seen while building one CRD.
#[derive(Debug, Clone, Default)]
pub struct RustNames {
    types: Vec<TypeNames>,
}

impl RustNames {
    /// The Rust `Type.field` of `property` in a node with `properties`: among the types
    /// that have the property, the one sharing most properties with the node (flattened
    /// fields put several types' properties into one node).
    pub fn field(&self, properties: &BTreeSet<&str>, property: &str) -> Option<String> {
        let found = self.owner(properties, property)?;
        let rust = found
            .fields
            .iter()
            .find(|(json, _)| *json == property)
            .map(|(_, rust)| *rust)?;
        Some(format!("{}.{rust}", found.type_name))
    }

    /// Whether `property` of a node with `properties` is a field marked `nullable`.
    pub fn marked_nullable(&self, properties: &BTreeSet<&str>, property: &str) -> bool {
        self.owner(properties, property)
            .is_some_and(|names| names.nullable.contains(&property))
    }

    /// The type that has `property`, among those sharing most properties with the node.
    /// The values of `property`'s `enum` marker (in the type that has `properties`), if it has one.
    pub fn marked_enum(
        &self,
        properties: &BTreeSet<&str>,
        property: &str,
    ) -> Option<serde_json::Value> {
        let (_, values) = self
            .owner(properties, property)?
            .enums
            .iter()
            .find(|(json, _)| *json == property)?;
        serde_json::from_str(values).ok()
    }

    fn owner(&self, properties: &BTreeSet<&str>, property: &str) -> Option<&TypeNames> {
        let overlap = |names: &TypeNames| {
            let shared = names
                .fields
                .iter()
                .filter(|(json, _)| properties.contains(json))
                .count();
            (shared, std::cmp::Reverse(names.fields.len()))
        };
        self.types
            .iter()
            .filter(|names| names.fields.iter().any(|(json, _)| *json == property))
            .max_by_key(|names| overlap(names))
    }
}

thread_local! {
    static RECORDING: RefCell<Option<Vec<TypeNames>>> = const { RefCell::new(None) };
}

/// Records `markers`' names if a [`recording`] is under way on this thread.
pub fn record(markers: &TypeMarkers) {
    RECORDING.with(|recording| {
        if let Some(types) = recording.borrow_mut().as_mut() {
            let names = TypeNames {
                type_name: markers.type_name,
                fields: markers.fields.iter().map(|f| (f.json, f.rust)).collect(),
                nullable: markers
                    .fields
                    .iter()
                    .filter(|f| f.markers.iter().any(|m| matches!(m, Marker::Nullable)))
                    .map(|f| f.json)
                    .collect(),
                enums: markers
                    .fields
                    .iter()
                    .flat_map(|f| {
                        f.markers.iter().filter_map(move |m| match m {
                            Marker::Enum(values) => {
                                Some((f.json, serde_json::Value::from(values.clone()).to_string()))
                            }
                            _ => None,
                        })
                    })
                    .collect(),
            };
            if !types.contains(&names) {
                types.push(names);
            }
        }
    });
}

/// Runs `build` while recording the names of the marked types it generates schemas for.
#[cfg(feature = "manifests")]
pub fn recording<T>(build: impl FnOnce() -> T) -> (T, RustNames) {
    RECORDING.with(|recording| *recording.borrow_mut() = Some(Vec::new()));
    let out = build();
    let types = RECORDING.with(|recording| recording.borrow_mut().take().unwrap_or_default());
    (out, RustNames { types })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::{RustNames, TypeNames};

    #[test]
    fn fields_are_named_after_the_type_sharing_most_properties() {
        let names = RustNames {
            types: vec![
                TypeNames {
                    type_name: "EnvVar",
                    fields: vec![("name", "name"), ("value", "value")],
                    nullable: vec![],
                    enums: vec![],
                },
                TypeNames {
                    type_name: "Spec",
                    fields: vec![("name", "name"), ("image", "image")],
                    nullable: vec!["image"],
                    enums: vec![],
                },
                TypeNames {
                    type_name: "Common",
                    fields: vec![("priority", "priority")],
                    nullable: vec![],
                    enums: vec![],
                },
            ],
        };
        // Spec with Common flattened into it.
        let spec: BTreeSet<&str> = ["name", "image", "priority"].into();
        assert_eq!(names.field(&spec, "name").as_deref(), Some("Spec.name"));
        assert_eq!(
            names.field(&spec, "priority").as_deref(),
            Some("Common.priority")
        );
        let env: BTreeSet<&str> = ["name", "value"].into();
        assert_eq!(names.field(&env, "name").as_deref(), Some("EnvVar.name"));
        assert_eq!(names.field(&env, "other"), None);
        assert!(names.marked_nullable(&spec, "image"));
        assert!(!names.marked_nullable(&spec, "name"));
    }
}
