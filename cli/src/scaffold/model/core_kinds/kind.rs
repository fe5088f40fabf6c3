//! [`CoreKind`]: one row of the table of Kubernetes' own Kinds.

/// One Kind of Kubernetes itself that can be listed and watched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CoreKind {
    /// The short group kubesmith commands take and PROJECT records (`apps`, `core`,
    /// `networking`): the name of its k8s-openapi module.
    pub group: &'static str,
    /// The API group (`apps`, `networking.k8s.io`; empty for the core group).
    pub api_group: &'static str,
    /// The version (`v1`).
    pub version: &'static str,
    /// The Kind (`Deployment`).
    pub kind: &'static str,
    /// The resource name (`deployments`).
    pub plural: &'static str,
    /// Whether objects live in namespaces.
    pub namespaced: bool,
    /// The Rust module of the type (`k8s_openapi::api::apps::v1`).
    pub module: &'static str,
}
