//! [`WebhookServer`]: admission and conversion webhooks over HTTPS — routes by path, checks
//! what arrives (method, `Content-Type: application/json`, a 7 MiB body read within a timeout,
//! a well-formed v1 review), answers panics of user code with 500 and keeps serving, and counts
//! every request in controller-runtime's webhook metrics.

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::FutureExt;
use http_body_util::{BodyExt, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{CONTENT_LENGTH, CONTENT_TYPE, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use kube::Client;
use kube::core::DynamicObject;
use kube::core::admission::{AdmissionRequest, AdmissionResponse, AdmissionReview};
use kube::core::conversion::{ConversionRequest, ConversionResponse, ConversionReview};
use serde::Serialize;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

use super::admission::{AdmissionHandler, Admitted};
use super::builder::Webhook;
use super::configuration::{AdmissionWebhooks, CONVERT_PATH};
use super::conversion::{Conversion, ConversionHandler};
use crate::Kind;
use crate::metrics::{Metrics, WebhookMetrics};
use crate::server::http::{Body, Handler};
use crate::server::tls::{DEFAULT_CERT_NAME, DEFAULT_KEY_NAME, TlsFiles};

/// Default port of the webhook server.
pub const DEFAULT_WEBHOOK_PORT: u16 = 9443;
/// The largest request body the server reads (the API server sends at most this much).
pub const MAX_REQUEST_BODY_BYTES: usize = 7 * 1024 * 1024;
/// Default of how long a client may take to send a request body.
pub const DEFAULT_WEBHOOK_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// The admission review version the server speaks.
const ADMISSION_API_VERSION: &str = "admission.k8s.io/v1";
/// The conversion review version the server speaks.
const CONVERSION_API_VERSION: &str = "apiextensions.k8s.io/v1";

/// The default certificate directory: `$TMPDIR/k8s-webhook-server/serving-certs`, as
/// controller-runtime's.
pub fn default_cert_dir() -> PathBuf {
    std::env::temp_dir().join("k8s-webhook-server/serving-certs")
}

/// Why webhooks could not be registered.
#[derive(Debug, thiserror::Error)]
pub enum RegistrationError {
    /// Two webhooks want the same path.
    #[error("a webhook is already registered at {0}; each Kind and version has one of each")]
    DuplicatePath(String),
    /// A second hub for one Kind.
    #[error(
        "{crd} already converts through a hub; expected exactly one hub per Kind, found a second"
    )]
    SecondHub {
        /// The CRD.
        crd: String,
    },
    /// A conversion lists a type that is not a version of its Kind.
    #[error("conversion of {crd}: {problem}")]
    NotAVersion {
        /// The CRD.
        crd: String,
        /// What is wrong.
        problem: String,
    },
}

/// How the webhook server runs. [`Default`] gives controller-runtime's defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookServerOptions {
    /// Where to listen (default `0.0.0.0:9443`).
    pub address: SocketAddr,
    /// The serving certificate and key (default `tls.crt`/`tls.key` in [`default_cert_dir`]).
    pub tls: TlsFiles,
    /// Offer HTTP/2 (default `false`).
    pub http2: bool,
    /// How long a client may take to send a body (default 10 s).
    pub read_timeout: Duration,
}

impl Default for WebhookServerOptions {
    fn default() -> Self {
        let dir = default_cert_dir();
        WebhookServerOptions {
            address: SocketAddr::from(([0, 0, 0, 0], DEFAULT_WEBHOOK_PORT)),
            tls: TlsFiles {
                certificate: dir.join(DEFAULT_CERT_NAME),
                key: dir.join(DEFAULT_KEY_NAME),
            },
            http2: false,
            read_timeout: DEFAULT_WEBHOOK_READ_TIMEOUT,
        }
    }
}

enum Route {
    Admission(AdmissionHandler),
    Conversion,
}

