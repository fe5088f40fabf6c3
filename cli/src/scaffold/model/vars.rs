//! The data templates are rendered with: the project's names and the names derived for one
//! group/version/Kind, all computed here so that templates only substitute.

use serde::Serialize;

use super::names;
use super::project::{Project, Resource, WebhookCertificates};

/// The version of the kubesmith runtime scaffolds depend on: the CLI's own.
pub const KUBESMITH_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The Kubernetes release scaffolds are built for: the control plane of `make test`
/// (`ENVTEST_K8S_VERSION`) and the API version feature of k8s-openapi (`v1_37`).
///
/// This and the crate versions below are kubesmith's own (the workspace's `Cargo.toml`): a
/// project's types must be the ones kubesmith's functions take. The CLI's golden test
/// compares the scaffold's `Cargo.toml` and Makefile with the workspace's.
pub const KUBERNETES_VERSION: &str = "1.37.2";
/// The `kube` version scaffolds depend on.
pub const KUBE_VERSION: &str = "5";
/// The `k8s-openapi` version scaffolds depend on.
pub const K8S_OPENAPI_VERSION: &str = "0.29";
/// The `schemars` version scaffolds depend on.
pub const SCHEMARS_VERSION: &str = "1";

/// Where scaffolded projects take the kubesmith crate from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dependency {
    /// crates.io, at [`KUBESMITH_VERSION`].
    Registry,
    /// A checkout of the kubesmith repository (its root directory), for offline builds.
    Path(String),
}

impl Dependency {
    /// The root of the kubesmith checkout of a path dependency, without a trailing `/`.
    fn checkout(&self) -> Option<&str> {
        match self {
            Dependency::Registry => None,
            Dependency::Path(root) => Some(root.trim_end_matches('/')),
        }
    }

    /// The `kubesmith` line of `[dependencies]`, with `features` (none: `&[]`).
    fn line(&self, features: &[&str]) -> String {
        let features = if features.is_empty() {
            String::new()
        } else {
            let quoted: Vec<String> = features.iter().map(|f| format!("{f:?}")).collect();
            format!(", features = [{}]", quoted.join(", "))
        };
        match self.checkout() {
            None => format!("kubesmith = {{ version = \"{KUBESMITH_VERSION}\"{features} }}"),
            Some(root) => {
                let sdk = format!("{root}/sdk");
                format!(
                    "kubesmith = {{ version = \"{KUBESMITH_VERSION}\", path = {sdk:?}{features} }}"
                )
            }
        }
    }
}

/// Project-wide variables.
#[derive(Debug, Clone, Serialize)]
pub struct ProjectVars {
    /// The project name (`guestbook`).
    pub project_name: String,
    /// The library crate's name (`guestbook`, `my_operator`).
    pub crate_name: String,
    /// The domain API groups are qualified with.
    pub domain: String,
    /// Whether the manager is confined to its own namespace.
    pub namespaced: bool,
    /// Whether APIs live in per-group modules.
    pub multigroup: bool,
    /// Whether the manager issues its own webhook certificates (no cert-manager).
    pub self_managed_certificates: bool,
    /// The license of `Cargo.toml` (`Apache-2.0`), empty for none.
    pub license: String,
    /// The comment block every Rust file starts with (ends with a blank line), or empty.
    pub header: String,
    /// The `kubesmith = ...` dependency line.
    pub kubesmith_dependency: String,
    /// The same with the `manifests` feature, for the `manifests` feature of the project.
    pub kubesmith_dev_dependency: String,
    /// The kubesmith checkout of a path dependency (the image build mounts it), else empty.
    pub kubesmith_path: String,
    /// The CLI version.
    pub cli_version: &'static str,
    /// [`KUBERNETES_VERSION`].
    pub kubernetes_version: &'static str,
    /// k8s-openapi's feature for [`KUBERNETES_VERSION`] (`v1_37`).
    pub k8s_openapi_feature: String,
    /// [`KUBE_VERSION`].
    pub kube_version: &'static str,
    /// [`K8S_OPENAPI_VERSION`].
    pub k8s_openapi_version: &'static str,
    /// [`SCHEMARS_VERSION`].
    pub schemars_version: &'static str,
}

