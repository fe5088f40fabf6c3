//! Tests of `kubesmith::envtest` against real etcd and kube-apiserver binaries.
//!
//! Binaries come from `KUBEBUILDER_ASSETS` (the README's test command sets it). A missing
//! control plane fails these tests; they never skip.

mod client;
mod crds;
mod lifecycle;
mod openapi;
mod rbac;
mod waits;

use kubesmith::envtest::{Environment, SharedEnvironment};

/// One control plane for the tests that only need isolation by namespace.
static SHARED: SharedEnvironment = SharedEnvironment::new(Environment::builder);

/// The shared environment; fails the calling test when no control plane can start.
async fn shared() -> &'static Environment {
    match SHARED.get().await {
        Ok(env) => env,
        Err(error) => panic!("no test control plane: {error}"),
    }
}
