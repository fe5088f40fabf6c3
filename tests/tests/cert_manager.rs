//! cert-manager made from the Go module proxy, as the node tests install it: helm builds and
//! runs; the controller, webhook and cainjector build, report their version and accept every
//! flag the chart passes them; their images run as the chart's non-root user on a read-only
//! root without capabilities; the rendered manifests install into an envtest API server; and,
//! run against one, the controller issues a certificate and the cainjector injects its CA.
//!
//! The first run builds helm and cert-manager (minutes each, cached per machine).

use std::collections::BTreeMap;
use std::process::{Command, Output};
use std::time::Duration;

use k8s_openapi::api::admissionregistration::v1::ValidatingWebhookConfiguration;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, PostParams};
use kube::runtime::wait::await_condition;
use kubesmith::envtest::Environment;
use kubesmith_e2e::cert_manager::{self, Component, NAMESPACE, VERSION, images::USER};
use kubesmith_e2e::go_tool;
use kubesmith_e2e::podman::Podman;
use kubesmith_e2e::prerequisite::require;
use kubesmith_e2e::scaffolded::{Background, check_success};

fn output(command: &mut Command) -> Output {
    command
        .output()
        .unwrap_or_else(|error| panic!("{command:?} did not start: {error}"))
}

/// The files (not directories) of `image`, sorted.
fn image_files(podman: &Podman, image: &str) -> Vec<String> {
    let created = output(podman.command().args(["create", image]));
    check_success("podman create", &created).unwrap_or_else(|error| panic!("{error:#}"));
    let container = String::from_utf8_lossy(&created.stdout).trim().to_owned();
    let dir = tempfile::tempdir().expect("a directory");
    let archive = dir.path().join("rootfs.tar");
    let exported = output(
        podman
            .command()
            .args(["export", "--output"])
            .arg(&archive)
            .arg(&container),
    );
    output(podman.command().args(["rm", &container]));
    check_success("podman export", &exported).unwrap_or_else(|error| panic!("{error:#}"));
    let listed = output(Command::new("tar").arg("-tvf").arg(&archive));
    check_success("tar -t", &listed).unwrap_or_else(|error| panic!("{error:#}"));
    let mut files: Vec<String> = String::from_utf8_lossy(&listed.stdout)
        .lines()
        .filter(|line| line.starts_with('-'))
        .filter_map(|line| line.split_whitespace().last())
        .map(|path| path.trim_start_matches("./").to_owned())
        .collect();
    files.sort();
    files
}

/// The container args of each Deployment in `manifests`, by Deployment name.
fn container_args(manifests: &str) -> BTreeMap<String, Vec<String>> {
    serde_saphyr::from_multiple::<serde_json::Value>(manifests)
        .expect("the manifests are YAML")
        .into_iter()
        .filter(|object| object["kind"] == "Deployment")
        .map(|object| {
            let name = object["metadata"]["name"]
                .as_str()
                .expect("a named Deployment")
                .to_owned();
            let args = object["spec"]["template"]["spec"]["containers"][0]["args"]
                .as_array()
                .map(|args| {
                    args.iter()
                        .map(|arg| arg.as_str().expect("a string arg").to_owned())
                        .collect()
                })
                .unwrap_or_default();
            (name, args)
        })
        .collect()
}

#[test]
fn helm_builds_from_the_module_proxy_and_reports_its_version() {
    if require("helm_builds", go_tool::go()).is_none() {
        return;
    }
    let helm = kubesmith_e2e::helm::helm().unwrap_or_else(|error| panic!("{error:#}"));
    let version = output(Command::new(&helm).args(["version", "--template", "{{.Version}}"]));
    check_success("helm version", &version).unwrap_or_else(|error| panic!("{error:#}"));
    // A build from source knows its minor (the patch comes from release builds' -ldflags).
    let printed = String::from_utf8_lossy(&version.stdout).trim().to_owned();
    assert!(
        printed.len() >= "v4.3".len() && kubesmith_e2e::helm::VERSION.starts_with(&printed),
        "helm says it is {printed:?}, built was {}",
        kubesmith_e2e::helm::VERSION
    );
}

