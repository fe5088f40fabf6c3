//! Bad input never breaks the webhook server: over a thousand generated malformed requests —
//! not JSON, wrong kind or version, no request or uid, an unknown operation, an object of the
//! wrong shape, oversized, wrong content type or method, truncated bodies, bodies that stall —
//! each get a 4xx (or, inside a well-formed review, a refusal with a 4xx code) within a bound,
//! and valid requests keep being answered in between. No panics, no hangs.

use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::core::v1::ConfigMap;
use kubesmith::metrics::Metrics;
use kubesmith::server::certwatcher::CertWatcher;
use kubesmith::server::tls::TlsFiles;
use kubesmith::webhook::{
    AdmissionContext, Defaulter, Validator, Warnings, Webhook, WebhookError, WebhookServer,
};
use rustls_pki_types::pem::PemObject;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

const MUTATE: &str = "/mutate--v1-configmap";
const VALIDATE: &str = "/validate--v1-configmap";
/// How long the server waits for a body in this test.
const READ_TIMEOUT: Duration = Duration::from_millis(300);
/// How long any request may take to be answered.
const ANSWER_WITHIN: Duration = Duration::from_secs(5);

struct Mode;

impl Defaulter<ConfigMap> for Mode {
    async fn default(&self, cm: &mut ConfigMap, _: &AdmissionContext) -> Result<(), WebhookError> {
        cm.data
            .get_or_insert_with(Default::default)
            .entry("mode".into())
            .or_insert_with(|| "fast".into());
        Ok(())
    }
}

struct Anything;

impl Validator<ConfigMap> for Anything {
    async fn validate_create(
        &self,
        _: &ConfigMap,
        _: &AdmissionContext,
    ) -> Result<Warnings, WebhookError> {
        Ok(Warnings::new())
    }
}

/// A small deterministic generator (xorshift), seeded per run and printed on failure.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

fn review(request: serde_json::Value) -> serde_json::Value {
    serde_json::json!({
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": request,
    })
}

fn valid_request(uid: &str, operation: &str, object: serde_json::Value) -> serde_json::Value {
    serde_json::json!({
        "uid": uid,
        "kind": {"group": "", "version": "v1", "kind": "ConfigMap"},
        "resource": {"group": "", "version": "v1", "resource": "configmaps"},
        "name": "cm",
        "namespace": "default",
        "operation": operation,
        "userInfo": {"username": "fuzzer"},
        "object": object,
    })
}

fn config_map() -> serde_json::Value {
    serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm"}, "data": {"a": "b"}})
}

/// One malformed request: how to send it, and a description for failures.
enum Bad {
    /// A complete request with this content type, method and body.
    Request {
        method: &'static str,
        content_type: &'static str,
        body: Vec<u8>,
    },
    /// A body announced longer than it is, then the write side closed.
    Truncated(Vec<u8>),
    /// A body announced, partly sent, then nothing more.
    Stalled(Vec<u8>),
    /// A Content-Length over the limit, body never sent.
    Oversized,
}

