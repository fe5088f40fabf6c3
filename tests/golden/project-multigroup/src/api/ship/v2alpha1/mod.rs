//! `ship.testproject.org/v2alpha1`: the custom resources of this version, one module per Kind.

pub mod destroyer;
// +kubesmith:scaffold:modules
