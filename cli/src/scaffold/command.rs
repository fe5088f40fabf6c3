//! `kubesmith init`, `kubesmith create api` and `kubesmith create webhook`: arguments, and
//! what is printed (the files written and what to do next).

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{ArgAction, Args, Subcommand};

use super::engine::changes::Applied;
use super::engine::templates::Templates;
use super::error::ScaffoldError;
use super::layout::api::{ApiOptions, ExternalApi, create_api};
use super::layout::init::{CUSTOM_LICENSE, InitOptions, init, license_file_header};
use super::layout::webhook::{WebhookOptions, create_webhook};
use super::lifecycle::delete::{Target, delete_api, delete_webhook};
use super::lifecycle::edit::{EditOptions, edit};
use super::lifecycle::generate;
use super::lifecycle::older_cli::OlderCli;
use super::lifecycle::update::{UpdateOptions, alpha_update};
use super::make;
use super::model::project::WebhookCertificates;
use super::model::vars::Dependency;
use super::plugins::{self, ApiPluginArgs};
use crate::Error;

/// Arguments of `init`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  kubesmith init --domain example.com\n  kubesmith init --domain example.com --project-name guestbook --owner \"The Guestbook Authors\"\n  kubesmith init --domain example.com --license-file hack/header.txt\n  kubesmith init --domain example.com --multigroup --namespaced\n  kubesmith init --domain example.com --webhook-certs self-managed\n  kubesmith init --domain example.com --plugins grafana"
)]
pub struct InitArgs {
    /// The domain API groups are qualified with (group `batch` → `batch.<domain>`).
    #[arg(long, default_value = "my.domain")]
    pub domain: String,
    /// The project name, a DNS-1123 label (default: the directory's name).
    #[arg(long)]
    pub project_name: Option<String>,
    /// The copyright owner in the license header (default: "The {project-name} Authors").
    #[arg(long)]
    pub owner: Option<String>,
    /// The license of the scaffolded code: a header on every Rust file, or none.
    #[arg(long, default_value = "apache2", value_parser = ["apache2", "none"])]
    pub license: String,
    /// The license header to put on every Rust file instead, from a file (`YEAR` in it becomes
    /// this year); PROJECT records the license as custom.
    #[arg(long, conflicts_with = "license")]
    pub license_file: Option<PathBuf>,
    /// Confine the manager to its own namespace (a Role instead of a ClusterRole).
    #[arg(long)]
    pub namespaced: bool,
    /// One module per API group (src/api/{group}/{version}), for projects with several groups.
    #[arg(long)]
    pub multigroup: bool,
    /// Where the webhook serving certificate comes from: cert-manager (installed in the
    /// cluster; config/certmanager holds its Issuer and Certificate) or self-managed (the
    /// manager issues, stores, injects and rotates its own; no cert-manager needed).
    #[arg(long, default_value = "cert-manager", value_parser = ["cert-manager", "self-managed"])]
    pub webhook_certs: String,
    /// Depend on the kubesmith crate of this kubesmith checkout instead of crates.io (offline
    /// builds, kubesmith development).
    #[arg(long, env = "KUBESMITH_PATH")]
    pub kubesmith_path: Option<PathBuf>,
    /// Plugins to use beyond the base layout, comma-separated: grafana (dashboards of the
    /// manager's metrics). PROJECT records them; `kubesmith edit --plugins` adds them later.
    #[arg(long, value_delimiter = ',')]
    pub plugins: Vec<String>,
    /// Overwrite files that exist (README.md, .gitignore, ...); PROJECT, Makefile and
    /// src/main.rs are never overwritten.
    #[arg(long)]
    pub force: bool,
}

/// What `create` scaffolds.
#[derive(Debug, Subcommand)]
pub enum CreateCommand {
    /// Add a Kind: its types, its controller and their tests, sample and roles; or, with
    /// --resource=false, a controller for a Kind of Kubernetes itself (apps/v1 Deployment).
    Api(ApiArgs),
    /// Add defaulting, validating or conversion webhooks to a Kind of this project, or
    /// defaulting and validating webhooks to a Kind of Kubernetes itself (core/v1 Pod).
    Webhook(WebhookArgs),
}

