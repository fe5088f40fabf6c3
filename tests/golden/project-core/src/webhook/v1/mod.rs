//! The webhooks of `apps/v1`, one module per Kind.

pub mod deployment;
pub mod pod;
// +kubesmith:scaffold:modules
