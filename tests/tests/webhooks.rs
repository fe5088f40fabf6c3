//! The sample operator's webhooks called by a real kube-apiserver: defaults from the mutating
//! webhook, denials with our messages and field paths, warnings, conversion between v1 and v2,
//! a serving certificate replaced while the server runs, and certificates the operator issues,
//! injects and rotates itself.

use std::sync::Arc;
use std::time::{Duration, Instant};

use greeting_operator::api::{self, Greeting, v2};
use greeting_operator::webhook::{
    DEFAULT_MESSAGE, DEFAULTED_LABEL, LOUD_WARNING, conversion, webhook,
};
use http::Request;
use kube::api::{PostParams, ResourceExt};
use kube::client::Body;
use kube::{Api, Client};
use kubesmith::envtest::{Environment, InstalledWebhooks, WebhookInstallOptions};
use kubesmith::manager::{BindAddress, Manager, ManagerOptions, TlsFiles};
use kubesmith::webhook::SelfManagedCertificates;
use kubesmith_e2e::admitted::{created_and_defaulted, eventually_converted, greeting};
use rustls_pki_types::pem::PemObject;
use tokio::sync::oneshot;

const CRD: &str = "greetings.demo.kubesmith.dev";

/// A control plane with both Greeting versions, the sample's webhooks installed, and a manager
/// serving them.
struct Served {
    env: Environment,
    installed: InstalledWebhooks,
    client: Client,
    namespace: String,
    metrics: std::net::SocketAddr,
    probes: std::net::SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    manager: tokio::task::JoinHandle<Result<(), kubesmith::manager::Error>>,
}

/// A control plane with both Greeting versions and the sample's webhook configurations (and
/// the CRD's conversion) pointing at a local server.
async fn control_plane() -> (Environment, InstalledWebhooks) {
    let env = Environment::builder()
        .crd(api::crd())
        .start()
        .await
        .expect("no test control plane");
    let installed = env
        .install_webhooks(
            &WebhookInstallOptions::default()
                .webhook(&webhook())
                .conversion(CRD),
        )
        .await
        .expect("install webhooks");
    (env, installed)
}

impl Served {
    async fn start() -> Served {
        let (env, installed) = control_plane().await;
        let client = env.client().expect("client");
        let (metrics, probes) = (free_address(), free_address());
        let options = ManagerOptions {
            metrics_bind_address: BindAddress::Address(metrics),
            metrics_secure: false,
            health_probe_bind_address: BindAddress::Address(probes),
            webhook_server: installed.server_options(),
            ..ManagerOptions::default()
        };
        let mut manager = Manager::new(client.clone(), options).expect("manager");
        manager.add_webhook(webhook()).expect("webhook");
        manager.add_conversion(conversion()).expect("conversion");
        let (stop, stopped) = oneshot::channel::<()>();
        let manager = tokio::spawn(manager.run_until(async move {
            let _ = stopped.await;
        }));
        installed
            .wait_until_reachable()
            .await
            .expect("the webhook server answers");
        let namespace = env.create_namespace("webhooks").await.expect("namespace");
        Served {
            env,
            installed,
            client,
            namespace,
            metrics,
            probes,
            stop: Some(stop),
            manager,
        }
    }

    fn greetings(&self) -> Api<Greeting> {
        Api::namespaced(self.client.clone(), &self.namespace)
    }

    fn greetings_v2(&self) -> Api<v2::Greeting> {
        Api::namespaced(self.client.clone(), &self.namespace)
    }

    async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        (&mut self.manager)
            .await
            .expect("manager task")
            .expect("manager stops cleanly");
        self.env.stop().await;
    }
}

fn free_address() -> std::net::SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("address")
}

/// Creates `body` through a raw request to see the response's `Warning` headers.
async fn create_raw(served: &Served, body: &Greeting) -> (u16, Vec<String>, serde_json::Value) {
    let request = Request::post(format!(
        "/apis/demo.kubesmith.dev/v1/namespaces/{}/greetings",
        served.namespace
    ))
    .header("Content-Type", "application/json")
    .body(Body::from(serde_json::to_vec(body).expect("json")))
    .expect("request");
    let response = served.client.send(request).await.expect("send");
    let warnings = response
        .headers()
        .get_all("warning")
        .iter()
        .filter_map(|value| value.to_str().ok().map(str::to_string))
        .collect();
    let status = response.status().as_u16();
    let bytes = http_body_util::BodyExt::collect(response.into_body())
        .await
        .expect("body")
        .to_bytes();
    (
        status,
        warnings,
        serde_json::from_slice(&bytes).unwrap_or_default(),
    )
}