/// The group, version and Kind a `create` command is about.
#[derive(Debug, Args)]
pub struct Gvk {
    /// The API group, without the domain (e.g. batch); for Kinds of Kubernetes itself its
    /// short name or API group (core, apps, networking or networking.k8s.io).
    #[arg(long)]
    pub group: String,
    /// The API version (e.g. v1, v1beta1, v2alpha3).
    #[arg(long)]
    pub version: String,
    /// The Kind, in CamelCase (e.g. CronJob).
    #[arg(long)]
    pub kind: String,
}

/// Arguments of `create api`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  kubesmith create api --group batch --version v1 --kind CronJob\n  kubesmith create api --group batch --version v1 --kind Cluster --namespaced=false\n  kubesmith create api --group batch --version v2 --kind CronJob --controller=false\n  kubesmith create api --group batch --version v1 --kind CronJob --make=false\n  kubesmith create api --group apps --version v1 --kind Deployment --resource=false\n  kubesmith create api --group shop --version v1 --kind Widget --resource=false --external-api-path widgets::v1 --external-api-domain example.com\n  kubesmith create api --group cache --version v1alpha1 --kind Memcached --plugins deploy-image --image memcached:1.6 --image-container-port 11211 --run-as-user 1001"
)]
pub struct ApiArgs {
    /// Which Kind.
    #[command(flatten)]
    pub gvk: Gvk,
    /// The resource name (default: the English plural of the lower-case Kind).
    #[arg(long)]
    pub plural: Option<String>,
    /// Whether objects live in namespaces (--namespaced=false: cluster-scoped).
    #[arg(long, default_value_t = true, action = ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
    pub namespaced: bool,
    /// Scaffold the types (src/api); --resource=false scaffolds a controller for a Kind that
    /// exists already: another version's, or one of Kubernetes itself.
    #[arg(long, default_value_t = true, action = ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
    pub resource: bool,
    /// Scaffold the controller (src/controller) and its test.
    #[arg(long, default_value_t = true, action = ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
    pub controller: bool,
    /// With --resource=false: the Rust module of another project's Kind, from a crate this
    /// project depends on (e.g. widgets::v1); its group is qualified with --external-api-domain.
    #[arg(long, requires = "external_api_domain")]
    pub external_api_path: Option<String>,
    /// The domain of the external Kind's group (e.g. example.com for shop.example.com).
    #[arg(long, requires = "external_api_path")]
    pub external_api_domain: Option<String>,
    /// With --external-api-path: the crate that holds the Kind, `<crate>@<version>` (e.g.
    /// widgets@0.3), added to Cargo.toml's dependencies.
    #[arg(long, requires = "external_api_path")]
    pub external_api_module: Option<String>,
    /// With --resource=false: a further controller of a Kind of Kubernetes itself or of another
    /// project, by this name (e.g. deployment_backup): its own module, reconciler and test.
    #[arg(long)]
    pub controller_name: Option<String>,
    /// Plugins that scaffold this Kind, and their flags.
    #[command(flatten)]
    pub plugins: ApiPluginArgs,
    /// Scaffold files this command wrote before again, overwriting them.
    #[arg(long)]
    pub force: bool,
    /// Run `make manifests` afterwards (builds the project; undone with the scaffold on failure).
    #[arg(long, default_value_t = true, action = ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
    pub make: bool,
}

/// Arguments of `create webhook`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  kubesmith create webhook --group batch --version v1 --kind CronJob --defaulting --programmatic-validation\n  kubesmith create webhook --group batch --version v1 --kind CronJob --conversion --spoke v2\n  kubesmith create webhook --group batch --version v1 --kind CronJob --programmatic-validation --force"
)]
pub struct WebhookArgs {
    /// Which Kind and version.
    #[command(flatten)]
    pub gvk: Gvk,
    /// A defaulting (mutating admission) webhook.
    #[arg(long)]
    pub defaulting: bool,
    /// A validating admission webhook.
    #[arg(long)]
    pub programmatic_validation: bool,
    /// A conversion webhook, this version the hub.
    #[arg(long)]
    pub conversion: bool,
    /// The versions that convert to and from the hub (with --conversion).
    #[arg(long, value_delimiter = ',')]
    pub spoke: Vec<String>,
    /// Scaffold the webhook's files again, e.g. to add a webhook type to a Kind that has one.
    #[arg(long)]
    pub force: bool,
    /// Run `make manifests` afterwards (builds the project; undone with the scaffold on failure).
    #[arg(long, default_value_t = true, action = ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
    pub make: bool,
}

