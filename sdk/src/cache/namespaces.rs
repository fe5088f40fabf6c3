//! Watching a kind in several namespaces into one store.
//!
//! Each namespace has its own watch; their events are merged into one stream for one
//! reflector, so that controllers see a single cache. A relist of one namespace must not clear
//! the objects of the others, so relists are turned into applies, objects that vanished during
//! a relist into deletes, and the store is marked ready once (with a single initial list) when
//! every namespace has been listed.

use std::collections::HashSet;
use std::sync::Arc;

use futures::{Stream, StreamExt};
use kube::runtime::reflector::{ObjectRef, Store};
use kube::runtime::watcher::{Error, Event};

use super::kind::Kind;

/// Merges the watch streams of `namespaces` (in the same order) into one stream for the
/// reflector that fills `store`.
pub(crate) fn merge<K, S>(
    streams: Vec<S>,
    namespaces: Vec<String>,
    store: Store<K>,
) -> impl Stream<Item = Result<Event<K>, Error>> + Send
where
    K: Kind,
    S: Stream<Item = Result<Event<K>, Error>> + Send + Unpin + 'static,
{
    let tagged = streams
        .into_iter()
        .enumerate()
        .map(|(index, stream)| stream.map(move |event| (index, event)));
    let mut merger = Merger {
        relisting: vec![None; namespaces.len()],
        listed: vec![false; namespaces.len()],
        ready: false,
        namespaces,
        store,
    };
    futures::stream::select_all(tagged)
        .map(move |(index, event)| futures::stream::iter(merger.translate(index, event)))
        .flatten()
}

struct Merger<K: Kind> {
    namespaces: Vec<String>,
    /// The objects seen so far by each namespace's relist in progress.
    relisting: Vec<Option<HashSet<ObjectRef<K>>>>,
    /// Whether each namespace has completed its first list.
    listed: Vec<bool>,
    ready: bool,
    store: Store<K>,
}

impl<K: Kind> Merger<K> {
    fn translate(
        &mut self,
        index: usize,
        event: Result<Event<K>, Error>,
    ) -> Vec<Result<Event<K>, Error>> {
        let event = match event {
            Ok(event) => event,
            Err(error) => return vec![Err(error)],
        };
        match event {
            Event::Apply(object) => vec![Ok(Event::Apply(object))],
            Event::Delete(object) => vec![Ok(Event::Delete(object))],
            Event::Init => {
                self.relisting[index] = Some(HashSet::new());
                Vec::new()
            }
            Event::InitApply(object) => {
                if let Some(seen) = &mut self.relisting[index] {
                    seen.insert(ObjectRef::from_obj(&object));
                }
                vec![Ok(Event::Apply(object))]
            }
            Event::InitDone => self.listed(index),
        }
    }

    /// A namespace finished a list: delete what it no longer has, and mark the store ready
    /// once every namespace has been listed.
    fn listed(&mut self, index: usize) -> Vec<Result<Event<K>, Error>> {
        let seen = self.relisting[index].take().unwrap_or_default();
        let namespace = self.namespaces[index].as_str();
        let stale: Vec<Arc<K>> = self
            .store
            .state()
            .into_iter()
            .filter(|object| {
                object.meta().namespace.as_deref() == Some(namespace)
                    && !seen.contains(&ObjectRef::from_obj(object.as_ref()))
            })
            .collect();
        let gone: HashSet<ObjectRef<K>> = stale
            .iter()
            .map(|o| ObjectRef::from_obj(o.as_ref()))
            .collect();
        let mut events: Vec<_> = stale
            .into_iter()
            .map(|object| Ok(Event::Delete(Arc::unwrap_or_clone(object))))
            .collect();
        self.listed[index] = true;
        if !self.ready && self.listed.iter().all(|listed| *listed) {
            self.ready = true;
            // One initial list of everything applied so far makes the store ready.
            events.push(Ok(Event::Init));
            events.extend(
                self.store
                    .state()
                    .into_iter()
                    .filter(|object| !gone.contains(&ObjectRef::from_obj(object.as_ref())))
                    .map(|object| Ok(Event::InitApply(Arc::unwrap_or_clone(object)))),
            );
            events.push(Ok(Event::InitDone));
        }
        events
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::FutureExt;
    use k8s_openapi::api::core::v1::ConfigMap;
    use kube::runtime::reflector;

    fn config_map(namespace: &str, name: &str) -> ConfigMap {
        let mut cm = ConfigMap::default();
        cm.metadata.namespace = Some(namespace.into());
        cm.metadata.name = Some(name.into());
        cm
    }

    fn names(store: &Store<ConfigMap>) -> Vec<String> {
        let mut names: Vec<String> = store
            .state()
            .iter()
            .map(|cm| {
                format!(
                    "{}/{}",
                    cm.metadata.namespace.as_deref().unwrap_or_default(),
                    cm.metadata.name.as_deref().unwrap_or_default()
                )
            })
            .collect();
        names.sort();
        names
    }

    #[test]
    fn the_store_is_ready_after_every_namespace_listed_and_relists_delete_what_vanished() {
        let (reader, mut writer) = reflector::store::<ConfigMap>();
        let mut merger = Merger {
            namespaces: vec!["a".into(), "b".into()],
            relisting: vec![None, None],
            listed: vec![false, false],
            ready: false,
            store: reader.clone(),
        };
        let mut feed = |index: usize, event: Event<ConfigMap>| {
            for out in merger.translate(index, Ok(event)) {
                writer.apply_watcher_event(&out.expect("no errors fed"));
            }
        };
        feed(0, Event::Init);
        feed(0, Event::InitApply(config_map("a", "1")));
        feed(0, Event::InitDone);
        assert!(
            reader.wait_until_ready().now_or_never().is_none(),
            "b has not been listed yet"
        );
        assert_eq!(names(&reader), ["a/1"]);
        feed(1, Event::Init);
        feed(1, Event::InitApply(config_map("b", "1")));
        feed(1, Event::InitDone);
        assert!(
            reader
                .wait_until_ready()
                .now_or_never()
                .is_some_and(|r| r.is_ok()),
            "every namespace listed"
        );
        assert_eq!(names(&reader), ["a/1", "b/1"]);
        // a relists after a disconnect: a/1 is gone, a/2 is new; b keeps its objects.
        feed(0, Event::Init);
        feed(0, Event::InitApply(config_map("a", "2")));
        feed(0, Event::InitDone);
        assert_eq!(names(&reader), ["a/2", "b/1"]);
        feed(1, Event::Delete(config_map("b", "1")));
        assert_eq!(names(&reader), ["a/2"]);
    }
}
