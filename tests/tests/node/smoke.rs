//! The node's basic promises: pods run as 65532 on read-only roots under the `restricted` Pod
//! Security level, readiness probes gate EndpointSlices, ClusterIP Services answer from the host
//! and from pods, projected ServiceAccount tokens are accepted at the `kubernetes` Service's
//! address, `kubectl logs`/`exec` work, and namespaces are deleted by the namespace controller.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use anyhow::Context as _;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::authentication::v1::SelfSubjectReview;
use k8s_openapi::api::core::v1::{ConfigMap, Event, Namespace, Pod, Service};
use kube::api::{Api, DeleteParams, PostParams};
use kubesmith_e2e::node::Cluster;
use kubesmith_e2e::node::iptables::Family;
use kubesmith_e2e::node::network::API_SERVICE_IP;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use crate::workloads::{
    WEB_PAGE, create, deploy_web, is_ready, restricted_namespace, run_in_pod, toolbox_pod,
    wait_for_endpoint, wait_for_labelled, wait_until, wait_until_deleted,
    web_in_restricted_namespace,
};

/// A Deployment of a static web server, as 65532 on a read-only root with every capability
/// dropped, in a namespace enforcing `restricted`: it becomes available, its probe marks its
/// endpoint ready, and `kubectl exec` shows its user.
pub async fn restricted_deployment_becomes_ready_behind_its_readiness_probe(
    cluster: &Cluster,
) -> anyhow::Result<()> {
    let namespace = "smoke-restricted";
    let client = cluster.client().await?;
    restricted_namespace(&client, namespace).await?;

    // The level is enforced: a pod without the restricted settings is refused.
    let mut careless = toolbox_pod(namespace, "careless", "true");
    careless["spec"]["securityContext"] = serde_json::json!({});
    careless["spec"]["containers"][0]["securityContext"] = serde_json::json!({});
    let pods: Api<Pod> = Api::namespaced(client.clone(), namespace);
    let refused = pods
        .create(&PostParams::default(), &serde_json::from_value(careless)?)
        .await
        .err()
        .context("a pod breaking the restricted level was admitted")?;
    anyhow::ensure!(
        refused
            .to_string()
            .contains("violates PodSecurity \"restricted:latest\""),
        "refused for another reason: {refused}"
    );

    deploy_web(cluster, namespace, "web", "/").await?;
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), namespace);
    wait_until(
        &deployments,
        "web",
        "the web Deployment to be available",
        Duration::from_secs(180),
        |deployment: Option<&Deployment>| {
            deployment
                .and_then(|d| d.status.as_ref())
                .and_then(|status| status.available_replicas)
                == Some(1)
        },
    )
    .await?;
    wait_for_endpoint(
        cluster,
        namespace,
        "web",
        "a ready endpoint of web",
        is_ready,
    )
    .await?;

    let output = exec(cluster, namespace, "deploy/web", &["/bin/busybox", "id"])?;
    let id = String::from_utf8_lossy(&output.stdout);
    anyhow::ensure!(
        output.status.success() && id.starts_with("uid=65532 gid=65532"),
        "kubectl exec id: {id} {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let write = exec(
        cluster,
        namespace,
        "deploy/web",
        &["/bin/busybox", "touch", "/www/written"],
    )?;
    anyhow::ensure!(
        !write.status.success(),
        "the root file system is writable: touch succeeded"
    );
    Ok(())
}

