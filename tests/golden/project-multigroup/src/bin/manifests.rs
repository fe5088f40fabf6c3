//! `make manifests`: writes the CRDs (`config/crd/bases`), the manager's RBAC role
//! (`config/rbac/role.yaml`) and the webhook configurations (`config/webhook/manifests.yaml`)
//! from the API types and the controller and webhook declarations, offline. With `--check`
//! it only compares them with the files (`make test` does, so stale manifests fail).

use std::process::ExitCode;

use kubesmith::manifests::Manifests;

use project_multigroup::api;
use project_multigroup::controller;
use project_multigroup::webhook;
// +kubesmith:scaffold:imports

fn main() -> ExitCode {
    let manifests = Manifests::new(env!("CARGO_MANIFEST_DIR"));
    // The manager is confined to its namespace: its rules go into a Role there.
    let manifests = manifests.role_namespace("system");
    let manifests = manifests.crd::<api::crew::v1::captain::Captain>();
    let manifests = manifests.controller(&controller::crew::captain::controller());
    let manifests = manifests.crd::<api::ship::v1beta1::frigate::Frigate>();
    let manifests = manifests.controller(&controller::ship::frigate::controller());
    let manifests = manifests.crd::<api::ship::v2alpha1::destroyer::Destroyer>();
    let manifests = manifests.controller(&controller::ship::destroyer::controller());
    let manifests = manifests.webhook(&webhook::ship::v1beta1::frigate::webhook());
    // +kubesmith:scaffold:manifests
    manifests.main()
}
