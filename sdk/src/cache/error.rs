//! Why a cached read or a write through [`CachedApi`](super::CachedApi) failed.

use std::time::Duration;

/// Why the cache could not answer.
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    /// The watch of a kind could not list it (for example: RBAC forbids it, or the kind is not
    /// installed); the watch keeps retrying with backoff.
    #[error("cannot watch {kind}: {reason}")]
    Watch {
        /// The kind.
        kind: String,
        /// The last error of its watch.
        reason: String,
    },
    /// The watch of a kind did not finish its first list in time.
    #[error("the cache of {kind} did not sync within {waited:?}")]
    SyncTimeout {
        /// The kind.
        kind: String,
        /// How long the read waited.
        waited: Duration,
    },
    /// The manager is shutting down; its cache no longer answers.
    #[error("the cache is stopped")]
    Stopped,
    /// The read asks for a namespace the manager does not watch.
    #[error(
        "{kind} is cached in namespaces {watched:?} only; expected one of them, found {namespace:?}"
    )]
    NamespaceNotWatched {
        /// The kind.
        kind: String,
        /// The namespace asked for.
        namespace: String,
        /// The namespaces the manager watches.
        watched: Vec<String>,
    },
    /// No index of that name is registered for the kind.
    #[error(
        "{kind} has no index named {index:?}; register it with index_field before the manager starts"
    )]
    UnknownIndex {
        /// The kind.
        kind: String,
        /// The index asked for.
        index: String,
    },
    /// An index was registered twice, or after the kind's watch started.
    #[error("cannot register index {index:?} on {kind}: {reason}")]
    IndexRegistration {
        /// The kind.
        kind: String,
        /// The index.
        index: String,
        /// Why.
        reason: &'static str,
    },
    /// Two declarations watch one kind with different selectors or modes.
    #[error("{kind} is already cached with {existing}; a second declaration asks for {requested}")]
    ConflictingWatch {
        /// The kind.
        kind: String,
        /// How it is watched.
        existing: String,
        /// How the new declaration wants it watched.
        requested: String,
    },
    /// Controllers can only subscribe to a kind before its watch starts.
    #[error("{kind} is already watched; declare controllers before the manager starts")]
    AlreadyStarted {
        /// The kind.
        kind: String,
    },
    /// Fixtures can only be inserted into a cache built for tests.
    #[error("objects can only be inserted into a cache built for tests (Context::builder)")]
    NotATestCache,
}

/// Why a write through [`CachedApi`](super::CachedApi) failed.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// Reading the current object from the cache failed.
    #[error(transparent)]
    Cache(#[from] CacheError),
    /// The API server refused or the request failed.
    #[error(transparent)]
    Api(#[from] kube::Error),
    /// The mutation returned an error; nothing was written.
    #[error("mutating {kind} {name}: {source}")]
    Mutate {
        /// The kind.
        kind: String,
        /// The object's name.
        name: String,
        /// The mutation's error.
        source: Box<dyn std::error::Error + Send + Sync + 'static>,
    },
    /// The object could not be serialized.
    #[error("serializing {kind} {name}: {source}")]
    Serialize {
        /// The kind.
        kind: String,
        /// The object's name.
        name: String,
        /// Why.
        source: serde_json::Error,
    },
    /// The object has no name to write it under.
    #[error("{kind}: expected an object with metadata.name, found none")]
    MissingName {
        /// The kind.
        kind: String,
    },
}