#[test]
fn each_binary_reports_the_release_and_accepts_every_flag_the_chart_passes_it() {
    if require("cert_manager_binaries", go_tool::go()).is_none() {
        return;
    }
    let binaries = cert_manager::binaries().unwrap_or_else(|error| panic!("{error:#}"));
    let manifests = cert_manager::manifests().unwrap_or_else(|error| panic!("{error:#}"));
    let args = container_args(&manifests);
    for component in Component::ALL {
        let binary = binaries.path(component);
        let version = output(Command::new(&binary).arg("--version"));
        check_success(&format!("{} --version", component.name()), &version)
            .unwrap_or_else(|error| panic!("{error:#}"));
        let version = String::from_utf8_lossy(&version.stdout);
        assert!(
            version.starts_with(&format!("cert-manager {} {VERSION} ", component.name())),
            "{version}"
        );

        // Flags are parsed in order and --help stops at the end: an unknown flag fails first.
        let chart_args = args
            .get(component.deployment())
            .unwrap_or_else(|| panic!("no Deployment {}", component.deployment()));
        assert!(!chart_args.is_empty(), "{} gets no args", component.name());
        let help = output(Command::new(&binary).args(chart_args).arg("--help"));
        check_success(
            &format!("{} {chart_args:?} --help", component.name()),
            &help,
        )
        .unwrap_or_else(|error| panic!("{error:#}"));
        let usage = String::from_utf8_lossy(&help.stderr);
        for arg in chart_args {
            let flag = arg.split('=').next().unwrap_or_default();
            assert!(usage.contains(flag), "{flag} is not in the usage:\n{usage}");
        }

        let unknown = output(Command::new(&binary).arg("--no-such-flag"));
        assert_eq!(unknown.status.code(), Some(2), "{}", component.name());
        assert!(
            String::from_utf8_lossy(&unknown.stderr).contains("no-such-flag"),
            "{}",
            component.name()
        );
    }
}

#[test]
fn the_images_run_their_binary_as_nonroot_on_a_read_only_root_without_capabilities() {
    let Some(podman) = require("cert_manager_images", Podman::find()) else {
        return;
    };
    if require("cert_manager_images", go_tool::go()).is_none() {
        return;
    }
    let started = std::time::Instant::now();
    let images = cert_manager::images().unwrap_or_else(|error| panic!("{error:#}"));
    println!("cert-manager images ready in {:?}", started.elapsed());
    let expected: Vec<String> = Component::ALL.iter().map(|c| c.image()).collect();
    assert_eq!(images, expected);
    for (component, image) in Component::ALL.into_iter().zip(&images) {
        let size = podman
            .image_size(image)
            .unwrap_or_else(|error| panic!("{error:#}"));
        println!("{image}: {:.1} MB", size as f64 / 1e6);
        let user = output(podman.command().args([
            "image",
            "inspect",
            "--format",
            "{{.Config.User}}",
            image,
        ]));
        assert_eq!(
            String::from_utf8_lossy(&user.stdout).trim(),
            format!("{USER}:{USER}"),
            "{image}"
        );
        // What the chart's securityContext asks of the kubelet: a non-root user, a read-only
        // root (no tmpfs podman would add), no capabilities, no privilege escalation.
        assert_eq!(
            image_files(&podman, image),
            [
                "app/cmd/NAME/NAME".replace("NAME", component.name()),
                "etc/group".to_owned(),
                "etc/passwd".to_owned(),
            ],
            "{image}"
        );
        let version = output(podman.run().args([
            "--read-only",
            "--read-only-tmpfs=false",
            "--cap-drop=ALL",
            "--security-opt=no-new-privileges",
            "--network=none",
            image,
            "--version",
        ]));
        check_success(&format!("{image} --version"), &version)
            .unwrap_or_else(|error| panic!("{error:#}"));
        assert!(
            String::from_utf8_lossy(&version.stdout)
                .starts_with(&format!("cert-manager {} {VERSION} ", component.name())),
            "{image}"
        );
    }
    // What a node test does next: one archive for `ctr images import`.
    let dir = tempfile::tempdir().expect("a directory");
    let archive = dir.path().join("cert-manager.tar");
    podman
        .save(&images, &archive)
        .unwrap_or_else(|error| panic!("{error:#}"));
    let listed = output(Command::new("tar").arg("-tf").arg(&archive));
    check_success("tar -t", &listed).unwrap_or_else(|error| panic!("{error:#}"));
    assert!(
        String::from_utf8_lossy(&listed.stdout)
            .lines()
            .any(|entry| entry == "manifest.json"),
        "the archive has no docker manifest"
    );

    let again = std::time::Instant::now();
    let rebuilt = cert_manager::images().unwrap_or_else(|error| panic!("{error:#}"));
    assert_eq!(rebuilt, images);
    println!("up-to-date images checked in {:?}", again.elapsed());
}

