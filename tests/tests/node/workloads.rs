//! What node tests deploy, and how they wait: namespaces enforcing the `restricted` Pod Security
//! level, a static web server image (busybox `httpd` serving one page, built locally), pods and
//! containers secured the way `restricted` demands, and waits on watched conditions with
//! deadlines scaled by `KUBESMITH_TEST_TIMEOUT_FACTOR`.

use std::fmt::Debug;
use std::sync::Mutex;
use std::time::Duration;

use anyhow::Context as _;
use futures::TryStreamExt as _;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Namespace, Pod, Service, ServiceAccount};
use k8s_openapi::api::discovery::v1::{Endpoint, EndpointSlice};
use kube::Resource;
use kube::api::{Api, PostParams};
use kube::runtime::WatchStreamExt as _;
use kube::runtime::wait::{Condition, await_condition, conditions};
use kube::runtime::watcher;
use kubesmith_e2e::machine::timeout;
use kubesmith_e2e::node::Cluster;
use kubesmith_e2e::node::images::{ScratchImage, TOOLBOX_IMAGE};
use kubesmith_e2e::node::prerequisites::BUSYBOX;
use serde::de::DeserializeOwned;

/// The web server image: busybox `httpd` serving [`WEB_PAGE`] from `/www` on port 8080.
pub const WEB_IMAGE: &str = "localhost/kubesmith-test/web:1";

/// The page the web server answers with.
pub const WEB_PAGE: &str = "hello from the kubesmith node\n";

/// The web server's port.
pub const WEB_PORT: i32 = 8080;

/// Builds [`WEB_IMAGE`] with podman and loads it into `cluster` (once per test process).
pub fn load_web_image(cluster: &Cluster) -> anyhow::Result<&'static str> {
    static LOADED: Mutex<bool> = Mutex::new(false);
    let mut loaded = LOADED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if !*loaded {
        ScratchImage::new(WEB_IMAGE)
            .file(BUSYBOX, "/bin/busybox")
            .text("/www/index.html", WEB_PAGE)
            .instruction("USER 65532:65532")
            .instruction(&format!(
                r#"ENTRYPOINT ["/bin/busybox", "httpd", "-f", "-v", "-p", "{WEB_PORT}", "-h", "/www"]"#
            ))
            .build()?;
        cluster.load_image(WEB_IMAGE)?;
        *loaded = true;
    }
    Ok(WEB_IMAGE)
}

/// Creates the namespace `name`, enforcing the `restricted` Pod Security level, and waits for
/// its `default` ServiceAccount (pods cannot be created before it exists).
pub async fn restricted_namespace(client: &kube::Client, name: &str) -> anyhow::Result<()> {
    create(
        &Api::<Namespace>::all(client.clone()),
        serde_json::json!({
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {
                "name": name,
                "labels": {
                    "pod-security.kubernetes.io/enforce": "restricted",
                    "pod-security.kubernetes.io/enforce-version": "latest",
                },
            },
        }),
    )
    .await?;
    wait_until(
        &Api::<ServiceAccount>::namespaced(client.clone(), name),
        "default",
        &format!("the default ServiceAccount of {name}"),
        Duration::from_secs(60),
        |sa: Option<&ServiceAccount>| sa.is_some(),
    )
    .await
    .map(drop)
}

/// The pod-level security the `restricted` level demands: non-root (65532), RuntimeDefault
/// seccomp.
pub fn restricted_pod_security() -> serde_json::Value {
    serde_json::json!({
        "runAsNonRoot": true,
        "runAsUser": 65532,
        "runAsGroup": 65532,
        "seccompProfile": { "type": "RuntimeDefault" },
    })
}

/// The container-level security the `restricted` level demands, on a read-only root.
pub fn restricted_container_security() -> serde_json::Value {
    serde_json::json!({
        "readOnlyRootFilesystem": true,
        "allowPrivilegeEscalation": false,
        "capabilities": { "drop": ["ALL"] },
    })
}

