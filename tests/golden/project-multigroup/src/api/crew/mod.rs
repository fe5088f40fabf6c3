//! The `crew.testproject.org` API group, one module per version.

pub mod v1;
// +kubesmith:scaffold:modules