#[tokio::test]
async fn the_api_server_calls_our_webhooks_and_our_conversion() {
    let served = Served::start().await;
    let greetings = served.greetings();

    // Defaulting: an empty message gets the default and the label; a set one no patch.
    let defaulted = greetings
        .create(&PostParams::default(), &greeting("defaulted", ""))
        .await
        .expect("create with defaults");
    assert_eq!(defaulted.spec.message, DEFAULT_MESSAGE);
    assert_eq!(
        defaulted.labels().get(DEFAULTED_LABEL).map(String::as_str),
        Some("true")
    );
    let untouched = greetings
        .create(&PostParams::default(), &greeting("untouched", "hi"))
        .await
        .expect("create without defaults");
    assert_eq!(untouched.spec.message, "hi");
    assert!(!untouched.labels().contains_key(DEFAULTED_LABEL));

    // Validation: a long message is denied on create and on update, with our message and the
    // field path, through the client's own error.
    let long = "x".repeat(65);
    let denied = greetings
        .create(&PostParams::default(), &greeting("long", &long))
        .await
        .expect_err("a long message is refused");
    let kube::Error::Api(status) = denied else {
        panic!("expected an API error, found {denied:?}");
    };
    assert_eq!(status.code, 422, "{status:?}");
    assert!(
        status
            .message
            .contains("spec.message: Too long: may not be more than 64 bytes"),
        "{status:?}"
    );
    assert!(
        status
            .details
            .as_ref()
            .is_some_and(|d| d.causes.iter().any(|c| c.field == "spec.message")),
        "the field path reaches the client: {status:?}"
    );
    let mut changed = untouched.clone();
    changed.spec.message = long.clone();
    let denied = greetings
        .replace("untouched", &PostParams::default(), &changed)
        .await
        .expect_err("a long message is refused on update");
    assert!(
        matches!(&denied, kube::Error::Api(status) if status.code == 422),
        "{denied:?}"
    );

    // Warnings come back on allowed and on denied requests.
    let (code, warnings, _) = create_raw(&served, &greeting("loud", "hi!")).await;
    assert_eq!(code, 201);
    assert!(
        warnings.iter().any(|w| w.contains(LOUD_WARNING)),
        "{warnings:?}"
    );
    let (code, warnings, body) =
        create_raw(&served, &greeting("loud-and-long", &format!("{long}!"))).await;
    assert_eq!(code, 422, "{body}");
    assert!(
        warnings.iter().any(|w| w.contains(LOUD_WARNING)),
        "{warnings:?}"
    );

    // Conversion: created as v1, read as v2 and back; created as v2, read as v1.
    let as_v2 = eventually_converted(&served.greetings_v2(), "untouched").await;
    assert_eq!(as_v2.spec.text, "hi");
    let mut from_v2 = v2::Greeting::new(
        "from-v2",
        v2::GreetingSpec {
            text: "written as v2".into(),
        },
    );
    from_v2.metadata.namespace = Some(served.namespace.clone());
    served
        .greetings_v2()
        .create(&PostParams::default(), &from_v2)
        .await
        .expect("create as v2");
    let as_v1 = greetings.get("from-v2").await.expect("read as v1");
    assert_eq!(as_v1.spec.message, "written as v2");
    let round_trip = greetings.get("untouched").await.expect("read as v1 again");
    assert_eq!(
        round_trip.spec, untouched.spec,
        "v1 → v2 → v1 keeps the spec"
    );
    let crd: k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition =
        Api::all(served.client.clone()).get(CRD).await.expect("crd");
    assert_eq!(
        crd.status.and_then(|s| s.stored_versions),
        Some(vec!["v1".to_string()]),
        "everything is stored as v1"
    );
    greetings
        .create(&PostParams::default(), &greeting("accented", "héllo"))
        .await
        .expect("v1 allows any text");
    let failed = served
        .greetings_v2()
        .get("accented")
        .await
        .expect_err("v2 cannot express it");
    assert!(
        failed.to_string().contains("v2 greetings are ASCII only"),
        "our conversion message reaches the client: {failed}"
    );

    // Ready: caches synced and the webhook server started.
    let readyz = reqwest_free_get(served.probes, "/readyz").await;
    assert!(
        readyz.starts_with("HTTP/1.0 200") || readyz.starts_with("HTTP/1.1 200"),
        "{readyz}"
    );

    // The metrics count what the webhooks answered.
    let text = reqwest_free_get(served.metrics, "/metrics").await;
    assert!(
        text.contains(
            "controller_runtime_webhook_requests_total{webhook=\"/mutate-demo-kubesmith-dev-v1-greeting\",code=\"200\"}"
        ),
        "{text}"
    );
    assert!(
        text.contains("controller_runtime_webhook_latency_seconds_count{webhook=\"/convert\"}"),
        "{text}"
    );

    served.stop().await;
}

