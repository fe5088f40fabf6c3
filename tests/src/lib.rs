//! End-to-end checks of kubesmith, and the sample controller the README's first command runs.
//!
//! [`sample`] holds a small operator written on kube-runtime: a `Greeting` custom resource that
//! is reconciled into an owned ConfigMap. [`sample::run`] drives it on a real control plane
//! started by [`kubesmith::envtest`].

pub mod managed;
pub mod sample;
