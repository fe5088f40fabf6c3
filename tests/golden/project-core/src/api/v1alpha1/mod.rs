//! `crew.testproject.org/v1alpha1`: the custom resources of this version, one module per Kind.

pub mod memcached;
// +kubesmith:scaffold:modules
