//! The [`Reconciler`] a controller calls, what it returns ([`Action`]) and how it fails
//! ([`ReconcileError`]), and the [`Context`] it reads and writes through.
//!
//! ```
//! use std::sync::Arc;
//! use std::time::Duration;
//! use k8s_openapi::api::core::v1::ConfigMap;
//! use kubesmith::reconcile::{Action, Context, ReconcileError, Reconciler};
//!
//! struct Checker;
//!
//! impl Reconciler<ConfigMap> for Checker {
//!     async fn reconcile(&self, object: Arc<ConfigMap>, _ctx: &Context) -> Result<Action, ReconcileError> {
//!         match &object.data {
//!             None => Err(ReconcileError::terminal("a ConfigMap without data is never valid")),
//!             Some(_) => Ok(Action::requeue_after(Duration::from_secs(300))),
//!         }
//!     }
//! }
//! ```

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

mod context;

pub use context::{Context, ContextBuilder};

type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// The business logic of a controller: drive the cluster towards what `object` asks for.
///
/// Called with the latest cached version of the object whenever it, an owned object or a
/// watched object changes, and again as [`Action`] or an error asks. The same object is never
/// reconciled twice at once.
pub trait Reconciler<K>: Send + Sync + 'static {
    /// Reconciles one object.
    fn reconcile(
        &self,
        object: Arc<K>,
        ctx: &Context,
    ) -> impl Future<Output = Result<Action, ReconcileError>> + Send;
}

/// What to do with an object after a successful reconcile: [`await_change`](Self::await_change),
/// [`requeue_after`](Self::requeue_after) or [`requeue`](Self::requeue) (kube-runtime's
/// constructors, plus the backoff requeue of controller-runtime's `Requeue: true`).
///
/// ```
/// use std::time::Duration;
/// use kubesmith::reconcile::Action;
///
/// assert_eq!(Action::requeue_after(Duration::from_secs(30)).requeue_delay(), Some(Duration::from_secs(30)));
/// assert_eq!(Action::await_change().requeue_delay(), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Action(pub(crate) Next);

/// What comes after a reconcile, as the worker reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Next {
    AwaitChange,
    RequeueAfter(Duration),
    Requeue,
}

impl Action {
    /// Nothing more until the object (or something it owns or watches) changes.
    pub fn await_change() -> Self {
        Action(Next::AwaitChange)
    }

    /// Reconcile again after `delay`; forgets the object's failure count.
    pub fn requeue_after(delay: Duration) -> Self {
        Action(Next::RequeueAfter(delay))
    }

    /// Reconcile again after the object's next backoff delay (like a failure, without the
    /// error; counted in `workqueue_retries_total`).
    pub fn requeue() -> Self {
        Action(Next::Requeue)
    }

    /// The delay of [`requeue_after`](Self::requeue_after), `None` for the other actions.
    pub fn requeue_delay(&self) -> Option<Duration> {
        match self.0 {
            Next::RequeueAfter(delay) => Some(delay),
            Next::AwaitChange | Next::Requeue => None,
        }
    }
}

/// A failed reconcile: retried with per-object backoff, unless [terminal](ReconcileError::terminal).
///
/// Any error type converts into it with `?`.
pub struct ReconcileError {
    source: BoxError,
    terminal: bool,
}

impl ReconcileError {
    /// An error that is retried with backoff (what `?` produces).
    pub fn retry(error: impl Into<BoxError>) -> Self {
        ReconcileError {
            source: error.into(),
            terminal: false,
        }
    }

    /// An error that retrying cannot fix: the object is not requeued until it changes.
    pub fn terminal(error: impl Into<BoxError>) -> Self {
        ReconcileError {
            source: error.into(),
            terminal: true,
        }
    }

    /// Whether this error is terminal.
    pub fn is_terminal(&self) -> bool {
        self.terminal
    }

    /// The underlying error.
    pub fn source(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        self.source.as_ref()
    }
}

impl<E: std::error::Error + Send + Sync + 'static> From<E> for ReconcileError {
    fn from(error: E) -> Self {
        ReconcileError::retry(error)
    }
}

impl fmt::Display for ReconcileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.terminal {
            write!(f, "terminal error: {}", self.source)
        } else {
            self.source.fmt(f)
        }
    }
}

impl fmt::Debug for ReconcileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReconcileError")
            .field("source", &self.source)
            .field("terminal", &self.terminal)
            .finish()
    }
}
