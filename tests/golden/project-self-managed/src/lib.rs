//! The project-self-managed operator.
//!
//! - [`api`]: the custom resources, as Rust types with schema markers; `make manifests` writes
//!   their CRDs.
//! - [`controller`]: one controller per Kind, each a declaration (what it watches and owns,
//!   hence its RBAC rules) and a reconciler.
//! - `webhook` (after `kubesmith create webhook`): defaulting, validation and conversion.
//!
//! `src/main.rs` runs them in a kubesmith manager; `src/bin/manifests.rs` generates the
//! manifests of `config/` from them.

pub mod api;
pub mod controller;
pub mod webhook;
// +kubesmith:scaffold:modules
