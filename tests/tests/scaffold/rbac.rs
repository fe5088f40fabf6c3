//! The generated RBAC is enough and not more: the scaffolded manager, run as its own
//! ServiceAccount with only the generated roles bound, does its whole job without a single 403,
//! and without any one of the generated rules it is refused something.
//!
//! Method. The project's own deployment manifests (`kubectl kustomize config/default`) are
//! rendered, and what the manager's identity needs of them — Namespace, CRDs, ServiceAccount,
//! roles and bindings — is applied to an envtest control plane whose audit policy records
//! every request of the manager's ServiceAccount user (and nobody else's). The roles the
//! ServiceAccount is bound to are found from the bindings, and their rules counted.
//!
//! The manager binary then runs as that ServiceAccount (a client certificate with its user
//! name and groups) with leader election and secure metrics on, webhooks off, and is made to
//! use everything it was granted: a namespaced Captain and a cluster-scoped Admiral (the v1
//! samples: v1 is the storage version, so no conversion webhook is called) are reconciled to
//! `Ready=True` (cache list/watch, status update, an event on change), the leader-election
//! Lease is created and renewed, and `/metrics` answers a scrape authorized through a
//! TokenReview and a SubjectAccessReview. The audit log must hold no 403 for the manager, and
//! for every rule a successful request that the rule allowed.
//!
//! Then, for each rule of each bound role, the role is replaced by a copy without that rule
//! (and the API server's authorizer checked, by SubjectAccessReviews, to agree), a fresh
//! manager (the Lease deleted first) runs the same scenario with new samples for a bounded
//! time, and the audit log, from where it stood when that manager started, must show a 403
//! for a request the removed rule would have allowed. The role is restored (and checked
//! again) before the next rule. A rule is judged as a whole: one needed verb or resource
//! makes it needed; the requests it allows but the manager never sent are printed.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use http_body_util::BodyExt as _;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client as HttpClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use k8s_openapi::api::authentication::v1::{TokenRequest, TokenRequestSpec};
use k8s_openapi::api::authorization::v1::{
    NonResourceAttributes, ResourceAttributes, SubjectAccessReview, SubjectAccessReviewSpec,
};
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::ServiceAccount;
use k8s_openapi::api::rbac::v1::{ClusterRoleBinding, PolicyRule};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime;
use kube::api::{Api, ApiResource, DeleteParams, DynamicObject, GroupVersionKind, PostParams};
use kube::runtime::wait::{await_condition, conditions};
use kube::{Client, ResourceExt as _};
use kubesmith::envtest::Environment;
use kubesmith_e2e::scaffolded::{Background, Scaffold, check_success};
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};
use serde_json::{Value, json};
use tokio_rustls::rustls;
use tokio_rustls::rustls::client::danger::{
    HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier,
};
use tokio_rustls::rustls::crypto::CryptoProvider;

use super::local::is_ready;
use super::{kubectl, single_group};

/// The namespace `config/default` puts everything in.
const NAMESPACE: &str = "project-system";
/// The manager's ServiceAccount (after the `project-` name prefix).
const SERVICE_ACCOUNT: &str = "project-controller-manager";
/// The user name and groups the API server gives that ServiceAccount's tokens.
const MANAGER_USER: &str = "system:serviceaccount:project-system:project-controller-manager";
const MANAGER_GROUPS: [&str; 3] = [
    "system:serviceaccounts",
    "system:serviceaccounts:project-system",
    "system:authenticated",
];
/// The roles the generated bindings give the manager.
const MANAGER_ROLES: [&str; 3] = [
    "project-manager-role",
    "project-leader-election-role",
    "project-metrics-auth-role",
];
/// The kinds of `config/default` the manager's identity needs (no Deployment, Service,
/// webhook configuration or cert-manager object: the manager runs here as a process).
const INSTALLED_KINDS: [&str; 7] = [
    "Namespace",
    "CustomResourceDefinition",
    "ServiceAccount",
    "ClusterRole",
    "ClusterRoleBinding",
    "Role",
    "RoleBinding",
];
/// The samples reconciled, in the storage version (v1): no conversion webhook is involved.
const SAMPLES: [&str; 2] = ["crew_v1_captain.yaml", "crew_v1_admiral.yaml"];
/// The leader-election Lease (`main.rs`), in the kubeconfig's namespace.
const LEASE: &str = "project.testproject.org";
/// The ClusterRole to bind a metrics scraper to, and the scraper's ServiceAccount.
const METRICS_READER: &str = "project-metrics-reader";
const SCRAPER: &str = "metrics-scraper";
/// A series every scrape of a manager that reconciled something has.
const RECONCILE_METRIC: &str = "controller_runtime_reconcile_total";
/// How long the complete scenario may take with every rule in place.
const ENOUGH_BUDGET: Duration = Duration::from_secs(120);
/// How long a manager missing one rule gets to be refused something.
const VARIANT_BUDGET: Duration = Duration::from_secs(30);
/// How long, once its job is done, a manager may take to use a rule it has not used yet.
const SETTLE: Duration = Duration::from_secs(5);
/// How long the API server's authorizer may take to see a changed role.
const AUTHORIZER_BUDGET: Duration = Duration::from_secs(20);

