//! [`Watch`]: how a controller watches one kind — whole objects or metadata only, which
//! objects ([`Selection`]), and which of their changes count ([predicates](crate::predicate)).

use kube::core::PartialObjectMeta;

use crate::Kind;
use crate::cache::Selection;
use crate::predicate::{Predicate, Predicates};

/// How a controller watches kind `W`: give it to
/// [`Controller::owns_with`](super::Controller::owns_with) or
/// [`Controller::watches_with`](super::Controller::watches_with).
///
/// ```
/// use k8s_openapi::api::core::v1::Secret;
/// use kubesmith::controller::Watch;
/// use kubesmith::predicate::labels_changed;
///
/// // Only the metadata of Secrets labelled for this operator, and only label changes.
/// let secrets = Watch::<Secret>::metadata()
///     .labels("app.kubernetes.io/managed-by=my-operator")
///     .predicate(labels_changed);
/// ```
#[must_use]
pub struct Watch<W: Kind> {
    pub(crate) selection: Selection,
    pub(crate) predicates: Predicates<W>,
}

impl<W: Kind> Default for Watch<W> {
    fn default() -> Self {
        Watch::new()
    }
}

impl<W: Kind> Watch<W> {
    /// Whole objects, all of them, every change.
    pub fn new() -> Self {
        Watch {
            selection: Selection::default(),
            predicates: Predicates::default(),
        }
    }

    /// Only objects whose labels match `selector`. The kind is cached with this selection for
    /// the whole manager.
    pub fn labels(mut self, selector: &str) -> Self {
        self.selection = self.selection.labels(selector);
        self
    }

    /// Only objects whose fields match `selector`. The kind is cached with this selection for
    /// the whole manager.
    pub fn fields(mut self, selector: &str) -> Self {
        self.selection = self.selection.fields(selector);
        self
    }

    /// Only changes that pass `predicate` (and every predicate added before).
    pub fn predicate(mut self, predicate: impl Predicate<W> + Send + Sync + 'static) -> Self {
        self.predicates.and(predicate);
        self
    }
}

impl<C: Kind> Watch<C> {
    /// The metadata of `C` objects only (`PartialObjectMeta<C>`): the API server sends and the
    /// cache keeps names, labels, annotations and owner references, not specs or data — for
    /// operators that own thousands of Secrets or ConfigMaps.
    pub fn metadata() -> Watch<PartialObjectMeta<C>> {
        Watch::new()
    }
}
