//! Admission and conversion webhooks, served by the manager.
//!
//! - Admission per Kind: a [`Defaulter`] (mutating webhook: the response is a JSON patch from
//!   the object as received to the object as defaulted) and a [`Validator`] (validating
//!   webhook: create, update, delete, each with warnings or a denial), declared together as a
//!   [`Webhook`] and registered with one line:
//!   `manager.add_webhook(Webhook::<CronJob>::new().defaulter(d).validator(v))`.
//! - Conversion per Kind through a hub version with `From`/`TryFrom` between the version types:
//!   [`Conversion`], registered with `manager.add_conversion(Conversion::<v2::CronJob>::hub().spoke::<v1::CronJob>())`.
//! - The paths are derived in one place ([`AdmissionWebhooks`], [`CONVERT_PATH`]) for the
//!   server, `make manifests` and envtest: `/mutate-<group, dots as dashes>-<version>-<kind>`,
//!   `/validate-…`, `/convert`.
//! - [`WebhookServer`]: HTTPS on port 9443 with the certificate in
//!   `$TMPDIR/k8s-webhook-server/serving-certs` (`--webhook-cert-path/-name/-key`), reloaded
//!   when the files change; HTTP/1.1 unless `--enable-http2`; `Content-Type: application/json`,
//!   7 MiB bodies read within a timeout; a panic in user code answers 500; metrics
//!   `controller_runtime_webhook_requests_total`, `..._latency_seconds`,
//!   `..._requests_in_flight`.
//! - Certificates: cert-manager's (the scaffold's default), or — opt-in — the operator's own
//!   ([`SelfManagedCertificates`]): issued, stored in a Secret, injected into the webhook
//!   configurations and CRD conversions, and rotated before they expire.
//! - During development ([`LocalWebhooks`], `--webhook-local`, what `make run` turns on): a
//!   manager outside the cluster serves its webhooks with a development CA and points the
//!   cluster's webhook configurations and CRD conversions at itself until it stops.
//! - Denials: any error denies with its message (403); an error carrying an API status is
//!   returned as that status; [`WebhookError::invalid`] answers 422 `Invalid` with field paths
//!   ([`FieldError`]), as the API server's own validation does.

mod admission;
mod builder;
mod certificates;
mod configuration;
mod conversion;
mod error;
mod local;
mod server;
mod settings;

pub use admission::{AdmissionContext, Defaulter, Validator, Warnings};
pub use builder::Webhook;
pub use certificates::{
    CertificateError, DEFAULT_CERTIFICATE_CHECK_INTERVAL, DEFAULT_CERTIFICATE_VALIDITY,
    SelfManagedCertificates,
};
pub use configuration::{
    AdmissionWebhooks, CONVERT_PATH, ClientConfig, MUTATING_CONFIGURATION,
    VALIDATING_CONFIGURATION, WEBHOOK_SERVICE, WEBHOOK_SERVICE_NAMESPACE, configurations,
};
#[cfg(feature = "envtest")]
pub(crate) use configuration::{WebhookConfiguration, served_path};
pub use conversion::Conversion;
pub use error::{FieldError, WebhookError};
pub use local::{LOCAL_WEBHOOKS_ANNOTATION, LocalWebhookError, LocalWebhooks};
pub(crate) use local::{LocalServer, Redirection, Served, local_configuration_name};
pub use server::{
    DEFAULT_WEBHOOK_PORT, DEFAULT_WEBHOOK_READ_TIMEOUT, MAX_REQUEST_BODY_BYTES, RegistrationError,
    WebhookServer, WebhookServerOptions, default_cert_dir,
};
pub use settings::{AdmissionSettings, FailurePolicy, MAX_WEBHOOK_TIMEOUT};
