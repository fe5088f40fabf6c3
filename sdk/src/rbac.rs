//! RBAC rules an operator needs, as data.
//!
//! Rules come from two places: controller declarations (the kinds a controller reconciles,
//! owns, watches or reads contribute their rules automatically) and explicit declarations
//! (`#[derive(Rbac)]` from `kubesmith-macros`, or [`Rule`] values built by hand). Manifest
//! generation merges them the way controller-gen does and writes `config/rbac/role.yaml`.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::rbac::v1::{ClusterRole, PolicyRule, Role};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::{Deserialize, Serialize};

/// The name controller-gen gives the operator's role.
pub const MANAGER_ROLE: &str = "manager-role";

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

    /// A cluster-wide rule for the resource of kind `K` (its group and plural) with `verbs`.
    ///
    /// ```
    /// use k8s_openapi::api::apps::v1::Deployment;
    /// use kubesmith::rbac::Rule;
    /// let rule = Rule::for_kind::<Deployment>(&["get", "list", "watch"]);
    /// assert_eq!(rule, Rule::new(&["apps"], &["deployments"], &["get", "list", "watch"]));
    /// ```
    pub fn for_kind<K: kube::Resource<DynamicType = ()>>(verbs: &[&str]) -> Self {
        Rule::new(&[&K::group(&())], &[&K::plural(&())], verbs)
    }

    /// A cluster-wide rule for a subresource (`status`, `finalizers`, `scale`) of kind `K`.
    ///
    /// ```
    /// use k8s_openapi::api::apps::v1::Deployment;
    /// use kubesmith::rbac::Rule;
    /// let rule = Rule::for_subresource::<Deployment>("status", &["get", "update", "patch"]);
    /// assert_eq!(rule.resources, ["deployments/status"]);
    /// ```
    pub fn for_subresource<K: kube::Resource<DynamicType = ()>>(
        subresource: &str,
        verbs: &[&str],
    ) -> Self {
        let resource = format!("{}/{subresource}", K::plural(&()));
        Rule::new(&[&K::group(&())], &[&resource], verbs)
    }

    /// The same rule limited to objects with these names.
    #[must_use]
    pub fn resource_names(mut self, names: &[&str]) -> Self {
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

/// The roles an operator needs: the `ClusterRole` and one `Role` per namespace used by rules.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Roles {
    /// Cluster-wide rules, if any.
    pub cluster_role: Option<ClusterRole>,
    /// Namespaced roles, sorted by namespace.
    pub roles: Vec<Role>,
}

/// Merges `rules` the way controller-gen does and builds the roles named `name`.
///
/// Per namespace: rules are split per resource, verbs of rules with the same groups,
/// resources, names and URLs are merged, then resources of otherwise identical rules, then
/// groups, then URLs; rules are sorted by their groups, resources, names and URLs, and a rule
/// with the verb `*` keeps only `*`. The group `core` means the core group `""`.
///
/// ```
/// use kubesmith::rbac::{Rule, roles};
/// let roles = roles(
///     [
///         Rule::new(&["apps"], &["deployments"], &["get"]),
///         Rule::new(&["apps"], &["deployments"], &["list", "watch"]),
///         Rule::new(&["apps"], &["statefulsets"], &["get", "list", "watch"]),
///     ],
///     "manager-role",
/// );
/// let rules = roles.cluster_role.unwrap().rules.unwrap();
/// assert_eq!(rules.len(), 1);
/// assert_eq!(rules[0].resources.as_deref(), Some(&["deployments".to_string(), "statefulsets".to_string()][..]));
/// ```
pub fn roles(rules: impl IntoIterator<Item = Rule>, name: &str) -> Roles {
    let mut by_namespace: BTreeMap<Option<String>, Vec<Rule>> = BTreeMap::new();
    for rule in rules {
        by_namespace
            .entry(rule.namespace.clone())
            .or_default()
            .push(rule);
    }
    let mut out = Roles::default();
    for (namespace, rules) in by_namespace {
        let rules = Some(normalize(&rules));
        match namespace {
            None => {
                out.cluster_role = Some(ClusterRole {
                    metadata: ObjectMeta {
                        name: Some(name.to_string()),
                        ..ObjectMeta::default()
                    },
                    rules,
                    ..ClusterRole::default()
                });
            }
            Some(namespace) => out.roles.push(Role {
                metadata: ObjectMeta {
                    name: Some(name.to_string()),
                    namespace: Some(namespace),
                    ..ObjectMeta::default()
                },
                rules,
            }),
        }
    }
    out
}