fn generate(random: &mut Random, case: usize) -> (String, Bad) {
    let json = |value: serde_json::Value| serde_json::to_vec(&value).expect("json");
    let post = |body: Vec<u8>| Bad::Request {
        method: "POST",
        content_type: "application/json",
        body,
    };
    let uid = format!("u{case}");
    match random.below(12) {
        0 => {
            let length = random.below(512);
            ("not JSON".into(), post(random.bytes(length)))
        }
        1 => {
            let values = [
                serde_json::json!(null),
                serde_json::json!(42),
                serde_json::json!("review"),
                serde_json::json!([1, 2, 3]),
                serde_json::json!({"a": {"b": []}}),
            ];
            let value = values[random.below(values.len())].clone();
            (
                format!("JSON that is no review: {value}"),
                post(json(value)),
            )
        }
        2 => {
            let mut wrong = review(valid_request(&uid, "CREATE", config_map()));
            let (field, value) = [
                ("apiVersion", "admission.k8s.io/v1beta1"),
                ("apiVersion", "v1"),
                ("kind", "ConversionReview"),
                ("kind", "Pod"),
            ][random.below(4)];
            wrong[field] = value.into();
            (format!("{field} {value}"), post(json(wrong)))
        }
        3 => {
            let mut missing = review(valid_request(&uid, "CREATE", config_map()));
            missing.as_object_mut().expect("object").remove("request");
            ("no request".into(), post(json(missing)))
        }
        4 => {
            let mut request = valid_request(&uid, "CREATE", config_map());
            if random.below(2) == 0 {
                request.as_object_mut().expect("object").remove("uid");
            } else {
                request["uid"] = "".into();
            }
            ("no uid".into(), post(json(review(request))))
        }
        5 => {
            let operation = ["DESTROY", "create", "", "PATCH"][random.below(4)];
            (
                format!("operation {operation:?}"),
                post(json(review(valid_request(&uid, operation, config_map())))),
            )
        }
        6 => {
            let objects = [
                serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm"}, "data": 7}),
                serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": "cm"}),
                serde_json::json!([1]),
                serde_json::json!("configmap"),
            ];
            let object = objects[random.below(objects.len())].clone();
            (
                format!("object {object}"),
                post(json(review(valid_request(&uid, "CREATE", object)))),
            )
        }
        7 => {
            let content_type =
                ["text/plain", "", "application/yaml", "application/jsonx"][random.below(4)];
            (
                format!("content type {content_type:?}"),
                Bad::Request {
                    method: "POST",
                    content_type,
                    body: json(review(valid_request(&uid, "CREATE", config_map()))),
                },
            )
        }
        8 => {
            let method = ["GET", "PUT", "DELETE", "PATCH"][random.below(4)];
            (
                format!("method {method}"),
                Bad::Request {
                    method,
                    content_type: "application/json",
                    body: json(review(valid_request(&uid, "CREATE", config_map()))),
                },
            )
        }
        9 => {
            let full = json(review(valid_request(&uid, "CREATE", config_map())));
            let cut = random.below(full.len() - 1) + 1;
            (format!("JSON cut at {cut}"), post(full[..cut].to_vec()))
        }
        10 => {
            let full = json(review(valid_request(&uid, "UPDATE", config_map())));
            let cut = random.below(full.len() - 1);
            (
                format!("body truncated at {cut}"),
                Bad::Truncated(full[..cut].to_vec()),
            )
        }
        _ => {
            if random.below(8) == 0 {
                ("stalled body".into(), Bad::Stalled(random.bytes(64)))
            } else {
                ("oversized body".into(), Bad::Oversized)
            }
        }
    }
}

/// Sends `bad`; returns the HTTP status and the body of the answer.
async fn send(
    connector: &TlsConnector,
    address: std::net::SocketAddr,
    path: &str,
    bad: &Bad,
) -> (u16, Vec<u8>) {
    let stream = TcpStream::connect(address).await.expect("connect");
    let name = rustls_pki_types::ServerName::try_from("127.0.0.1").expect("name");
    let mut tls = connector.connect(name, stream).await.expect("handshake");
    let head = |method: &str, content_type: &str, length: usize| {
        let content_type = if content_type.is_empty() {
            String::new()
        } else {
            format!("Content-Type: {content_type}\r\n")
        };
        format!(
            "{method} {path} HTTP/1.1\r\nHost: webhook\r\n{content_type}Content-Length: {length}\r\nConnection: close\r\n\r\n"
        )
    };
    match bad {
        Bad::Request {
            method,
            content_type,
            body,
        } => {
            tls.write_all(head(method, content_type, body.len()).as_bytes())
                .await
                .expect("write");
            tls.write_all(body).await.expect("write");
        }
        Bad::Truncated(body) => {
            tls.write_all(head("POST", "application/json", body.len() + 100).as_bytes())
                .await
                .expect("write");
            tls.write_all(body).await.expect("write");
            tls.shutdown().await.expect("half-close");
        }
        Bad::Stalled(body) => {
            tls.write_all(head("POST", "application/json", body.len() * 4).as_bytes())
                .await
                .expect("write");
            tls.write_all(body).await.expect("write");
            tls.flush().await.expect("flush");
        }
        Bad::Oversized => {
            tls.write_all(
                head(
                    "POST",
                    "application/json",
                    kubesmith::webhook::MAX_REQUEST_BODY_BYTES + 1,
                )
                .as_bytes(),
            )
            .await
            .expect("write");
        }
    }
    tls.flush().await.expect("flush");
    let mut answer = Vec::new();
    let _ = tls.read_to_end(&mut answer).await;
    let text = String::from_utf8_lossy(&answer);
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    let body = match answer.windows(4).position(|w| w == b"\r\n\r\n") {
        Some(at) => answer[at + 4..].to_vec(),
        None => Vec::new(),
    };
    (status, body)
}

