//! The custom resources of this operator, one module per version
//! (`kubesmith create api` adds them).

pub mod v1;
pub mod v1alpha1;
// +kubesmith:scaffold:modules
