//! [`Manifests`]: the files of `make manifests`, rendered, written or checked.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;

use super::error::Error;
use super::{crds, yaml};
use crate::Kind;
use crate::controller::Controller;
use crate::rbac::{MANAGER_ROLE, RbacRules, Rule, roles};
use crate::schema::{CustomResourceMarkers, SchemaError};
use crate::webhook::{AdmissionWebhooks, ClientConfig, Conversion, configurations};

/// The manifests of one operator, built from its types and declarations.
#[derive(Debug)]
#[must_use]
pub struct Manifests {
    root: PathBuf,
    crds: Vec<Result<CustomResourceDefinition, SchemaError>>,
    rules: Vec<Rule>,
    webhooks: Vec<AdmissionWebhooks>,
    /// CRDs served by a conversion webhook.
    conversions: Vec<String>,
    /// Where rules without a namespace go; `None`: the ClusterRole.
    role_namespace: Option<String>,
}

impl Manifests {
    /// Manifests written under `<root>/config/`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Manifests {
            root: root.into(),
            crds: Vec::new(),
            rules: Vec::new(),
            webhooks: Vec::new(),
            conversions: Vec::new(),
            role_namespace: None,
        }
    }

    /// Adds the CRD version of `K` (built and checked by [`crate::schema::crd`]).
    pub fn crd<K: CustomResourceMarkers>(mut self) -> Self {
        self.crds.push(crate::schema::crd::<K>());
        self
    }

    /// Adds the RBAC rules `R` declares (`#[derive(Rbac)]`).
    pub fn rbac<R: RbacRules>(self) -> Self {
        self.rules(R::rbac_rules())
    }

    /// Adds the RBAC rules a controller declaration implies (built offline: no client, no
    /// cluster).
    pub fn controller<K: Kind>(self, controller: &Controller<K>) -> Self {
        self.rules(controller.rbac_rules())
    }

    /// Adds RBAC rules.
    pub fn rules(mut self, rules: impl IntoIterator<Item = Rule>) -> Self {
        self.rules.extend(rules);
        self
    }

    /// Puts every rule without a namespace of its own into a `Role` `manager-role` in
    /// `namespace` instead of the `ClusterRole` `manager-role`: the role of an operator that
    /// only works in its own namespace. Rules with an explicit namespace
    /// ([`Rule::in_namespace`], `namespace = "..."` in `#[rbac]`) keep it.
    ///
    /// Rules for non-resource URLs (such as `/metrics`) stay in the `ClusterRole`: a `Role`
    /// cannot hold them. Scaffolded namespaced projects pass `"system"`, which kustomize
    /// rewrites to `<project>-system` like every other `system` in `config/`.
    ///
    /// ```
    /// use kubesmith::manifests::Manifests;
    /// use kubesmith::rbac::Rule;
    /// let files = Manifests::new(".")
    ///     .rules([Rule::new(&["apps"], &["deployments"], &["get", "list", "watch"])])
    ///     .role_namespace("system")
    ///     .render()?;
    /// let role = &files[std::path::Path::new("config/rbac/role.yaml")];
    /// assert!(role.contains("kind: Role\n"));
    /// assert!(role.contains("namespace: system"));
    /// assert!(!role.contains("kind: ClusterRole"));
    /// # Ok::<(), kubesmith::manifests::Error>(())
    /// ```
    pub fn role_namespace(mut self, namespace: impl Into<String>) -> Self {
        self.role_namespace = Some(namespace.into());
        self
    }

    /// Adds the admission webhooks of one Kind and version: a
    /// [`Webhook`](crate::webhook::Webhook) declaration (`&webhook`) or its data.
    pub fn webhook(mut self, webhooks: impl Into<AdmissionWebhooks>) -> Self {
        self.webhooks.push(webhooks.into());
        self
    }

    /// Marks the CRD of `conversion`'s Kind as converted by the webhook at `/convert`
    /// (`spec.conversion` with strategy `Webhook`).
    pub fn conversion<H>(self, conversion: &Conversion<H>) -> Self
    where
        H: Kind + serde::Serialize + serde::de::DeserializeOwned,
    {
        self.conversion_of(&conversion.crd_name())
    }

    /// Marks the CRD `crd` (`<plural>.<group>`) as converted by the webhook at `/convert`.
    pub(crate) fn conversion_of(mut self, crd: &str) -> Self {
        self.conversions.push(crd.to_string());
        self
    }

    /// Every file's path (relative to the root) and contents.
    pub fn render(&self) -> Result<BTreeMap<PathBuf, String>, Error> {
        let mut files = BTreeMap::new();
        // Report the problems of every CRD at once, not only the first CRD's.
        let mut checked = Vec::new();
        let mut problems = Vec::new();
        for crd in &self.crds {
            match crd {
                Ok(crd) => checked.push(crd.clone()),
                Err(SchemaError::Invalid(found)) => problems.extend(found.iter().cloned()),
                Err(other) => return Err(other.clone().into()),
            }
        }
        if !problems.is_empty() {
            return Err(SchemaError::Invalid(problems).into());
        }
        for mut crd in crds::merge_versions(checked)? {
            if self
                .conversions
                .iter()
                .any(|name| crd.metadata.name.as_deref() == Some(name.as_str()))
            {
                crd.spec.conversion = Some(ClientConfig::Service.crd_conversion());
            }
            let path = Path::new("config/crd/bases")
                .join(format!("{}_{}.yaml", crd.spec.group, crd.spec.names.plural));
            let text = yaml::documents(&path, &[&crd])?;
            files.insert(path, text);
        }
        if !self.rules.is_empty() {
            let path = PathBuf::from("config/rbac/role.yaml");
            let rules = self.rules.iter().cloned().map(|mut rule| {
                if rule.namespace.is_none() && rule.urls.is_empty() {
                    rule.namespace.clone_from(&self.role_namespace);
                }
                rule
            });
            let roles = roles(rules, MANAGER_ROLE);
            let mut documents: Vec<serde_json::Value> = Vec::new();
            if let Some(cluster_role) = &roles.cluster_role {
                documents.push(yaml::with_type(cluster_role, "ClusterRole"));
            }
            for role in &roles.roles {
                documents.push(yaml::with_type(role, "Role"));
            }
            let text = yaml::documents(&path, &documents.iter().collect::<Vec<_>>())?;
            files.insert(path, text);
        }
        if let Some((kind, problems)) = self
            .webhooks
            .iter()
            .map(|webhooks| (webhooks.kind_name(), webhooks.settings().problems()))
            .find(|(_, problems)| !problems.is_empty())
        {
            return Err(Error::Webhook { kind, problems });
        }
        let (mutating, validating) = configurations(&self.webhooks, &ClientConfig::Service);
        let mut documents: Vec<serde_json::Value> = Vec::new();
        if let Some(mutating) = &mutating {
            documents.push(yaml::with_type(mutating, "MutatingWebhookConfiguration"));
        }
        if let Some(validating) = &validating {
            documents.push(yaml::with_type(
                validating,
                "ValidatingWebhookConfiguration",
            ));
        }
        if !documents.is_empty() {
            let path = PathBuf::from("config/webhook/manifests.yaml");
            let text = yaml::documents(&path, &documents.iter().collect::<Vec<_>>())?;
            files.insert(path, text);
        }
        Ok(files)
    }

    /// Writes every file that is missing or differs, creating directories; returns the paths
    /// written (files already up to date are left untouched).
    pub fn write(&self) -> Result<Vec<PathBuf>, Error> {
        let mut written = Vec::new();
        for (path, text) in self.render()? {
            let full = self.root.join(&path);
            if let Some(parent) = full.parent() {
                std::fs::create_dir_all(parent).map_err(|source| Error::Io {
                    path: parent.to_path_buf(),
                    source,
                })?;
            }
            if std::fs::read_to_string(&full).ok().as_deref() != Some(text.as_str()) {
                std::fs::write(&full, text).map_err(|source| Error::Io {
                    path: full.clone(),
                    source,
                })?;
                written.push(path);
            }
        }
        Ok(written)
    }

    /// Compares the files on disk with what would be written; [`Error::Stale`] lists the
    /// files that differ or are missing.
    pub fn check(&self) -> Result<(), Error> {
        let stale: Vec<PathBuf> = self
            .render()?
            .into_iter()
            .filter(|(path, text)| {
                std::fs::read_to_string(self.root.join(path))
                    .ok()
                    .as_deref()
                    != Some(text.as_str())
            })
            .map(|(path, _)| path)
            .collect();
        if stale.is_empty() {
            Ok(())
        } else {
            Err(Error::Stale(stale))
        }
    }

    /// Entry point for a `manifests` binary: [`Manifests::run`] with the process arguments.
    pub fn main(self) -> ExitCode {
        self.run(std::env::args().skip(1))
    }

    /// Writes the files, or with the argument `--check` only checks them. Errors are printed;
    /// the exit code is non-zero on any error or stale file.
    pub fn run(self, args: impl IntoIterator<Item = String>) -> ExitCode {
        let check = args.into_iter().any(|arg| arg == "--check");
        let result = if check {
            self.check().map(|()| Vec::new())
        } else {
            self.write()
        };
        match result {
            Ok(written) => {
                for path in &written {
                    println!("wrote {}", path.display());
                }
                if !check && written.is_empty() {
                    println!("manifests are up to date");
                }
                ExitCode::SUCCESS
            }
            Err(error) => {
                eprintln!("error: {error}");
                ExitCode::FAILURE
            }
        }
    }
}
