//! The RBAC rules a controller's declarations imply.

use crate::Kind;
use crate::rbac::Rule;

const OWNED_VERBS: &[&str] = &[
    "create", "delete", "get", "list", "patch", "update", "watch",
];

/// The rules reconciling `K` needs: read and update it and its status, and record events.
pub fn rules_for<K: Kind>() -> Vec<Rule> {
    let mut rules = vec![
        Rule::for_kind::<K>(&["get", "list", "watch", "update", "patch"]),
        Rule::for_subresource::<K>("status", &["get", "update", "patch"]),
    ];
    rules.extend(crate::events::rbac_rules());
    rules
}

/// The rules a `K` owning `C` needs: full create, read, update and delete of `C`, and update
/// of `K`'s finalizers, which an owner reference that blocks the owner's deletion requires
/// (`OwnerReferencesPermissionEnforcement`).
pub fn rules_owns<K: Kind, C: Kind>() -> Vec<Rule> {
    vec![
        Rule::for_kind::<C>(OWNED_VERBS),
        Rule::for_subresource::<K>("finalizers", &["update"]),
    ]
}

/// The rules watching or reading `W` needs: get, list and watch.
pub fn rules_watches<W: Kind>() -> Vec<Rule> {
    vec![Rule::for_kind::<W>(&["get", "list", "watch"])]
}
