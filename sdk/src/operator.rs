//! [`Operator`]: an operator declared once — its CRDs, its controllers with their reconcilers,
//! its webhooks and conversions, extra RBAC — and used three ways from that one value: the
//! manager runs it ([`run`]), `make manifests` writes its CRDs, role and webhook
//! configurations ([`Operator::manifests`], feature `manifests`), and tests start it against
//! envtest ([`Operator::manager`]). Nothing is listed twice, so nothing can be forgotten in one
//! of the three.
//!
//! ```no_run
//! use k8s_openapi::api::core::v1::ConfigMap;
//! use kubesmith::controller::Controller;
//! use kubesmith::operator::Operator;
//! # use kubesmith::reconcile::{Action, Context, ReconcileError, Reconciler};
//! # struct Tidy;
//! # impl Reconciler<ConfigMap> for Tidy {
//! #     async fn reconcile(&self, _: std::sync::Arc<ConfigMap>, _: &Context) -> Result<Action, ReconcileError> { Ok(Action::await_change()) }
//! # }
//!
//! /// In `src/lib.rs`: the whole operator.
//! pub fn operator() -> Operator {
//!     Operator::new("tidy", "example.com")
//!         .controller(Controller::<ConfigMap>::new(), Tidy)
//! }
//!
//! // `src/main.rs`: flags, logging, leader election, probes, signals.
//! #[tokio::main]
//! async fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     kubesmith::operator::run(operator()).await
//! }
//! ```

use std::error::Error as StdError;

use clap::{Args, FromArgMatches};
use kube::Client;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::Kind;
use crate::controller::Controller;
use crate::healthz;
use crate::manager::{self, Manager, ManagerFlags, ManagerOptions};
#[cfg(feature = "manifests")]
use crate::manifests::Manifests;
use crate::rbac::Rule;
use crate::reconcile::Reconciler;
use crate::schema::CustomResourceMarkers;
use crate::webhook::{AdmissionWebhooks, Conversion, SelfManagedCertificates, Webhook};

/// `ENABLE_WEBHOOKS`: `false` runs the manager without its webhooks and conversions (as in
/// kubebuilder's scaffold), for a `make run` against a cluster that does not call them.
pub const ENABLE_WEBHOOKS_VAR: &str = "ENABLE_WEBHOOKS";

/// Registers one part of the operator with a manager.
type Registration = Box<dyn FnOnce(&mut Manager) -> Result<(), manager::Error>>;

/// Adds one part of the operator to its manifests.
#[cfg(feature = "manifests")]
type Description = Box<dyn Fn(Manifests) -> Manifests>;

/// An operator: what it serves and reconciles, declared once. See the [module
/// documentation](self).
#[must_use = "an operator does nothing until it is run, or its manager or manifests are made"]
pub struct Operator {
    name: &'static str,
    leader_election_id: String,
    version: Option<&'static str>,
    controllers: Vec<(String, Registration)>,
    webhooks: Vec<Registration>,
    admission: Vec<AdmissionWebhooks>,
    conversions: Vec<String>,
    certificates: Option<SelfManagedCertificates>,
    #[cfg(feature = "manifests")]
    descriptions: Vec<Description>,
}

impl Operator {
    /// The operator `name` of the domain `domain`: its leader-election Lease is
    /// `<name>.<domain>`, and `--help` names it.
    pub fn new(name: &'static str, domain: &str) -> Self {
        Operator {
            name,
            leader_election_id: format!("{name}.{domain}"),
            version: None,
            controllers: Vec::new(),
            webhooks: Vec::new(),
            admission: Vec::new(),
            conversions: Vec::new(),
            certificates: None,
            #[cfg(feature = "manifests")]
            descriptions: Vec::new(),
        }
    }

    /// The version `--version` prints (`env!("CARGO_PKG_VERSION")`).
    pub fn version(mut self, version: &'static str) -> Self {
        self.version = Some(version);
        self
    }

    /// The CRD of `K` (one version of it; add each version): `make manifests` writes it.
    #[cfg_attr(not(feature = "manifests"), allow(unused_mut))]
    pub fn crd<K: CustomResourceMarkers>(mut self) -> Self {
        #[cfg(feature = "manifests")]
        self.describe(|manifests| manifests.crd::<K>());
        self
    }

    /// The controller `controller`, reconciled by `reconciler`: the manager runs it, and
    /// `make manifests` grants what it declares.
    pub fn controller<K: Kind, R: Reconciler<K>>(
        self,
        controller: Controller<K>,
        reconciler: R,
    ) -> Self {
        self.controller_with(controller, move |_| reconciler)
    }