#[tokio::test(flavor = "multi_thread")]
async fn the_manager_needs_every_generated_rule_and_no_more() {
    let started = Instant::now();
    let project = single_group();
    let manifests = Manifests::render(project);
    let roles = manifests.bound_roles();
    let names: BTreeSet<&str> = roles.iter().map(BoundRole::name).collect();
    assert_eq!(
        names,
        BTreeSet::from(MANAGER_ROLES),
        "the roles bound to {SERVICE_ACCOUNT}"
    );
    let grants: Vec<Grant> = roles.iter().flat_map(BoundRole::grants).collect();
    println!("rules of the roles bound to {SERVICE_ACCOUNT}:");
    for grant in &grants {
        println!("  {grant}");
    }
    assert!(
        grants.len() >= 5,
        "only {} rules: the test would prove little",
        grants.len()
    );

    let cluster = Cluster::start(project, &manifests).await;
    cluster.await_authorizer(&grants, &grants).await;

    // Enough: the whole job done, every rule used, not one 403.
    let mut run = cluster.start_manager("enough").await;
    let progress = cluster
        .exercise(&mut run, ENOUGH_BUDGET, Goal::Everything(&grants))
        .await;
    assert!(
        progress.job_done(),
        "the manager with every generated rule did not do its job in {ENOUGH_BUDGET:?} ({progress:?}):\n{}",
        run.manager.output()
    );
    assert!(
        progress.unused_rules.is_empty(),
        "the manager did its job without these rules (no successful request needed them):\n{}",
        progress.unused_rules.join("\n")
    );
    run.manager.stop(Duration::from_secs(5));
    let events = cluster.audit_events(run.audit_from);
    let forbidden: Vec<&Value> = events.iter().filter(|e| status_code(e) == 403).collect();
    assert!(
        forbidden.is_empty(),
        "the manager was refused {} requests with every generated rule bound:\n{}",
        forbidden.len(),
        describe(&forbidden)
    );
    report_use(&events, &grants);

    // Not more: without any one rule, something is refused.
    let mut unnecessary = Vec::new();
    for role in &roles {
        for (index, removed) in role.grants().iter().enumerate() {
            let installed: Vec<Grant> = grants.iter().filter(|g| *g != removed).cloned().collect();
            cluster.apply(&[role.without_rule(index)]);
            cluster.await_authorizer(&grants, &installed).await;
            let mut run = cluster
                .start_manager(&format!("without-{}-{index}", role.name()))
                .await;
            let progress = cluster
                .exercise(&mut run, VARIANT_BUDGET, Goal::Refusal(removed))
                .await;
            run.manager.stop(Duration::from_secs(5));
            match progress.refused {
                Some(event) => println!("necessary: {removed}\n  refused: {event}"),
                None => {
                    println!("NOT shown necessary: {removed} ({progress:?})");
                    unnecessary.push(format!(
                        "{removed}: no 403 that it would have prevented within {VARIANT_BUDGET:?} ({progress:?}); the manager said:\n{}",
                        run.manager.output()
                    ));
                }
            }
            cluster.apply(std::slice::from_ref(&role.document));
            cluster.await_authorizer(&grants, &grants).await;
        }
    }
    assert!(
        unnecessary.is_empty(),
        "{} of {} generated rules were not needed:\n{}",
        unnecessary.len(),
        grants.len(),
        unnecessary.join("\n")
    );
    println!(
        "all {} rules are needed; {:.0} s",
        grants.len(),
        started.elapsed().as_secs_f64()
    );
    cluster.env.stop().await;
}

/// The documents `kubectl kustomize config/default` renders, of the [`INSTALLED_KINDS`].
struct Manifests {
    documents: Vec<Value>,
}

impl Manifests {
    fn render(project: &Scaffold) -> Manifests {
        let output = project
            .command(kubectl())
            .args(["kustomize", "config/default"])
            .output()
            .expect("kubectl kustomize");
        check_success("kubectl kustomize config/default", &output)
            .unwrap_or_else(|e| panic!("{e:#}"));
        let text = String::from_utf8(output.stdout).expect("UTF-8 YAML");
        let documents: Vec<Value> = serde_saphyr::from_multiple(&text).expect("YAML documents");
        let documents = documents
            .into_iter()
            .filter(|document| INSTALLED_KINDS.contains(&kind(document)))
            .collect();
        Manifests { documents }
    }