/// `kubesmith delete ...`.
#[derive(Debug, Subcommand)]
pub enum DeleteCommand {
    /// Remove an API's types and controller: the files `create api` wrote and its lines in
    /// shared files.
    Api(DeleteArgs),
    /// Remove a Kind version's webhooks: the files `create webhook` wrote and its lines in
    /// shared files.
    Webhook(DeleteArgs),
}

/// What to delete.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  kubesmith delete api --group batch --version v1 --kind CronJob\n  kubesmith delete webhook --group batch --version v1 --kind CronJob\n  kubesmith delete api --group batch --version v1 --kind CronJob --force --make=false"
)]
pub struct DeleteArgs {
    /// The group, version and Kind.
    #[command(flatten)]
    pub gvk: Gvk,
    /// Delete generated files even when they were edited since they were generated.
    #[arg(long)]
    pub force: bool,
    /// Run `make manifests` afterwards.
    #[arg(long, default_value_t = true, action = ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
    pub make: bool,
}

/// Project-wide options to change.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  kubesmith edit --multigroup\n  kubesmith edit --namespaced\n  kubesmith edit --namespaced=false\n  kubesmith edit --webhook-certs self-managed --make=false\n  kubesmith edit --plugins grafana"
)]
pub struct EditArgs {
    /// Confine the manager to its own namespace (or, with =false, let it watch the cluster).
    #[arg(long, action = ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
    pub namespaced: Option<bool>,
    /// One module per API group: moves the existing Kinds into their group's modules.
    #[arg(long, action = ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
    pub multigroup: Option<bool>,
    /// Where the webhook serving certificate comes from: cert-manager or self-managed (the
    /// manager's own; config/certmanager goes away).
    #[arg(long, value_parser = ["cert-manager", "self-managed"])]
    pub webhook_certs: Option<String>,
    /// Plugins to add, comma-separated: grafana (dashboards of the manager's metrics).
    #[arg(long, value_delimiter = ',')]
    pub plugins: Vec<String>,
    /// Overwrite or delete generated files even when they were edited since.
    #[arg(long)]
    pub force: bool,
    /// Run `make manifests` afterwards (builds the project; undone with the scaffold on failure).
    #[arg(long, default_value_t = true, action = ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
    pub make: bool,
}

/// `kubesmith alpha ...`: commands whose behaviour may still change.
#[derive(Debug, Subcommand)]
pub enum AlphaCommand {
    /// Re-scaffold the project from PROJECT with this CLI into a fresh directory, to review an
    /// upgrade as a diff (your code is not touched).
    Generate(GenerateArgs),
    /// Write a Helm chart (dist/chart) from the rendered manifests (dist/install.yaml).
    HelmChart(crate::helm::HelmChartArgs),
    /// Move the project to this CLI's scaffold: a three-way merge with your edits, committed
    /// on a new git branch.
    Update(UpdateArgs),
}

/// Where the scaffold the project was made with comes from, and where the merge goes.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  kubesmith alpha update\n  kubesmith alpha update --from-version 0.1.0\n  kubesmith alpha update --from-binary /tmp/old-kubesmith/bin/kubesmith\n  git diff main..kubesmith-update-0.2.0\n  make manifests lint test"
)]
pub struct UpdateArgs {
    /// The kubesmith CLI the project was scaffolded with (its `alpha generate` re-creates the
    /// base of the merge).
    #[arg(long, value_name = "PATH", conflicts_with = "from_version")]
    pub from_binary: Option<PathBuf>,
    /// The version of kubesmith the project was scaffolded with, installed with `cargo install`
    /// into ~/.cache/kubesmith/cli (once) [default: the cliVersion in PROJECT].
    #[arg(long, value_name = "VERSION")]
    pub from_version: Option<String>,
    /// The branch to commit the update on (default: kubesmith-update-VERSION, this CLI's version).
    #[arg(long)]
    pub branch: Option<String>,
}

/// Where to re-scaffold.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  kubesmith alpha generate\n  git diff --no-index --stat . target/kubesmith-generate\n  kubesmith alpha generate --output /tmp/upgraded --force"
)]
pub struct GenerateArgs {
    /// The directory to write, relative to the project.
    #[arg(long, default_value = generate::DEFAULT_OUTPUT)]
    pub output: PathBuf,
    /// Replace the output directory if it is not empty.
    #[arg(long)]
    pub force: bool,
}

