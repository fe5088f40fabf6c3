//! The custom resources of this operator, one module per API group and version
//! (`kubesmith create api` adds them).

pub mod crew;
pub mod ship;
// +kubesmith:scaffold:modules
