//! Scaffolded operators on the node, deployed the way their READMEs say: `make test-e2e` builds
//! the image with the project's own Dockerfile (podman, base images made locally), loads it
//! into the node, installs cert-manager (built from the Go module proxy) when the webhooks
//! need it, deploys into a namespace enforcing the `restricted` Pod Security level and runs
//! the project's own end-to-end suite (manager Ready, metrics scraped with a token from a pod,
//! CA injection, samples reconciled, objects admitted and converted through the webhook
//! Service), then undeploys. Beside the suite: two replicas with leader election, the leader
//! killed and the other taking over, and `make undeploy` leaving nothing behind.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use k8s_openapi::api::admissionregistration::v1::{
    MutatingWebhookConfiguration, ValidatingWebhookConfiguration,
};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{Namespace, Pod};
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, Patch, PatchParams};
use kube::{Client, Resource, ResourceExt};
use kubesmith_e2e::images::{self, curl, distroless, rust};
use kubesmith_e2e::machine::timeout;
use kubesmith_e2e::node::Cluster;
use kubesmith_e2e::podman::Podman;
use kubesmith_e2e::scaffolded::{Scaffold, check_success};
use kubesmith_e2e::{cert_manager, machine};
use serde::de::DeserializeOwned;
use tokio::sync::OnceCell;

use crate::workloads::wait_until;

/// The API group of the golden projects' Kinds.
const GROUP: &str = "crew.testproject.org";

/// How long a wait of the projects' e2e suites and kubectl may take (before the timeout
/// factor): a first image build runs inside it.
const E2E_TIMEOUT: Duration = Duration::from_secs(600);

/// The leader election's lease duration (the manager's default): a killed leader's lease
/// expires after it, and another replica takes over.
const LEASE_DURATION: Duration = Duration::from_secs(15);

/// What `make test-e2e` of a project needs from this machine and node, prepared once per run.
#[derive(Debug)]
struct E2eSetup {
    /// `E2E_LOAD_IMAGE`: loads an image into the node.
    loader: PathBuf,
    /// `CERT_MANAGER_MANIFEST`: cert-manager's manifests with the local images.
    cert_manager_manifest: PathBuf,
    /// `CONTAINER_BUILD_ARGS`: podman's flags on this machine.
    build_flags: String,
}

/// Makes the base images the Dockerfile names and the curl image the suite runs, loads curl's
/// and cert-manager's images into the node, renders cert-manager's manifests: once per run.
async fn setup(cluster: &Cluster) -> anyhow::Result<&'static E2eSetup> {
    static SETUP: OnceCell<E2eSetup> = OnceCell::const_new();
    SETUP
        .get_or_try_init(|| async {
            images::prerequisites()?;
            rust::ensure()?;
            distroless::ensure()?;
            curl::ensure()?;
            cluster.load_image(curl::NAME)?;
            for image in cert_manager::images()? {
                cluster.load_image(&image)?;
            }
            let cert_manager_manifest = machine::cache_dir().join("node-e2e/cert-manager.yaml");
            if let Some(dir) = cert_manager_manifest.parent() {
                std::fs::create_dir_all(dir)?;
            }
            std::fs::write(&cert_manager_manifest, cert_manager::manifests()?)?;
            Ok(E2eSetup {
                loader: cluster.image_loader()?,
                cert_manager_manifest,
                build_flags: Podman::find()?.build_flags().join(" "),
            })
        })
        .await
}

/// A golden project (`tests/golden/<golden>.json`) on the node: its make targets run with the
/// node's kubeconfig and the setup's variables.
struct Deployable<'a> {
    cluster: &'a Cluster,
    setup: &'static E2eSetup,
    project: Scaffold,
    /// The project's name: its namespace is `<name>-system`, its objects `<name>-…`.
    name: &'static str,
}

