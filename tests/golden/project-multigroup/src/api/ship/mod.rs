//! The `ship.testproject.org` API group, one module per version.

pub mod v1beta1;
pub mod v2alpha1;
// +kubesmith:scaffold:modules
