//! [`Controller`]: the declaration of a controller, as data.

use std::sync::Arc;
use std::time::Duration;

use futures::FutureExt;
use kube::core::PartialObjectMeta;
use kube::runtime::reflector::ObjectRef;

use super::rules::{rules_for, rules_owns, rules_watches};
use super::trigger::{Mapper, Trigger};
use super::watch::Watch;
use crate::Kind;
use crate::cache::{Cache, CacheError, Selection};
use crate::predicate::Predicate;
use crate::rbac::Rule;

/// Default of [`Controller::max_concurrent_reconciles`].
pub const DEFAULT_MAX_CONCURRENT_RECONCILES: u16 = 1;

/// A kind related to the reconciled one (owned or watched), ready to be subscribed to.
type Relation<K> = Box<dyn FnOnce(&Cache) -> Result<Trigger<K>, CacheError> + Send>;

/// A kind read by the reconciler, cached from the start.
type Read = Box<dyn FnOnce(&Cache) -> Result<(), CacheError> + Send>;

/// What a controller for kind `K` is. See the [module docs](super).
#[must_use = "a controller does nothing until Manager::add registers it"]
pub struct Controller<K: Kind> {
    name: Option<String>,
    pub(super) watch: Watch<K>,
    pub(super) relations: Vec<Relation<K>>,
    pub(super) reads: Vec<Read>,
    pub(super) rules: Vec<Rule>,
    pub(super) max_concurrent: u16,
    pub(super) timeout: Option<Duration>,
}

impl<K: Kind> Default for Controller<K> {
    fn default() -> Self {
        Controller::new()
    }
}

impl<K: Kind> Controller<K> {
    /// A controller reconciling every `K` on every change.
    pub fn new() -> Self {
        Controller {
            name: None,
            watch: Watch::new(),
            relations: Vec::new(),
            reads: Vec::new(),
            rules: rules_for::<K>(),
            max_concurrent: DEFAULT_MAX_CONCURRENT_RECONCILES,
            timeout: None,
        }
    }

    /// Only the `K` objects `selection` picks are cached and reconciled.
    pub fn selection(mut self, selection: Selection) -> Self {
        self.watch.selection = selection;
        self
    }

    /// Only changes of `K` that pass `predicate` trigger a reconcile; each call adds a
    /// predicate that must pass too (default: every change counts).
    pub fn predicate(mut self, predicate: impl Predicate<K> + Send + Sync + 'static) -> Self {
        self.watch = self.watch.predicate(predicate);
        self
    }

    /// Reconciles the controlling owner of every `C` that changes (objects whose owner
    /// reference to a `K` has `controller: true`).
    pub fn owns<C: Kind>(self) -> Self {
        self.owns_with(Watch::<C>::new())
    }

    /// [`owns`](Self::owns) with only the metadata of `C` watched and cached
    /// (`PartialObjectMeta<C>`).
    pub fn owns_metadata<C: Kind>(self) -> Self {
        self.owns_with(Watch::<C>::metadata())
    }

    /// [`owns`](Self::owns) with a chosen [`Watch`] (metadata only, selectors, predicates).
    pub fn owns_with<W: Kind>(self, watch: Watch<W>) -> Self {
        self.relate(watch, rules_owns::<K, W>(), owner_mapper(true))
    }

    /// Like [`owns`](Self::owns), but every `K` in the owner references is reconciled, not only
    /// the controlling one.
    pub fn owns_with_any_owner<C: Kind>(self) -> Self {
        self.relate(Watch::<C>::new(), rules_owns::<K, C>(), owner_mapper(false))
    }

    /// Reconciles the objects `mapper` returns for every `W` that changes. The mapper gets the
    /// manager's [`Cache`], so "which `K` refer to this `W`" is a cached read (by an index, or a
    /// list).
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use k8s_openapi::api::apps::v1::Deployment;
    /// # use k8s_openapi::api::core::v1::Secret;
    /// use kube::runtime::reflector::ObjectRef;
    /// use kubesmith::controller::Controller;
    ///
    /// // Deployments that name the Secret in their "secret" index.
    /// let controller = Controller::<Deployment>::new().watches(|secret: Arc<Secret>, cache| async move {
    ///     let namespace = secret.metadata.namespace.clone().unwrap_or_default();
    ///     let name = secret.metadata.name.clone().unwrap_or_default();
    ///     let users = cache.namespaced::<Deployment>(&namespace).list_by_index("secret", &name).await;
    ///     users.unwrap_or_default().iter().map(|d| ObjectRef::from_obj(&**d)).collect::<Vec<_>>()
    /// });
    /// ```
    pub fn watches<W, F, Fut, I>(self, mapper: F) -> Self
    where
        W: Kind,
        F: Fn(Arc<W>, Cache) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = I> + Send + 'static,
        I: IntoIterator<Item = ObjectRef<K>> + 'static,
    {
        self.watches_with(Watch::<W>::new(), mapper)
    }

    /// [`watches`](Self::watches) with a chosen [`Watch`] (metadata only, selectors, predicates).
    pub fn watches_with<W, F, Fut, I>(self, watch: Watch<W>, mapper: F) -> Self
    where
        W: Kind,
        F: Fn(Arc<W>, Cache) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = I> + Send + 'static,
        I: IntoIterator<Item = ObjectRef<K>> + 'static,
    {
        let mapper: Mapper<W, K> = Arc::new(move |object, cache| {
            mapper(object, cache)
                .map(|keys| keys.into_iter().collect())
                .boxed()
        });
        self.relate(watch, rules_watches::<W>(), mapper)
    }

