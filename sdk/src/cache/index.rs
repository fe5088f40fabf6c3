//! Field indexes over one kind's cached objects: named functions from an object to the values
//! it is found under, kept up to date by the kind's watch events.
//!
//! Every kind has the built-in [`CONTROLLER_OWNER_INDEX`] (the uid of an object's controlling
//! owner); more are registered with [`Cache::index_field`](super::Cache::index_field) before
//! the kind's watch starts. Relists are handled like kube-runtime's store handles them: the
//! objects of a relist are indexed aside and replace the index when the relist is complete,
//! so objects that vanished while the watch was down leave the index too.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use kube::runtime::reflector::ObjectRef;
use kube::runtime::watcher::Event;

use super::kind::{Kind, key_of};

/// The built-in index: the uid of an object's controller owner reference
/// (`ownerReferences[controller=true].uid`). See [`CachedApi::list_owned_by`](super::CachedApi::list_owned_by).
pub const CONTROLLER_OWNER_INDEX: &str = "metadata.ownerReferences.controller.uid";

/// Computes the values an object is indexed under (none: the object is not in the index).
pub(crate) type IndexFn<K> = Arc<dyn Fn(&K) -> Vec<String> + Send + Sync>;

/// Which index a value belongs to: its position in the registered functions.
type Slot = usize;

/// Objects by indexed value, and the values of each object (to remove it again).
struct Entries<K: Kind> {
    objects: HashMap<(Slot, String), HashSet<ObjectRef<K>>>,
    values: HashMap<ObjectRef<K>, Vec<(Slot, String)>>,
}

impl<K: Kind> Default for Entries<K> {
    fn default() -> Self {
        Entries {
            objects: HashMap::new(),
            values: HashMap::new(),
        }
    }
}

impl<K: Kind> Entries<K> {
    fn insert(&mut self, key: ObjectRef<K>, values: Vec<(Slot, String)>) {
        self.remove(&key);
        if values.is_empty() {
            return;
        }
        for value in &values {
            self.objects
                .entry(value.clone())
                .or_default()
                .insert(key.clone());
        }
        self.values.insert(key, values);
    }

    fn remove(&mut self, key: &ObjectRef<K>) {
        let Some(values) = self.values.remove(key) else {
            return;
        };
        for value in values {
            if let Some(objects) = self.objects.get_mut(&value) {
                objects.remove(key);
                if objects.is_empty() {
                    self.objects.remove(&value);
                }
            }
        }
    }
}

struct State<K: Kind> {
    live: Entries<K>,
    /// The index being rebuilt by a relist in progress.
    relist: Option<Entries<K>>,
}

/// The indexes of one kind.
pub(crate) struct Indexes<K: Kind> {
    names: RwLock<Vec<(String, IndexFn<K>)>>,
    state: RwLock<State<K>>,
}

impl<K: Kind> Indexes<K> {
    /// Indexes with only the built-in controller-owner index.
    pub(crate) fn new() -> Self {
        let owner: IndexFn<K> = Arc::new(|object: &K| {
            object
                .meta()
                .owner_references
                .iter()
                .flatten()
                .filter(|owner| owner.controller == Some(true))
                .map(|owner| owner.uid.clone())
                .collect()
        });
        Indexes {
            names: RwLock::new(vec![(CONTROLLER_OWNER_INDEX.to_string(), owner)]),
            state: RwLock::new(State {
                live: Entries::default(),
                relist: None,
            }),
        }
    }

    /// Registers `function` as `name`; false when the name is taken.
    pub(crate) fn register(&self, name: &str, function: IndexFn<K>) -> bool {
        let mut names = write(&self.names);
        if names.iter().any(|(existing, _)| existing == name) {
            return false;
        }
        names.push((name.to_string(), function));
        true
    }

    /// The function registered as `name`.
    pub(crate) fn function(&self, name: &str) -> Option<IndexFn<K>> {
        read(&self.names)
            .iter()
            .find(|(existing, _)| existing == name)
            .map(|(_, function)| Arc::clone(function))
    }

    /// Updates the indexes for a watch event (before the store applies it, so that a
    /// reconcile triggered by the event finds the object in its indexes).
    pub(crate) fn apply(&self, event: &Event<K>) {
        let mut state = write(&self.state);
        match event {
            Event::Apply(object) => {
                let values = self.values_of(object);
                state.live.insert(key_of(object), values);
            }
            Event::Delete(object) => state.live.remove(&key_of(object)),
            Event::Init => state.relist = Some(Entries::default()),
            Event::InitApply(object) => {
                let values = self.values_of(object);
                state
                    .relist
                    .get_or_insert_with(Entries::default)
                    .insert(key_of(object), values);
            }
            Event::InitDone => {
                if let Some(relisted) = state.relist.take() {
                    state.live = relisted;
                }
            }
        }
    }

