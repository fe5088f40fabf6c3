//! The controllers of the `crew.testproject.org` group, one module per Kind.

pub mod captain;
// +kubesmith:scaffold:modules
