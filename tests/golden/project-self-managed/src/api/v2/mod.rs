//! `crew.testproject.org/v2`: the custom resources of this version, one module per Kind.

pub mod captain;
pub mod captain_conversion;
// +kubesmith:scaffold:modules
