//! The `PROJECT` file: how a project was scaffolded, read and updated by every command (the
//! fields kubebuilder users know: version, domain, projectName, layout, multigroup, namespaced,
//! resources).

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::core_kinds::{self, CoreKind};
use crate::scaffold::error::ScaffoldError;

/// The layout this CLI writes and understands.
pub const LAYOUT: &str = "kubesmith.dev/v1";
/// The file name.
pub const PROJECT_FILE: &str = "PROJECT";

/// A project's scaffolding record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Project {
    /// The CLI version that wrote the file last.
    pub cli_version: String,
    /// The domain groups are qualified with.
    pub domain: String,
    /// The layouts the project follows.
    pub layout: Vec<String>,
    /// APIs live in per-group directories.
    #[serde(default, skip_serializing_if = "is_false")]
    pub multigroup: bool,
    /// The manager watches and is granted access to its own namespace only.
    #[serde(default, skip_serializing_if = "is_false")]
    pub namespaced: bool,
    /// The plugins the project uses beyond the base layout, by key, with their settings
    /// (`grafana.kubesmith.dev/v1-alpha: {}`), as the plugins module reads and writes them.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub plugins: BTreeMap<String, serde_json::Value>,
    /// The project's name.
    pub project_name: String,
    /// The owner named in license headers.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub owner: String,
    /// `apache2` or `none`.
    pub license: String,
    /// Where the webhook serving certificate comes from (left out for cert-manager, the
    /// default).
    #[serde(default, skip_serializing_if = "WebhookCertificates::is_default")]
    pub webhook_certificates: WebhookCertificates,
    /// The APIs, controllers and webhooks scaffolded.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<Resource>,
    /// The PROJECT format version.
    pub version: String,
}

/// One scaffolded group/version/Kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Resource {
    /// The API types, when they were scaffolded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api: Option<ApiInfo>,
    /// Whether a controller was scaffolded.
    #[serde(default, skip_serializing_if = "is_false")]
    pub controller: bool,
    /// Further controllers of this Kind, by name (`create api --controller-name`), for Kinds
    /// the project does not own.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub controller_names: Vec<String>,
    /// The domain the group is qualified with.
    pub domain: String,
    /// A Kind of another project (its types from another crate, its CRD not this project's):
    /// `create api --resource=false --external-api-path ...`.
    #[serde(default, skip_serializing_if = "is_false")]
    pub external: bool,
    /// An external Kind that is cluster-scoped (its scope is recorded here, as there is no
    /// `api`).
    #[serde(default, skip_serializing_if = "is_false")]
    pub cluster_scoped: bool,
    /// The group (short).
    pub group: String,
    /// The Kind.
    pub kind: String,
    /// The crate of another project's Kind, `<crate>@<version>`
    /// (`--external-api-module`), a dependency in `Cargo.toml`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub module: Option<String>,
    /// The Rust module of the types.
    pub path: String,
    /// The resource name.
    pub plural: String,
    /// The version.
    pub version: String,
    /// The webhooks scaffolded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhooks: Option<WebhookInfo>,
}

/// The API of a resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ApiInfo {
    /// Always `v1` (apiextensions.k8s.io/v1 CRDs).
    pub crd_version: String,
    /// Whether objects live in namespaces.
    #[serde(default, skip_serializing_if = "is_false")]
    pub namespaced: bool,
}

/// The webhooks of a resource.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WebhookInfo {
    /// A defaulting (mutating) webhook.
    #[serde(default, skip_serializing_if = "is_false")]
    pub defaulting: bool,
    /// A validating webhook.
    #[serde(default, skip_serializing_if = "is_false")]
    pub validation: bool,
    /// Conversion through this version as the hub.
    #[serde(default, skip_serializing_if = "is_false")]
    pub conversion: bool,
    /// The spoke versions of the conversion.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub spoke: Vec<String>,
    /// Always `v1` (admission.k8s.io/v1).
    pub webhook_version: String,
}

/// Where a project's webhook serving certificate comes from (`init --webhook-certs`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum WebhookCertificates {
    /// cert-manager issues it from a self-signed Issuer and injects its CA
    /// (`config/certmanager`), as in kubebuilder projects.
    #[default]
    CertManager,
    /// The manager issues, stores, injects and rotates its own (`SelfManagedCertificates`);
    /// the cluster needs no cert-manager.
    SelfManaged,
}