    /// Declares that the reconciler reads `R` (through
    /// [`Context::namespaced`](crate::reconcile::Context::namespaced) or
    /// [`Context::all`](crate::reconcile::Context::all)): its watch starts with the manager
    /// instead of at the first read, and the RBAC rules grant get, list and watch.
    pub fn reads<R: Kind>(self) -> Self {
        self.read::<R>(rules_watches::<R>())
    }

    /// [`reads`](Self::reads) of the metadata of `C` only (`PartialObjectMeta<C>`).
    pub fn reads_metadata<C: Kind>(self) -> Self {
        self.read::<PartialObjectMeta<C>>(rules_watches::<C>())
    }

    /// Adds RBAC rules the reconciler needs beyond those of the kinds declared here (for
    /// example `MyRbac::rbac_rules()` of a `#[derive(kubesmith::Rbac)]`).
    pub fn rules(mut self, rules: impl IntoIterator<Item = Rule>) -> Self {
        self.rules.extend(rules);
        self
    }

    /// How many objects are reconciled at once (default 1). One object is never reconciled
    /// twice at once.
    pub fn max_concurrent_reconciles(mut self, max: u16) -> Self {
        self.max_concurrent = max.max(1);
        self
    }

    /// Cancels a reconcile that runs longer than `limit` and retries it with backoff
    /// (default: no limit).
    pub fn reconcile_timeout(mut self, limit: Duration) -> Self {
        self.timeout = Some(limit);
        self
    }

    /// The controller's name, used in metrics, logs and events (default: the kind in lower
    /// case).
    pub fn named(mut self, name: &str) -> Self {
        self.name = Some(name.to_string());
        self
    }

    /// The controller's name.
    pub fn name(&self) -> String {
        self.name
            .clone()
            .unwrap_or_else(|| K::kind(&()).to_lowercase())
    }

    /// The RBAC rules this controller needs: read and update `K` and its status,
    /// record events, manage what it owns, read what it watches or reads, and the rules added
    /// with [`rules`](Self::rules) (unmerged).
    pub fn rbac_rules(&self) -> Vec<Rule> {
        self.rules.clone()
    }

    fn relate<W: Kind>(mut self, watch: Watch<W>, rules: Vec<Rule>, mapper: Mapper<W, K>) -> Self {
        self.rules.extend(rules);
        self.relations.push(Box::new(move |cache| {
            Trigger::related(cache, watch, mapper)
        }));
        self
    }

    fn read<R: Kind>(mut self, rules: Vec<Rule>) -> Self {
        self.rules.extend(rules);
        self.reads.push(Box::new(|cache| {
            cache.declare::<R>(Selection::default()).map(|_| ())
        }));
        self
    }
}

/// Maps a child to the `K`s in its owner references (only the controlling one when
/// `controller_only`).
fn owner_mapper<W: Kind, K: Kind>(controller_only: bool) -> Mapper<W, K> {
    Arc::new(move |child: Arc<W>, _cache| {
        let meta = child.meta();
        let namespace = meta.namespace.as_deref();
        let owners = meta
            .owner_references
            .iter()
            .flatten()
            .filter(|owner| !controller_only || owner.controller == Some(true))
            .filter_map(|owner| ObjectRef::<K>::from_owner_ref(namespace, owner, ()))
            .collect();
        futures::future::ready(owners).boxed()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::apps::v1::Deployment;
    use k8s_openapi::api::core::v1::{ConfigMap, Secret};
    use kube::core::PartialObjectMeta;

    #[test]
    fn a_declaration_knows_its_rules_without_a_client_or_a_manager() {
        let controller = Controller::<Deployment>::new()
            .owns::<ConfigMap>()
            .owns_metadata::<Secret>()
            .watches(
                |_: Arc<PartialObjectMeta<k8s_openapi::api::core::v1::Pod>>, _| async {
                    Vec::<ObjectRef<Deployment>>::new()
                },
            )
            .reads::<k8s_openapi::api::core::v1::ServiceAccount>()
            .rules([Rule::new(&["example.com"], &["things"], &["get"])])
            .named("deployments");
        let mut expected = rules_for::<Deployment>();
        expected.extend(rules_owns::<Deployment, ConfigMap>());
        expected.extend(rules_owns::<Deployment, Secret>());
        expected.push(Rule::new(&[""], &["pods"], &["get", "list", "watch"]));
        expected.push(Rule::new(
            &[""],
            &["serviceaccounts"],
            &["get", "list", "watch"],
        ));
        expected.push(Rule::new(&["example.com"], &["things"], &["get"]));
        assert_eq!(controller.rbac_rules(), expected);
        assert_eq!(controller.name(), "deployments");
        assert_eq!(Controller::<Deployment>::new().name(), "deployment");
    }

    #[test]
    fn concurrency_is_at_least_one() {
        let controller = Controller::<Deployment>::new().max_concurrent_reconciles(0);
        assert_eq!(controller.max_concurrent, 1);
        assert_eq!(
            Controller::<Deployment>::new().max_concurrent,
            DEFAULT_MAX_CONCURRENT_RECONCILES
        );
    }
}