    /// The objects indexed under `value` in the index `name`, or `None` when no such index exists.
    pub(crate) fn lookup(&self, name: &str, value: &str) -> Option<Vec<ObjectRef<K>>> {
        let slot = read(&self.names)
            .iter()
            .position(|(existing, _)| existing == name)?;
        let state = read(&self.state);
        Some(
            state
                .live
                .objects
                .get(&(slot, value.to_string()))
                .map(|objects| objects.iter().cloned().collect())
                .unwrap_or_default(),
        )
    }

    fn values_of(&self, object: &K) -> Vec<(Slot, String)> {
        read(&self.names)
            .iter()
            .enumerate()
            .flat_map(|(slot, (_, function))| {
                function(object).into_iter().map(move |value| (slot, value))
            })
            .collect()
    }
}

fn read<T>(lock: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn write<T>(lock: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    lock.write()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::ConfigMap;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;

    fn owned(name: &str, owner_uid: &str, color: &str) -> ConfigMap {
        let mut cm = ConfigMap::default();
        cm.metadata.name = Some(name.into());
        cm.metadata.namespace = Some("ns".into());
        cm.metadata.labels = Some([("color".to_string(), color.to_string())].into());
        cm.metadata.owner_references = Some(vec![OwnerReference {
            uid: owner_uid.into(),
            controller: Some(true),
            ..OwnerReference::default()
        }]);
        cm
    }

    fn names(indexes: &Indexes<ConfigMap>, index: &str, value: &str) -> Vec<String> {
        let mut names: Vec<String> = indexes
            .lookup(index, value)
            .expect("index exists")
            .into_iter()
            .map(|key| key.name)
            .collect();
        names.sort();
        names
    }

    fn by_color() -> IndexFn<ConfigMap> {
        Arc::new(|cm: &ConfigMap| {
            cm.metadata
                .labels
                .iter()
                .flatten()
                .filter(|(key, _)| *key == "color")
                .map(|(_, value)| value.clone())
                .collect()
        })
    }

    #[test]
    fn updates_move_objects_between_values_and_deletes_remove_them() {
        let indexes = Indexes::<ConfigMap>::new();
        assert!(indexes.register("color", by_color()));
        assert!(!indexes.register("color", by_color()), "names are unique");
        indexes.apply(&Event::Apply(owned("a", "u1", "red")));
        indexes.apply(&Event::Apply(owned("b", "u1", "red")));
        assert_eq!(names(&indexes, "color", "red"), ["a", "b"]);
        assert_eq!(names(&indexes, CONTROLLER_OWNER_INDEX, "u1"), ["a", "b"]);

        indexes.apply(&Event::Apply(owned("a", "u2", "blue")));
        assert_eq!(names(&indexes, "color", "red"), ["b"]);
        assert_eq!(names(&indexes, "color", "blue"), ["a"]);
        assert_eq!(names(&indexes, CONTROLLER_OWNER_INDEX, "u1"), ["b"]);

        indexes.apply(&Event::Delete(owned("b", "u1", "red")));
        assert!(names(&indexes, "color", "red").is_empty());
        assert!(names(&indexes, CONTROLLER_OWNER_INDEX, "u1").is_empty());
        assert!(indexes.lookup("size", "x").is_none(), "unknown index");
    }

    #[test]
    fn a_relist_replaces_the_index_when_it_completes() {
        let indexes = Indexes::<ConfigMap>::new();
        indexes.register("color", by_color());
        indexes.apply(&Event::Apply(owned("gone", "u1", "red")));
        indexes.apply(&Event::Apply(owned("kept", "u1", "red")));
        indexes.apply(&Event::Init);
        indexes.apply(&Event::InitApply(owned("kept", "u1", "green")));
        indexes.apply(&Event::InitApply(owned("new", "u1", "red")));
        assert_eq!(
            names(&indexes, "color", "red"),
            ["gone", "kept"],
            "until the relist completes, the old index answers"
        );
        indexes.apply(&Event::InitDone);
        assert_eq!(names(&indexes, "color", "red"), ["new"]);
        assert_eq!(names(&indexes, "color", "green"), ["kept"]);
        assert_eq!(
            names(&indexes, CONTROLLER_OWNER_INDEX, "u1"),
            ["kept", "new"]
        );
    }
}
