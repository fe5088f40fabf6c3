//! `make manifests`: CRDs, RBAC and (later) webhook configurations written from Rust types.
//!
//! One call in a small binary of the operator crate writes everything under `config/`:
//!
//! | file | from |
//! |---|---|
//! | `config/crd/bases/<group>_<plural>.yaml` | [`Manifests::crd`]: kinds with `#[kubesmith::markers]`; versions of one Kind merged into one CRD with exactly one storage version |
//! | `config/rbac/role.yaml` | [`Manifests::controller`] (the rules of controller declarations), [`Manifests::rbac`] / [`Manifests::rules`]: ClusterRole `manager-role` (a Role in one namespace with [`Manifests::role_namespace`]), plus a Role per namespace used |
//! | `config/webhook/manifests.yaml` | [`Manifests::webhook`]: `mutating-webhook-configuration` and `validating-webhook-configuration` for service `webhook-service` in `system` |
//!
//! Output is deterministic (keys sorted, lists in controller-gen's order). With `--check`
//! ([`Manifests::main`]) nothing is written and stale or missing files make the process
//! exit non-zero.
//!
//! ```no_run
//! # use kube::CustomResource; use schemars::JsonSchema; use serde::{Deserialize, Serialize};
//! # #[kubesmith::markers]
//! # #[derive(CustomResource, Serialize, Deserialize, JsonSchema, Clone, Debug)]
//! # #[kube(group = "example.com", version = "v1", kind = "Widget", namespaced)]
//! # pub struct WidgetSpec { size: i32 }
//! #[derive(kubesmith::Rbac)]
//! #[rbac(groups = ["example.com"], resources = ["widgets"], verbs = ["get", "list", "watch"])]
//! struct WidgetController;
//!
//! fn main() -> std::process::ExitCode {
//!     kubesmith::manifests::Manifests::new(".")
//!         .crd::<Widget>()
//!         .rbac::<WidgetController>()
//!         .main()
//! }
//! ```

mod crds;
mod error;
mod generate;
mod yaml;

pub use error::Error;
pub use generate::Manifests;