/// A web server whose readiness probe asks for a missing page: the kubelet reports the probe
/// failing (404) and the endpoint stays not ready.
pub async fn failing_readiness_probe_keeps_the_endpoint_not_ready(
    cluster: &Cluster,
) -> anyhow::Result<()> {
    let namespace = "smoke-unready";
    let client = web_in_restricted_namespace(cluster, namespace, "/missing").await?;

    let events: Api<Event> = Api::namespaced(client, namespace);
    let watch_events = kube::runtime::watcher(
        events,
        kube::runtime::watcher::Config::default().fields("reason=Unhealthy"),
    );
    let failed = tokio::time::timeout(
        kubesmith_e2e::machine::timeout(Duration::from_secs(180)),
        async {
            use futures::TryStreamExt as _;
            use kube::runtime::WatchStreamExt as _;
            let stream = watch_events.applied_objects();
            futures::pin_mut!(stream);
            while let Some(event) = stream.try_next().await? {
                if event.message.as_deref().is_some_and(|m| m.contains("404")) {
                    return Ok(event);
                }
            }
            anyhow::bail!("the event watch ended")
        },
    )
    .await
    .context("timed out waiting for the readiness probe to fail")??;
    let pod = failed.involved_object.name.unwrap_or_default();

    let slice = wait_for_endpoint(
        cluster,
        namespace,
        "web",
        "the endpoint of the probed pod",
        |endpoint| {
            endpoint
                .target_ref
                .as_ref()
                .and_then(|target| target.name.as_deref())
                == Some(pod.as_str())
        },
    )
    .await?;
    anyhow::ensure!(
        !slice.endpoints.iter().flatten().any(is_ready),
        "an endpoint is ready although its probe fails: {slice:?}"
    );
    Ok(())
}

/// A ClusterIP Service of the web server answers from the host (through kube-proxy's rules) and
/// from another pod; the pod's output is read with `kubectl logs`.
pub async fn cluster_ip_answers_from_the_host_and_from_another_pod(
    cluster: &Cluster,
) -> anyhow::Result<()> {
    let namespace = "smoke-service";
    let client = web_in_restricted_namespace(cluster, namespace, "/").await?;
    wait_for_endpoint(
        cluster,
        namespace,
        "web",
        "a ready endpoint of web",
        is_ready,
    )
    .await?;
    let service = Api::<Service>::namespaced(client, namespace)
        .get("web")
        .await?;
    let cluster_ip: IpAddr = service
        .spec
        .and_then(|spec| spec.cluster_ip)
        .context("the Service has no ClusterIP")?
        .parse()?;

    // kube-proxy programs the endpoint a moment after the EndpointSlice says it is ready (on a
    // busy machine, seconds later); until then the host's packets to the ClusterIP follow the
    // default route off the machine, so nothing is sent before the rule exists.
    wait_for_service_rule(cluster_ip).await?;
    let from_host = http_get_once_routed(SocketAddr::new(cluster_ip, 80)).await?;
    anyhow::ensure!(
        from_host.starts_with("HTTP/1.1 200 OK\r\n") && from_host.ends_with(WEB_PAGE),
        "from the host: {from_host:?}"
    );
    let from_pod = run_in_pod(
        cluster,
        namespace,
        "client",
        &format!("wget -q -O - http://{cluster_ip}/"),
    )
    .await?;
    anyhow::ensure!(from_pod == WEB_PAGE, "from a pod: {from_pod:?}");
    Ok(())
}

/// A pod's projected ServiceAccount token, presented to `https://10.96.0.1` (the `kubernetes`
/// Service, through kube-proxy), authenticates as the pod's ServiceAccount. (The request is made
/// from the host: busybox's `wget` in the toolbox has no TLS cipher for the API server's ECDSA
/// certificate.)
pub async fn projected_service_account_token_is_accepted_at_the_service_address(
    cluster: &Cluster,
) -> anyhow::Result<()> {
    let namespace = "smoke-token";
    restricted_namespace(&cluster.client().await?, namespace).await?;
    let token = run_in_pod(
        cluster,
        namespace,
        "token",
        "cat /var/run/secrets/kubernetes.io/serviceaccount/token",
    )
    .await?;

    let kubeconfig = kube::config::Kubeconfig::read_from(cluster.kubeconfig_path())?;
    let mut config = kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default()).await?;
    config.cluster_url = format!("https://{API_SERVICE_IP}").parse()?;
    config.auth_info = kube::config::AuthInfo {
        token: Some(token.trim().to_owned().into()),
        ..Default::default()
    };
    let as_pod = kube::Client::try_from(config)?;
    let review: SelfSubjectReview = serde_json::from_value(serde_json::json!({
        "apiVersion": "authentication.k8s.io/v1",
        "kind": "SelfSubjectReview",
    }))?;
    let reviewed = Api::<SelfSubjectReview>::all(as_pod)
        .create(&PostParams::default(), &review)
        .await
        .context("asking https://10.96.0.1 who the token is")?;
    let user = reviewed
        .status
        .and_then(|status| status.user_info)
        .and_then(|info| info.username)
        .unwrap_or_default();
    anyhow::ensure!(
        user == format!("system:serviceaccount:{namespace}:default"),
        "the token authenticated as {user:?}"
    );
    Ok(())
}

