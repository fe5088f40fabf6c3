//! `ship.testproject.org/v1beta1`: the custom resources of this version, one module per Kind.

pub mod frigate;
// +kubesmith:scaffold:modules