#[tokio::test]
async fn the_manifests_install_into_an_api_server_with_the_local_images() {
    if require("cert_manager_manifests", go_tool::go()).is_none() {
        return;
    }
    let env = Environment::start().await.expect("no test control plane");
    let kubectl = env.kubectl().expect("kubectl");
    tokio::task::spawn_blocking(move || cert_manager::install(kubectl))
        .await
        .expect("the install did not panic")
        .unwrap_or_else(|error| panic!("{error:#}"));

    let client = env.client().expect("a client");
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    for crd in [
        "certificates.cert-manager.io",
        "certificaterequests.cert-manager.io",
        "issuers.cert-manager.io",
        "clusterissuers.cert-manager.io",
        "orders.acme.cert-manager.io",
        "challenges.acme.cert-manager.io",
    ] {
        crds.get(crd)
            .await
            .unwrap_or_else(|error| panic!("the CRD {crd}: {error}"));
    }
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), NAMESPACE);
    for component in Component::ALL {
        let deployment = deployments
            .get(component.deployment())
            .await
            .unwrap_or_else(|error| panic!("{}: {error}", component.deployment()));
        let pod = deployment.spec.template.spec.expect("a pod template");
        let container = &pod.containers[0];
        assert_eq!(container.image.as_deref(), Some(component.image().as_str()));
        assert_eq!(container.image_pull_policy.as_deref(), Some("IfNotPresent"));
        let pod_security = pod.security_context.expect("a pod securityContext");
        assert_eq!(pod_security.run_as_non_root, Some(true));
    }
    // Installing again changes nothing and fails nothing.
    let kubectl = env.kubectl().expect("kubectl");
    tokio::task::spawn_blocking(move || cert_manager::install(kubectl))
        .await
        .expect("the install did not panic")
        .unwrap_or_else(|error| panic!("{error:#}"));
    env.stop().await;
}

/// How long a certificate may take to be issued, or a CA to be injected, on a busy machine.
const ISSUE_TIMEOUT: Duration = Duration::from_secs(120);

/// Runs `binary` against `env` in the background (killed when dropped), logging to `dir`.
fn run_against(
    binary: &std::path::Path,
    env: &Environment,
    args: &[&str],
    dir: &std::path::Path,
) -> Background {
    let mut command = Command::new(binary);
    command
        .arg("--kubeconfig")
        .arg(env.kubeconfig_path().expect("envtest writes a kubeconfig"))
        .args([
            "--leader-elect=false",
            "--metrics-listen-address=0",
            "--v=2",
        ])
        .args(args);
    let name = binary.file_name().expect("a file name").to_owned();
    let log = dir.join(name).with_extension("log");
    Background::start(command, log).unwrap_or_else(|error| panic!("{error:#}"))
}

/// Waits (on a watch) until `name` in `api` satisfies `condition`, or fails saying what
/// `processes` printed.
async fn wait_for<K>(
    api: Api<K>,
    name: &str,
    condition: impl kube::runtime::wait::Condition<K>,
    processes: &[&Background],
) -> K
where
    K: kube::Resource + Clone + std::fmt::Debug + serde::de::DeserializeOwned + Send + 'static,
{
    match tokio::time::timeout(ISSUE_TIMEOUT, await_condition(api, name, condition)).await {
        Ok(Ok(Some(object))) => object,
        outcome => {
            let logs: Vec<String> = processes.iter().map(|process| process.output()).collect();
            panic!(
                "{name} did not get there within {ISSUE_TIMEOUT:?} ({outcome:?}); the logs:\n{}",
                logs.join("\n-----\n")
            )
        }
    }
}