async fn serve() -> (std::net::SocketAddr, TlsConnector, tempfile::TempDir) {
    let issued = kubesmith::server::certificates::issue(
        "input-ca",
        &["127.0.0.1".to_string()],
        Duration::from_secs(3600),
    )
    .expect("certificate");
    let dir = tempfile::tempdir().expect("dir");
    let files = TlsFiles {
        certificate: dir.path().join("tls.crt"),
        key: dir.path().join("tls.key"),
    };
    std::fs::write(&files.certificate, &issued.certificate_pem).expect("write");
    std::fs::write(&files.key, &issued.key_pem).expect("write");
    let certificates = CertWatcher::new(files).expect("watcher");
    let acceptor =
        kubesmith::server::tls::acceptor_with_resolver(certificates, false).expect("acceptor");
    let config = kube::Config::new("https://127.0.0.1:1".parse().expect("url"));
    let client = kube::Client::try_from(config).expect("client");
    let mut server = WebhookServer::new(client, Metrics::new());
    server
        .add_webhook(
            Webhook::<ConfigMap>::new()
                .defaulter(Mode)
                .validator(Anything),
        )
        .expect("webhook");
    server.set_read_timeout(READ_TIMEOUT);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(server.serve(listener, acceptor, false, std::future::pending()));

    let mut roots = tokio_rustls::rustls::RootCertStore::empty();
    for certificate in rustls_pki_types::CertificateDer::pem_slice_iter(issued.ca_pem.as_bytes()) {
        roots.add(certificate.expect("ca")).expect("root");
    }
    let client = tokio_rustls::rustls::ClientConfig::builder_with_provider(
        kubesmith::server::tls::crypto_provider(),
    )
    .with_safe_default_protocol_versions()
    .expect("versions")
    .with_root_certificates(roots)
    .with_no_client_auth();
    (address, TlsConnector::from(Arc::new(client)), dir)
}

/// Whether an answer refuses the request: an HTTP 4xx, or a review whose status code is 4xx.
fn refused(status: u16, body: &[u8]) -> bool {
    if (400..500).contains(&status) {
        return true;
    }
    let review: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    status == 200
        && review["response"]["allowed"] == false
        && review["response"]["status"]["code"]
            .as_u64()
            .is_some_and(|code| (400..500).contains(&code))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_malformed_requests_are_refused_and_valid_ones_keep_working() {
    let (address, connector, _dir) = serve().await;
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_nanos() as u64 | 1)
        .unwrap_or(0x9e37_79b9_7f4a_7c15);
    let mut random = Random(seed);
    let valid = Bad::Request {
        method: "POST",
        content_type: "application/json",
        body: serde_json::to_vec(&review(valid_request("ok", "CREATE", config_map())))
            .expect("json"),
    };
    let mut kinds = std::collections::BTreeMap::new();
    for case in 0..1200 {
        let (what, bad) = generate(&mut random, case);
        let path = if case % 2 == 0 { MUTATE } else { VALIDATE };
        let answered =
            tokio::time::timeout(ANSWER_WITHIN, send(&connector, address, path, &bad)).await;
        let (status, body) = answered.unwrap_or_else(|_| {
            panic!("seed {seed}: case {case} ({what}) got no answer within {ANSWER_WITHIN:?}")
        });
        assert!(
            refused(status, &body),
            "seed {seed}: case {case} ({what}) was answered {status}: {}",
            String::from_utf8_lossy(&body)
        );
        *kinds
            .entry(what.split(' ').next().unwrap_or_default().to_string())
            .or_insert(0) += 1;
        if case % 10 == 0 {
            let (status, body) =
                tokio::time::timeout(ANSWER_WITHIN, send(&connector, address, path, &valid))
                    .await
                    .unwrap_or_else(|_| {
                        panic!("seed {seed}: a valid request after case {case} hung")
                    });
            let answer: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
            assert_eq!(
                (status, answer["response"]["allowed"].clone()),
                (200, serde_json::Value::Bool(true)),
                "seed {seed}: a valid request after case {case} failed"
            );
        }
    }
    assert!(
        kinds.len() >= 10,
        "every kind of bad input was generated: {kinds:?}"
    );
}
