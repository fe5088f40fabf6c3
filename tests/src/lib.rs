//! End-to-end checks of kubesmith, the README's quick start, and the benchmark's peers.
//!
//! - [`demo`] runs the sample Greeting operator (`tests/sample-operator`) on kubesmith's
//!   manager against a real control plane started by [`kubesmith::envtest`].
//! - [`managed`] registers the sample operator with a manager, with the knobs tests need;
//!   [`admitted`] writes and reads Greetings through an API server that calls its webhooks.
//! - [`peer`] is the same reconcile logic on a plain kube-runtime `Controller`, and
//!   [`floor`] the fewest requests that converge the same objects: the benchmark's points of
//!   comparison; [`measure`] reads processes for the benchmarks.
//! - [`scaffolded`] scaffolds projects with the `kubesmith` CLI, builds and runs them: the
//!   quick start and the scaffold tests; [`vendored`] lets one depend on kubesmith as if it
//!   were published (a directory of vendored sources replacing crates.io).
//! - [`node`] runs a real one-node cluster (kubelet, containerd, kube-proxy and the control
//!   plane) on this machine and restores the host afterwards: the node tests' fixture;
//!   [`cert_manager`] (with [`helm`]) installs cert-manager into it, made from the Go module
//!   proxy.
//! - [`podman`] runs the container engine with this kind of machine's flags, and [`images`]
//!   makes the base images scaffolded Dockerfiles name (no registry is reachable).
//! - [`checkov`] installs and runs the security scanner of the rendered manifests.
//! - [`prerequisite`] says what a test needs from the machine (a missing one fails under
//!   `CI=true`), [`host_packages`] installs the Debian packages tests need, [`machine`] keeps
//!   a per-machine cache and locks, and [`go_tool`] installs Go commands from the Go module
//!   proxy into that cache.
//!
//! Under `cargo test --doc`, the book's chapters are also doc comments of this crate, so every
//! Rust block in `book/src` is compiled (and run, unless marked `no_run`) against the workspace.

pub mod admitted;
pub mod cert_manager;
pub mod checkov;
pub mod demo;
pub mod floor;
pub mod go_tool;
pub mod helm;
pub mod host_packages;
pub mod images;
pub mod machine;
pub mod managed;
pub mod measure;
pub mod node;
pub mod peer;
pub mod podman;
pub mod prerequisite;
pub mod scaffolded;
pub mod vendored;

/// The book's chapters as doctests: each page is the documentation of an empty module, so
/// rustdoc tests its Rust blocks with this crate's dependencies (and dev-dependencies).
#[cfg(doctest)]
mod book {
    #[doc = include_str!("../../book/src/introduction.md")]
    mod introduction {}
    #[doc = include_str!("../../book/src/runtime.md")]
    mod runtime {}
    #[doc = include_str!("../../book/src/webhooks.md")]
    mod webhooks {}
    #[doc = include_str!("../../book/src/envtest.md")]
    mod envtest {}
    #[doc = include_str!("../../book/src/crds.md")]
    mod crds {}
    #[doc = include_str!("../../book/src/project.md")]
    mod project {}
    #[doc = include_str!("../../book/src/quickstart.md")]
    mod quickstart {}
    #[doc = include_str!("../../book/src/reference/cli.md")]
    mod reference_cli {}
    #[doc = include_str!("../../book/src/reference/markers.md")]
    mod reference_markers {}
    #[doc = include_str!("../../book/src/reference/rbac.md")]
    mod reference_rbac {}
    #[doc = include_str!("../../book/src/reference/metrics.md")]
    mod reference_metrics {}
    #[doc = include_str!("../../book/src/reference/webhooks.md")]
    mod reference_webhooks {}
}
