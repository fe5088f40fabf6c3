//! The controllers of this operator, one module per Kind grouped by API group (`kubesmith create
//! api` adds them). `crate::operator` lists each of them.

pub mod crew;
pub mod ship;
// +kubesmith:scaffold:modules
