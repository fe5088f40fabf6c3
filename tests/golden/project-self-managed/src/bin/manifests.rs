//! `make manifests`: writes the CRDs (`config/crd/bases`), the manager's RBAC role
//! (`config/rbac/role.yaml`) and the webhook configurations (`config/webhook/manifests.yaml`)
//! from the API types and the controller and webhook declarations, offline. With `--check`
//! it only compares them with the files (`make test` does, so stale manifests fail).

use std::process::ExitCode;

use kubesmith::manifests::Manifests;

use project_self_managed::api;
use project_self_managed::controller;
use project_self_managed::webhook;
// +kubesmith:scaffold:imports

fn main() -> ExitCode {
    let manifests = Manifests::new(env!("CARGO_MANIFEST_DIR"));
    let manifests = manifests.crd::<api::v1::captain::Captain>();
    let manifests = manifests.controller(&controller::captain::controller());
    let manifests = manifests.crd::<api::v2::captain::Captain>();
    let manifests = manifests.rules(webhook::certificates("system").rbac_rules());
    let manifests = manifests.webhook(&webhook::v1::captain::webhook());
    let manifests = manifests.conversion(&webhook::v1::captain::conversion());
    // +kubesmith:scaffold:manifests
    manifests.main()
}
