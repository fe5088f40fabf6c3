//! The webhooks of `ship.testproject.org/v1beta1`, one module per Kind.

pub mod frigate;
// +kubesmith:scaffold:modules