    fn of_kind<'a>(&'a self, wanted: &'a str) -> impl Iterator<Item = &'a Value> {
        self.documents
            .iter()
            .filter(move |document| kind(document) == wanted)
    }

    /// The roles the manager's ServiceAccount is bound to, where each binding applies.
    fn bound_roles(&self) -> Vec<BoundRole> {
        let subject =
            json!({"kind": "ServiceAccount", "name": SERVICE_ACCOUNT, "namespace": NAMESPACE});
        let mut roles = Vec::new();
        for binding in self
            .of_kind("ClusterRoleBinding")
            .chain(self.of_kind("RoleBinding"))
        {
            let names_the_manager = binding["subjects"].as_array().is_some_and(|subjects| {
                subjects.iter().any(|s| {
                    ["kind", "name", "namespace"]
                        .iter()
                        .all(|field| s[field] == subject[field])
                })
            });
            if !names_the_manager {
                continue;
            }
            // A RoleBinding confines its role, Role or ClusterRole, to its namespace.
            let namespace = binding["metadata"]["namespace"].as_str().map(String::from);
            let role_kind = binding["roleRef"]["kind"].as_str().unwrap_or_default();
            let role_name = &binding["roleRef"]["name"];
            let document = self
                .of_kind(role_kind)
                .find(|role| {
                    &role["metadata"]["name"] == role_name
                        && (role_kind == "ClusterRole"
                            || role["metadata"]["namespace"].as_str() == namespace.as_deref())
                })
                .unwrap_or_else(|| panic!("{role_kind} {role_name} of a binding is not rendered"))
                .clone();
            roles.push(BoundRole {
                document,
                namespace,
            });
        }
        roles
    }

    /// The plural and scope of the CRD of `kind` in `group`.
    fn crd(&self, group: &str, kind_name: &str) -> (String, bool) {
        let crd = self
            .of_kind("CustomResourceDefinition")
            .find(|crd| crd["spec"]["group"] == group && crd["spec"]["names"]["kind"] == kind_name)
            .unwrap_or_else(|| panic!("no CRD for {kind_name}.{group}"));
        let plural = crd["spec"]["names"]["plural"].as_str().expect("a plural");
        (plural.to_string(), crd["spec"]["scope"] == "Namespaced")
    }
}

fn kind(document: &Value) -> &str {
    document["kind"].as_str().unwrap_or_default()
}

/// A role the manager is bound to.
struct BoundRole {
    document: Value,
    /// The namespace its binding confines it to; `None` for a ClusterRoleBinding.
    namespace: Option<String>,
}

impl BoundRole {
    fn name(&self) -> &str {
        self.document["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
    }

    /// Its rules, in order, with where they apply.
    fn grants(&self) -> Vec<Grant> {
        let rules: Vec<PolicyRule> =
            serde_json::from_value(self.document["rules"].clone()).expect("RBAC rules");
        rules
            .into_iter()
            .enumerate()
            .map(|(index, rule)| Grant {
                role: self.name().to_string(),
                index,
                rule,
                namespace: self.namespace.clone(),
            })
            .collect()
    }

    /// The role without its rule `index`.
    fn without_rule(&self, index: usize) -> Value {
        let mut document = self.document.clone();
        document["rules"]
            .as_array_mut()
            .expect("rules")
            .remove(index);
        document
    }
}

/// One rule of a role bound to the manager.
#[derive(Debug, Clone, PartialEq)]
struct Grant {
    role: String,
    index: usize,
    rule: PolicyRule,
    /// The namespace its binding confines it to; `None` for a ClusterRoleBinding.
    namespace: Option<String>,
}

impl std::fmt::Display for Grant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let list = |items: &Option<Vec<String>>| items.clone().unwrap_or_default().join(",");
        write!(f, "{} rules[{}]: ", self.role, self.index)?;
        if let Some(urls) = &self.rule.non_resource_urls {
            write!(f, "nonResourceURLs {}", urls.join(","))?;
        } else {
            write!(
                f,
                "apiGroups [{}] resources [{}]",
                list(&self.rule.api_groups),
                list(&self.rule.resources)
            )?;
        }
        if self.rule.resource_names.is_some() {
            write!(f, " resourceNames [{}]", list(&self.rule.resource_names))?;
        }
        write!(f, " verbs [{}]", self.rule.verbs.join(","))?;
        if let Some(namespace) = &self.namespace {
            write!(f, " in {namespace}")?;
        }
        Ok(())
    }
}