/// GETs `path` from a plain-HTTP server on `address`.
async fn reqwest_free_get(address: std::net::SocketAddr, path: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(address)
        .await
        .expect("connect");
    stream
        .write_all(format!("GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n").as_bytes())
        .await
        .expect("request");
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .await
        .expect("response");
    response
}

/// The certificate the webhook server presents to a new TLS connection.
async fn presented_certificate(address: std::net::SocketAddr) -> Vec<u8> {
    let config = tokio_rustls::rustls::ClientConfig::builder_with_provider(
        kubesmith::server::tls::crypto_provider(),
    )
    .with_safe_default_protocol_versions()
    .expect("versions")
    .dangerous()
    .with_custom_certificate_verifier(Arc::new(AcceptAnything))
    .with_no_client_auth();
    let stream = tokio::net::TcpStream::connect(address)
        .await
        .expect("connect");
    let name = rustls_pki_types::ServerName::try_from("127.0.0.1").expect("name");
    let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(name, stream)
        .await
        .expect("handshake");
    let (_, session) = tls.get_ref();
    session
        .peer_certificates()
        .and_then(|chain| chain.first())
        .map(|certificate| certificate.to_vec())
        .expect("a certificate")
}

/// Accepts any certificate: the test compares what it got, it does not trust it.
#[derive(Debug)]
struct AcceptAnything;

