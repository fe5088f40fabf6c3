//! `book/src/reference/webhooks.md`: the webhook API (every public function of the webhook
//! builders, server, certificates and local serving, the server options, the manager's webhook
//! flags), its defaults, and the
//! configurations `make manifests` writes, generated here.

use std::fmt::Write as _;

use kubesmith::manager::ManagerFlags;
use kubesmith::manifests::Manifests;
use kubesmith::server::certwatcher::CERT_RELOAD_INTERVAL;
use kubesmith::server::tls::{DEFAULT_CERT_NAME, DEFAULT_KEY_NAME};
use kubesmith::webhook::{
    AdmissionWebhooks, CONVERT_PATH, ClientConfig, DEFAULT_CERTIFICATE_CHECK_INTERVAL,
    DEFAULT_CERTIFICATE_VALIDITY, DEFAULT_WEBHOOK_PORT, DEFAULT_WEBHOOK_READ_TIMEOUT,
    MAX_REQUEST_BODY_BYTES, MUTATING_CONFIGURATION, VALIDATING_CONFIGURATION, WEBHOOK_SERVICE,
    WEBHOOK_SERVICE_NAMESPACE, WebhookServerOptions, default_cert_dir,
};

use super::api::CronJob;
use super::{
    assert_on_page, check_generated, duration, fenced, public_consts, public_fields, public_fns,
};

const PAGE: &str = "webhooks.md";

/// The files whose public functions and constants the page documents.
const SOURCES: &[&str] = &[
    "sdk/src/webhook/builder.rs",
    "sdk/src/webhook/configuration.rs",
    "sdk/src/webhook/conversion.rs",
    "sdk/src/webhook/server.rs",
    "sdk/src/webhook/certificates.rs",
    "sdk/src/webhook/local/options.rs",
    "sdk/src/webhook/local/redirect.rs",
    "sdk/src/server/tls.rs",
    "sdk/src/server/certwatcher.rs",
];

#[test]
fn every_webhook_option_and_function_is_on_the_page() {
    let mut names = Vec::new();
    for file in SOURCES {
        names.extend(public_fns(file).iter().map(|f| f.path()));
        names.extend(public_consts(file));
    }
    names.extend(public_fields(
        "sdk/src/webhook/server.rs",
        "WebhookServerOptions",
    ));
    names.extend(["Manager::add_webhook", "Manager::add_conversion"].map(String::from));
    names.extend(
        [
            "webhook_server",
            "self_managed_certificates",
            "local_webhooks",
        ]
        .map(String::from),
    );
    let flags = <ManagerFlags as clap::Args>::augment_args(clap::Command::new("manager"));
    for flag in flags.get_arguments().filter_map(|arg| arg.get_long()) {
        if flag.contains("webhook") || flag.contains("http2") {
            names.push(format!("--{flag}"));
        }
    }
    assert_on_page(PAGE, "webhook options", names);
}

// ANCHOR: declaration
fn cronjob_webhooks() -> AdmissionWebhooks {
    AdmissionWebhooks::for_kind::<CronJob>()
        .defaulting()
        .validating_deletes()
}
// ANCHOR_END: declaration

#[test]
fn the_defaults_paths_and_configurations_on_the_page_are_generated() {
    let options = WebhookServerOptions::default();
    let dir = default_cert_dir();
    let relative = dir
        .strip_prefix(std::env::temp_dir())
        .expect("the cert dir is below the temporary directory");
    assert_eq!(options.tls.certificate, dir.join(DEFAULT_CERT_NAME));
    assert_eq!(options.tls.key, dir.join(DEFAULT_KEY_NAME));
    let mut defaults = String::from("| setting | default |\n|---|---|\n");
    let rows = [
        (
            "`WebhookServerOptions::address`",
            format!("`{}`", options.address),
        ),
        (
            "`DEFAULT_WEBHOOK_PORT`",
            format!("`{DEFAULT_WEBHOOK_PORT}`"),
        ),
        (
            "`default_cert_dir()`",
            format!("`$TMPDIR/{}`", relative.display()),
        ),
        (
            "`DEFAULT_CERT_NAME`, `DEFAULT_KEY_NAME`",
            format!("`{DEFAULT_CERT_NAME}`, `{DEFAULT_KEY_NAME}`"),
        ),
        (
            "`WebhookServerOptions::http2`",
            format!("`{}`", options.http2),
        ),
        (
            "`DEFAULT_WEBHOOK_READ_TIMEOUT` (`read_timeout`)",
            duration(options.read_timeout),
        ),
        (
            "`MAX_REQUEST_BODY_BYTES`",
            format!(
                "{} bytes ({} MiB)",
                MAX_REQUEST_BODY_BYTES,
                MAX_REQUEST_BODY_BYTES >> 20
            ),
        ),
        ("`CERT_RELOAD_INTERVAL`", duration(CERT_RELOAD_INTERVAL)),
        (
            "`DEFAULT_CERTIFICATE_VALIDITY`",
            duration(DEFAULT_CERTIFICATE_VALIDITY),
        ),
        (
            "`DEFAULT_CERTIFICATE_CHECK_INTERVAL`",
            duration(DEFAULT_CERTIFICATE_CHECK_INTERVAL),
        ),
        (
            "`MUTATING_CONFIGURATION`",
            format!("`{MUTATING_CONFIGURATION}`"),
        ),
        (
            "`VALIDATING_CONFIGURATION`",
            format!("`{VALIDATING_CONFIGURATION}`"),
        ),
        (
            "`WEBHOOK_SERVICE` in `WEBHOOK_SERVICE_NAMESPACE`",
            format!("`{WEBHOOK_SERVICE}` in `{WEBHOOK_SERVICE_NAMESPACE}`"),
        ),
        ("`CONVERT_PATH`", format!("`{CONVERT_PATH}`")),
    ];
    assert_eq!(options.read_timeout, DEFAULT_WEBHOOK_READ_TIMEOUT);
    for (setting, value) in rows {
        let _ = writeln!(defaults, "| {setting} | {value} |");
    }

    let webhooks = cronjob_webhooks();
    let paths = format!(
        "mutating:   {}\nvalidating: {}\nconversion: {CONVERT_PATH}\n",
        webhooks.mutate_path(),
        webhooks.validate_path()
    );
    let temporary = tempfile::tempdir().expect("a temporary directory");
    let files = Manifests::new(temporary.path())
        .webhook(webhooks)
        .render()
        .unwrap_or_else(|error| panic!("{error}"));
    let configurations = &files[std::path::Path::new("config/webhook/manifests.yaml")];
    let example = super::excerpt(include_str!("webhooks.rs"), "declaration");
    let rust = format!(
        "# use kubesmith::webhook::AdmissionWebhooks;\n\
         # #[derive(kube::CustomResource, serde::Serialize, serde::Deserialize, schemars::JsonSchema, Clone, Debug)]\n\
         # #[kube(group = \"batch.example.com\", version = \"v1\", kind = \"CronJob\", namespaced)]\n\
         # pub struct CronJobSpec {{ pub schedule: String }}\n\
         {example}# fn main() {{}}"
    );
    let conversion = serde_json::json!({
        "spec": { "conversion": ClientConfig::Service.crd_conversion() }
    });
    check_generated(
        PAGE,
        &[
            ("defaults", defaults),
            (
                "configurations",
                format!(
                    "{}\n{}\n{}",
                    fenced("rust", &rust),
                    fenced("text", &paths),
                    fenced("yaml", configurations)
                ),
            ),
            (
                "conversion",
                fenced("yaml", &serde_saphyr::to_string(&conversion).expect("YAML")),
            ),
        ],
    );
}