impl Grant {
    /// Whether this rule allows `access`.
    fn covers(&self, access: &Access) -> bool {
        let rule = &self.rule;
        let matches = |items: &Option<Vec<String>>, value: &str| {
            items
                .iter()
                .flatten()
                .any(|item| item == "*" || item == value)
        };
        if !rule.verbs.iter().any(|v| v == "*" || *v == access.verb) {
            return false;
        }
        match &access.target {
            Target::Resource {
                group,
                resource,
                namespace,
                name,
            } => {
                let in_scope = self.namespace.is_none() || self.namespace == *namespace;
                let named = match (&rule.resource_names, name) {
                    (None, _) => true,
                    (Some(names), Some(name)) => names.is_empty() || names.contains(name),
                    (Some(names), None) => names.is_empty(),
                };
                in_scope
                    && named
                    && matches(&rule.api_groups, group)
                    && matches(&rule.resources, resource)
            }
            Target::NonResource { path } => {
                self.namespace.is_none()
                    && rule.non_resource_urls.iter().flatten().any(|url| {
                        url == path
                            || url
                                .strip_suffix('*')
                                .is_some_and(|prefix| path.starts_with(prefix))
                    })
            }
        }
    }

    /// Whether the audited request `event` succeeded under this rule.
    fn allowed(&self, event: &Value) -> bool {
        succeeded(event) && self.would_allow(event)
    }

    /// Whether this rule allows the audited request `event`.
    fn would_allow(&self, event: &Value) -> bool {
        Access::of_event(event).is_some_and(|access| self.covers(&access))
    }

    /// Every request this rule allows, one per verb, group, resource (and name), at the
    /// scope of its binding: what SubjectAccessReviews check.
    fn accesses(&self) -> Vec<Access> {
        let rule = &self.rule;
        let mut targets = Vec::new();
        for path in rule.non_resource_urls.iter().flatten() {
            targets.push(Target::NonResource { path: path.clone() });
        }
        let names: Vec<Option<String>> = match &rule.resource_names {
            Some(names) if !names.is_empty() => names.iter().cloned().map(Some).collect(),
            _ => vec![None],
        };
        for group in rule.api_groups.iter().flatten() {
            for resource in rule.resources.iter().flatten() {
                for name in &names {
                    targets.push(Target::Resource {
                        group: group.clone(),
                        resource: resource.clone(),
                        namespace: self.namespace.clone(),
                        name: name.clone(),
                    });
                }
            }
        }
        targets
            .into_iter()
            .flat_map(|target| {
                rule.verbs.iter().map(move |verb| Access {
                    verb: verb.clone(),
                    target: target.clone(),
                })
            })
            .collect()
    }
}

/// A request, as RBAC sees it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Access {
    verb: String,
    target: Target,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Target {
    Resource {
        group: String,
        /// `resource` or `resource/subresource`.
        resource: String,
        namespace: Option<String>,
        name: Option<String>,
    },
    NonResource {
        path: String,
    },
}

impl std::fmt::Display for Access {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.target {
            Target::Resource {
                group,
                resource,
                namespace,
                name,
            } => {
                let group = if group.is_empty() { "core" } else { group };
                write!(f, "{} {group}/{resource}", self.verb)?;
                if let Some(name) = name {
                    write!(f, " {name}")?;
                }
                if let Some(namespace) = namespace {
                    write!(f, " in {namespace}")?;
                }
                Ok(())
            }
            Target::NonResource { path } => write!(f, "{} {path}", self.verb),
        }
    }
}

impl Access {
    /// The request an audit event records.
    fn of_event(event: &Value) -> Option<Access> {
        let verb = event["verb"].as_str()?.to_string();
        let object = &event["objectRef"];
        let target = match object["resource"].as_str() {
            Some(resource) => {
                let text = |field: &str| object[field].as_str().map(String::from);
                let resource = match object["subresource"].as_str() {
                    Some(subresource) => format!("{resource}/{subresource}"),
                    None => resource.to_string(),
                };
                Target::Resource {
                    group: text("apiGroup").unwrap_or_default(),
                    resource,
                    namespace: text("namespace"),
                    name: text("name"),
                }
            }
            None => {
                let uri = event["requestURI"].as_str()?;
                let path = uri.split('?').next().unwrap_or(uri);
                Target::NonResource {
                    path: path.to_string(),
                }
            }
        };
        Some(Access { verb, target })
    }

    /// Whether `other` is this request, or one of the requests it stands for (when this one
    /// names no namespace or object).
    fn includes(&self, other: &Access) -> bool {
        let optional =
            |mine: &Option<String>, theirs: &Option<String>| mine.is_none() || mine == theirs;
        self.verb == other.verb
            && match (&self.target, &other.target) {
                (
                    Target::Resource {
                        group,
                        resource,
                        namespace,
                        name,
                    },
                    Target::Resource {
                        group: other_group,
                        resource: other_resource,
                        namespace: other_namespace,
                        name: other_name,
                    },
                ) => {
                    group == other_group
                        && resource == other_resource
                        && optional(namespace, other_namespace)
                        && optional(name, other_name)
                }
                (Target::NonResource { path }, Target::NonResource { path: other_path }) => {
                    path == other_path
                }
                _ => false,
            }
    }