/// A pod in `namespace` running the toolbox image's `sh -c <script>` once.
pub fn toolbox_pod(namespace: &str, name: &str, script: &str) -> serde_json::Value {
    serde_json::json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": { "name": name, "namespace": namespace },
        "spec": {
            "restartPolicy": "Never",
            "securityContext": restricted_pod_security(),
            "containers": [{
                "name": "toolbox",
                "image": TOOLBOX_IMAGE,
                "imagePullPolicy": "IfNotPresent",
                "command": ["/bin/sh", "-c", script],
                "securityContext": restricted_container_security(),
            }],
        },
    })
}

/// Creates `object` (JSON of `K`) with `api`.
pub async fn create<K>(api: &Api<K>, object: serde_json::Value) -> anyhow::Result<K>
where
    K: Resource + Clone + DeserializeOwned + serde::Serialize + Debug,
{
    let typed: K = serde_json::from_value(object).context("a valid object")?;
    api.create(&PostParams::default(), &typed)
        .await
        .with_context(|| format!("creating {}", typed.meta().name.clone().unwrap_or_default()))
}

/// Waits (watching) until `condition` holds for the object `name`, up to `base` scaled by the
/// timeout factor. Returns the object.
pub async fn wait_until<K>(
    api: &Api<K>,
    name: &str,
    what: &str,
    base: Duration,
    condition: impl Condition<K>,
) -> anyhow::Result<K>
where
    K: Resource + Clone + DeserializeOwned + Debug + Send + 'static,
{
    let limit = timeout(base);
    let found = tokio::time::timeout(limit, await_condition(api.clone(), name, condition))
        .await
        .with_context(|| format!("timed out after {limit:?} waiting for {what}"))?
        .with_context(|| format!("watching for {what}"))?;
    found.with_context(|| format!("{name} was deleted while waiting for {what}"))
}

/// Waits (watching) until the object `name` with `uid` is gone, up to `base` scaled by the
/// timeout factor.
pub async fn wait_until_deleted<K>(
    api: &Api<K>,
    name: &str,
    uid: &str,
    base: Duration,
) -> anyhow::Result<()>
where
    K: Resource + Clone + DeserializeOwned + Debug + Send + 'static,
{
    let limit = timeout(base);
    tokio::time::timeout(
        limit,
        await_condition(api.clone(), name, conditions::is_deleted(uid)),
    )
    .await
    .with_context(|| format!("timed out after {limit:?} waiting for {name} to be deleted"))?
    .with_context(|| format!("watching {name}"))
    .map(drop)
}

