//! End-to-end checks of kubesmith, the README's quick start, and the benchmark's peers.
//!
//! - [`demo`] runs the sample Greeting operator (`tests/sample-operator`) on kubesmith's
//!   manager against a real control plane started by [`kubesmith::envtest`].
//! - [`managed`] registers the sample operator with a manager, with the knobs tests need.
//! - [`peer`] is the same reconcile logic on a plain kube-runtime `Controller`, and
//!   [`floor`] the fewest requests that converge the same objects: the benchmark's points of
//!   comparison; [`measure`] reads processes for the benchmarks.
//! - [`scaffolded`] scaffolds projects with the `kubesmith` CLI, builds and runs them: the
//!   quick start and the scaffold tests.

pub mod demo;
pub mod floor;
pub mod managed;
pub mod measure;
pub mod peer;
pub mod scaffolded;