    /// A SubjectAccessReview asking whether the manager may do this.
    fn review(&self) -> SubjectAccessReview {
        let (resource_attributes, non_resource_attributes) = match &self.target {
            Target::Resource {
                group,
                resource,
                namespace,
                name,
            } => {
                let (resource, subresource) = match resource.split_once('/') {
                    Some((resource, subresource)) => (resource, Some(subresource.to_string())),
                    None => (resource.as_str(), None),
                };
                let attributes = ResourceAttributes {
                    group: Some(group.clone()),
                    resource: Some(resource.to_string()),
                    subresource,
                    namespace: namespace.clone(),
                    name: name.clone(),
                    verb: Some(self.verb.clone()),
                    ..ResourceAttributes::default()
                };
                (Some(attributes), None)
            }
            Target::NonResource { path } => {
                let attributes = NonResourceAttributes {
                    path: Some(path.clone()),
                    verb: Some(self.verb.clone()),
                };
                (None, Some(attributes))
            }
        };
        SubjectAccessReview {
            spec: SubjectAccessReviewSpec {
                user: Some(MANAGER_USER.to_string()),
                groups: Some(MANAGER_GROUPS.map(String::from).to_vec()),
                resource_attributes,
                non_resource_attributes,
                ..SubjectAccessReviewSpec::default()
            },
            ..SubjectAccessReview::default()
        }
    }
}

/// The audit policy: every request of the manager at `Metadata` level, nothing else.
fn audit_policy() -> String {
    format!(
        r#"apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
  - level: Metadata
    users: ["{MANAGER_USER}"]
  - level: None
"#
    )
}

/// An audited control plane with the project's RBAC installed, and what every manager run
/// shares.
struct Cluster {
    env: Environment,
    admin: Client,
    audit_log: PathBuf,
    /// Policy, audit log, kubeconfig, manager logs.
    work: tempfile::TempDir,
    /// The manager's kubeconfig: its ServiceAccount user, namespace [`NAMESPACE`].
    kubeconfig: PathBuf,
    manager_binary: PathBuf,
    /// The samples to reconcile: resource, whether namespaced, the YAML's object.
    samples: Vec<(ApiResource, bool, Value)>,
    /// Where namespaced samples go.
    sample_namespace: String,
    scraper_token: String,
    http: HttpClient<HttpsConnector<HttpConnector>, String>,
}

impl Cluster {
    async fn start(project: &Scaffold, manifests: &Manifests) -> Cluster {
        let work = tempfile::tempdir().expect("a work directory");
        let policy = work.path().join("audit-policy.yaml");
        std::fs::write(&policy, audit_policy()).expect("the audit policy");
        let audit_log = work.path().join("audit.log");
        let env = Environment::builder()
            .api_server_arg(format!("--audit-policy-file={}", policy.display()))
            .api_server_arg(format!("--audit-log-path={}", audit_log.display()))
            .start()
            .await
            .expect("no test control plane");
        let admin = env.client().expect("an admin client");
        apply(&env, work.path(), &manifests.documents);
        let crds = Api::<CustomResourceDefinition>::all(admin.clone());
        for crd in manifests.of_kind("CustomResourceDefinition") {
            let name = crd["metadata"]["name"].as_str().expect("a CRD name");
            tokio::time::timeout(
                Duration::from_secs(30),
                await_condition(crds.clone(), name, conditions::is_crd_established()),
            )
            .await
            .unwrap_or_else(|_| panic!("CRD {name} not established"))
            .expect("watching the CRD");
        }
        Cluster {
            kubeconfig: manager_kubeconfig(&env),
            sample_namespace: env.create_namespace("crew").await.expect("a namespace"),
            samples: samples(project, manifests),
            manager_binary: project
                .build_manager()
                .unwrap_or_else(|error| panic!("{error:#}")),
            scraper_token: metrics_scraper(&admin).await,
            http: loopback_https_client(),
            env,
            admin,
            audit_log,
            work,
        }
    }

    /// Server-side applies `documents` as the admin.
    fn apply(&self, documents: &[Value]) {
        apply(&self.env, self.work.path(), documents);
    }