/// A rule with sorted, de-duplicated fields, as the merge steps use it.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord)]
struct Normal {
    groups: BTreeSet<String>,
    resources: BTreeSet<String>,
    names: BTreeSet<String>,
    urls: BTreeSet<String>,
    verbs: BTreeSet<String>,
}

impl Normal {
    /// The sort key: groups, resources, names and URLs, each joined by `&`.
    fn key(&self) -> String {
        let join = |set: &BTreeSet<String>| set.iter().cloned().collect::<Vec<_>>().join("&");
        format!(
            "{} + {} + {} + {}",
            join(&self.groups),
            join(&self.resources),
            join(&self.names),
            join(&self.urls)
        )
    }
}

/// Merges rules of one role; see [`roles`].
fn normalize(rules: &[Rule]) -> Vec<PolicyRule> {
    let set = |items: &[String]| items.iter().cloned().collect::<BTreeSet<_>>();
    // Split per resource and merge verbs of rules that match otherwise.
    let mut merged: BTreeMap<String, Normal> = BTreeMap::new();
    for rule in rules {
        let groups = rule
            .groups
            .iter()
            .map(|group| {
                if group == "core" {
                    String::new()
                } else {
                    group.clone()
                }
            })
            .collect::<BTreeSet<_>>();
        let resources: Vec<BTreeSet<String>> = if rule.resources.is_empty() {
            vec![BTreeSet::new()]
        } else {
            rule.resources
                .iter()
                .map(|r| BTreeSet::from([r.clone()]))
                .collect()
        };
        for resources in resources {
            let normal = Normal {
                groups: groups.clone(),
                resources,
                names: set(&rule.resource_names),
                urls: set(&rule.urls),
                verbs: set(&rule.verbs),
            };
            merged
                .entry(normal.key())
                .and_modify(|existing| existing.verbs.extend(normal.verbs.iter().cloned()))
                .or_insert(normal);
        }
    }
    let mut rules: Vec<Normal> = merged.into_values().collect();
    // Then merge resources, groups and URLs of rules equal in everything else.
    rules = merge_field(rules, |r| &mut r.resources);
    rules = merge_field(rules, |r| &mut r.groups);
    rules = merge_field(rules, |r| &mut r.urls);
    rules.sort_by_key(Normal::key);
    rules
        .into_iter()
        .map(|rule| {
            let list = |set: BTreeSet<String>| (!set.is_empty()).then(|| set.into_iter().collect());
            let verbs = if rule.verbs.contains("*") {
                vec!["*".to_string()]
            } else {
                rule.verbs.into_iter().collect()
            };
            PolicyRule {
                api_groups: list(rule.groups),
                resources: list(rule.resources),
                resource_names: list(rule.names),
                non_resource_urls: list(rule.urls),
                verbs,
            }
        })
        .collect()
}

/// Merges the field `field` of rules that are equal in all other fields.
fn merge_field(
    rules: Vec<Normal>,
    field: impl Fn(&mut Normal) -> &mut BTreeSet<String>,
) -> Vec<Normal> {
    let mut groups: BTreeMap<Normal, Normal> = BTreeMap::new();
    for mut rule in rules {
        let values = std::mem::take(field(&mut rule));
        let merged = groups.entry(rule.clone()).or_insert(rule);
        field(merged).extend(values);
    }
    groups.into_values().collect()
}

fn to_strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|item| item.to_string()).collect()
}