impl DeleteCommand {
    /// Deletes, then writes the manifests again unless `--make=false` (on a failure of
    /// `make manifests`, the project goes back as it was).
    pub fn run(
        &self,
        dir: &Path,
        out: &mut dyn Write,
        progress: &mut dyn Write,
    ) -> Result<(), Error> {
        let templates = Templates::new();
        let (args, webhook) = match self {
            DeleteCommand::Api(args) => (args, false),
            DeleteCommand::Webhook(args) => (args, true),
        };
        let target = Target {
            group: args.gvk.group.clone(),
            version: args.gvk.version.clone(),
            kind: args.gvk.kind.clone(),
        };
        let applied = make::then_manifests(dir, args.make, progress, || {
            if webhook {
                delete_webhook(dir, &target, args.force, &templates)
            } else {
                delete_api(dir, &target, args.force, &templates)
            }
        })?;
        report(out, &applied)
    }
}

impl EditArgs {
    /// Changes the options and reports the files written, then writes the manifests again
    /// unless `--make=false`.
    pub fn run(
        &self,
        dir: &Path,
        out: &mut dyn Write,
        progress: &mut dyn Write,
    ) -> Result<(), Error> {
        let options = EditOptions {
            namespaced: self.namespaced,
            multigroup: self.multigroup,
            webhook_certificates: self
                .webhook_certs
                .as_deref()
                .map(WebhookCertificates::parse)
                .transpose()?,
            plugins: self.plugins.clone(),
            force: self.force,
        };
        // `make manifests`, then what the added plugins run once (helm: build-installer).
        let mut targets = vec!["manifests"];
        for name in &self.plugins {
            targets.extend(plugins::find(name)?.make_targets());
        }
        targets.dedup();
        let run: &[&str] = if self.make { &targets } else { &[] };
        let applied = make::then_targets(dir, run, progress, || {
            edit(dir, &options, &Templates::new())
        })?;
        report(out, &applied)?;
        if !self.make && targets.len() == 1 {
            writeln!(out, "Next: write the manifests with `make manifests`")?;
        } else if !self.make {
            writeln!(out, "Next: run `make {}`", targets.join(" "))?;
        }
        Ok(())
    }
}

impl AlphaCommand {
    /// Runs the alpha command.
    pub fn run(&self, dir: &Path, out: &mut dyn Write) -> Result<(), Error> {
        match self {
            AlphaCommand::Generate(args) => {
                let output =
                    generate::alpha_generate(dir, &args.output, args.force, &Templates::new())?;
                writeln!(
                    out,
                    "re-scaffolded the project into {}\nNext: review the upgrade with `git diff --no-index . {}` and take over what you want",
                    output.display(),
                    args.output.display()
                )?;
                Ok(())
            }
            AlphaCommand::HelmChart(args) => args.run(dir, out),
            AlphaCommand::Update(args) => {
                let from = match (&args.from_binary, &args.from_version) {
                    (Some(binary), _) => OlderCli::Binary(binary.clone()),
                    (None, Some(version)) => OlderCli::Version(version.clone()),
                    (None, None) => OlderCli::Recorded,
                };
                let options = UpdateOptions {
                    from,
                    branch: args.branch.clone(),
                };
                let updated = alpha_update(dir, &options, &Templates::new())?;
                for (what, paths) in [
                    ("changed", &updated.changed),
                    ("added", &updated.added),
                    ("removed", &updated.removed),
                    ("kept as you have it", &updated.kept),
                    ("CONFLICT", &updated.conflicts),
                ] {
                    for path in paths {
                        writeln!(out, "{what:>19}  {}", path.display())?;
                    }
                }
                writeln!(
                    out,
                    "committed on the branch {} (checked out){}\nNext: review it (`git diff @{{-1}}..{}`), then `make manifests lint test`",
                    updated.branch,
                    if updated.conflicts.is_empty() {
                        String::new()
                    } else {
                        format!(
                            "; resolve the {} conflicts marked <<<<<<< yours ... >>>>>>> and commit",
                            updated.conflicts.len()
                        )
                    },
                    updated.branch,
                )?;
                Ok(())
            }
        }
    }
}