    /// Waits until the API server's authorizer answers, for every request `all` allow, what
    /// the `installed` rules say.
    async fn await_authorizer(&self, all: &[Grant], installed: &[Grant]) {
        let accesses: BTreeSet<Access> = all.iter().flat_map(Grant::accesses).collect();
        let reviews = Api::<SubjectAccessReview>::all(self.admin.clone());
        let deadline = Instant::now() + AUTHORIZER_BUDGET;
        loop {
            let mut wrong = Vec::new();
            for access in &accesses {
                let expected = installed.iter().any(|grant| grant.covers(access));
                let answer = reviews
                    .create(&PostParams::default(), &access.review())
                    .await
                    .expect("a SubjectAccessReview");
                if answer.status.is_some_and(|s| s.allowed) != expected {
                    wrong.push(format!("{access}: expected allowed={expected}"));
                }
            }
            if wrong.is_empty() {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the authorizer disagrees with the installed roles:\n{}",
                wrong.join("\n")
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Starts a fresh manager as the ServiceAccount (no Lease left from an earlier one).
    async fn start_manager(&self, name: &str) -> Run {
        Api::<Lease>::namespaced(self.admin.clone(), NAMESPACE)
            .delete(LEASE, &DeleteParams::default())
            .await
            .map(|_| ())
            .or_else(|error| match error {
                kube::Error::Api(status) if status.code == 404 => Ok(()),
                error => Err(error),
            })
            .expect("deleting the Lease");
        let audit_from = self.audit_lines().len();
        let metrics = free_address();
        let mut command = std::process::Command::new(&self.manager_binary);
        command
            .arg("--leader-elect")
            .arg(format!("--metrics-bind-address={metrics}"))
            .arg(format!("--health-probe-bind-address={}", free_address()))
            .env("KUBECONFIG", &self.kubeconfig)
            .env("ENABLE_WEBHOOKS", "false")
            .current_dir(self.work.path());
        let log = self.work.path().join(format!("manager-{name}.log"));
        let manager = Background::start(command, log).expect("starting the manager");
        Run {
            manager,
            metrics,
            audit_from,
            samples: self.create_samples(name).await,
        }
    }

    /// Creates the samples as the admin, named after `suffix`.
    async fn create_samples(&self, suffix: &str) -> Vec<(Api<DynamicObject>, String)> {
        let mut created = Vec::new();
        for (resource, namespaced, template) in &self.samples {
            let api = if *namespaced {
                Api::namespaced_with(self.admin.clone(), &self.sample_namespace, resource)
            } else {
                Api::all_with(self.admin.clone(), resource)
            };
            let mut object: DynamicObject =
                serde_json::from_value(template.clone()).expect("a sample object");
            let name = format!("{}-{suffix}", object.name_any());
            object.metadata.name = Some(name.clone());
            api.create(&PostParams::default(), &object)
                .await
                .unwrap_or_else(|e| panic!("creating {name}: {e}"));
            created.push((api, name));
        }
        created
    }

    /// Runs the scenario against `run` until `goal` is reached or `budget` is spent.
    async fn exercise(&self, run: &mut Run, budget: Duration, goal: Goal<'_>) -> Progress {
        let mut deadline = Instant::now() + budget;
        let mut progress = Progress::default();
        loop {
            // Read before the last look, so that the last look sees all it did.
            let exited = run.manager.exited();
            self.step(run, &mut progress).await;
            let events = self.audit_events(run.audit_from);
            match goal {
                Goal::Everything(grants) => {
                    progress.unused_rules = grants
                        .iter()
                        .filter(|grant| !events.iter().any(|event| grant.allowed(event)))
                        .map(|grant| grant.to_string())
                        .collect();
                    if progress.done() {
                        return progress;
                    }
                    // The job is done: what it did not use by now, it does not use.
                    if progress.job_done() {
                        deadline = deadline.min(Instant::now() + SETTLE);
                    }
                }
                Goal::Refusal(removed) => {
                    progress.refused = events
                        .iter()
                        .find(|event| status_code(event) == 403 && removed.would_allow(event))
                        .map(|event| describe(&[event]));
                    if progress.refused.is_some() {
                        return progress;
                    }
                }
            }
            if let Some(status) = exited {
                progress.exited = Some(status.to_string());
                return progress;
            }
            if Instant::now() >= deadline {
                return progress;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// One look at everything the scenario waits for.
    async fn step(&self, run: &Run, progress: &mut Progress) {
        for (api, name) in &run.samples {
            if !progress.ready.contains(name) && is_ready(api, name).await {
                progress.ready.insert(name.clone());
            }
        }
        progress.all_ready = progress.ready.len() == run.samples.len();
        if !progress.lease_renewed {
            let lease = Api::<Lease>::namespaced(self.admin.clone(), NAMESPACE)
                .get_opt(LEASE)
                .await
                .expect("reading the Lease");
            let renewed = lease
                .and_then(|lease| lease.spec)
                .filter(|spec| {
                    spec.holder_identity
                        .as_deref()
                        .is_some_and(|h| !h.is_empty())
                })
                .and_then(|spec| spec.renew_time);
            match (&progress.lease_first_renew, renewed) {
                (None, renewed) => progress.lease_first_renew = renewed,
                (Some(first), Some(renewed)) => progress.lease_renewed = *first != renewed,
                (Some(_), None) => {}
            }
        }
        if !progress.scraped
            && let Some((status, body)) = self.scrape(run.metrics).await
        {
            progress.last_scrape = Some(status);
            progress.scraped = status == 200 && body.contains(RECONCILE_METRIC);
        }
    }

    /// `GET /metrics` over HTTPS with the scraper's token; `None` while nothing answers.
    async fn scrape(&self, address: SocketAddr) -> Option<(u16, String)> {
        let request = http::Request::get(format!("https://{address}/metrics"))
            .header(
                http::header::AUTHORIZATION,
                format!("Bearer {}", self.scraper_token),
            )
            .body(String::new())
            .expect("a request");
        let response =
            tokio::time::timeout(Duration::from_secs(5), self.http.request(request)).await;
        let response = response.ok()?.ok()?;
        let status = response.status().as_u16();
        let body = response.into_body().collect().await.ok()?.to_bytes();
        Some((status, String::from_utf8_lossy(&body).into_owned()))
    }

    fn audit_lines(&self) -> Vec<String> {
        std::fs::read_to_string(&self.audit_log)
            .unwrap_or_default()
            .lines()
            .map(String::from)
            .collect()
    }

    /// The manager's audit events from line `from` on.
    fn audit_events(&self, from: usize) -> Vec<Value> {
        self.audit_lines()
            .iter()
            .skip(from)
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .filter(|event| event["user"]["username"] == MANAGER_USER)
            .collect()
    }
}

/// Server-side applies `documents` as the admin (through a file in `dir`).
fn apply(env: &Environment, dir: &Path, documents: &[Value]) {
    let list = json!({"apiVersion": "v1", "kind": "List", "items": documents});
    let file = tempfile::NamedTempFile::new_in(dir).expect("a manifest file");
    std::fs::write(file.path(), list.to_string()).expect("writing the manifests");
    let mut apply = env.kubectl().expect("kubectl");
    apply
        .args(["apply", "--server-side", "--force-conflicts", "-f"])
        .arg(file.path());
    check_success("kubectl apply", &apply.output().expect("kubectl"))
        .unwrap_or_else(|e| panic!("{e:#}"));
}

/// A ServiceAccount bound to [`METRICS_READER`]; returns a token of it.
async fn metrics_scraper(admin: &Client) -> String {
    let accounts = Api::<ServiceAccount>::namespaced(admin.clone(), NAMESPACE);
    let account = json!({"metadata": {"name": SCRAPER, "namespace": NAMESPACE}});
    accounts
        .create(
            &PostParams::default(),
            &serde_json::from_value(account).expect("a ServiceAccount"),
        )
        .await
        .expect("creating the scraper's ServiceAccount");
    let binding = json!({
        "metadata": {"name": SCRAPER},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": METRICS_READER},
        "subjects": [{"kind": "ServiceAccount", "name": SCRAPER, "namespace": NAMESPACE}],
    });
    Api::<ClusterRoleBinding>::all(admin.clone())
        .create(
            &PostParams::default(),
            &serde_json::from_value(binding).expect("a ClusterRoleBinding"),
        )
        .await
        .expect("binding the scraper to the metrics reader role");
    let request = TokenRequest {
        spec: Some(TokenRequestSpec {
            expiration_seconds: Some(3600),
            ..TokenRequestSpec::default()
        }),
        ..TokenRequest::default()
    };
    accounts
        .create_token_request(SCRAPER, &PostParams::default(), &request)
        .await
        .expect("a token for the scraper")
        .status
        .expect("a TokenRequest status")
        .token
        .expect("a token")
}

/// A manager process and what was created for it.
struct Run {
    manager: Background,
    metrics: SocketAddr,
    /// The audit log's length when it started.
    audit_from: usize,
    samples: Vec<(Api<DynamicObject>, String)>,
}

/// What a scenario runs for.
#[derive(Clone, Copy)]
enum Goal<'a> {
    /// The whole job done, with a successful request under each of these rules.
    Everything(&'a [Grant]),
    /// A refused request that only this (removed) rule would have allowed.
    Refusal(&'a Grant),
}

/// How far a scenario got.
#[derive(Debug, Default)]
struct Progress {
    ready: BTreeSet<String>,
    all_ready: bool,
    lease_first_renew: Option<MicroTime>,
    lease_renewed: bool,
    last_scrape: Option<u16>,
    scraped: bool,
    exited: Option<String>,
    /// The rules no successful request of the manager needed yet.
    unused_rules: Vec<String>,
    /// A refused request the removed rule would have allowed.
    refused: Option<String>,
}

impl Progress {
    /// Everything reconciled, the Lease renewed, the metrics scraped.
    fn job_done(&self) -> bool {
        self.all_ready && self.lease_renewed && self.scraped
    }

    /// The job done, and every rule used.
    fn done(&self) -> bool {
        self.job_done() && self.unused_rules.is_empty()
    }
}

/// Writes the manager's kubeconfig: its ServiceAccount's user name and groups, and
/// [`NAMESPACE`] as the namespace (where leader election puts its Lease outside a pod).
fn manager_kubeconfig(env: &Environment) -> PathBuf {
    let path = env
        .write_user_kubeconfig(MANAGER_USER, &MANAGER_GROUPS)
        .expect("the manager's kubeconfig");
    let mut kubeconfig = kube::config::Kubeconfig::read_from(&path).expect("a kubeconfig");
    for context in kubeconfig
        .contexts
        .iter_mut()
        .filter_map(|c| c.context.as_mut())
    {
        context.namespace = Some(NAMESPACE.to_string());
    }
    let yaml = serde_saphyr::to_string(&kubeconfig).expect("kubeconfig YAML");
    std::fs::write(&path, yaml).expect("writing the kubeconfig");
    path
}

/// The [`SAMPLES`]: resource, whether namespaced, object.
fn samples(project: &Scaffold, manifests: &Manifests) -> Vec<(ApiResource, bool, Value)> {
    SAMPLES
        .iter()
        .map(|file| {
            let path = project.file("config/samples").join(file);
            let text = std::fs::read_to_string(&path).expect("a sample");
            let object: Value = serde_saphyr::from_str(&text).expect("a sample object");
            let api_version = object["apiVersion"].as_str().expect("an apiVersion");
            let (group, version) = api_version.split_once('/').expect("a group version");
            let (plural, namespaced) = manifests.crd(group, kind(&object));
            let gvk = GroupVersionKind::gvk(group, version, kind(&object));
            let resource = ApiResource::from_gvk_with_plural(&gvk, &plural);
            (resource, namespaced, object)
        })
        .collect()
}

fn status_code(event: &Value) -> i64 {
    event["responseStatus"]["code"].as_i64().unwrap_or_default()
}

fn succeeded(event: &Value) -> bool {
    (200..400).contains(&status_code(event))
}

/// Audit events, one a line: verb, URI, code.
fn describe(events: &[&Value]) -> String {
    events
        .iter()
        .map(|event| {
            format!(
                "{} {} -> {} {}",
                event["verb"].as_str().unwrap_or_default(),
                event["requestURI"].as_str().unwrap_or_default(),
                status_code(event),
                event["responseStatus"]["message"]
                    .as_str()
                    .unwrap_or_default()
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Prints what the manager sent, and which allowed requests it never sent (a rule is needed
/// as soon as one of its requests is; its other verbs or resources may be spare).
fn report_use(events: &[Value], grants: &[Grant]) {
    let sent: Vec<Access> = events
        .iter()
        .filter(|event| succeeded(event))
        .filter_map(Access::of_event)
        .collect();
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for access in &sent {
        let target = match &access.target {
            Target::Resource {
                group, resource, ..
            } => format!("{group}/{resource}"),
            Target::NonResource { path } => path.clone(),
        };
        *counts
            .entry(format!("{} {target}", access.verb))
            .or_default() += 1;
    }
    println!("the manager's requests with every rule (audit events by verb and resource):");
    for (request, count) in &counts {
        println!("  {count:4} {request}");
    }
    let unused: Vec<String> = grants
        .iter()
        .flat_map(Grant::accesses)
        .filter(|allowed| !sent.iter().any(|access| allowed.includes(access)))
        .map(|access| access.to_string())
        .collect();
    println!("allowed but never sent: {unused:?}");
}

/// A loopback address nothing listens on (yet).
fn free_address() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
}

/// An HTTPS client for the manager's metrics endpoint, which serves a self-signed
/// certificate of its own: any certificate is accepted (only used on loopback, towards the
/// process this test started).
fn loopback_https_client() -> HttpClient<HttpsConnector<HttpConnector>, String> {
    let provider = kubesmith::server::tls::crypto_provider();
    let config = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AnyCertificate(provider)))
        .with_no_client_auth();
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(config)
        .https_only()
        .enable_http1()
        .build();
    HttpClient::builder(TokioExecutor::new()).build(connector)
}

/// Accepts any server certificate; still checks the handshake signatures.
#[derive(Debug)]
struct AnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
