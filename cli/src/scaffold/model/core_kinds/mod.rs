//! The Kinds Kubernetes serves itself (Deployment, Pod, Job, ...), which `create api
//! --resource=false` and `create webhook` scaffold controllers and webhooks for: their group,
//! version, plural, scope and Rust type, as k8s-openapi defines them for the Kubernetes release
//! the scaffold is built against. The table is generated from k8s-openapi's source
//! (`cli/tests/core_kinds.rs`), so it names only types a project can compile.

mod kind;
mod samples;
mod table;

pub use kind::CoreKind;
pub use samples::sample_fields;
use table::CORE_KINDS;

/// The domain PROJECT records for Kinds of Kubernetes itself (kubebuilder's).
pub const CORE_DOMAIN: &str = "k8s.io";

/// The core Kind `kind` of `group`/`version`, where `group` is the short group (`apps`,
/// `core`) or the API group (`networking.k8s.io`, empty for core).
pub fn find(group: &str, version: &str, kind: &str) -> Option<&'static CoreKind> {
    CORE_KINDS.iter().find(|core| {
        (core.group == group || core.api_group == group)
            && core.version == version
            && core.kind == kind
    })
}

/// Every core Kind, in group, version and Kind order.
pub fn all() -> &'static [CoreKind] {
    CORE_KINDS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_found_by_short_or_api_group() {
        let deployment = find("apps", "v1", "Deployment").expect("Deployment");
        assert_eq!(deployment.module, "k8s_openapi::api::apps::v1");
        assert_eq!(deployment.plural, "deployments");
        assert!(deployment.namespaced);
        assert_eq!(find("core", "v1", "Pod"), find("", "v1", "Pod"));
        let ingress = find("networking.k8s.io", "v1", "Ingress").expect("Ingress");
        assert_eq!(ingress.group, "networking");
        assert!(
            !find("core", "v1", "Namespace")
                .expect("Namespace")
                .namespaced
        );
        assert_eq!(find("apps", "v1", "Pod"), None);
    }
}
