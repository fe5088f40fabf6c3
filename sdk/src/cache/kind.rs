//! What the cache can hold: [`Kind`], and how a kind's scope decides where it is watched
//! ([`WatchScope`]).

use std::fmt::Debug;

use k8s_openapi::{ClusterResourceScope, NamespaceResourceScope};
use kube::{Api, Client, Resource};
use serde::de::DeserializeOwned;

/// How a kind's scope decides the APIs its watch uses: namespaced kinds are watched in the
/// manager's namespaces when it has some, cluster-scoped kinds everywhere.
pub trait WatchScope {
    /// Whether objects of this scope live in namespaces.
    const NAMESPACED: bool;

    /// The APIs to watch `K` through, each with the namespace it covers (`None`: all).
    fn apis<K>(client: &Client, namespaces: &[String]) -> Vec<(Option<String>, Api<K>)>
    where
        K: Resource<Scope = Self, DynamicType = ()>;
}

impl WatchScope for NamespaceResourceScope {
    const NAMESPACED: bool = true;

    fn apis<K>(client: &Client, namespaces: &[String]) -> Vec<(Option<String>, Api<K>)>
    where
        K: Resource<Scope = Self, DynamicType = ()>,
    {
        if namespaces.is_empty() {
            return vec![(None, Api::all(client.clone()))];
        }
        namespaces
            .iter()
            .map(|namespace| {
                (
                    Some(namespace.clone()),
                    Api::namespaced(client.clone(), namespace),
                )
            })
            .collect()
    }
}

impl WatchScope for ClusterResourceScope {
    const NAMESPACED: bool = false;

    fn apis<K>(client: &Client, _namespaces: &[String]) -> Vec<(Option<String>, Api<K>)>
    where
        K: Resource<Scope = Self, DynamicType = ()>,
    {
        vec![(None, Api::all(client.clone()))]
    }
}

/// A Kubernetes kind the manager can watch and cache: a k8s-openapi type, a
/// `#[derive(CustomResource)]` type, or kube's `PartialObjectMeta<K>` of either (metadata only).
pub trait Kind:
    Resource<DynamicType = (), Scope: WatchScope>
    + Clone
    + DeserializeOwned
    + Debug
    + Send
    + Sync
    + 'static
{
}

impl<K> Kind for K where
    K: Resource<DynamicType = (), Scope: WatchScope>
        + Clone
        + DeserializeOwned
        + Debug
        + Send
        + Sync
        + 'static
{
}

/// The key of `object` in indexes and queues: its name and namespace, without the uid and
/// resourceVersion `ObjectRef::from_obj` also copies (keys are compared by name and namespace
/// only, and thousands of them are kept).
pub(crate) fn key_of<K: Kind>(object: &K) -> kube::runtime::reflector::ObjectRef<K> {
    let meta = object.meta();
    let key = kube::runtime::reflector::ObjectRef::new(meta.name.as_deref().unwrap_or_default());
    match meta.namespace.as_deref() {
        Some(namespace) => key.within(namespace),
        None => key,
    }
}

/// `K`'s kind name, for messages.
pub(crate) fn kind_name<K: Kind>() -> String {
    K::kind(&()).into_owned()
}
