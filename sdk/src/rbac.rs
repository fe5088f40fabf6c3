//! RBAC rules an operator needs, as data.
//!
//! Rules come from two places: controller declarations (the kinds a controller reconciles,
//! owns, watches or reads contribute their rules automatically) and explicit declarations
//! (`#[derive(Rbac)]` from `kubesmith-macros`, or [`Rule`] values built by hand). Manifest
//! generation merges them the way controller-gen does and writes `config/rbac/role.yaml`.

use serde::{Deserialize, Serialize};

/// One RBAC policy rule, plus the namespace it is meant for (`None`: the cluster-wide
/// `manager-role`; `Some(ns)`: a `Role` in that namespace).
///
/// ```
/// use kubesmith::rbac::Rule;
/// let rule = Rule::new(&["apps"], &["deployments"], &["get", "list", "watch"]);
/// assert_eq!(rule.verbs, ["get", "list", "watch"]);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Rule {
    /// API groups (`""` is the core group).
    pub groups: Vec<String>,
    /// Resources, possibly with a subresource (`deployments/status`).
    pub resources: Vec<String>,
    /// Object names the rule is limited to; empty means all.
    pub resource_names: Vec<String>,
    /// Verbs (`get`, `list`, `watch`, `create`, `update`, `patch`, `delete`, `deletecollection`, `*`, …).
    pub verbs: Vec<String>,
    /// Non-resource URLs such as `/metrics`; used instead of groups and resources.
    pub urls: Vec<String>,
    /// The namespace of a namespaced `Role`; `None` for the `ClusterRole`.
    pub namespace: Option<String>,
}

impl Rule {
    /// A cluster-wide rule for `resources` in `groups` with `verbs`.
    pub fn new(groups: &[&str], resources: &[&str], verbs: &[&str]) -> Self {
        Rule {
            groups: to_strings(groups),
            resources: to_strings(resources),
            verbs: to_strings(verbs),
            ..Rule::default()
        }
    }

    /// A rule for non-resource URLs with `verbs`.
    pub fn urls(urls: &[&str], verbs: &[&str]) -> Self {
        Rule {
            urls: to_strings(urls),
            verbs: to_strings(verbs),
            ..Rule::default()
        }
    }

    /// The same rule limited to objects with these names.
    #[must_use]
    pub fn with_resource_names(mut self, names: &[&str]) -> Self {
        self.resource_names = to_strings(names);
        self
    }

    /// The same rule as a `Role` in `namespace`.
    #[must_use]
    pub fn in_namespace(mut self, namespace: &str) -> Self {
        self.namespace = Some(namespace.to_string());
        self
    }
}

/// A type that declares RBAC rules, implemented by `#[derive(Rbac)]` and by controller declarations.
pub trait RbacRules {
    /// The rules this declaration needs, unmerged.
    fn rbac_rules() -> Vec<Rule>;
}

fn to_strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|item| item.to_string()).collect()
}
