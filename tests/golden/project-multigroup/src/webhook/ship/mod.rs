//! The webhooks of the `ship.testproject.org` group, one module per version.

pub mod v1beta1;
// +kubesmith:scaffold:modules