impl tokio_rustls::rustls::client::danger::ServerCertVerifier for AcceptAnything {
    fn verify_server_cert(
        &self,
        _: &rustls_pki_types::CertificateDer<'_>,
        _: &[rustls_pki_types::CertificateDer<'_>],
        _: &rustls_pki_types::ServerName<'_>,
        _: &[u8],
        _: rustls_pki_types::UnixTime,
    ) -> Result<tokio_rustls::rustls::client::danger::ServerCertVerified, tokio_rustls::rustls::Error>
    {
        Ok(tokio_rustls::rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        certificate: &rustls_pki_types::CertificateDer<'_>,
        signature: &tokio_rustls::rustls::DigitallySignedStruct,
    ) -> Result<
        tokio_rustls::rustls::client::danger::HandshakeSignatureValid,
        tokio_rustls::rustls::Error,
    > {
        self.verify_tls13_signature(message, certificate, signature)
    }

    fn verify_tls13_signature(
        &self,
        _: &[u8],
        _: &rustls_pki_types::CertificateDer<'_>,
        _: &tokio_rustls::rustls::DigitallySignedStruct,
    ) -> Result<
        tokio_rustls::rustls::client::danger::HandshakeSignatureValid,
        tokio_rustls::rustls::Error,
    > {
        Ok(tokio_rustls::rustls::client::danger::HandshakeSignatureValid::assertion())
    }

    fn supported_verify_schemes(&self) -> Vec<tokio_rustls::rustls::SignatureScheme> {
        kubesmith::server::tls::crypto_provider()
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[tokio::test]
async fn a_replaced_certificate_is_served_to_new_connections_without_a_restart() {
    let served = Served::start().await;
    let address = served.installed.server_options().address;
    let before = presented_certificate(address).await;
    let files = served.installed.tls_files().clone();
    let on_disk = |path: &std::path::Path| {
        rustls_pki_types::CertificateDer::from_pem_file(path)
            .expect("a certificate on disk")
            .to_vec()
    };
    assert_eq!(before, on_disk(&files.certificate));

    let renewed = kubesmith::server::certificates::issue(
        "renewed-ca",
        &["127.0.0.1".to_string()],
        Duration::from_secs(3600),
    )
    .expect("issue");
    // Key first, then certificate: a half-written pair must not be served.
    std::fs::write(&files.key, &renewed.key_pem).expect("write key");
    std::fs::write(&files.certificate, &renewed.certificate_pem).expect("write certificate");
    let deadline = kubesmith_e2e::machine::deadline(Duration::from_secs(60));
    loop {
        let now = presented_certificate(address).await;
        if now != before {
            assert_eq!(
                now,
                on_disk(&files.certificate),
                "the new certificate is served"
            );
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the server kept the old certificate"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(!served.manager.is_finished(), "no restart");
    served.stop().await;
}

#[tokio::test]
async fn self_managed_certificates_are_issued_injected_and_rotated() {
    let (env, installed) = control_plane().await;
    let (mutating, validating) = installed.configuration_names();
    let certificates = SelfManagedCertificates::new("greeting-webhook-certs", "default")
        .for_hosts(&["127.0.0.1"])
        .mutating_configuration(&mutating[0])
        .validating_configuration(&validating[0])
        .conversion_crd(CRD)
        .check_interval(Duration::from_millis(300));
    // No certificate files: the operator makes its own.
    let empty = tempfile::tempdir().expect("dir");
    let mut server = installed.server_options();
    server.tls = TlsFiles {
        certificate: empty.path().join("tls.crt"),
        key: empty.path().join("tls.key"),
    };
    let address = server.address;
    let client = env.client().expect("client");
    let options = ManagerOptions {
        metrics_bind_address: BindAddress::Disabled,
        health_probe_bind_address: BindAddress::Disabled,
        webhook_server: server,
        self_managed_certificates: Some(certificates.clone()),
        ..ManagerOptions::default()
    };
    let mut manager = Manager::new(client.clone(), options).expect("manager");
    manager.add_webhook(webhook()).expect("webhook");
    manager.add_conversion(conversion()).expect("conversion");
    let (stop, stopped) = oneshot::channel::<()>();
    let running = tokio::spawn(manager.run_until(async move {
        let _ = stopped.await;
    }));
    let namespace = env
        .create_namespace("self-managed")
        .await
        .expect("namespace");
    let greetings: Api<Greeting> = Api::namespaced(client.clone(), &namespace);

    let first = created_and_defaulted(&greetings, "first").await;
    assert_eq!(first.spec.message, DEFAULT_MESSAGE);
    let served_before = presented_certificate(address).await;
    assert_ne!(
        served_before,
        rustls_pki_types::CertificateDer::from_pem_file(installed.tls_files().certificate.clone())
            .expect("envtest's certificate")
            .to_vec(),
        "the operator serves its own certificate, not envtest's"
    );

    certificates.rotate(&client).await.expect("rotate");
    let deadline = kubesmith_e2e::machine::deadline(Duration::from_secs(60));
    while presented_certificate(address).await == served_before {
        assert!(
            Instant::now() < deadline,
            "the rotated certificate was not served"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let second = created_and_defaulted(&greetings, "second").await;
    assert_eq!(second.spec.message, DEFAULT_MESSAGE);
    let as_v2: Api<v2::Greeting> = Api::namespaced(client.clone(), &namespace);
    assert_eq!(
        eventually_converted(&as_v2, "second").await.spec.text,
        DEFAULT_MESSAGE,
        "conversion keeps working after the rotation"
    );

    let _ = stop.send(());
    running
        .await
        .expect("manager task")
        .expect("manager stops cleanly");
    env.stop().await;
}

#[tokio::test]
async fn a_manager_without_its_webhook_certificate_fails_to_start_and_says_why() {
    let config = kube::Config::new("https://127.0.0.1:1".parse().expect("url"));
    let client = Client::try_from(config).expect("client");
    let missing = tempfile::tempdir().expect("dir");
    let server = kubesmith::webhook::WebhookServerOptions {
        address: free_address(),
        tls: TlsFiles {
            certificate: missing.path().join("tls.crt"),
            key: missing.path().join("tls.key"),
        },
        ..Default::default()
    };
    let options = ManagerOptions {
        metrics_bind_address: BindAddress::Disabled,
        health_probe_bind_address: BindAddress::Disabled,
        webhook_server: server,
        ..ManagerOptions::default()
    };
    let mut manager = Manager::new(client, options).expect("manager");
    manager.add_webhook(webhook()).expect("webhook");
    let error = tokio::time::timeout(
        Duration::from_secs(10),
        manager.run_until(std::future::pending()),
    )
    .await
    .expect("fails at once")
    .expect_err("no certificate, no server");
    let message = error.to_string();
    assert!(
        message.contains("webhook server TLS") && message.contains("tls.crt"),
        "{message}"
    );
}
