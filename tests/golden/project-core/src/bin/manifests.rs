//! `make manifests`: writes the CRDs (`config/crd/bases`), the manager's RBAC role
//! (`config/rbac/role.yaml`) and the webhook configurations (`config/webhook/manifests.yaml`)
//! of [`project_core::operator`], offline. With `--check` it only compares them with the
//! files (`make test` does, so stale manifests fail).

fn main() -> std::process::ExitCode {
    project_core::operator()
        .manifests(env!("CARGO_MANIFEST_DIR"))
        .main()
}
