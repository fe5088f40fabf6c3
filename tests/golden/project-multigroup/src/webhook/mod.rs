//! The webhooks of this operator, one module per API group, version and Kind (`kubesmith create webhook`
//! adds them). `crate::operator` lists each Kind's `webhook` and `conversion`.

pub mod ship;
// +kubesmith:scaffold:modules
