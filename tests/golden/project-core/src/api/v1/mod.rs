//! `crew.testproject.org/v1`: the custom resources of this version, one module per Kind.

pub mod captain;
// +kubesmith:scaffold:modules