    /// [`controller`](Self::controller) with a reconciler made from the manager when it is
    /// built (to register metrics on its registry, say).
    pub fn controller_with<K: Kind, R: Reconciler<K>>(
        mut self,
        controller: Controller<K>,
        reconciler: impl FnOnce(&Manager) -> R + 'static,
    ) -> Self {
        #[cfg(feature = "manifests")]
        {
            let rules = controller.rbac_rules();
            self.describe(move |manifests| manifests.rules(rules.clone()));
        }
        self.controllers.push((
            controller.name(),
            Box::new(move |manager: &mut Manager| {
                let reconciler = reconciler(manager);
                manager.add(controller, reconciler)
            }),
        ));
        self
    }

    /// The admission webhooks of one Kind and version: the manager serves them (unless
    /// `ENABLE_WEBHOOKS=false`), and `make manifests` writes their configurations.
    pub fn webhook<K: Kind + Serialize>(mut self, webhook: Webhook<K>) -> Self {
        self.admission.push(AdmissionWebhooks::from(&webhook));
        self.webhooks.push(Box::new(move |manager: &mut Manager| {
            manager.add_webhook(webhook)
        }));
        self
    }

    /// The conversion of a Kind through its hub `H`: the manager serves it at `/convert`, and
    /// `make manifests` marks the Kind's CRD as converted by the webhook.
    pub fn conversion<H>(mut self, conversion: Conversion<H>) -> Self
    where
        H: Kind + Serialize + DeserializeOwned,
    {
        self.conversions.push(conversion.crd_name());
        self.webhooks.push(Box::new(move |manager: &mut Manager| {
            manager.add_conversion(conversion)
        }));
        self
    }

    /// RBAC rules the operator needs beyond those of its controllers (a
    /// `#[derive(kubesmith::Rbac)]`'s, say): `make manifests` grants them.
    #[cfg_attr(not(feature = "manifests"), allow(unused_mut, unused_variables))]
    pub fn rules(mut self, rules: impl IntoIterator<Item = Rule>) -> Self {
        #[cfg(feature = "manifests")]
        {
            let rules: Vec<Rule> = rules.into_iter().collect();
            self.describe(move |manifests| manifests.rules(rules.clone()));
        }
        self
    }

    /// Puts the rules of its controllers into a `Role` in `namespace` instead of a
    /// `ClusterRole` ([`Manifests::role_namespace`](crate::manifests::Manifests::role_namespace)):
    /// the role of an operator confined to the namespace it runs in. Scaffolded namespaced
    /// projects pass `"system"`, the namespace kustomize rewrites.
    #[cfg_attr(not(feature = "manifests"), allow(unused_mut, unused_variables))]
    pub fn role_namespace(mut self, namespace: &'static str) -> Self {
        #[cfg(feature = "manifests")]
        self.describe(move |manifests| manifests.role_namespace(namespace));
        self
    }

    /// The manager issues, stores and rotates its own webhook serving certificate
    /// (no cert-manager): [`run`] turns it on, and `make manifests` grants the `Role` that lets
    /// the manager write its Secret — in `system`, the namespace kustomize rewrites to the
    /// one in `config/default/kustomization.yaml`, as for every other namespaced object under
    /// `config/`. A manager made with [`manager`](Self::manager) (a test's) leaves it off:
    /// its test supplies the serving certificate.
    pub fn self_managed_certificates(mut self, certificates: SelfManagedCertificates) -> Self {
        #[cfg(feature = "manifests")]
        {
            // The Secret's rule moves to kustomize's `system`; the webhook configurations
            // and CRDs are cluster-scoped, and so stay their rules.
            let rules: Vec<Rule> = certificates
                .rbac_rules()
                .into_iter()
                .map(|rule| match rule.namespace {
                    Some(_) => rule.in_namespace(crate::webhook::WEBHOOK_SERVICE_NAMESPACE),
                    None => rule,
                })
                .collect();
            self.describe(move |manifests| manifests.rules(rules.clone()));
        }
        self.certificates = Some(certificates);
        self
    }

    /// The admission webhooks it serves, one entry per Kind and version.
    pub fn admission_webhooks(&self) -> &[AdmissionWebhooks] {
        &self.admission
    }

    /// The CRDs (`<plural>.<group>`) whose conversions it serves.
    pub fn conversion_crds(&self) -> &[String] {
        &self.conversions
    }

    /// The names of its controllers, in the order declared.
    pub fn controller_names(&self) -> Vec<&str> {
        self.controllers
            .iter()
            .map(|(name, _)| name.as_str())
            .collect()
    }