impl InitArgs {
    /// Scaffolds a project in `dir`.
    pub fn run(&self, dir: &Path, out: &mut dyn Write) -> Result<(), Error> {
        let dependency = match &self.kubesmith_path {
            Some(path) => Dependency::Path(absolute(path)?),
            None => Dependency::Registry,
        };
        let options = InitOptions {
            domain: self.domain.clone(),
            project_name: self.project_name.clone(),
            owner: self.owner.clone(),
            license: if self.license_file.is_some() {
                CUSTOM_LICENSE.into()
            } else {
                self.license.clone()
            },
            namespaced: self.namespaced,
            multigroup: self.multigroup,
            webhook_certificates: WebhookCertificates::parse(&self.webhook_certs)?,
            dependency,
            year: None,
            boilerplate: self
                .license_file
                .as_deref()
                .map(|file| license_file_header(file, None))
                .transpose()?,
            plugins: plugins::selected(&self.plugins)?,
            force: self.force,
        };
        let applied = init(dir, &options, &Templates::new())?;
        report(out, &applied)?;
        writeln!(
            out,
            "Next: add an API with `kubesmith create api --group <group> --version v1 --kind <Kind>`"
        )?;
        Ok(())
    }
}

impl CreateCommand {
    /// Scaffolds into the project in `dir`.
    pub fn run(
        &self,
        dir: &Path,
        out: &mut dyn Write,
        progress: &mut dyn Write,
    ) -> Result<(), Error> {
        let templates = Templates::new();
        match self {
            CreateCommand::Api(args) => {
                let options = ApiOptions {
                    group: args.gvk.group.clone(),
                    version: args.gvk.version.clone(),
                    kind: args.gvk.kind.clone(),
                    plural: args.plural.clone(),
                    namespaced: args.namespaced,
                    resource: args.resource,
                    controller: args.controller,
                    external: args.external_api_path.as_ref().map(|path| ExternalApi {
                        path: path.clone(),
                        domain: args.external_api_domain.clone().unwrap_or_default(),
                        module: args.external_api_module.clone(),
                    }),
                    controller_name: args.controller_name.clone(),
                    plugins: args.plugins.options()?,
                    force: args.force,
                };
                let applied = make::then_manifests(dir, args.make, progress, || {
                    create_api(dir, &options, &templates)
                })?;
                report(out, &applied)?;
                if !args.make {
                    writeln!(out, "Next: write the manifests with `make manifests`")?;
                }
            }
            CreateCommand::Webhook(args) => {
                let options = WebhookOptions {
                    group: args.gvk.group.clone(),
                    version: args.gvk.version.clone(),
                    kind: args.gvk.kind.clone(),
                    defaulting: args.defaulting,
                    validation: args.programmatic_validation,
                    conversion: args.conversion,
                    spokes: args.spoke.clone(),
                    force: args.force,
                };
                let applied = make::then_manifests(dir, args.make, progress, || {
                    create_webhook(dir, &options, &templates)
                })?;
                report(out, &applied)?;
                if !args.make {
                    writeln!(
                        out,
                        "Next: write the webhook configurations with `make manifests`"
                    )?;
                }
            }
        }
        Ok(())
    }
}

/// Prints the files written and deleted.
fn report(out: &mut dyn Write, applied: &Applied) -> Result<(), Error> {
    let written = applied.written();
    if written.is_empty() {
        writeln!(out, "nothing to change: every file is up to date")?;
    }
    for path in written {
        let verb = if applied.root().join(&path).exists() {
            "wrote"
        } else {
            "deleted"
        };
        writeln!(out, "{verb} {}", path.display())?;
    }
    Ok(())
}

fn absolute(path: &Path) -> Result<String, ScaffoldError> {
    let absolute = std::path::absolute(path).map_err(|source| ScaffoldError::Io {
        action: "resolving",
        path: path.to_path_buf(),
        source,
    })?;
    if !absolute.join("sdk/Cargo.toml").is_file() {
        return Err(ScaffoldError::Usage(format!(
            "--kubesmith-path {}: expected the root of a kubesmith checkout (with sdk/Cargo.toml)",
            path.display()
        )));
    }
    Ok(absolute.to_string_lossy().into_owned())
}
