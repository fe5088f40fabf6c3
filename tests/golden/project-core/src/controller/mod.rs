//! The controllers of this operator, one module per Kind (`kubesmith create
//! api` adds them). `crate::operator` lists each of them.

pub mod captain;
pub mod deployment;
pub mod deployment_backup;
pub mod memcached;
// +kubesmith:scaffold:modules