impl<'a> Deployable<'a> {
    async fn golden(
        cluster: &'a Cluster,
        golden: &str,
        name: &'static str,
    ) -> anyhow::Result<Deployable<'a>> {
        let setup = setup(cluster).await?;
        let project = Scaffold::golden(golden, &format!("node-{golden}"))?;
        Ok(Deployable {
            cluster,
            setup,
            project,
            name,
        })
    }

    /// Runs `make <target>` with the variables that fit this machine and node (no kind, podman
    /// with its flags, the node's image loader, cert-manager from local images, the curl
    /// image made here); fails with the output unless it succeeds.
    fn make(&self, target: &str) -> anyhow::Result<String> {
        let kubectl = self.cluster.binaries().path("kubectl");
        let vars = [
            "KIND=".to_string(),
            "CONTAINER_TOOL=podman".to_string(),
            format!("CONTAINER_BUILD_ARGS={}", self.setup.build_flags),
            format!("E2E_LOAD_IMAGE={}", self.setup.loader.display()),
            format!(
                "CERT_MANAGER_MANIFEST={}",
                self.setup.cert_manager_manifest.display()
            ),
            format!("E2E_TIMEOUT={}", timeout(E2E_TIMEOUT).as_secs()),
            format!("E2E_IMG={}", self.image()),
            kubesmith_e2e::scaffolded::QUICK_IMAGE_CARGO_ARGS.to_string(),
        ];
        let mut args = vec![target];
        args.extend(vars.iter().map(String::as_str));
        let output = self
            .project
            .command("make")
            .args(&args)
            .env("CARGO", kubesmith_e2e::scaffolded::cargo())
            .env("KUBECONFIG", self.cluster.kubeconfig_path())
            .env("KUBECTL", &kubectl)
            .env("E2E_CURL_IMAGE", curl::NAME)
            .output()
            .with_context(|| format!("running make {target}"))?;
        check_success(&format!("make {target} in {}", self.name), &output)?;
        Ok(format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ))
    }

    /// The image the e2e targets build and deploy.
    fn image(&self) -> String {
        format!("example.com/{}:v0.0.1", self.name)
    }

    fn namespace(&self) -> String {
        format!("{}-system", self.name)
    }
}

/// The golden project (two Kinds, defaulting, validating and conversion webhooks with
/// certificates from cert-manager) passes its own `make test-e2e` on the node, and nothing of
/// it, nor the cert-manager the target installed, is left afterwards.
pub async fn golden_project_passes_its_own_make_test_e2e(cluster: &Cluster) -> anyhow::Result<()> {
    let deployable = Deployable::golden(cluster, "project", "project").await?;
    let output = deployable.make("test-e2e")?;
    suite_passed(&output, 4)?;
    anyhow::ensure!(
        output.contains("cert-manager: installing"),
        "make test-e2e did not install cert-manager:\n{output}"
    );
    let client = cluster.client().await?;
    nothing_left(&client, &deployable).await?;
    anyhow::ensure!(
        absent::<Namespace>(&client, cert_manager::NAMESPACE).await?,
        "make test-e2e left the cert-manager it installed"
    );
    Ok(())
}

/// A project with self-managed webhook certificates passes its own `make test-e2e` on the
/// node without cert-manager: the manager issues its certificate and injects its CA.
pub async fn self_managed_project_passes_its_own_make_test_e2e_without_cert_manager(
    cluster: &Cluster,
) -> anyhow::Result<()> {
    let deployable =
        Deployable::golden(cluster, "project-self-managed", "project-self-managed").await?;
    let output = deployable.make("test-e2e")?;
    suite_passed(&output, 4)?;
    anyhow::ensure!(
        output.contains("cert-manager: not needed"),
        "make test-e2e of a self-managed project wanted cert-manager:\n{output}"
    );
    nothing_left(&cluster.client().await?, &deployable).await
}