/// The webhooks of an operator and the HTTPS server that answers them. The manager runs one
/// ([`Manager::add_webhook`](crate::manager::Manager::add_webhook)); it also runs on its own.
pub struct WebhookServer {
    client: Client,
    metrics: Metrics,
    routes: HashMap<String, (Route, WebhookMetrics)>,
    /// Conversions by the group and Kind of the objects they convert.
    conversions: HashMap<(String, String), ConversionHandler>,
    /// The admission webhooks registered, as data (where a cluster is pointed for them).
    declared: Vec<AdmissionWebhooks>,
    /// The CRDs of the conversions registered.
    converted: Vec<String>,
    read_timeout: Duration,
}

impl WebhookServer {
    /// A server with no webhooks; handlers get `client`, requests are counted in `metrics`.
    pub fn new(client: Client, metrics: Metrics) -> Self {
        WebhookServer {
            client,
            metrics,
            routes: HashMap::new(),
            conversions: HashMap::new(),
            declared: Vec::new(),
            converted: Vec::new(),
            read_timeout: DEFAULT_WEBHOOK_READ_TIMEOUT,
        }
    }

    /// How long a client may take to send a request body.
    pub fn set_read_timeout(&mut self, timeout: Duration) {
        self.read_timeout = timeout;
    }

    /// Serves the admission webhooks of `webhook` at their paths.
    pub fn add_webhook<K: Kind + Serialize>(
        &mut self,
        webhook: Webhook<K>,
    ) -> Result<(), RegistrationError> {
        let declared = webhook.manifest();
        let routes = webhook.into_routes();
        if let Some((path, _)) = routes
            .iter()
            .find(|(path, _)| self.routes.contains_key(path))
        {
            return Err(RegistrationError::DuplicatePath(path.clone()));
        }
        self.declared.push(declared);
        for (path, handler) in routes {
            let metrics = self.metrics.webhook(&path);
            self.routes
                .insert(path, (Route::Admission(handler), metrics));
        }
        Ok(())
    }

    /// Serves `conversion` at [`CONVERT_PATH`]; one hub per Kind.
    pub fn add_conversion<H>(&mut self, conversion: Conversion<H>) -> Result<(), RegistrationError>
    where
        H: Kind + Serialize + serde::de::DeserializeOwned,
    {
        let crd = conversion.crd_name();
        if let Some(problem) = conversion.problems().first() {
            return Err(RegistrationError::NotAVersion {
                crd,
                problem: problem.clone(),
            });
        }
        let key = (H::group(&()).into_owned(), H::kind(&()).into_owned());
        if self.conversions.contains_key(&key) {
            return Err(RegistrationError::SecondHub { crd });
        }
        self.conversions.insert(key, conversion.into_handler());
        self.converted.push(crd);
        if !self.routes.contains_key(CONVERT_PATH) {
            let metrics = self.metrics.webhook(CONVERT_PATH);
            self.routes
                .insert(CONVERT_PATH.to_string(), (Route::Conversion, metrics));
        }
        Ok(())
    }

    /// Whether any webhook is registered (a manager without webhooks runs no server).
    pub fn is_empty(&self) -> bool {
        self.routes.is_empty()
    }

    /// The admission webhooks registered, as data.
    pub fn webhooks(&self) -> &[AdmissionWebhooks] {
        &self.declared
    }

    /// The CRDs whose conversions are registered (`<plural>.<group>`).
    pub fn converted_crds(&self) -> &[String] {
        &self.converted
    }

    /// The paths served.
    pub fn paths(&self) -> Vec<String> {
        let mut paths: Vec<String> = self.routes.keys().cloned().collect();
        paths.sort();
        paths
    }

    /// Answers requests on `listener` with TLS from `tls` until `shutdown` completes.
    pub fn serve(
        self,
        listener: TcpListener,
        tls: TlsAcceptor,
        http2: bool,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> impl Future<Output = ()> + Send + 'static {
        let server = Arc::new(self);
        let handler: Handler = Arc::new(move |request| {
            let server = Arc::clone(&server);
            async move { server.answer(request).await }.boxed()
        });
        crate::server::http::serve(listener, Some(tls), http2, handler, shutdown)
    }

    async fn answer(&self, request: Request<Incoming>) -> Response<Body> {
        let Some((route, metrics)) = self.routes.get(request.uri().path()) else {
            return failure(StatusCode::NOT_FOUND, "no webhook is served at this path");
        };
        metrics.started();
        let started = Instant::now();
        let response = match self.read(request).await {
            Ok(body) => self.dispatch(route, &body).await,
            Err(refused) => refused,
        };
        metrics.answered(response.status().as_u16(), started.elapsed());
        response
    }

