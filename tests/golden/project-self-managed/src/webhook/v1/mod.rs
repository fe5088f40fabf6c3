//! The webhooks of `crew.testproject.org/v1`, one module per Kind.

pub mod captain;
// +kubesmith:scaffold:modules