/// Two replicas elect one leader; when its container is killed (SIGKILL: no lease released),
/// the lease passes to a new holder within a lease duration or so, the controllers work under
/// it (a new object is reconciled, a bad one refused by the webhook), and `make undeploy`
/// leaves nothing.
pub async fn a_killed_leader_is_replaced_and_make_undeploy_leaves_nothing(
    cluster: &Cluster,
) -> anyhow::Result<()> {
    let deployable =
        Deployable::golden(cluster, "project-self-managed", "project-self-managed").await?;
    // The scaffold carries this workspace's Cargo.lock; the first host build trims it to the
    // project's packages, which the image's `cargo build --locked` then expects.
    deployable.make("manifests")?;
    deployable.make("docker-build")?;
    deployable.make("load-image-e2e")?;
    deployable.make("deploy-e2e")?;
    let client = cluster.client().await?;
    let namespace = deployable.namespace();
    let deployment_name = format!("{}-controller-manager", deployable.name);
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), &namespace);
    deployments
        .patch(
            &deployment_name,
            &PatchParams::default(),
            &Patch::Merge(serde_json::json!({"spec": {"replicas": 2}})),
        )
        .await
        .context("scaling the manager to two replicas")?;
    wait_until(
        &deployments,
        &deployment_name,
        "two available replicas",
        Duration::from_secs(300),
        |deployment: Option<&Deployment>| {
            deployment
                .and_then(|d| d.status.as_ref())
                .is_some_and(|s| s.available_replicas == Some(2) && s.replicas == Some(2))
        },
    )
    .await?;

    let leases: Api<Lease> = Api::namespaced(client.clone(), &namespace);
    let lease_name = format!("{}.testproject.org", deployable.name);
    let lease = wait_until(
        &leases,
        &lease_name,
        "a leader",
        Duration::from_secs(120),
        |lease: Option<&Lease>| holder(lease).is_some(),
    )
    .await?;
    let leader = holder(Some(&lease)).context("the lease has no holder")?;
    let pods: Api<Pod> = Api::namespaced(client.clone(), &namespace);
    // The identity is `<hostname>_<uuid>`, and a pod's hostname is its name.
    let leader_pod = leader
        .split_once('_')
        .map(|(host, _)| host.to_string())
        .with_context(|| format!("the holder {leader} is not <hostname>_<uuid>"))?;
    let container_id = pods
        .get(&leader_pod)
        .await
        .with_context(|| format!("reading the leader's pod {leader_pod}"))?
        .status
        .and_then(|status| status.container_statuses)
        .and_then(|statuses| statuses.into_iter().find(|s| s.name == "manager"))
        .and_then(|status| status.container_id)
        .with_context(|| format!("the pod {leader_pod} has no manager container"))?;

    let killed = Instant::now();
    cluster.kill_container(&container_id)?;
    let taken_over = wait_until(
        &leases,
        &lease_name,
        "a new leader",
        LEASE_DURATION * 4,
        |lease: Option<&Lease>| holder(lease).is_some_and(|holder| holder != leader),
    )
    .await?;
    let takeover = killed.elapsed();
    println!(
        "leader {leader} killed; {} took over after {takeover:.1?}",
        holder(Some(&taken_over)).unwrap_or_default()
    );

    let captains = captains(&client, &namespace);
    let mut captain = DynamicObject::new("after-takeover", &captain_resource());
    captain.data = serde_json::json!({"spec": {"foo": "bar"}});
    captains
        .patch(
            "after-takeover",
            &PatchParams::apply("kubesmith-node-test").force(),
            &Patch::Apply(&captain),
        )
        .await
        .context("creating a Captain after the takeover")?;
    wait_until(
        &captains,
        "after-takeover",
        "the Captain created after the takeover to be Ready",
        Duration::from_secs(120),
        |captain: Option<&DynamicObject>| captain.is_some_and(is_ready),
    )
    .await?;
    let mut blank = DynamicObject::new("blank", &captain_resource());
    blank.data = serde_json::json!({"spec": {"foo": "   "}});
    let refused = captains
        .patch(
            "blank",
            &PatchParams::apply("kubesmith-node-test").force(),
            &Patch::Apply(&blank),
        )
        .await;
    anyhow::ensure!(
        refused
            .as_ref()
            .is_err_and(|error| error.to_string().contains("must not be blank")),
        "a blank spec.foo was not refused by the validating webhook: {refused:?}"
    );

    deployable.make("undeploy-e2e")?;
    nothing_left(&client, &deployable).await
}

