//! The controllers of the `ship.testproject.org` group, one module per Kind.

pub mod destroyer;
pub mod frigate;
// +kubesmith:scaffold:modules
