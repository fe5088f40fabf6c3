//! The webhooks of this operator, one module per API group, version and Kind (`kubesmith create webhook`
//! adds them). `main` registers each with the manager through its `setup` function.

pub mod ship;
// +kubesmith:scaffold:modules