/// The Lease's holder, when it has one.
fn holder(lease: Option<&Lease>) -> Option<String> {
    lease?
        .spec
        .as_ref()?
        .holder_identity
        .clone()
        .filter(|holder| !holder.is_empty())
}

fn captain_resource() -> ApiResource {
    ApiResource::from_gvk(&GroupVersionKind::gvk(GROUP, "v1", "Captain"))
}

fn captains(client: &Client, namespace: &str) -> Api<DynamicObject> {
    Api::namespaced_with(client.clone(), namespace, &captain_resource())
}

/// Whether the object has `Ready=True` for its current generation.
fn is_ready(object: &DynamicObject) -> bool {
    let generation = object.metadata.generation;
    object.data["status"]["conditions"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|condition| {
            condition["type"] == "Ready"
                && condition["status"] == "True"
                && condition["observedGeneration"].as_i64() == generation
        })
}

/// Fails unless the project's e2e suite ran at least `tests` tests and all passed (the test
/// binary's summary in `make`'s output).
fn suite_passed(output: &str, tests: u32) -> anyhow::Result<()> {
    let passed: u32 = output
        .lines()
        .filter_map(|line| line.strip_prefix("test result: ok. "))
        .filter_map(|rest| rest.split_whitespace().next()?.parse::<u32>().ok())
        .sum();
    anyhow::ensure!(
        passed >= tests && !output.contains("test result: FAILED"),
        "the project's e2e suite passed {passed} tests, expected at least {tests}:\n{output}"
    );
    Ok(())
}

/// Fails unless nothing `make deploy`/`make install` created for `deployable` is left: its
/// namespace, CRDs, cluster roles and bindings, webhook configurations.
async fn nothing_left(client: &Client, deployable: &Deployable<'_>) -> anyhow::Result<()> {
    let prefix = format!("{}-", deployable.name);
    let mut left = Vec::new();
    if !absent::<Namespace>(client, &deployable.namespace()).await? {
        left.push(format!("namespace {}", deployable.namespace()));
    }
    left.extend(
        Api::<CustomResourceDefinition>::all(client.clone())
            .list(&Default::default())
            .await?
            .items
            .iter()
            .filter(|crd| crd.spec.group == GROUP)
            .map(|crd| format!("CRD {}", crd.name_any())),
    );
    left.extend(named_with::<ClusterRole>(client, &prefix).await?);
    left.extend(named_with::<ClusterRoleBinding>(client, &prefix).await?);
    left.extend(named_with::<MutatingWebhookConfiguration>(client, &prefix).await?);
    left.extend(named_with::<ValidatingWebhookConfiguration>(client, &prefix).await?);
    anyhow::ensure!(left.is_empty(), "make undeploy left {}", left.join(", "));
    Ok(())
}

/// Whether the cluster-scoped object `name` of kind `K` is gone.
async fn absent<K>(client: &Client, name: &str) -> anyhow::Result<bool>
where
    K: Resource<Scope = k8s_openapi::ClusterResourceScope, DynamicType = ()>
        + Clone
        + DeserializeOwned
        + std::fmt::Debug,
{
    Ok(Api::<K>::all(client.clone()).get_opt(name).await?.is_none())
}

/// The cluster-scoped objects of kind `K` whose names start with `prefix`, as `<Kind> <name>`.
async fn named_with<K>(client: &Client, prefix: &str) -> anyhow::Result<Vec<String>>
where
    K: Resource<Scope = k8s_openapi::ClusterResourceScope, DynamicType = ()>
        + Clone
        + DeserializeOwned
        + std::fmt::Debug,
{
    Ok(Api::<K>::all(client.clone())
        .list(&Default::default())
        .await?
        .items
        .iter()
        .map(ResourceExt::name_any)
        .filter(|name| name.starts_with(prefix))
        .map(|name| format!("{} {name}", K::kind(&())))
        .collect())
}