/// Runs `script` in a toolbox pod in `namespace`, waits for it to finish and returns its log
/// (read with `kubectl logs`). Fails when the script fails.
pub async fn run_in_pod(
    cluster: &Cluster,
    namespace: &str,
    name: &str,
    script: &str,
) -> anyhow::Result<String> {
    let pods: Api<Pod> = Api::namespaced(cluster.client().await?, namespace);
    create(&pods, toolbox_pod(namespace, name, script)).await?;
    let pod = wait_until(
        &pods,
        name,
        &format!("pod {name} to finish"),
        Duration::from_secs(120),
        |pod: Option<&Pod>| {
            pod.and_then(|pod| pod.status.as_ref())
                .and_then(|status| status.phase.as_deref())
                .is_some_and(|phase| phase == "Succeeded" || phase == "Failed")
        },
    )
    .await?;
    let output = cluster
        .kubectl()
        .args(["logs", "--namespace", namespace, name])
        .output()
        .context("running kubectl logs")?;
    anyhow::ensure!(
        output.status.success(),
        "kubectl logs {name} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let log = String::from_utf8_lossy(&output.stdout).into_owned();
    let phase = pod
        .status
        .and_then(|status| status.phase)
        .unwrap_or_default();
    anyhow::ensure!(
        phase == "Succeeded",
        "pod {name} ended {phase}; its log:\n{log}"
    );
    Ok(log)
}

/// Deploys the web server as Deployment and Service `name` in `namespace`, its readiness probe
/// asking for `probe_path`.
pub async fn deploy_web(
    cluster: &Cluster,
    namespace: &str,
    name: &str,
    probe_path: &str,
) -> anyhow::Result<()> {
    let image = load_web_image(cluster)?;
    let client = cluster.client().await?;
    let labels = serde_json::json!({ "app": name });
    create(
        &Api::<Deployment>::namespaced(client.clone(), namespace),
        serde_json::json!({
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": { "name": name, "namespace": namespace },
            "spec": {
                "replicas": 1,
                "selector": { "matchLabels": labels },
                "template": {
                    "metadata": { "labels": labels },
                    "spec": {
                        "securityContext": restricted_pod_security(),
                        "terminationGracePeriodSeconds": 5,
                        "containers": [{
                            "name": "web",
                            "image": image,
                            "imagePullPolicy": "IfNotPresent",
                            "ports": [{ "containerPort": WEB_PORT }],
                            "readinessProbe": {
                                "httpGet": { "path": probe_path, "port": WEB_PORT },
                                "periodSeconds": 1,
                            },
                            "securityContext": restricted_container_security(),
                        }],
                    },
                },
            },
        }),
    )
    .await?;
    create(
        &Api::<Service>::namespaced(client, namespace),
        serde_json::json!({
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": { "name": name, "namespace": namespace },
            "spec": {
                "selector": labels,
                "ports": [{ "port": 80, "targetPort": WEB_PORT }],
            },
        }),
    )
    .await
    .map(drop)
}

/// Creates the namespace `namespace` enforcing `restricted` and deploys the web server `web`
/// there (see [`deploy_web`]); returns an admin client.
pub async fn web_in_restricted_namespace(
    cluster: &Cluster,
    namespace: &str,
    probe_path: &str,
) -> anyhow::Result<kube::Client> {
    let client = cluster.client().await?;
    restricted_namespace(&client, namespace).await?;
    deploy_web(cluster, namespace, "web", probe_path).await?;
    Ok(client)
}

/// Waits (watching) until an object of `api` matching the label `selector` satisfies `accept`;
/// returns it.
pub async fn wait_for_labelled<K>(
    api: &Api<K>,
    selector: &str,
    what: &str,
    base: Duration,
    accept: impl Fn(&K) -> bool,
) -> anyhow::Result<K>
where
    K: Resource + Clone + DeserializeOwned + Debug + Send + 'static,
{
    let limit = timeout(base);
    let stream =
        watcher(api.clone(), watcher::Config::default().labels(selector)).applied_objects();
    let found = tokio::time::timeout(limit, async {
        futures::pin_mut!(stream);
        while let Some(object) = stream.try_next().await? {
            if accept(&object) {
                return Ok(object);
            }
        }
        anyhow::bail!("the watch ended")
    })
    .await
    .with_context(|| format!("timed out after {limit:?} waiting for {what}"))?;
    found.with_context(|| format!("watching for {what}"))
}

/// The ready flags of the endpoints of the EndpointSlices of Service `service`, once it has at
/// least one endpoint for which `accept` holds.
pub async fn wait_for_endpoint(
    cluster: &Cluster,
    namespace: &str,
    service: &str,
    what: &str,
    accept: impl Fn(&Endpoint) -> bool,
) -> anyhow::Result<EndpointSlice> {
    let slices: Api<EndpointSlice> = Api::namespaced(cluster.client().await?, namespace);
    wait_for_labelled(
        &slices,
        &format!("kubernetes.io/service-name={service}"),
        what,
        Duration::from_secs(120),
        |slice: &EndpointSlice| slice.endpoints.iter().flatten().any(&accept),
    )
    .await
}

/// Whether the endpoint is ready.
pub fn is_ready(endpoint: &Endpoint) -> bool {
    endpoint
        .conditions
        .as_ref()
        .and_then(|conditions| conditions.ready)
        .unwrap_or(false)
}