    /// The body of a well-formed request, or the response refusing it.
    async fn read(&self, request: Request<Incoming>) -> Result<Bytes, Response<Body>> {
        if request.method() != Method::POST {
            return Err(failure(
                StatusCode::METHOD_NOT_ALLOWED,
                "webhooks answer POST requests only",
            ));
        }
        let headers = request.headers();
        if !is_json(headers.get(CONTENT_TYPE)) {
            return Err(failure(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "expected Content-Type: application/json",
            ));
        }
        let declared = headers
            .get(CONTENT_LENGTH)
            .and_then(|length| length.to_str().ok()?.parse::<usize>().ok());
        if declared.is_some_and(|length| length > MAX_REQUEST_BODY_BYTES) {
            return Err(too_large());
        }
        let limited = Limited::new(request.into_body(), MAX_REQUEST_BODY_BYTES);
        match tokio::time::timeout(self.read_timeout, limited.collect()).await {
            Err(_) => Err(failure(
                StatusCode::REQUEST_TIMEOUT,
                "the request body did not arrive in time",
            )),
            Ok(Err(error)) if error.is::<http_body_util::LengthLimitError>() => Err(too_large()),
            Ok(Err(error)) => Err(failure(
                StatusCode::BAD_REQUEST,
                &format!("reading the request body failed: {error}"),
            )),
            Ok(Ok(collected)) => Ok(collected.to_bytes()),
        }
    }

    async fn dispatch(&self, route: &Route, body: &[u8]) -> Response<Body> {
        let answered = match route {
            Route::Admission(handler) => {
                let request = match admission_request(body) {
                    Ok(request) => request,
                    Err(message) => return invalid_admission(&message),
                };
                match handler(request, self.client.clone()).await {
                    Admitted::Response(response) => {
                        Ok(json(StatusCode::OK, &AdmissionAnswer::of(&response)))
                    }
                    Admitted::Panicked(message) => Err(message),
                }
            }
            Route::Conversion => {
                let request = match conversion_request(body) {
                    Ok(request) => request,
                    Err(message) => return invalid_conversion(&message),
                };
                let convert = AssertUnwindSafe(|| self.convert(request));
                std::panic::catch_unwind(convert)
                    .map(|response| json(StatusCode::OK, &response.into_review()))
                    .map_err(|panic| {
                        panic
                            .downcast_ref::<&str>()
                            .map(|s| s.to_string())
                            .or_else(|| panic.downcast_ref::<String>().cloned())
                            .unwrap_or_else(|| "a non-string payload".into())
                    })
            }
        };
        answered.unwrap_or_else(|message| {
            tracing::error!(panic = %message, "a webhook panicked; answering 500");
            failure(StatusCode::INTERNAL_SERVER_ERROR, "the webhook failed")
        })
    }

    fn convert(&self, request: ConversionRequest) -> ConversionResponse {
        let kind_of = |object: &serde_json::Value| {
            let group = object
                .get("apiVersion")
                .and_then(|v| v.as_str())
                .and_then(|v| v.rsplit_once('/'))
                .map(|(group, _)| group.to_string())
                .unwrap_or_default();
            let kind = object
                .get("kind")
                .and_then(|k| k.as_str())
                .unwrap_or_default()
                .to_string();
            (group, kind)
        };
        let Some(first) = request.objects.first() else {
            return ConversionResponse::for_request(request).success(Vec::new());
        };
        let key = kind_of(first);
        match self.conversions.get(&key) {
            Some(handler) if request.objects.iter().all(|o| kind_of(o) == key) => {
                handler.review(request)
            }
            _ => {
                let mut status = kube::core::Status::failure(
                    &format!("no conversion is registered for {} {}", key.0, key.1),
                    "BadRequest",
                );
                status.code = 400;
                ConversionResponse::for_request(request).failure(status)
            }
        }
    }
}

