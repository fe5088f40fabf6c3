//! The controllers of this operator, one module per Kind (`kubesmith create
//! api` adds them). `main` registers each with the manager through its `setup` function.

pub mod captain;
// +kubesmith:scaffold:modules