    /// A manager on `client` with `options` that runs every controller, webhook and conversion
    /// of the operator, with `ping` liveness and readiness checks; the leader-election id is
    /// the operator's. What [`run`] runs, and what a test starts (with
    /// `env.manager_options()`).
    pub fn manager(
        self,
        client: Client,
        options: ManagerOptions,
    ) -> Result<Manager, manager::Error> {
        self.build(client, options, true)
    }

    fn build(
        self,
        client: Client,
        mut options: ManagerOptions,
        webhooks: bool,
    ) -> Result<Manager, manager::Error> {
        options.leader_election_id = self.leader_election_id;
        let mut manager = Manager::new(client, options)?;
        manager.add_healthz_check("ping", healthz::ping)?;
        manager.add_readyz_check("ping", healthz::ping)?;
        for (_, register) in self.controllers {
            register(&mut manager)?;
        }
        if webhooks {
            for register in self.webhooks {
                register(&mut manager)?;
            }
        }
        Ok(manager)
    }

    /// Its manifests under `root` (`env!("CARGO_MANIFEST_DIR")`): the CRDs, the manager's role
    /// and the webhook configurations, as `make manifests` writes them
    /// (`operator().manifests(..).main()` is the whole `src/bin/manifests.rs`).
    #[cfg(feature = "manifests")]
    pub fn manifests(self, root: impl Into<std::path::PathBuf>) -> Manifests {
        let manifests = self
            .descriptions
            .iter()
            .fold(Manifests::new(root), |manifests, describe| {
                describe(manifests)
            });
        let manifests = self
            .admission
            .into_iter()
            .fold(manifests, |manifests, webhooks| manifests.webhook(webhooks));
        self.conversions
            .iter()
            .fold(manifests, |manifests, crd| manifests.conversion_of(crd))
    }

    #[cfg(feature = "manifests")]
    fn describe(&mut self, description: impl Fn(Manifests) -> Manifests + 'static) {
        self.descriptions.push(Box::new(description));
    }
}

/// Runs `operator` as a manager process: parses the standard manager flags (`--help` lists
/// them, with the operator's name and version) and runs it as [`Operator::run_with`] does.
pub async fn run(operator: Operator) -> Result<(), Box<dyn StdError>> {
    let matches = operator.command().get_matches();
    let flags = ManagerFlags::from_arg_matches(&matches)?;
    operator.run_with(&flags).await
}

impl Operator {
    /// The command line of [`run`]: the operator's name, version and the manager flags.
    fn command(&self) -> clap::Command {
        let mut command =
            clap::Command::new(self.name).about(format!("The {} operator", self.name));
        if let Some(version) = self.version {
            command = command.version(version);
        }
        ManagerFlags::augment_args(command)
    }

    /// Runs the operator with manager flags parsed by the caller (a `clap` parser of its own
    /// that flattens [`ManagerFlags`] beside the operator's own flags): sets up logging from
    /// the `--zap-*` flags, connects with the default kubeconfig (in-cluster in a pod), runs
    /// every controller and — unless `ENABLE_WEBHOOKS=false` — every webhook and conversion,
    /// with leader election under the operator's Lease when `--leader-elect` is given, until
    /// SIGTERM or SIGINT.
    pub async fn run_with(mut self, flags: &ManagerFlags) -> Result<(), Box<dyn StdError>> {
        flags.logging.init()?;
        let mut options = flags.manager_options()?;
        options.self_managed_certificates = self.certificates.take();
        let webhooks = std::env::var(ENABLE_WEBHOOKS_VAR).as_deref() != Ok("false");
        let client = Client::try_default().await?;
        self.build(client, options, webhooks)?.run().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use clap::FromArgMatches;
    use clap::error::ErrorKind;

    use super::Operator;
    use crate::manager::ManagerFlags;

    #[test]
    fn the_command_line_is_the_operators_with_the_manager_flags() {
        let operator = Operator::new("tidy", "example.com").version("1.2.3");
        let command = operator.command();
        let version = command
            .clone()
            .try_get_matches_from(["tidy", "--version"])
            .expect_err("--version exits");
        assert_eq!(version.kind(), ErrorKind::DisplayVersion);
        assert!(version.to_string().contains("tidy 1.2.3"));
        let matches = command
            .try_get_matches_from(["tidy", "--leader-elect", "--zap-log-level", "debug"])
            .expect("the manager flags");
        let flags = ManagerFlags::from_arg_matches(&matches).expect("flags");
        assert!(flags.manager_options().expect("options").leader_election);
        assert_eq!(operator.leader_election_id, "tidy.example.com");
    }
}