/// Deleting a namespace holding a ConfigMap and a running pod completes: the namespace
/// controller empties it and the namespace disappears.
pub async fn deleting_a_namespace_completes(cluster: &Cluster) -> anyhow::Result<()> {
    let namespace = "smoke-delete";
    let client = cluster.client().await?;
    restricted_namespace(&client, namespace).await?;
    create(
        &Api::<ConfigMap>::namespaced(client.clone(), namespace),
        serde_json::json!({
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": { "name": "settings", "namespace": namespace },
            "data": { "greeting": "hello" },
        }),
    )
    .await?;
    let pods: Api<Pod> = Api::namespaced(client.clone(), namespace);
    let mut sleeper = toolbox_pod(namespace, "sleeper", "exec sleep 3600");
    sleeper["spec"]["terminationGracePeriodSeconds"] = serde_json::json!(2);
    create(&pods, sleeper).await?;
    wait_for_labelled(
        &pods,
        "",
        "the sleeper pod to run",
        Duration::from_secs(120),
        |pod: &Pod| {
            pod.status
                .as_ref()
                .and_then(|status| status.phase.as_deref())
                == Some("Running")
        },
    )
    .await?;

    let namespaces: Api<Namespace> = Api::all(client);
    let uid = namespaces
        .get(namespace)
        .await?
        .metadata
        .uid
        .context("a namespace without uid")?;
    namespaces
        .delete(namespace, &DeleteParams::default())
        .await?;
    wait_until_deleted(&namespaces, namespace, &uid, Duration::from_secs(180)).await
}

/// `kubectl exec -n <namespace> <target> -- <command>`.
fn exec(
    cluster: &Cluster,
    namespace: &str,
    target: &str,
    command: &[&str],
) -> anyhow::Result<std::process::Output> {
    cluster
        .kubectl()
        .args(["exec", "--namespace", namespace, target, "--"])
        .args(command)
        .output()
        .context("running kubectl exec")
}

/// Waits until kube-proxy has a nat rule sending `cluster_ip` to a Service chain (the Service
/// has an endpoint there), up to a scaled deadline.
async fn wait_for_service_rule(cluster_ip: IpAddr) -> anyhow::Result<()> {
    let limit = kubesmith_e2e::machine::timeout(Duration::from_secs(120));
    let deadline = tokio::time::Instant::now() + limit;
    let destination = format!("-d {cluster_ip}/32 ");
    loop {
        let rules = Family::V4.save()?;
        if rules
            .lines()
            .any(|rule| rule.contains(&destination) && rule.contains("-j KUBE-SVC-"))
        {
            return Ok(());
        }
        anyhow::ensure!(
            tokio::time::Instant::now() < deadline,
            "kube-proxy did not program {cluster_ip} within {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// `GET /` to `address`, retried while the connection is refused, up to a scaled deadline.
async fn http_get_once_routed(address: SocketAddr) -> anyhow::Result<String> {
    let limit = kubesmith_e2e::machine::timeout(Duration::from_secs(60));
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        match http_get(address).await {
            Ok(response) => return Ok(response),
            Err(error) if tokio::time::Instant::now() > deadline => {
                return Err(error.context(format!("{address} not routed after {limit:?}")));
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
}

/// `GET /` over HTTP/1.0 to `address`; the whole response.
async fn http_get(address: SocketAddr) -> anyhow::Result<String> {
    let exchange = async {
        let mut stream = tokio::net::TcpStream::connect(address).await?;
        stream
            .write_all(b"GET / HTTP/1.0\r\nHost: web\r\n\r\n")
            .await?;
        let mut response = String::new();
        stream.read_to_string(&mut response).await?;
        anyhow::Ok(response)
    };
    tokio::time::timeout(
        kubesmith_e2e::machine::timeout(Duration::from_secs(30)),
        exchange,
    )
    .await
    .with_context(|| format!("no answer from {address}"))?
}
