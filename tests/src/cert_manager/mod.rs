//! cert-manager for clusters of the tests, made from what this machine (and CI) can reach: the
//! Go module proxy. No container registry and no release download is needed.
//!
//! | module | concept |
//! |---|---|
//! | [`component`] | the version, the namespace and the three components |
//! | [`source`] | the cert-manager release in the Go module cache (its go.mod, its Helm chart) |
//! | [`binaries`](mod@binaries) | the controller, webhook and cainjector built with Go, cached per machine |
//! | [`images`](mod@images) | local podman images with the names and tags the chart expects |
//! | [`manifests`](mod@manifests) | the chart rendered by `helm template` into one YAML stream |
//! | [`install`](mod@install) | `kubectl apply` of the manifests, and the wait until the webhook serves |
//!
//! In order, as a node test uses them:
//!
//! ```no_run
//! use std::time::Duration;
//! use kubesmith_e2e::cert_manager;
//!
//! # async fn example(kubectl: std::process::Command, client: kube::Client) -> anyhow::Result<()> {
//! let images = cert_manager::images()?; // podman images, to load into the node's runtime
//! cert_manager::install(kubectl)?; // `kubectl --kubeconfig … apply --server-side`
//! cert_manager::wait_until_serving(&client, cert_manager::SERVING_TIMEOUT).await?;
//! # Ok(())
//! # }
//! ```
//!
//! **What is built.** cert-manager's commands live in separate Go modules that are not
//! published, so `go install` cannot build them. The release's root module
//! (`github.com/cert-manager/cert-manager`) holds everything else. kubesmith builds its own thin
//! `main` packages (`entrypoints/`, one per component) around cert-manager's libraries in a
//! throwaway module. They accept the flags the chart passes (the test
//! `each_binary_reports_the_release_and_accepts_every_flag_the_chart_passes_it` holds them to
//! it), not `--config` files (the chart's `config:` values). The controller runs every default
//! controller but Venafi's: Venafi's client library is not on the module proxy, and
//! cert-manager's configuration package links it, so the controller keeps its own settings,
//! with cert-manager's defaults. Builds use `CGO_ENABLED=0 go build -trimpath`, and the version
//! is stamped in (`--version` prints it).
//!
//! **The images** (built `FROM scratch`, see [`images`](mod@images)) hold the static binary at
//! `/app/cmd/<component>/<component>` (the entrypoint, as upstream's images), `/etc/passwd` and
//! `/etc/group` naming root and `nonroot` (65532), and `USER 65532:65532`, the user of
//! distroless `nonroot` images that cert-manager's images are based on: the chart's
//! `runAsNonRoot: true` needs a numeric non-root user. There is no CA bundle: in a cluster the
//! components only talk to the API server, whose CA comes with the ServiceAccount token
//! (issuers that call out, such as ACME or Vault, would need one). No `/tmp`: the chart mounts
//! the root read-only, and nothing writes there.
//!
//! **The manifests** are the chart of the same release with the CRDs, in namespace
//! `cert-manager`, the local image tags, pull policy `IfNotPresent`, and no startupapicheck
//! Job (a Helm hook; [`wait_until_serving`] does its check instead).

pub mod binaries;
pub mod component;
pub mod images;
pub mod install;
pub mod manifests;
pub mod source;

pub use binaries::{Binaries, binaries};
pub use component::{Component, NAMESPACE, VERSION};
pub use images::images;
pub use install::{SERVING_TIMEOUT, install, wait_until_serving};
pub use manifests::manifests;
