//! Which Rust type and field a schema node came from, for messages.
//!
//! The schemars transforms record the field names of every marked type while `K::crd()` runs;
//! the checks then find a node's Rust names by its set of property names.

use std::cell::RefCell;
use std::collections::BTreeSet;

use super::TypeMarkers;

/// The recorded names of one type.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TypeNames {
    /// The Rust type name.
    pub type_name: &'static str,
    /// `(json, rust)` field names.
    pub fields: Vec<(&'static str, &'static str)>,
}

/// Rust names of the types seen while building one CRD.
#[derive(Debug, Clone, Default)]
pub struct RustNames {
    types: Vec<TypeNames>,
}

impl RustNames {
    /// The type whose properties are exactly `properties`, else one that has `property`.
    pub fn field(&self, properties: &BTreeSet<&str>, property: &str) -> Option<String> {
        let exact = self.types.iter().find(|names| {
            names.fields.len() == properties.len()
                && names
                    .fields
                    .iter()
                    .all(|(json, _)| properties.contains(json))
        });
        let found = exact.or_else(|| {
            self.types
                .iter()
                .find(|names| names.fields.iter().any(|(json, _)| *json == property))
        })?;
        let rust = found
            .fields
            .iter()
            .find(|(json, _)| *json == property)
            .map(|(_, rust)| *rust)?;
        Some(format!("{}.{rust}", found.type_name))
    }

    /// The type whose properties are exactly `properties`.
    pub fn type_of(&self, properties: &BTreeSet<&str>) -> Option<&'static str> {
        self.types
            .iter()
            .find(|names| {
                !properties.is_empty()
                    && names.fields.len() == properties.len()
                    && names
                        .fields
                        .iter()
                        .all(|(json, _)| properties.contains(json))
            })
            .map(|names| names.type_name)
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
            };
            if !types.contains(&names) {
                types.push(names);
            }
        }
    });
}

/// Runs `build` while recording the names of the marked types it generates schemas for.
pub fn recording<T>(build: impl FnOnce() -> T) -> (T, RustNames) {
    RECORDING.with(|recording| *recording.borrow_mut() = Some(Vec::new()));
    let out = build();
    let types = RECORDING.with(|recording| recording.borrow_mut().take().unwrap_or_default());
    (out, RustNames { types })
}