/// An admission response on the wire: like kube's `AdmissionReview`, with the patch as the
/// base64 string Kubernetes' own encoding produces (serde would write a byte array).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AdmissionAnswer<'a> {
    api_version: &'static str,
    kind: &'static str,
    response: AnsweredResponse<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AnsweredResponse<'a> {
    uid: &'a str,
    allowed: bool,
    status: &'a kube::core::Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    patch: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    patch_type: Option<&'static str>,
    #[serde(skip_serializing_if = "HashMap::is_empty")]
    audit_annotations: &'a HashMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    warnings: Option<&'a Vec<String>>,
}

impl<'a> AdmissionAnswer<'a> {
    fn of(response: &'a AdmissionResponse) -> Self {
        use base64::Engine;
        let patch = response
            .patch
            .as_ref()
            .map(|patch| base64::engine::general_purpose::STANDARD.encode(patch));
        AdmissionAnswer {
            api_version: ADMISSION_API_VERSION,
            kind: "AdmissionReview",
            response: AnsweredResponse {
                uid: &response.uid,
                allowed: response.allowed,
                status: &response.result,
                patch_type: patch.as_ref().map(|_| "JSONPatch"),
                patch,
                audit_annotations: &response.audit_annotations,
                warnings: response.warnings.as_ref(),
            },
        }
    }
}

/// Whether `content_type` is `application/json` (parameters allowed).
fn is_json(content_type: Option<&HeaderValue>) -> bool {
    content_type
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"))
}

fn admission_request(body: &[u8]) -> Result<AdmissionRequest<DynamicObject>, String> {
    let review: AdmissionReview<DynamicObject> = serde_json::from_slice(body)
        .map_err(|error| format!("expected an AdmissionReview: {error}"))?;
    if review.types.api_version != ADMISSION_API_VERSION || review.types.kind != "AdmissionReview" {
        return Err(format!(
            "expected apiVersion {ADMISSION_API_VERSION} kind AdmissionReview, found {} {}",
            review.types.api_version, review.types.kind
        ));
    }
    let request: AdmissionRequest<DynamicObject> = review
        .try_into()
        .map_err(|_| "the AdmissionReview carries no request".to_string())?;
    if request.uid.is_empty() {
        return Err("the AdmissionReview request has no uid".into());
    }
    Ok(request)
}

fn conversion_request(body: &[u8]) -> Result<ConversionRequest, String> {
    let review: ConversionReview = serde_json::from_slice(body)
        .map_err(|error| format!("expected a ConversionReview: {error}"))?;
    if review.types.api_version != CONVERSION_API_VERSION || review.types.kind != "ConversionReview"
    {
        return Err(format!(
            "expected apiVersion {CONVERSION_API_VERSION} kind ConversionReview, found {} {}",
            review.types.api_version, review.types.kind
        ));
    }
    let request = ConversionRequest::from_review(review)
        .map_err(|_| "the ConversionReview carries no request".to_string())?;
    if request.uid.is_empty() {
        return Err("the ConversionReview request has no uid".into());
    }
    Ok(request)
}

fn invalid_admission(message: &str) -> Response<Body> {
    json(
        StatusCode::BAD_REQUEST,
        &AdmissionResponse::invalid(message).into_review(),
    )
}

fn invalid_conversion(message: &str) -> Response<Body> {
    let mut status = kube::core::Status::failure(message, "BadRequest");
    status.code = 400;
    json(
        StatusCode::BAD_REQUEST,
        &ConversionResponse::invalid(status).into_review(),
    )
}

fn too_large() -> Response<Body> {
    failure(
        StatusCode::PAYLOAD_TOO_LARGE,
        &format!("the request body exceeds {MAX_REQUEST_BODY_BYTES} bytes"),
    )
}

fn failure(status: StatusCode, message: &str) -> Response<Body> {
    crate::server::http::text(status, message.to_string())
}

fn json(status: StatusCode, value: &impl Serialize) -> Response<Body> {
    match serde_json::to_vec(value) {
        Ok(bytes) => {
            let mut response = Response::new(Body::new(Bytes::from(bytes)));
            *response.status_mut() = status;
            response
                .headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            response
        }
        Err(error) => failure(
            StatusCode::INTERNAL_SERVER_ERROR,
            &format!("encoding the response failed: {error}"),
        ),
    }
}