impl WebhookCertificates {
    /// Parses a value of `--webhook-certs`.
    pub fn parse(text: &str) -> Result<Self, ScaffoldError> {
        match text {
            "cert-manager" => Ok(WebhookCertificates::CertManager),
            "self-managed" => Ok(WebhookCertificates::SelfManaged),
            _ => Err(ScaffoldError::InvalidName {
                what: "--webhook-certs".into(),
                value: text.to_string(),
                expected: "cert-manager or self-managed".into(),
            }),
        }
    }

    /// Whether this is the default (cert-manager), which PROJECT leaves out.
    pub fn is_default(&self) -> bool {
        *self == WebhookCertificates::CertManager
    }
}

fn is_false(value: &bool) -> bool {
    !*value
}

impl Resource {
    /// The Kind of Kubernetes itself this resource is (a controller or webhooks for
    /// `apps/v1 Deployment`, say), `None` for an API of the project.
    pub fn core_kind(&self) -> Option<&'static CoreKind> {
        core_kinds::find(&self.group, &self.version, &self.kind).filter(|core| {
            self.api.is_none() && self.domain == core_kinds::CORE_DOMAIN && core.module == self.path
        })
    }

    /// A resource for the core Kind `core`: no API of the project, types from k8s-openapi.
    pub fn of_core_kind(core: &CoreKind) -> Resource {
        Resource {
            api: None,
            controller: false,
            controller_names: Vec::new(),
            domain: core_kinds::CORE_DOMAIN.into(),
            external: false,
            cluster_scoped: false,
            group: core.group.into(),
            kind: core.kind.into(),
            module: None,
            path: core.module.into(),
            plural: core.plural.into(),
            version: core.version.into(),
            webhooks: None,
        }
    }
}

impl Project {
    /// Reads `dir/PROJECT`; a missing, malformed or unknown-layout file is an error.
    pub fn read(dir: &Path) -> Result<Project, ScaffoldError> {
        let path = dir.join(PROJECT_FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                let shown = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
                return Err(ScaffoldError::NotAProject(shown));
            }
            Err(source) => {
                return Err(ScaffoldError::Io {
                    action: "reading",
                    path,
                    source,
                });
            }
        };
        let project: Project =
            serde_saphyr::from_str(&text).map_err(|error| ScaffoldError::MalformedProject {
                path: path.clone(),
                reason: error.to_string(),
            })?;
        if project.version != "3" {
            return Err(ScaffoldError::MalformedProject {
                path,
                reason: format!("expected version \"3\", found {:?}", project.version),
            });
        }
        if let Some(unknown) = project.layout.iter().find(|layout| *layout != LAYOUT) {
            return Err(ScaffoldError::UnknownLayout {
                found: unknown.clone(),
                known: LAYOUT,
            });
        }
        Ok(project)
    }

    /// The file's text (deterministic: fields in a fixed order).
    pub fn render(&self) -> Result<String, ScaffoldError> {
        let yaml = serde_saphyr::to_string(self).map_err(|error| ScaffoldError::Template {
            template: PROJECT_FILE.into(),
            reason: error.to_string(),
        })?;
        Ok(format!(
            "# Written by kubesmith: how this project was scaffolded. kubesmith commands read and\n# update it; edit it only to correct it.\n{yaml}"
        ))
    }

    /// Refuses options that do not go together: self-managed webhook certificates are put
    /// into the webhook configurations and CRDs, which are cluster-scoped, and a manager
    /// confined to its namespace has no rights on those.
    pub fn check_options(&self) -> Result<(), ScaffoldError> {
        if self.namespaced && self.webhook_certificates == WebhookCertificates::SelfManaged {
            return Err(ScaffoldError::Usage(
                "--webhook-certs self-managed needs a manager that may update its webhook configurations and CRDs (cluster-scoped), which a manager confined to its namespace (--namespaced) may not; use --webhook-certs cert-manager or a cluster-wide manager".into(),
            ));
        }
        Ok(())
    }

    /// The resource of `group`/`version`/`kind`, if scaffolded.
    pub fn resource(&self, group: &str, version: &str, kind: &str) -> Option<&Resource> {
        self.resources
            .iter()
            .find(|r| r.group == group && r.version == version && r.kind == kind)
    }

    /// The resource of `group`/`version`/`kind`, to update.
    pub fn resource_mut(
        &mut self,
        group: &str,
        version: &str,
        kind: &str,
    ) -> Option<&mut Resource> {
        self.resources
            .iter_mut()
            .find(|r| r.group == group && r.version == version && r.kind == kind)
    }
}
