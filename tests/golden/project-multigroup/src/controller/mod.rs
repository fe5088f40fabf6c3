//! The controllers of this operator, one module per Kind grouped by API group (`kubesmith create
//! api` adds them). `main` registers each with the manager through its `setup` function.

pub mod crew;
pub mod ship;
// +kubesmith:scaffold:modules