impl ProjectVars {
    /// The variables of `project`, whose Rust files start with `header`.
    pub fn new(project: &Project, header: &str, dependency: &Dependency) -> Self {
        ProjectVars {
            project_name: project.project_name.clone(),
            crate_name: names::crate_name(&project.project_name),
            domain: project.domain.clone(),
            namespaced: project.namespaced,
            multigroup: project.multigroup,
            self_managed_certificates: project.webhook_certificates
                == WebhookCertificates::SelfManaged,
            license: if project.license == "apache2" {
                "Apache-2.0".into()
            } else {
                String::new()
            },
            header: header.to_string(),
            kubesmith_dependency: dependency.line(&[]),
            kubesmith_dev_dependency: dependency.line(&["envtest"]),
            kubesmith_path: dependency.checkout().unwrap_or_default().to_string(),
            cli_version: KUBESMITH_VERSION,
            kubernetes_version: KUBERNETES_VERSION,
            k8s_openapi_feature: k8s_openapi_feature(KUBERNETES_VERSION),
            kube_version: KUBE_VERSION,
            k8s_openapi_version: K8S_OPENAPI_VERSION,
            schemars_version: SCHEMARS_VERSION,
        }
    }
}

/// k8s-openapi's feature for the Kubernetes release `version`: `v<major>_<minor>`.
pub fn k8s_openapi_feature(version: &str) -> String {
    let mut parts = version.split('.');
    let major = parts.next().unwrap_or_default();
    let minor = parts.next().unwrap_or_default();
    format!("v{major}_{minor}")
}

/// The variables of one group/version/Kind, with the project's.
#[derive(Debug, Clone, Serialize)]
pub struct ResourceVars {
    /// The project's variables.
    #[serde(flatten)]
    pub project: ProjectVars,
    /// The short group (`batch`).
    pub group: String,
    /// The API group (`batch.example.com`).
    pub qualified_group: String,
    /// The version (`v1`).
    pub version: String,
    /// The Kind (`CronJob`).
    pub kind: String,
    /// The Kind in lower case: file and module name (`cronjob`).
    pub kind_lower: String,
    /// The Kind in snake case: variable names (`cron_job`).
    pub kind_snake: String,
    /// The resource name (`cronjobs`).
    pub plural: String,
    /// The plural in snake case: variable names (`cron_jobs`).
    pub plural_snake: String,
    /// Whether objects live in namespaces.
    pub namespaced: bool,
    /// Whether this version is the one stored (the first version of the Kind).
    pub storage: bool,
    /// The group's directory with a trailing `/` in multigroup projects, else empty.
    pub group_dir: String,
    /// The group's module with a trailing `::` in multigroup projects, else empty.
    pub group_module: String,
    /// Prefix of file names that would clash between groups (tests, roles): `<group>_` in
    /// multigroup projects, else empty.
    pub file_prefix: String,
    /// The same for object names: `<group>-` in multigroup projects, else empty.
    pub name_prefix: String,
    /// Whether the Kind is an API of this project (else a Kind of Kubernetes itself or of
    /// another project).
    pub owned: bool,
    /// Whether the Kind is another project's (`--external-api-path`).
    pub external: bool,
    /// The controller's module and file name: the lower-case Kind, or its `--controller-name`.
    pub controller_module: String,
    /// The controller's type prefix (`{controller_type}Reconciler`): the Kind, or its
    /// `--controller-name` in UpperCamelCase.
    pub controller_type: String,
    /// The `--controller-name` of a further controller of the Kind (its declaration is
    /// `.named(...)`), `None` for the Kind's own.
    pub controller_name: Option<String>,
    /// The name the manager knows the controller by (metrics, logs).
    pub controller_label: String,
    /// The module of the Kind's type, as this crate's code names it
    /// (`crate::api::v1::cronjob`, `k8s_openapi::api::apps::v1`).
    pub types_module: String,
    /// The same, as the crate's tests name it (`::project::api::v1::cronjob`).
    pub test_types_module: String,
    /// For a Kind the project does not own: the fields of a sample object besides
    /// `metadata` (lines of a `json!` object), when kubesmith knows one.
    pub sample_fields: Option<&'static str>,
}