#[tokio::test]
async fn the_controller_issues_a_certificate_and_the_cainjector_injects_its_ca() {
    if require("cert_manager_issues", go_tool::go()).is_none() {
        return;
    }
    let (binaries, manifests) = tokio::task::spawn_blocking(|| {
        let binaries = cert_manager::binaries()?;
        Ok::<_, anyhow::Error>((binaries, cert_manager::manifests()?))
    })
    .await
    .expect("the build did not panic")
    .unwrap_or_else(|error| panic!("{error:#}"));
    // The CRDs only: with no node, the API server cannot reach a webhook Service.
    let mut builder = Environment::builder();
    for crd in serde_saphyr::from_multiple::<serde_json::Value>(&manifests)
        .expect("the manifests are YAML")
        .into_iter()
        .filter(|object| object["kind"] == "CustomResourceDefinition")
    {
        builder = builder.crd(serde_json::from_value(crd).expect("a CRD"));
    }
    let env = builder.start().await.expect("no test control plane");
    let client = env.client().expect("a client");
    let namespace = env.create_namespace("issue").await.expect("a namespace");
    let logs = tempfile::tempdir().expect("a log directory");
    let controller = run_against(
        &binaries.path(Component::Controller),
        &env,
        &["--internal-healthz-listen-address=127.0.0.1:0"],
        logs.path(),
    );
    let cainjector = run_against(
        &binaries.path(Component::Cainjector),
        &env,
        &[],
        logs.path(),
    );

    let resource = |kind: &str, plural: &str| {
        let gvk = GroupVersionKind::gvk("cert-manager.io", "v1", kind);
        Api::<DynamicObject>::namespaced_with(
            client.clone(),
            &namespace,
            &ApiResource::from_gvk_with_plural(&gvk, plural),
        )
    };
    let create = |api: Api<DynamicObject>, object: serde_json::Value| async move {
        let object: DynamicObject = serde_json::from_value(object).expect("an object");
        api.create(&PostParams::default(), &object)
            .await
            .unwrap_or_else(|error| panic!("creating {:?}: {error}", object.metadata.name))
    };
    create(
        resource("Issuer", "issuers"),
        serde_json::json!({
            "apiVersion": "cert-manager.io/v1", "kind": "Issuer",
            "metadata": {"name": "self-signed"},
            "spec": {"selfSigned": {}},
        }),
    )
    .await;
    create(
        resource("Certificate", "certificates"),
        serde_json::json!({
            "apiVersion": "cert-manager.io/v1", "kind": "Certificate",
            "metadata": {"name": "serving"},
            "spec": {
                "secretName": "serving-cert",
                "dnsNames": ["webhook-service.example.svc"],
                "issuerRef": {"name": "self-signed", "kind": "Issuer"},
            },
        }),
    )
    .await;
    let secret = wait_for(
        Api::<Secret>::namespaced(client.clone(), &namespace),
        "serving-cert",
        |secret: Option<&Secret>| {
            secret
                .and_then(|secret| secret.data.as_ref())
                .is_some_and(|data| data.contains_key("tls.crt") && data.contains_key("tls.key"))
        },
        &[&controller],
    )
    .await;
    let data = secret.data.expect("the certificate's data");
    let ca = data
        .get("ca.crt")
        .expect("a self-signed certificate is its own CA");
    assert!(
        String::from_utf8_lossy(&ca.0).starts_with("-----BEGIN CERTIFICATE-----"),
        "ca.crt holds no PEM certificate"
    );

    let webhooks: Api<ValidatingWebhookConfiguration> = Api::all(client.clone());
    let name = format!("{namespace}-injected");
    let configuration: ValidatingWebhookConfiguration = serde_json::from_value(serde_json::json!({
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingWebhookConfiguration",
        "metadata": {
            "name": name,
            "annotations": {"cert-manager.io/inject-ca-from": format!("{namespace}/serving")},
        },
        "webhooks": [{
            "name": "never-called.example.com",
            "clientConfig": {"url": "https://127.0.0.1:1/validate"},
            "rules": [],
            "sideEffects": "None",
            "admissionReviewVersions": ["v1"],
            "failurePolicy": "Ignore",
        }],
    }))
    .expect("a webhook configuration");
    webhooks
        .create(&PostParams::default(), &configuration)
        .await
        .expect("the webhook configuration");
    let expected = ca.clone();
    wait_for(
        webhooks,
        &name,
        move |configuration: Option<&ValidatingWebhookConfiguration>| {
            configuration.is_some_and(|configuration| {
                configuration
                    .webhooks
                    .iter()
                    .flatten()
                    .all(|webhook| webhook.client_config.ca_bundle.as_ref() == Some(&expected))
            })
        },
        &[&cainjector],
    )
    .await;
    drop((controller, cainjector));
    env.stop().await;
}