impl ResourceVars {
    /// The variables of `resource` in `project`.
    pub fn new(project: ProjectVars, resource: &Resource) -> Self {
        let multigroup = project.multigroup;
        let core = resource.core_kind();
        let namespaced = match core {
            Some(core) => core.namespaced,
            None if resource.external => !resource.cluster_scoped,
            None => resource.api.as_ref().is_none_or(|api| api.namespaced),
        };
        let (qualified_group, types_module, test_types_module) = match core {
            None if resource.external => (
                format!("{}.{}", resource.group, resource.domain),
                resource.path.clone(),
                resource.path.clone(),
            ),
            Some(core) => (
                if core.api_group.is_empty() {
                    "core".to_string()
                } else {
                    core.api_group.to_string()
                },
                core.module.to_string(),
                core.module.to_string(),
            ),
            None => (
                format!("{}.{}", resource.group, resource.domain),
                format!("crate::{}", resource.path),
                format!("::{}::{}", project.crate_name, resource.path),
            ),
        };
        ResourceVars {
            owned: core.is_none() && !resource.external,
            controller_module: resource.kind.to_ascii_lowercase(),
            controller_type: resource.kind.clone(),
            controller_name: None,
            controller_label: resource.kind.to_ascii_lowercase(),
            external: resource.external,
            // Another project's Kind: its CRD comes from its crate, and an empty spec is the
            // sample (the user adds what the CRD requires).
            sample_fields: match core {
                Some(core) => super::core_kinds::sample_fields(core.group, core.kind),
                None => resource.external.then_some(r#"        "spec": {},"#),
            },
            types_module,
            test_types_module,
            qualified_group,
            group: resource.group.clone(),
            version: resource.version.clone(),
            kind: resource.kind.clone(),
            kind_lower: resource.kind.to_ascii_lowercase(),
            kind_snake: names::snake_case(&resource.kind),
            plural: resource.plural.clone(),
            plural_snake: names::plural(&names::snake_case(&resource.kind)),
            namespaced,
            storage: true,
            group_dir: if multigroup {
                format!("{}/", resource.group)
            } else {
                String::new()
            },
            group_module: if multigroup {
                format!("{}::", resource.group)
            } else {
                String::new()
            },
            file_prefix: if multigroup {
                format!("{}_", resource.group)
            } else {
                String::new()
            },
            name_prefix: if multigroup {
                format!("{}-", resource.group)
            } else {
                String::new()
            },
            project,
        }
    }
}

impl ResourceVars {
    /// The variables of the further controller `name` of the Kind (`--controller-name`).
    pub fn named_controller(mut self, name: &str) -> Self {
        self.controller_module = name.to_string();
        self.controller_type = names::upper_camel_case(name);
        self.controller_name = Some(name.to_string());
        self.controller_label = name.to_string();
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dependency_lines() {
        assert_eq!(
            Dependency::Registry.line(&[]),
            format!("kubesmith = {{ version = \"{KUBESMITH_VERSION}\" }}")
        );
        assert_eq!(
            Dependency::Path("/src/kubesmith/".into()).line(&["envtest"]),
            format!(
                "kubesmith = {{ version = \"{KUBESMITH_VERSION}\", path = \"/src/kubesmith/sdk\", features = [\"envtest\"] }}"
            )
        );
    }
}
